"""What the notebooks show: small functions returning tables and charts, so notebooks stay thin."""

from __future__ import annotations

import pandas as pd

from anchorlib import metrics
from anchorlib.data.dataset import Dataset
from anchorlib.errors import ParameterError
from anchorlib.formatting import BY_KIND, disparity, money, multiplier, number, pct, share_or_why, table
from anchorlib.reports import views
from anchorlib.reports.views import check_financial_year

__all__ = [
    "check_financial_year",
    "concentration",
    "equity_by_category",
    "headline",
    "lm3_and_shift",
    "load_reports",
    "local_by_category",
    "opportunities",
    "scenario_categories",
]


#: The load report's columns (``Dataset.load_report_frame``) as a table shows them, with their kinds.
LOAD_REPORT_COLUMNS = {
    "file": ("File", "text"),
    "layout": ("Layout", "text"),
    "sheets_read": ("Sheets read", "text"),
    "sheets_skipped": ("Sheets skipped (why)", "text"),
    "rows_loaded": ("Rows loaded", "count"),
    "rows_repaired": ("Of them repaired", "count"),
    "undated_rows": ("Of them undated", "count"),
    "rows_rejected": ("Rows rejected", "count"),
    "structure_lines": ("Structure lines", "count"),
    "blank_lines": ("Blank lines", "count"),
    "repeated_headers": ("Repeated headers", "count"),
    "title_lines": ("Title lines", "count"),
    "total_rows": ("Total rows", "count"),
    "net_total": ("Net total of the rows loaded", "money"),
    "declared_total": ("Total the file declares", "money"),
    "reconciled": ("Reconciled", "flag"),
}


def load_reports(ds: Dataset, anchor_id: str):
    """The anchor's load reports as a table (one row per spend file), as a report reads: £ and counts with
    thousands separators, no index (``Dataset.load_report_frame`` has the same as a DataFrame)."""
    df = ds.load_report_frame()
    df = df[df["anchor_id"] == anchor_id].drop(columns="anchor_id").reset_index(drop=True)
    shown = {c: LOAD_REPORT_COLUMNS.get(c, (c.replace("_", " ").capitalize(), "count")) for c in df.columns}
    df = df.rename(columns={c: label for c, (label, _) in shown.items()})
    return table(
        df,
        {label: BY_KIND[kind] for label, kind in shown.values() if kind in BY_KIND},
        f"What was read: {number(len(df))} spend file(s) of {ds.anchor(anchor_id)['name']}",
    )


def headline(ds: Dataset, anchor_id: str, financial_year: str, area_id: str = "home"):
    """Headline figures for one anchor and year as a two-column table, with the choices used (its
    ``.data.attrs["local_share"]``: the share as a number)."""
    p = metrics.select(ds, [anchor_id], [financial_year])
    area = ds.area(area_id, anchor_id)
    ls = metrics.local_share(p, area, ds.ruleset.name)
    rows = [
        ("Total spend", money(ls.total_spend)),
        ("Addressable spend", money(ls.addressable_spend)),
        ("Local spend", money(ls.local_spend)),
        ("Local share", share_or_why(ls.local_share)),
        ("Local share without head-office-only suppliers", pct(ls.local_share_excluding_hq_only)),
        ("Leakage (addressable - local)", money(ls.leakage)),
        ("Unknown location (addressable)", money(ls.unknown_location_spend)),
        ("Area", ls.choices["area"]),
        ("Addressable rule set", ls.choices["addressable_rule_set"]),
    ]
    out = pd.DataFrame(rows, columns=["Measure", "Value"])
    out.attrs["local_share"] = ls.local_share
    return table(out, {}, f"Headline figures, {financial_year}").set_properties(**{"text-align": "left"})


def local_by_category(ds: Dataset, anchor_id: str, financial_year: str, area_id: str = "home"):
    """Chart of addressable spend by category, local vs not local vs unknown (the anchor report's)."""
    return views.local_by_category(ds, anchor_id, [financial_year], area_id)


def scenario_categories(
    ds: Dataset, anchor_id: str, financial_year: str, area_id: str, categories: str, top: int = 3
) -> list[str]:
    """The shift scenario's categories: ``categories`` (';'-joined, checked against the data), or the
    ``top`` categories leaking most when blank."""
    p = views.rolled(ds, [anchor_id], [financial_year], ["category", "addressable", "lad", "rgn", "hq_only"])
    by = metrics.leakage_by(p[p["addressable"]], ds.area(area_id, anchor_id), "category")
    known = by["category"].dropna().astype(str).tolist()
    if not categories.strip():
        return known[:top]
    chosen = [c.strip() for c in categories.split(";") if c.strip()]
    unknown = [c for c in chosen if c not in known]
    if unknown:
        raise ParameterError(
            f"no addressable spend in categor{'y' if len(unknown) == 1 else 'ies'} "
            f"{', '.join(repr(c) for c in unknown)}; this anchor's are: {'; '.join(known)}"
        )
    return chosen


def equity_by_category(
    ds: Dataset, anchor_id: str, financial_year: str, pool: str = "register"
) -> pd.DataFrame:
    """Disparity index (100 x utilisation / availability; docs/methodology.md) per category and group;
    below 80 is a substantial disparity. Rows: categories, largest addressable spend first."""
    p = metrics.select(ds, [anchor_id], [financial_year])
    eq = metrics.equity(ds, p, by="category", pool=pool)
    wide = eq.pivot(index="category", columns="label", values="disparity_index")
    r = views.rolled(ds, [anchor_id], [financial_year], ["category", "addressable"])
    order = (
        r[r["addressable"]]
        .groupby("category", observed=True)["amount"]
        .sum()
        .sort_values(ascending=False)
        .index
    )
    wide = wide.reindex([c for c in order if c in wide.index])[
        [metrics.GROUP_LABELS[g] for g in metrics.GROUPS if metrics.GROUP_LABELS[g] in wide.columns]
    ]
    wide.columns.name = None
    wide = wide.reset_index().rename(columns={"category": "Category"})
    return table(
        wide,
        {c: disparity for c in wide.columns if c != "Category"},
        f"Disparity index by category, {financial_year} (100 = parity; below 80 is a substantial disparity). "
        f"Availability pool: {eq.attrs['choices']['availability_pool']}; by category: "
        f"{eq.attrs['choices']['availability_by_category']}",
    )


def lm3_and_shift(
    ds: Dataset, anchor_id: str, financial_year: str, area_id: str, categories: list[str], share: float
) -> pd.DataFrame:
    """LM3 (R1, R2, R3, ratio, how unsurveyed suppliers were treated) and the shift scenario: moving
    ``share`` of the leakage in ``categories`` to local suppliers (docs/methodology.md: LM3, Shift
    scenario)."""
    p = metrics.select(ds, [anchor_id], [financial_year])
    area = ds.area(area_id, anchor_id)
    m3 = metrics.lm3(ds, p, area)
    sh = metrics.shift_scenario(ds, p, area, categories, share, lm3_of=m3)
    rows = [
        ("R1: addressable spend", money(m3.r1)),
        ("R2: spent with local suppliers", money(m3.r2)),
        ("R3: re-spent locally by surveyed local suppliers", money(m3.r3)),
        ("LM3 = (R1 + R2 + R3) / R1", multiplier(m3.lm3)),
        (
            "Unsurveyed local suppliers",
            f"{m3.unsurveyed_treatment} ({money(m3.unsurveyed_local_spend)} of R2)",
        ),
        ("Scenario", f"shift {pct(share, 0)} of the leakage in {'; '.join(categories)}"),
        ("Leakage in those categories", money(sh.leakage_in_scope)),
        ("Added local spend", money(sh.added_local_spend)),
        ("Local share before -> after", f"{pct(sh.local_share_before)} -> {pct(sh.local_share_after)}"),
        ("Added local value at the LM3 ratio", money(sh.added_local_value)),
        ("Area", area.describe()),
    ]
    out = pd.DataFrame(rows, columns=["Measure", "Value"])
    return table(out, {}, f"LM3 and a shift scenario, {financial_year}").set_properties(
        **{"text-align": "left"}
    )


def concentration(ds: Dataset, anchor_id: str, financial_year: str, top: int = 12) -> pd.DataFrame:
    """Top-10 supplier share and HHI (0-10,000) per category, largest addressable spend first."""
    p = metrics.select(ds, [anchor_id], [financial_year])
    # (concentration counts addressable spend alone: the payments need no filter)
    c = metrics.concentration(p).sort_values("addressable_spend", ascending=False).head(top)
    df = pd.DataFrame(
        {
            "Category": c["category"],
            "Addressable spend (£)": c["addressable_spend"],
            "Suppliers": c["n_suppliers"],
            "Top-10 suppliers' share": c["top_n_share"],
            "HHI (0-10,000)": c["hhi"],
        }
    )
    return table(
        df,
        {"Addressable spend (£)": money, "Top-10 suppliers' share": pct, "HHI (0-10,000)": number},
        f"Supplier concentration by category, {financial_year}",
    )


def opportunities(
    ds: Dataset,
    anchor_id: str,
    financial_year: str,
    area_id: str,
    min_local_suppliers: int = 3,
    pool: str = "register",
):
    """Categories that leak although at least ``min_local_suppliers`` local businesses of the pool (register
    suppliers, or the local business population) serve them."""
    p = metrics.select(ds, [anchor_id], [financial_year])
    area = ds.area(area_id, anchor_id)
    o = metrics.opportunities(ds, p, area, min_local_suppliers, pool=pool)
    df = pd.DataFrame(
        {
            "Category": o["category"],
            "Leakage (£)": o["leakage"],
            "Local suppliers in the register": o["local_suppliers_in_register"],
            **(
                {"Local businesses in the population": o["local_businesses_in_population"]}
                if "local_businesses_in_population" in o.columns
                else {}
            ),
            "Addressable spend (£)": o["addressable_spend"],
            "Local share": o["local_share"],
        }
    )
    who = "local suppliers in the register" if pool == "register" else "local businesses in the population"
    return table(
        df,
        {"Leakage (£)": money, "Addressable spend (£)": money, "Local share": pct},
        f"Categories that leak although at least {min_local_suppliers} {who} serve them (by their categories "
        f"or SIC codes), {financial_year}; local = {area.describe()}",
    )
