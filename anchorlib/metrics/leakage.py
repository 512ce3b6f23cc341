"""Local share and leakage by every cut, top leaking suppliers, concentration, opportunities and shared
suppliers (docs/methodology.md#local, #local-share). Public through ``anchorlib.metrics``.

Every function asks its engine (``engine``: pandas or DuckDB, chosen by ``engine.choose`` when not
given) for the share sums and shapes the small result the same way whichever engine summed.
"""

from __future__ import annotations

import pandas as pd

from anchorlib.data.dataset import Dataset
from anchorlib.data.places import Area
from anchorlib.data.rollup import SHARE_COLUMNS as SHARE_INPUTS
from anchorlib.data.rollup import SUPPLIER_COLUMNS
from anchorlib.data.suppliers import NO_NAME
from anchorlib.errors import ParameterError
from anchorlib.metrics.definitions import (
    ANY_LOCATION,
    SUPPLIER,
    LocalShare,
    base_choices,
    finish_shares,
    flow_choices,
    largest_first,
    to_local_share,
)
from anchorlib.metrics.engine import Engine, choose, rollup_runner
from anchorlib.metrics.pools import category_counts, check_pool, pool_frame, sic_mapping
from anchorlib.metrics.selection import subset

LEAKAGE_COLUMNS = [
    "total_spend",
    "addressable_spend",
    "local_spend",
    "unknown_location_spend",
    "local_share",
    "leakage",
    "known_leakage",
]


def rule_set(payments: pd.DataFrame, ruleset_name: str | None = None) -> str:
    """The addressable rule set's name: given, else carried by ``metrics.select`` in ``payments.attrs``."""
    return (
        ruleset_name
        or payments.attrs.get("addressable_rule_set")
        or "as classified in payments['addressable']"
    )


def local_share(
    payments: pd.DataFrame, area: Area, ruleset_name: str = "", *, engine: Engine | str | None = None
) -> LocalShare:
    """Local share, leakage and the unknown-location bucket for a set of payments
    (docs/methodology.md#local-share). The rule set's name defaults to the one ``select``
    carried in ``payments.attrs``."""
    sums = choose(payments, engine).share_sums(payments, area, [])
    out = to_local_share(sums.iloc[0], area, rule_set(payments, ruleset_name))
    out.choices.update(flow_choices(payments))
    return out


def local_share_per(
    payments: pd.DataFrame, area: Area, by: str, ruleset_name: str = "", *, engine: Engine | str | None = None
) -> dict[str, LocalShare]:
    """``local_share`` for each value of the column ``by`` that the payments have (e.g. each financial
    year), in one aggregation; keys are the values as text, in sorted order."""
    ruleset_name = rule_set(payments, ruleset_name)
    sums = choose(payments, engine).share_sums(payments, area, [by])
    # the values the payments have, from the sums (a categorical's unused values are not years)
    rows = {str(r[by]): r for _, r in sums.iterrows() if pd.notna(r[by])}
    out = {k: to_local_share(rows[k], area, ruleset_name) for k in sorted(rows)}
    for ls in out.values():
        ls.choices.update(flow_choices(payments))
    return out


def _keys(by: str | list[str]) -> list[str]:
    keys = [by] if isinstance(by, str) else list(by)
    if not keys:
        raise ParameterError("leakage_by needs at least one column to group by")
    return keys


def leakage_by(
    payments: pd.DataFrame,
    area: Area,
    by: str | list[str],
    *,
    ruleset_name: str | None = None,
    engine: Engine | str | None = None,
) -> pd.DataFrame:
    """Local share and leakage (addressable - local) per value of ``by``, largest leakage first.

    ``by``: 'financial_year', 'category', 'expense_area', 'anchor_id', or 'supplier': the resolved
    supplier (register entry when matched, else the normalised payee name), so one supplier paid under
    two spellings is one row; then ``supplier`` is its display name and ``supplier_id``/``lad`` follow.
    ``known_leakage`` excludes the unknown-location £.
    """
    keys = _keys(by)
    sums = choose(payments, engine).share_sums(payments, area, keys)
    out = _leakage_columns(finish_shares(sums, keys), keys, area, rule_set(payments, ruleset_name))
    out.attrs["choices"].update(flow_choices(payments))
    return out


def _leakage_columns(df: pd.DataFrame, keys: list[str], area: Area, ruleset_name: str) -> pd.DataFrame:
    """``leakage_by``'s columns of per-key sums (``finish_shares``), with its choices."""
    extra = ["supplier_id", "lad"] if SUPPLIER in keys else []
    out = df[[*keys, *LEAKAGE_COLUMNS, *extra]].copy()
    out.attrs["choices"] = base_choices(
        area, ruleset_name, by=keys, leakage="addressable - local spend (includes unknown-location spend)"
    )
    return out


def top_leaking(
    payments: pd.DataFrame,
    area: Area,
    by: str | list[str] = SUPPLIER,
    n: int = 10,
    *,
    ruleset_name: str | None = None,
    engine: Engine | str | None = None,
) -> pd.DataFrame:
    """The ``n`` rows of ``leakage_by`` with the most known-location non-local addressable spend
    (``known_leakage``; unknown location is never counted as non-local), with the supplier's ``lad``.
    By supplier, only those ``n`` are named."""
    keys = _keys(by)
    ruleset_name = rule_set(payments, ruleset_name)
    eng = choose(payments, engine)
    if SUPPLIER in keys:
        payments = eng.resolve(payments)  # resolved once, for the sums and the names
    df = finish_shares(eng.share_sums(payments, area, keys, names=False), keys, sort=False)
    df = df[df["known_leakage"] > 0]
    # the n largest and any tied with the n-th, then ranked with the ties broken by key: only those are sorted
    top = largest_first(df.nlargest(int(n), "known_leakage", keep="all"), "known_leakage", keys).head(int(n))
    if SUPPLIER in keys:
        top = top.join(eng.supplier_names(payments, top["supplier_id"].tolist()), on="supplier_id")
    top = _leakage_columns(top, keys, area, ruleset_name)
    top.attrs["choices"].update(
        {"ranked_by": "known-location non-local addressable spend", "n": int(n), **flow_choices(payments)}
    )
    return top


def concentration(
    payments: pd.DataFrame, by: str = "category", n: int = 10, *, engine: Engine | str | None = None
) -> pd.DataFrame:
    """Per ``by`` value: addressable spend, suppliers paid, the top-``n`` suppliers' share and the HHI
    (sum of squared percentage shares, 0-10,000) of suppliers' net addressable spend.

    Shares are over suppliers with positive net addressable spend (a supplier whose credits exceed its
    payments holds no share of the market)."""
    s = choose(payments, engine).share_sums(payments, ANY_LOCATION, [by, SUPPLIER], names=False)
    s = s[s["addressable_payments"] > 0]
    rows = []
    for key, g in s.groupby(by, dropna=False, sort=False):
        pos = g["addressable_spend"][g["addressable_spend"] > 0].sort_values(ascending=False)
        share = pos / pos.sum() if len(pos) else pos
        rows.append(
            {
                by: key,
                "addressable_spend": float(g["addressable_spend"].sum()),
                "n_suppliers": len(pos),
                "top_n_share": float(share.head(int(n)).sum()) if len(pos) else None,
                "hhi": float(((100 * share) ** 2).sum()) if len(pos) else None,
            }
        )
    out = pd.DataFrame(rows, columns=[by, "addressable_spend", "n_suppliers", "top_n_share", "hhi"])
    out = out.sort_values(["addressable_spend", by], ascending=[False, True], ignore_index=True)
    out.attrs["choices"] = base_choices(
        None,
        rule_set(payments),
        **flow_choices(payments),
        n=int(n),
        shares="suppliers' net addressable spend, suppliers with positive net only",
        hhi="sum of squared percentage shares (0-10,000)",
    )
    return out


def local_register_categories(ds: Dataset, area: Area) -> pd.Series:
    """Number of register suppliers located in ``area`` serving each category: listing it in suppliers.csv's
    ``categories`` (';'-joined) or holding a SIC code the SIC-to-category mapping gives it; a supplier counts
    once per category."""
    return category_counts(pool_frame(ds, "register", area))


def opportunities(
    ds: Dataset,
    payments: pd.DataFrame,
    area: Area,
    min_local_suppliers: int = 3,
    *,
    pool: str | None = None,
    engine: Engine | str | None = None,
) -> pd.DataFrame:
    """Categories where addressable spend leaks although at least ``min_local_suppliers`` local businesses
    serve them: the £ at stake (leakage), largest first. ``pool`` says which businesses count: 'register'
    (suppliers.csv, the default) or 'population' (population.csv: local companies and charities the anchors
    may never have paid, by their SIC codes; docs/methodology.md#availability-pools)."""
    name = check_pool(pool)
    sums = choose(payments, engine).share_sums(payments, area, ["category"], filters={"addressable": [True]})
    by_category = finish_shares(sums, ["category"])
    n_local = local_register_categories(ds, area)
    df = by_category[by_category["category"].notna()].copy()
    df["local_suppliers_in_register"] = df["category"].astype(str).map(n_local).fillna(0).astype("int64")
    columns = ["category", "leakage", "local_suppliers_in_register", "addressable_spend", "local_share"]
    counted = "local_suppliers_in_register"
    described = (
        "register suppliers located in the area serving the category: listing it in categories, or with SIC "
        f"codes mapping to it ({sic_mapping(ds).name})"
    )
    if name == "population":
        frame = pool_frame(ds, "population", area)
        n_pop = category_counts(frame)
        df["local_businesses_in_population"] = df["category"].astype(str).map(n_pop).fillna(0).astype("int64")
        columns.insert(3, "local_businesses_in_population")
        counted = "local_businesses_in_population"
        described = (
            "live companies and registered charities located in the area whose SIC codes map to the category "
            f"({sic_mapping(ds).name})"
        )
    df = df[(df["leakage"] > 0) & (df[counted] >= int(min_local_suppliers))]
    df = df.sort_values(["leakage", "category"], ascending=[False, True], ignore_index=True)
    out = df[columns].copy()
    out["category"] = out["category"].astype(str)
    out.attrs["choices"] = base_choices(
        area,
        ds.ruleset.name,
        **flow_choices(payments),
        min_local_suppliers=int(min_local_suppliers),
        availability_pool=pool_frame(ds, name, area).attrs["availability_pool"]
        if name == "population"
        else None,
        local_suppliers=described,
    )
    return out


def shared_suppliers(
    ds: Dataset,
    anchor_ids: list[str] | None = None,
    min_anchors: int = 2,
    *,
    engine: Engine | str | None = None,
) -> pd.DataFrame:
    """Suppliers (resolved, so spellings merge) paid addressable spend by at least ``min_anchors`` anchors:
    how many and which anchors, their combined addressable spend and the supplier's LAD. Summed over the
    dataset's rollup by anchor and supplier (``Dataset.rollup``): the same sums from fewer rows."""
    run = rollup_runner(ds.payments, engine)
    p = subset(
        ds, ds.rollup(["anchor_id", *SHARE_INPUTS, *SUPPLIER_COLUMNS], resolved=True, run=run), anchor_ids
    )
    s = choose(p, engine).share_sums(p, ANY_LOCATION, ["anchor_id", SUPPLIER])
    s = s[(s["addressable_payments"] > 0) & (s["supplier_id"] != NO_NAME)]
    s = s.assign(anchor_id=s["anchor_id"].astype(str))  # plain text: joining categoricals per group is slow
    g = s.groupby("supplier_id", sort=False)
    out = pd.DataFrame(
        {
            "supplier": g["supplier"].first(),
            "n_anchors": g["anchor_id"].nunique(),
            "anchors": g["anchor_id"].agg(lambda xs: ";".join(sorted(set(xs)))),
            "combined_spend": g["addressable_spend"].sum(),
            "lad": g["lad"].first(),
        }
    )
    out = out[out["n_anchors"] >= int(min_anchors)].reset_index()
    out = out.sort_values(["combined_spend", "supplier_id"], ascending=[False, True], ignore_index=True)
    out = out[["supplier", "n_anchors", "anchors", "combined_spend", "lad"]]
    out.attrs["choices"] = base_choices(
        None,
        ds.ruleset.name,
        **flow_choices(p),
        min_anchors=int(min_anchors),
        spend="addressable spend, all financial years given",
        supplier="register entry when matched, else the normalised payee name",
    )
    return out
