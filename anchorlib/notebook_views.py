"""What the notebooks show: small functions returning tables and charts, so notebooks stay thin."""

from __future__ import annotations

import pandas as pd

from . import charts, metrics
from .dataset import Dataset
from .errors import ParameterError


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
    pct = lambda x: "n/a" if x is None else f"{100 * x:.1f}%"  # noqa: E731
    rows = [
        ("Total spend", f"£{ls.total_spend:,.0f}"),
        ("Addressable spend", f"£{ls.addressable_spend:,.0f}"),
        ("Local spend", f"£{ls.local_spend:,.0f}"),
        ("Local share", pct(ls.local_share)),
        ("Local share without head-office-only suppliers", pct(ls.local_share_excluding_hq_only)),
        ("Leakage (addressable - local)", f"£{ls.leakage:,.0f}"),
        ("Unknown location (addressable)", f"£{ls.unknown_location_spend:,.0f}"),
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
    data = charts.local_by_category_data(p, metrics.is_local(p, area))
    name = ds.anchor(anchor_id)["name"]
    return charts.local_by_category_chart(data, f"{name}: where addressable spend went, {financial_year}",
                                          f"Local = {area.describe()}")
