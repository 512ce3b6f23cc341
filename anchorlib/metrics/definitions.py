"""The definitions every metric is computed from (docs/methodology.md), each in one place.

The equity groups and their labels, the four-fifths threshold, the sums local share and leakage are
made of (``SHARE_SUMS``: which payments each one sums, for both engines to compute), and the figures
built from those sums: ``LocalShare``, leakage and local share per key (``finish_shares``), utilisation,
availability and the disparity index (``equity_frame``). The engines (anchorlib/metrics/engine/) import
this module; the metrics import both.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from anchorlib.data.places import BUILTIN_AREAS, Area

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
FOUR_FIFTHS = 80.0  # a disparity index below this is a substantial disparity (the four-fifths rule)
SUPPLIER = "supplier"  # the virtual grouping key: the resolved supplier (data.suppliers.supplier_ids)
ANY_LOCATION = BUILTIN_AREAS["uk"]  # for sums where locality does not matter

#: The sums local share and leakage are made of (docs/methodology.md#local-share): each is
#: ``amount`` summed over the payments meeting all of its conditions ('~' negates one). The conditions:
#: ``addressable`` (the rule set), ``local`` (the supplier is located in the area), ``known`` (its
#: location is known) and ``hq_only`` (a head-office-only supplier).
SHARE_SUMS = {
    "total_spend": (),
    "addressable_spend": ("addressable",),
    "local_spend": ("addressable", "local"),
    "unknown_location_spend": ("addressable", "~known"),
    "known_addressable_spend": ("addressable", "known"),
    "local_ex_hq": ("addressable", "local", "~hq_only"),
    "known_ex_hq": ("addressable", "known", "~hq_only"),
}
#: Payments counted, on the same conditions.
COUNTS = {"addressable_payments": ("addressable",)}
SHARE_COLUMNS = [*SHARE_SUMS, *COUNTS]


def div(a: float, b: float) -> float | None:
    return None if b == 0 else a / b


@dataclass
class LocalShare:
    """Local share (docs/methodology.md#local-share): local addressable spend / addressable
    spend with known location.

    ``leakage`` = addressable spend - local spend, so it includes the unknown-location £ (shown beside
    it); ``known_leakage`` excludes it.
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


def is_local(payments: pd.DataFrame, area: Area) -> pd.Series:
    """True where the supplier's postcode maps to a LAD inside ``area`` (unknown location -> False)."""
    return area.contains(payments["lad"], payments["rgn"])


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


def flow_choices(payments) -> dict:
    """The flow a selection of payments holds and, with grants, the option that placed them, as
    ``metrics.select`` carried them in ``attrs`` (none for payments of a dataset without grants)."""
    attrs = getattr(payments, "attrs", {}) or {}
    return {k: attrs[k] for k in ("flow", "grant_location") if attrs.get(k) is not None}


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
    """Utilisation, availability, disparity index (docs/methodology.md#disparity-index) from per-key sums
    ``in_g``/``known_g`` and the register counts: one row per (key, group), the columns ``metrics.equity``
    returns."""
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
