"""What the notebooks show: small functions returning tables and charts, so notebooks stay thin."""

from __future__ import annotations

import pandas as pd

from anchorlib.charts import base as charts
from anchorlib.charts import leakage as leakage_charts
from anchorlib import metrics
from anchorlib.data.dataset import Dataset
from anchorlib.errors import ParameterError
from anchorlib.formatting import money, pct


def styled(df: pd.DataFrame, fmt: dict, caption: str = ""):
    """A table for reading: formatted columns, 'n/a' for missing values, no index, a caption."""
    out = df.style.format(fmt, na_rep="n/a").hide(axis="index")
    return out.set_caption(caption) if caption else out


def check_financial_year(ds: Dataset, financial_year: str) -> None:
    """Raise ParameterError unless the dataset has payments in ``financial_year``."""
    years = sorted(ds.payments["financial_year"].dropna().unique().tolist())
    if financial_year not in years:
        raise ParameterError(f"financial year '{financial_year}' has no payments; this dataset has {', '.join(years)}")


def load_reports(ds: Dataset, anchor_id: str) -> pd.DataFrame:
    """The anchor's load reports as a table (one row per spend file)."""
    df = ds.load_report_frame()
    return df[df["anchor_id"] == anchor_id].drop(columns="anchor_id").reset_index(drop=True)


def headline(ds: Dataset, anchor_id: str, financial_year: str, area_id: str = "home") -> pd.DataFrame:
    """Headline figures for one anchor and year as a two-column table, with the choices used."""
    p = metrics.select(ds, [anchor_id], [financial_year])
    area = ds.area(area_id, anchor_id)
    ls = metrics.local_share(p, area, ds.ruleset.name)
    rows = [
        ("Total spend", money(ls.total_spend)),
        ("Addressable spend", money(ls.addressable_spend)),
        ("Local spend", money(ls.local_spend)),
        ("Local share", pct(ls.local_share)),
        ("Local share without head-office-only suppliers", pct(ls.local_share_excluding_hq_only)),
        ("Leakage (addressable - local)", money(ls.leakage)),
        ("Unknown location (addressable)", money(ls.unknown_location_spend)),
        ("Area", ls.choices["area"]),
        ("Addressable rule set", ls.choices["addressable_rule_set"]),
    ]
    out = pd.DataFrame(rows, columns=["Measure", "Value"])
    out.attrs["local_share"] = ls.local_share
    return out


def local_by_category(ds: Dataset, anchor_id: str, financial_year: str, area_id: str = "home"):
    """Chart of addressable spend by category, local vs not local vs unknown."""
    p = metrics.select(ds, [anchor_id], [financial_year])
    area = ds.area(area_id, anchor_id)
    data = leakage_charts.local_by_category_data(p, metrics.is_local(p, area))
    name = ds.anchor(anchor_id)["name"]
    return leakage_charts.local_by_category_chart(data, f"{name}: where addressable spend went, {financial_year}",
                                          f"Local = {area.describe()}")


def scenario_categories(ds: Dataset, anchor_id: str, financial_year: str, area_id: str, categories: str,
                        top: int = 3) -> list[str]:
    """The shift scenario's categories: ``categories`` (';'-joined, checked against the data), or the
    ``top`` categories leaking most when blank."""
    p = metrics.select(ds, [anchor_id], [financial_year])
    by = metrics.leakage_by(p[p["addressable"]], ds.area(area_id, anchor_id), "category")
    known = by["category"].dropna().astype(str).tolist()
    if not categories.strip():
        return known[:top]
    chosen = [c.strip() for c in categories.split(";") if c.strip()]
    unknown = [c for c in chosen if c not in known]
    if unknown:
        raise ParameterError(f"no addressable spend in categor{'y' if len(unknown) == 1 else 'ies'} "
                             f"{', '.join(repr(c) for c in unknown)}; this anchor's are: {'; '.join(known)}")
    return chosen


def equity_by_category(ds: Dataset, anchor_id: str, financial_year: str) -> pd.DataFrame:
    """Disparity index (100 x utilisation / availability, DESIGN.md) per category and group; below 80
    is a substantial disparity. Rows: categories, largest addressable spend first."""
    p = metrics.select(ds, [anchor_id], [financial_year])
    eq = metrics.equity(ds, p, by="category")
    wide = eq.pivot(index="category", columns="label", values="disparity_index")
    order = p[p["addressable"]].groupby("category", observed=True)["amount"].sum().sort_values(ascending=False).index
    wide = wide.reindex([c for c in order if c in wide.index])[[metrics.GROUP_LABELS[g] for g in metrics.GROUPS
                                                                if metrics.GROUP_LABELS[g] in wide.columns]]
    wide.columns.name = None
    table = wide.reset_index().rename(columns={"category": "Category"})
    return styled(table, {c: "{:.0f}" for c in table.columns if c != "Category"},
                  f"Disparity index by category, {financial_year} (100 = parity; below 80 is a substantial disparity)")


def lm3_and_shift(ds: Dataset, anchor_id: str, financial_year: str, area_id: str, categories: list[str],
                  share: float) -> pd.DataFrame:
    """LM3 (R1, R2, R3, ratio, how unsurveyed suppliers were treated) and the shift scenario: moving
    ``share`` of the leakage in ``categories`` to local suppliers (DESIGN.md: LM3, Shift scenario)."""
    p = metrics.select(ds, [anchor_id], [financial_year])
    area = ds.area(area_id, anchor_id)
    m3 = metrics.lm3(ds, p, area)
    sh = metrics.shift_scenario(ds, p, area, categories, share, lm3_of=m3)
    rows = [
        ("R1: addressable spend", money(m3.r1)),
        ("R2: spent with local suppliers", money(m3.r2)),
        ("R3: re-spent locally by surveyed local suppliers", money(m3.r3)),
        ("LM3 = (R1 + R2 + R3) / R1", "n/a" if m3.lm3 is None else f"{m3.lm3:.2f}"),
        ("Unsurveyed local suppliers", f"{m3.unsurveyed_treatment} ({money(m3.unsurveyed_local_spend)} of R2)"),
        ("Scenario", f"shift {100 * share:.0f}% of the leakage in {'; '.join(categories)}"),
        ("Leakage in those categories", money(sh.leakage_in_scope)),
        ("Added local spend", money(sh.added_local_spend)),
        ("Local share before -> after", f"{pct(sh.local_share_before)} -> {pct(sh.local_share_after)}"),
        ("Added local value at the LM3 ratio", money(sh.added_local_value)),
        ("Area", area.describe()),
    ]
    out = pd.DataFrame(rows, columns=["Measure", "Value"])
    return styled(out, {}, f"LM3 and a shift scenario, {financial_year}").set_properties(**{"text-align": "left"})


def concentration(ds: Dataset, anchor_id: str, financial_year: str, top: int = 12) -> pd.DataFrame:
    """Top-10 supplier share and HHI (0-10,000) per category, largest addressable spend first."""
    p = metrics.select(ds, [anchor_id], [financial_year])
    c = metrics.concentration(p[p["addressable"]]).sort_values("addressable_spend", ascending=False).head(top)
    table = pd.DataFrame({"Category": c["category"], "Addressable spend (£)": c["addressable_spend"],
                          "Suppliers": c["n_suppliers"], "Top-10 suppliers' share": c["top_n_share"],
                          "HHI (0-10,000)": c["hhi"]})
    return styled(table, {"Addressable spend (£)": "£{:,.0f}", "Top-10 suppliers' share": "{:.1%}",
                          "HHI (0-10,000)": "{:,.0f}"}, f"Supplier concentration by category, {financial_year}")


def opportunities(ds: Dataset, anchor_id: str, financial_year: str, area_id: str, min_local_suppliers: int = 3):
    """Categories that leak although at least ``min_local_suppliers`` register suppliers in the area serve them."""
    p = metrics.select(ds, [anchor_id], [financial_year])
    area = ds.area(area_id, anchor_id)
    o = metrics.opportunities(ds, p, area, min_local_suppliers)
    table = pd.DataFrame({"Category": o["category"], "Leakage (£)": o["leakage"],
                          "Local suppliers in the register": o["local_suppliers_in_register"],
                          "Addressable spend (£)": o["addressable_spend"], "Local share": o["local_share"]})
    return styled(table, {"Leakage (£)": "£{:,.0f}", "Addressable spend (£)": "£{:,.0f}", "Local share": "{:.1%}"},
                  f"Categories that leak although at least {min_local_suppliers} local suppliers in the register "
                  f"serve them, {financial_year}; local = {area.describe()}")
