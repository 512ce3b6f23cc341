"""The pieces every metric shares (DESIGN.md, Definitions): local share, the resolved supplier, the
group flags, the engine choice and the per-group sums both engines compute.

``metrics`` is the public entry point; this module holds what ``metrics``, its submodules and
``engine_duckdb`` import, so nothing imports in a circle.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from anchorlib.data.places import Area
from anchorlib.errors import ParameterError

GROUPS = {
    "sme": "is_sme",
    "vcse": "is_vcse",
    "bame_led": "bame_led",
    "women_led": "women_led",
    "youth_led": "youth_led",
    "imd_1_2": "imd_1_2",
}
GROUP_LABELS = {
    "sme": "SME",
    "vcse": "VCSE",
    "bame_led": "BAME-led",
    "women_led": "Women-led",
    "youth_led": "Youth-led",
    "imd_1_2": "IMD deciles 1-2",
}
FOUR_FIFTHS = 80.0
ENGINE_MIN_ROWS = 200_000  # from this many payments the metrics run on DuckDB (ANCHORLIB_ENGINE overrides)
SUPPLIER = "supplier"  # the virtual grouping key: the resolved supplier (see supplier_ids)
SHARE_COLUMNS = [
    "total_spend",
    "addressable_spend",
    "local_spend",
    "unknown_location_spend",
    "known_addressable_spend",
    "local_ex_hq",
    "known_ex_hq",
    "addressable_payments",
]


def div(a: float, b: float) -> float | None:
    return None if b == 0 else a / b


def engine_for(payments: pd.DataFrame) -> str:
    """'duckdb' for ``ENGINE_MIN_ROWS`` payments or more, else 'pandas'; ``$ANCHORLIB_ENGINE`` forces one."""
    forced = os.environ.get("ANCHORLIB_ENGINE", "").strip().lower()
    if forced in ("pandas", "duckdb"):
        return forced
    if forced:
        raise ParameterError(f"ANCHORLIB_ENGINE must be 'pandas' or 'duckdb', not '{forced}'")
    return "duckdb" if len(payments) >= ENGINE_MIN_ROWS else "pandas"


@dataclass
class LocalShare:
    """Local share (DESIGN.md): local addressable spend / addressable spend with known location.

    ``leakage`` = addressable spend - local spend, as DESIGN.md defines it, so it includes the
    unknown-location £ (shown beside it); ``known_leakage`` excludes it.
    """

    total_spend: float
    addressable_spend: float
    local_spend: float
    unknown_location_spend: float
    local_share: float | None
    leakage: float
    known_leakage: float
    local_spend_excluding_hq_only: float
    local_share_excluding_hq_only: float | None
    choices: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def to_local_share(r, area: Area, ruleset_name: str) -> LocalShare:
    """A LocalShare from one row of SHARE_COLUMNS sums."""
    add, loc, known = (
        float(r["addressable_spend"]),
        float(r["local_spend"]),
        float(r["known_addressable_spend"]),
    )
    return LocalShare(
        total_spend=float(r["total_spend"]),
        addressable_spend=add,
        local_spend=loc,
        unknown_location_spend=float(r["unknown_location_spend"]),
        local_share=div(loc, known),
        leakage=add - loc,
        known_leakage=known - loc,
        local_spend_excluding_hq_only=float(r["local_ex_hq"]),
        local_share_excluding_hq_only=div(float(r["local_ex_hq"]), float(r["known_ex_hq"])),
        choices={"area": area.describe(), "addressable_rule_set": ruleset_name},
    )


def local_shares(sums: pd.DataFrame, areas: dict[str, Area], ruleset_name: str) -> dict[str, LocalShare]:
    """anchor_id -> LocalShare from per-anchor SHARE_COLUMNS sums (``share_sums(payments, areas, [])``);
    an anchor without payments gets zeros."""
    got = {str(r["anchor_id"]): r for _, r in sums.iterrows()}
    zeros = pd.Series(0.0, index=SHARE_COLUMNS)
    return {a: to_local_share(got.get(a, zeros), ar, ruleset_name) for a, ar in areas.items()}


def payments_attrs(ds) -> dict:
    """What a selection of a dataset's payments carries in ``attrs`` for the functions that take payments
    alone: the dataset's addressable rule set and IMD vintage (``metrics.select``)."""
    return {"addressable_rule_set": ds.ruleset.name, "imd_vintage": ds.geography.imd_vintage}


def is_local(payments: pd.DataFrame, area: Area) -> pd.Series:
    """True where the supplier's postcode maps to a LAD inside ``area`` (unknown location -> False)."""
    return area.contains(payments["lad"], payments["rgn"])


def supplier_ids(payments: pd.DataFrame) -> pd.Series:
    """The resolved supplier of each payment: 'R<row>' for a register match, else 'K<normalised payee>',
    else 'N<payee as written>', else '(no payee name)' (redacted or blank). Two spellings that resolve
    to one register entry or one normalised name are one supplier. A frame that carries these ids in a
    ``supplier_id`` column (rollup.with_supplier_ids) is not resolved again."""
    if "supplier_id" in payments.columns:
        return payments["supplier_id"].astype("string")
    row = payments["register_row"].astype("Int64").astype("string")
    out = ("R" + row).fillna("K" + payments["supplier_key"].astype("string"))
    out = out.fillna("N" + payments["supplier_name"].astype("string"))
    return out.fillna("(no payee name)").astype("string")


def supplier_names(payments: pd.DataFrame, ids: pd.Series) -> pd.DataFrame:
    """Per resolved supplier id: ``supplier`` (register name when matched, else the first payee spelling in
    sort order) and ``lad`` (the smallest LAD code seen; one code for a register match)."""
    codes, uniques = pd.factorize(ids, sort=False)
    first = {
        c: _min_text(codes, len(uniques), payments[c]) for c in ("register_name", "supplier_name", "lad")
    }
    name = first["register_name"].fillna(first["supplier_name"]).fillna("(no payee name)")
    index = pd.Index(uniques, name="supplier_id")
    return pd.DataFrame({"supplier": name.to_numpy(), "lad": first["lad"].to_numpy()}, index=index).astype(
        "string"
    )


def _min_text(codes: np.ndarray, n: int, column: pd.Series) -> pd.Series:
    """The smallest text of ``column`` per group (``codes`` 0..n-1), <NA> where a group has none. A
    categorical is ranked by the categories its rows use, in sort order, so the rows are compared as
    integers (the work follows the rows given, not every category of the dataset)."""
    if not isinstance(column.dtype, pd.CategoricalDtype):
        column = column.astype("string").astype("category")
    row_codes = column.cat.codes.to_numpy()
    present = row_codes >= 0
    used = np.unique(row_codes[present])  # the categories these rows use, by code
    text = np.asarray(column.cat.categories.take(used), dtype=object)
    order = np.argsort(text, kind="stable")  # text order of the used categories
    rank_of = np.empty(len(used), dtype=np.int64)
    rank_of[order] = np.arange(len(used))
    rank = np.full(len(row_codes), len(used), dtype=np.int64)  # a missing text ranks after every text
    rank[present] = rank_of[np.searchsorted(used, row_codes[present])]
    best = np.full(n, len(used), dtype=np.int64)
    np.minimum.at(best, codes, rank)
    return pd.Series(np.append(text[order], None)[best], dtype="string")


def local_mask(payments: pd.DataFrame, area: Area | dict[str, Area]) -> pd.Series:
    """``is_local`` for one area, or for anchor_id -> area (each payment tested against its anchor's area)."""
    if isinstance(area, Area):
        return is_local(payments, area)
    local = pd.Series(False, index=payments.index)
    for a, ar in area.items():
        local |= (payments["anchor_id"] == a) & is_local(payments, ar)
    return local


def share_sums(
    payments: pd.DataFrame, area: Area | dict[str, Area], keys: list[str], names: bool = True
) -> pd.DataFrame:
    """Per value of ``keys`` (columns, or SUPPLIER for the resolved supplier): SHARE_COLUMNS sums, in pandas.

    With SUPPLIER, the result has ``supplier_id``, ``supplier`` (display name) and ``lad`` in its place
    (``names`` False: ``supplier_id`` alone, for sums that need no name; ``supplier_names`` adds them).
    ``area`` a dict anchor_id -> Area: the sums are per anchor_id too (first key), over those anchors'
    payments, each local to its own anchor's area.
    """
    if isinstance(area, dict):
        payments = payments[payments["anchor_id"].isin(list(area))]
        keys = ["anchor_id", *[k for k in keys if k != "anchor_id"]]
    amount = payments["amount"].to_numpy(dtype="float64")
    add = payments["addressable"].astype(bool).to_numpy()
    known = payments["lad"].notna().to_numpy()
    local = local_mask(payments, area).to_numpy() & add
    hq = payments["hq_only"].fillna(False).astype(bool).to_numpy()
    ids = supplier_ids(payments) if SUPPLIER in keys else None
    cols = ["supplier_id" if k == SUPPLIER else k for k in keys]
    # one frame built at once from numpy columns (a column set at a time cost more than the sums)
    sums = {
        "total_spend": amount,
        "addressable_spend": np.where(add, amount, 0.0),
        "local_spend": np.where(local, amount, 0.0),
        "unknown_location_spend": np.where(add & ~known, amount, 0.0),
        "known_addressable_spend": np.where(add & known, amount, 0.0),
        "local_ex_hq": np.where(local & ~hq, amount, 0.0),
        "known_ex_hq": np.where(add & known & ~hq, amount, 0.0),
        "addressable_payments": add.astype("int64"),
    }
    if cols:
        f = pd.DataFrame({**{c: (ids if c == "supplier_id" else payments[c]) for c in cols}, **sums})
        out = f.groupby(cols, dropna=False, sort=False)[SHARE_COLUMNS].sum().reset_index()
    else:
        out = pd.DataFrame({c: [np.nansum(v)] for c, v in sums.items()})
    if ids is not None and names:
        out = out.join(supplier_names(payments, ids), on="supplier_id")
    return out


def finish_shares(df: pd.DataFrame, keys: list[str], sort: bool = True) -> pd.DataFrame:
    """Add local_share, leakage (addressable - local) and known_leakage; largest leakage first, ties by key
    (``sort`` False: in the rows' order)."""
    known = df["known_addressable_spend"]
    df["local_share"] = (df["local_spend"] / known).where(known != 0)
    df["leakage"] = df["addressable_spend"] - df["local_spend"]
    df["known_leakage"] = known - df["local_spend"]
    return largest_first(df, "leakage", keys) if sort else df


def largest_first(df: pd.DataFrame, column: str, keys: list[str]) -> pd.DataFrame:
    """``df`` by ``column``, largest first, ties in the order of ``keys`` (SUPPLIER: by ``supplier_id``)."""
    order = ["supplier_id" if k == SUPPLIER else k for k in keys]
    return df.sort_values([column, *order], ascending=[False, *[True] * len(order)], ignore_index=True)


def base_choices(area: Area | None = None, ruleset_name: str | None = None, **more) -> dict:
    """The choices dict every result carries (area, addressable rule set, and what else applies)."""
    out = {}
    if area is not None:
        out["area"] = area.describe()
    if ruleset_name is not None:
        out["addressable_rule_set"] = ruleset_name
    out.update({k: v for k, v in more.items() if v is not None})
    return out


def equity_groups(register: pd.DataFrame) -> list[tuple[str, str]]:
    """(group, flag column) pairs: SME, VCSE, BAME-led, women-led always; youth-led only when the register has
    the column with a known value; IMD deciles 1-2 (membership known where the supplier's location is)."""
    return [
        (g, f)
        for g, f in GROUPS.items()
        if g != "youth_led" or (f in register.columns and register[f].notna().any())
    ]


def availability_counts(register: pd.DataFrame, groups: list[tuple[str, str]]) -> dict:
    """Availability pool counts from the supplier register: n_all, and per group in_g / known_g."""
    out = {"n_all": len(register)}
    for g, f in groups:
        if f == "imd_1_2":
            member = register["imd_decile"].astype("Float64") <= 2
        elif f in register.columns:
            member = register[f].astype("boolean")
        else:
            member = pd.Series(pd.NA, index=register.index, dtype="boolean")
        out[f"in_{g}"] = int(member.fillna(False).sum())
        out[f"known_{g}"] = int(member.notna().sum())
    return out


def equity_frame(
    wide: pd.DataFrame, avail: dict, keys: list[str], groups: list[tuple[str, str]]
) -> pd.DataFrame:
    """Utilisation, availability, disparity index (DESIGN.md) from per-key sums ``in_g``/``known_g`` and
    the register counts: one row per (key, group), the columns ``metrics.equity`` returns."""
    n, names = len(wide), [g for g, _ in groups]

    def stack(col):  # one value per (group, key row), groups one after another
        return (
            np.concatenate([wide[col.format(g=g)].to_numpy(dtype=float) for g in names]) if n else np.zeros(0)
        )

    def per_group(field):
        return np.repeat(np.array([avail[field.format(g=g)] for g in names], dtype=float), n)

    spend_in, known, add = (
        stack("in_{g}"),
        stack("known_{g}"),
        np.tile(wide["addressable_spend"].to_numpy(dtype=float), len(names)),
    )
    n_in, n_known, n_all = per_group("in_{g}"), per_group("known_{g}"), float(avail["n_all"])
    with np.errstate(divide="ignore", invalid="ignore"):
        util = np.where(known != 0, spend_in / known, np.nan)
        availability = np.where(n_known != 0, n_in / n_known, np.nan)
        di = np.where(availability > 0, 100 * util / availability, np.nan)
        util_unknown = np.where(add != 0, (add - known) / add, np.nan)
        avail_unknown = np.where(n_all != 0, (n_all - n_known) / n_all, np.nan)
    group = np.repeat(np.array(names, dtype=object), n)
    df = wide[keys].take(np.tile(np.arange(n), len(names))).reset_index(drop=True)
    df = df.assign(
        group=group,
        label=pd.Series(group).map(GROUP_LABELS).to_numpy(),
        utilisation=util,
        availability=availability,
        disparity_index=di,
        below_four_fifths=pd.Series(di < FOUR_FIFTHS).where(~np.isnan(di)),
        spend_in_group=spend_in,
        spend_membership_known=known,
        utilisation_unknown_share=util_unknown,
        availability_unknown_share=avail_unknown,
        _order=np.repeat(np.arange(len(names)), n),
    )
    return df.sort_values([*keys, "_order"], ignore_index=True).drop(columns="_order")
