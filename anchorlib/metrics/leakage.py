"""Leakage by every cut, top leaking suppliers, concentration, opportunities and shared suppliers
(DESIGN.md, Definitions: Local, Local share, Leakage). Public through ``anchorlib.metrics``.

Every function aggregates with ``sums`` (pandas below ``ENGINE_MIN_ROWS`` payments, DuckDB above:
the same columns and numbers) and shapes the small result the same way on both engines.
"""

from __future__ import annotations

import pandas as pd

from anchorlib.data.places import BUILTIN_AREAS, Area
from anchorlib.errors import ParameterError
from anchorlib.metrics.definitions import (
    SUPPLIER,
    base_choices,
    engine_for,
    finish_shares,
    largest_first,
    share_sums,
    supplier_ids,
    supplier_names,
)
from anchorlib.metrics.selection import select

ANY_LOCATION = BUILTIN_AREAS["uk"]  # for sums where locality does not matter
LEAKAGE_COLUMNS = [
    "total_spend",
    "addressable_spend",
    "local_spend",
    "unknown_location_spend",
    "local_share",
    "leakage",
    "known_leakage",
]


def sums(
    payments: pd.DataFrame, area: Area | dict[str, Area], keys: list[str], names: bool = True
) -> pd.DataFrame:
    """``metrics_base.share_sums`` on the engine ``engine_for`` picks (``area`` a dict: per anchor too;
    ``names`` False: the pandas engine leaves out the suppliers' display names, which DuckDB always gives)."""
    if engine_for(payments) == "duckdb":
        from anchorlib.metrics.engine import duckdb_engine as engine_duckdb

        return engine_duckdb.share_sums(payments, area, keys)
    return share_sums(payments, area, keys, names)


def rule_set(payments: pd.DataFrame, ruleset_name: str | None = None) -> str:
    """The addressable rule set's name: given, else carried by ``metrics.select`` in ``payments.attrs``."""
    return (
        ruleset_name
        or payments.attrs.get("addressable_rule_set")
        or "as classified in payments['addressable']"
    )


def _keys(by: str | list[str]) -> list[str]:
    keys = [by] if isinstance(by, str) else list(by)
    if not keys:
        raise ParameterError("leakage_by needs at least one column to group by")
    return keys


def leakage_by(
    payments: pd.DataFrame, area: Area, by: str | list[str], *, ruleset_name: str | None = None
) -> pd.DataFrame:
    """Local share and leakage (addressable - local, DESIGN.md) per value of ``by``, largest leakage first.

    ``by``: 'financial_year', 'category', 'expense_area', 'anchor_id', or 'supplier': the resolved
    supplier (register entry when matched, else the normalised payee name), so one supplier paid under
    two spellings is one row; then ``supplier`` is its display name and ``supplier_id``/``lad`` follow.
    ``known_leakage`` excludes the unknown-location £.
    """
    keys = _keys(by)
    return _leakage_columns(
        finish_shares(sums(payments, area, keys), keys), keys, area, rule_set(payments, ruleset_name)
    )


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
) -> pd.DataFrame:
    """The ``n`` rows of ``leakage_by`` with the most known-location non-local addressable spend
    (``known_leakage``; unknown location is never counted as non-local), with the supplier's ``lad``.
    By supplier, only those ``n`` are named (``supplier_names`` over their payments)."""
    keys = _keys(by)
    ruleset_name = rule_set(payments, ruleset_name)
    if SUPPLIER in keys and "supplier_id" not in payments.columns and engine_for(payments) == "pandas":
        payments = payments.assign(
            supplier_id=supplier_ids(payments)
        )  # resolved once, for the sums and the names
    df = finish_shares(sums(payments, area, keys, names=False), keys, sort=False)
    df = df[df["known_leakage"] > 0]
    # the n largest and any tied with the n-th, then ranked with the ties broken by key: only those are sorted
    top = largest_first(df.nlargest(int(n), "known_leakage", keep="all"), "known_leakage", keys).head(int(n))
    if SUPPLIER in keys and SUPPLIER not in top.columns:
        ids = supplier_ids(payments)
        mine = ids.isin(top["supplier_id"]).to_numpy()
        top = top.join(supplier_names(payments[mine], ids[mine]), on="supplier_id")
    top = _leakage_columns(top, keys, area, ruleset_name)
    top.attrs["choices"].update({"ranked_by": "known-location non-local addressable spend", "n": int(n)})
    return top


def concentration(payments: pd.DataFrame, by: str = "category", n: int = 10) -> pd.DataFrame:
    """Per ``by`` value: addressable spend, suppliers paid, the top-``n`` suppliers' share and the HHI
    (sum of squared percentage shares, 0-10,000) of suppliers' net addressable spend.

    Shares are over suppliers with positive net addressable spend (a supplier whose credits exceed its
    payments holds no share of the market)."""
    s = sums(payments, ANY_LOCATION, [by, SUPPLIER], names=False)
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
        n=int(n),
        shares="suppliers' net addressable spend, suppliers with positive net only",
        hhi="sum of squared percentage shares (0-10,000)",
    )
    return out


def local_register_categories(ds, area: Area) -> pd.Series:
    """Number of register suppliers located in ``area`` listing each category (suppliers.csv ``categories``,
    ';'-joined; a supplier counts once per category)."""
    reg = ds.suppliers
    if "categories" not in reg.columns:
        return pd.Series(dtype="int64")
    local = reg[area.contains(reg["lad"], reg["rgn"])]
    cats = local["categories"].astype("string").fillna("").str.split(";").explode().str.strip()
    cats = cats[cats != ""]
    return cats.reset_index().drop_duplicates().groupby("categories").size()


def opportunities_frame(ds, by_category: pd.DataFrame, area: Area, min_local_suppliers: int) -> pd.DataFrame:
    """Categories whose addressable spend leaks although at least ``min_local_suppliers`` register suppliers
    in ``area`` list them, from per-category leakage (``leakage_by`` columns over addressable payments)."""
    n_local = local_register_categories(ds, area)
    df = by_category[by_category["category"].notna()].copy()
    df["local_suppliers_in_register"] = df["category"].astype(str).map(n_local).fillna(0).astype("int64")
    df = df[(df["leakage"] > 0) & (df["local_suppliers_in_register"] >= int(min_local_suppliers))]
    df = df.sort_values(["leakage", "category"], ascending=[False, True], ignore_index=True)
    out = df[
        ["category", "leakage", "local_suppliers_in_register", "addressable_spend", "local_share"]
    ].copy()
    out["category"] = out["category"].astype(str)
    out.attrs["choices"] = base_choices(
        area,
        ds.ruleset.name,
        min_local_suppliers=int(min_local_suppliers),
        local_suppliers="register suppliers located in the area listing the category",
    )
    return out


def opportunities(ds, payments: pd.DataFrame, area: Area, min_local_suppliers: int = 3) -> pd.DataFrame:
    """Categories where addressable spend leaks although at least ``min_local_suppliers`` local register
    suppliers serve them: the £ at stake (leakage), largest first."""
    if engine_for(payments) == "duckdb":
        from anchorlib.metrics.engine import duckdb_engine as engine_duckdb

        return engine_duckdb.opportunities(ds, payments, area, min_local_suppliers)
    add = payments[payments["addressable"].astype(bool)]
    return opportunities_frame(
        ds, finish_shares(share_sums(add, area, ["category"]), ["category"]), area, min_local_suppliers
    )


def shared_suppliers(ds, anchor_ids: list[str] | None = None, min_anchors: int = 2) -> pd.DataFrame:
    """Suppliers (resolved, so spellings merge) paid addressable spend by at least ``min_anchors`` anchors:
    how many and which anchors, their combined addressable spend and the supplier's LAD."""
    p = select(ds, anchor_ids)
    s = sums(p, ANY_LOCATION, ["anchor_id", SUPPLIER])
    s = s[(s["addressable_payments"] > 0) & (s["supplier_id"] != "(no payee name)")]
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
        min_anchors=int(min_anchors),
        spend="addressable spend, all financial years given",
        supplier="register entry when matched, else the normalised payee name",
    )
    return out
