"""What the report notebooks (02 anchor, 03 network) display: parameter checks, headline tables
carrying their figures machine-readably, and static charts. Figures come from ``metrics``."""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field

import altair as alt
import pandas as pd

from anchorlib import metrics
from anchorlib.charts import leakage as leakage_charts
from anchorlib.charts import network as network_charts
from anchorlib.data.dataset import Dataset, open_anchor, open_dataset
from anchorlib.errors import ParameterError
from anchorlib.export import Sheet
from anchorlib.formatting import (
    BY_KIND,
    FIGURE_LABELS,
    NO_KNOWN_LOCATION,
    NO_KNOWN_MEMBERSHIP,
    exact,
    figure,
    table,
)
from anchorlib.metrics.selection import subset

HEADLINE_KEYS = (
    "total_spend",
    "addressable_spend",
    "local_spend",
    "unknown_location_spend",
    "local_share",
    "leakage",
)
NETWORK_KEYS = (
    "total_spend",
    "addressable_spend",
    "local_spend",
    "local_share",
    "leakage",
    "mean_anchor_local_share",
)
LABELS = FIGURE_LABELS  # (the name the views have always used)


def rolled(ds: Dataset, anchor_ids: list[str], years: list[str] | None, columns: list[str]) -> pd.DataFrame:
    """The payments of these anchors and years rolled up to ``columns`` (``Dataset.rollup``): a pandas
    frame of sums for views that work on rows, small however large the dataset (out of core too)."""
    return subset(ds, ds.rollup(["anchor_id", "financial_year", *columns]), anchor_ids, years)


def check_financial_year(ds: Dataset, financial_year: str) -> None:
    """Raise ParameterError unless the dataset has payments in ``financial_year``."""
    years = ds.financial_years
    if financial_year not in years:
        raise ParameterError(
            f"financial year '{financial_year}' has no payments; this dataset has {', '.join(years)}"
        )


def open_report(
    data_dir: str, anchor_id: str, financial_year: str = "", area: str = "home"
) -> tuple[Dataset, list[str] | None]:
    """Validate the anchor report's parameters; return the dataset and the years (None = all).

    Raises a one-line error for a missing data folder, an unknown anchor, area or year.
    """
    ds, _ = open_anchor(data_dir or None, anchor_id)
    ds.area(area, anchor_id)
    if financial_year:
        check_financial_year(ds, financial_year)
    return ds, [financial_year] if financial_year else None


def open_network_report(data_dir: str, area: str = "home") -> Dataset:
    """Validate the network report's parameters (data folder, area for every anchor)."""
    ds = open_dataset(data_dir or None)
    for a in ds.anchor_ids:
        ds.area(area, a)
    return ds


def period_label(ds: Dataset, years: list[str] | None) -> str:
    """'2023-24' or 'all years (2021-22 to 2023-24)'."""
    if years:
        return ", ".join(years)
    have = ds.financial_years
    return f"all years ({have[0]} to {have[-1]})" if have else "all years"


@dataclass
class ReportTable:
    """A report's table as figures: ``frame`` (columns as people read them), each column's kind
    (``kinds``: money, pct, count, index, ... as ``formatting.BY_KIND`` and ``export.NUMBER_FORMATS`` know
    them; other columns are text), a ``caption``, ``tooltips`` (column -> a text per row, e.g. the ONS code
    of a place shown by name) and ``hidden`` columns that only the workbook carries (that code). Shown in
    a notebook or report as ``formatting.table`` formats it; ``sheet`` is the same rows for a workbook."""

    frame: pd.DataFrame
    kinds: Mapping[str, str]
    caption: str = ""
    tooltips: Mapping[str, object] = field(default_factory=dict)
    hidden: tuple[str, ...] = ()

    def styler(self):
        shown = self.frame.drop(columns=list(self.hidden))
        formats = {c: BY_KIND[k] for c, k in self.kinds.items() if k in BY_KIND and c in shown.columns}
        return table(shown, formats, self.caption, self.tooltips)

    def _repr_html_(self) -> str:
        return self.styler().to_html()

    def sheet(self, name: str) -> Sheet:
        return Sheet.from_frame(
            name, self.frame, {c: self.kinds.get(c, "text") for c in self.frame}, self.caption
        )


@dataclass
class FigureTable:
    """A headline table: shown as HTML with ``data-key``/``data-value`` attributes per figure, and
    recorded in the output metadata under ``anchorlib`` so the batch driver can read it back."""

    table_id: str
    caption: str
    figures: dict
    notes: dict = field(default_factory=dict)

    def _repr_mimebundle_(self, include=None, exclude=None):
        rows = "".join(
            f'<tr data-key="{k}" data-value="{exact(v)}">'
            f'<th scope="row">{html.escape(LABELS.get(k, k))}</th><td class="value">{figure(k, v)}</td></tr>'
            for k, v in self.figures.items()
        )
        rows += "".join(
            f'<tr class="note"><th scope="row">{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>'
            for k, v in self.notes.items()
        )
        body = (
            f'<table class="anchorlib-headline" id="{html.escape(self.table_id)}">'
            f"<caption>{html.escape(self.caption)}</caption><tbody>{rows}</tbody></table>"
        )
        text = "\n".join(f"{LABELS.get(k, k)}: {figure(k, v)}" for k, v in self.figures.items())
        meta = {"anchorlib": {"table_id": self.table_id, "figures": self.figures, "notes": self.notes}}
        return {"text/html": body, "text/plain": text}, meta


def anchor_headline(ds: Dataset, anchor_id: str, years: list[str] | None, area: str = "home") -> FigureTable:
    """Headline figures of one anchor over ``years`` (None = all years, as ``anchorlib summary``)."""
    a = ds.area(area, anchor_id)
    p = metrics.select(ds, [anchor_id], years)
    ls = metrics.local_share(p, a, ds.ruleset.name)
    figures = {k: getattr(ls, k) for k in HEADLINE_KEYS}
    figures["local_share_excluding_hq_only"] = ls.local_share_excluding_hq_only
    m3 = metrics.lm3(ds, p, a)
    figures["lm3"] = m3.lm3
    notes = {
        "Anchor": str(ds.anchor(anchor_id)["name"]),
        "Period": period_label(ds, years),
        "Local area": a.describe(),
        "Addressable rule set": ds.ruleset.name,
        "LM3": m3.unsurveyed_treatment if m3.lm3 is not None else "no lm3_survey.csv in the dataset",
    }
    if ls.local_share is None:
        notes["Local share n/a"] = NO_KNOWN_LOCATION
    return FigureTable(
        f"headline-{anchor_id}", f"Headline figures, {period_label(ds, years)}", figures, notes
    )


def network_summary(ds: Dataset, area: str = "home") -> dict:
    """``metrics.summary`` over every anchor and all years: computed once, shown three ways."""
    return metrics.summary(ds, None, area)


def network_headline(ds: Dataset, summary: dict) -> FigureTable:
    """Pooled network figures over all years, both pooled and mean shares."""
    net = summary["network"]
    notes = {
        "Period": period_label(ds, None),
        "Anchors": ", ".join(ds.anchor_ids),
        "Pooling": "local share is the ratio of the sums; the mean of the anchors' shares is shown beside it",
        "Addressable rule set": ds.ruleset.name,
    }
    if net["local_share"] is None:
        notes["Local share n/a"] = NO_KNOWN_LOCATION
    return FigureTable(
        "headline-network",
        f"Network figures, {period_label(ds, None)}",
        {k: net[k] for k in NETWORK_KEYS},
        notes,
    )


def network_anchor_frame(summary: dict) -> ReportTable:
    """One row per anchor: spend, local spend and local share (all years)."""
    pounds = ("total_spend", "addressable_spend", "local_spend", "leakage")
    df = pd.DataFrame(summary["anchors"])[["name", *pounds[:3], "local_share", "leakage"]]
    df = df.rename(columns={"name": "Anchor"} | {k: LABELS[k] for k in (*pounds, "local_share")})
    return ReportTable(df, {LABELS[k]: "money" for k in pounds} | {LABELS["local_share"]: "pct"})


def network_anchor_table(summary: dict):
    """``network_anchor_frame`` formatted."""
    return network_anchor_frame(summary).styler()


def network_grants_frame(summary: dict) -> ReportTable | None:
    """VCSE reach that counts grants (docs/methodology.md#grants), one row per anchor with grants: its
    grants' £ and local share, and its VCSE share of spend beside that of spend and grants; None for a
    summary without grants."""
    rows = [r for r in summary["anchors"] if "grants" in r]
    if not rows:
        return None
    df = pd.DataFrame(
        {
            "Anchor": [r["name"] for r in rows],
            "Grants (£)": [r["grants"]["total"] for r in rows],
            "Grants: local share": [r["grants"]["local_share"] for r in rows],
            "VCSE share of spend": [r["groups"].get("vcse", {}).get("utilisation") for r in rows],
            "VCSE share of spend and grants": [r["vcse_share_of_spend_and_grants"] for r in rows],
            "Grants in other currencies": [
                "; ".join(
                    f"{c} {v['amount']:,.2f} ({v['grants']:,} grant{'s' if v['grants'] != 1 else ''})"
                    for c, v in r["grants"]["other_currencies"].items()
                )
                for r in rows
            ],
        }
    )
    kinds = {"Grants (£)": "money"} | {c: "pct" for c in df.columns if "share" in c}
    caption = (
        "Grants beside spend, all years: 360Giving grants in pounds (other currencies apart, never added); "
        f"grants placed by {summary['choices'].get('grant_location', '')}"
    )
    return ReportTable(df, kinds, caption)


def network_grants_table(summary: dict):
    """``network_grants_frame`` formatted, or a line saying the dataset has no grants."""
    t = network_grants_frame(summary)
    if t is None:
        from IPython.display import Markdown

        return Markdown("This dataset has no grants (360Giving files go in `grants/<anchor_id>/`).")
    return t.styler()


def local_share_by_year_data(ds: Dataset, anchor_id: str, area: str = "home") -> pd.DataFrame:
    """Local share per financial year for one anchor (``metrics.local_share_per``: one aggregation)."""
    a = ds.area(area, anchor_id)
    shares = metrics.local_share_per(metrics.select(ds, [anchor_id]), a, "financial_year", ds.ruleset.name)
    rows = [
        {
            "financial_year": fy,
            "local_share": ls.local_share,
            "local_spend": ls.local_spend,
            "addressable_spend": ls.addressable_spend,
        }
        for fy, ls in shares.items()
    ]
    return pd.DataFrame(rows, columns=["financial_year", "local_share", "local_spend", "addressable_spend"])


def local_share_by_year(ds: Dataset, anchor_id: str, area: str = "home") -> alt.Chart:
    """Chart: the anchor's local share year by year."""
    name = ds.anchor(anchor_id)["name"]
    return leakage_charts.local_share_by_year_chart(
        local_share_by_year_data(ds, anchor_id, area),
        f"{name}: local share by financial year",
        f"Local = {ds.area(area, anchor_id).describe()}",
    )


def local_by_category_data(
    ds: Dataset, anchor_id: str, years: list[str] | None, area: str = "home"
) -> pd.DataFrame:
    """Addressable spend by category, local / not local / unknown, over ``years`` (the chart's rows)."""
    p = rolled(ds, [anchor_id], years, ["category", "addressable", "lad", "rgn"])
    a = ds.area(area, anchor_id)
    return leakage_charts.local_by_category_data(p, metrics.is_local(p, a))


def local_by_category(ds: Dataset, anchor_id: str, years: list[str] | None, area: str = "home") -> alt.Chart:
    """Chart: addressable spend by category, local / not local / unknown, over ``years``."""
    a = ds.area(area, anchor_id)
    data = local_by_category_data(ds, anchor_id, years, area)
    name = ds.anchor(anchor_id)["name"]
    return leakage_charts.local_by_category_chart(
        data, f"{name}: where addressable spend went, {period_label(ds, years)}", f"Local = {a.describe()}"
    )


def network_local_share_chart(ds: Dataset, s: dict) -> alt.LayerChart:
    """Bars of each anchor's local share, with the pooled network share as a dashed rule (the app's
    network chart, ``charts.network.network_chart``, sized for the page and scaled to the data)."""
    return network_charts.network_chart(
        network_charts.network_data(s),
        s["network"]["local_share"],
        None,
        "Local share by anchor",
        f"Dashed line: pooled network share; {period_label(ds, None)}",
        width=480,
        step=30,
        full_scale=False,
    )


def code_tips(codes: pd.Series) -> list[str | None]:
    """The tooltip of a place shown by name: its ONS code."""
    return [None if pd.isna(c) else f"ONS code {c}" for c in codes]


def equity_frame(ds: Dataset, anchor_id: str, years: list[str] | None, pool: str = "register") -> ReportTable:
    """Utilisation, availability and disparity index per group (``metrics.equity``; docs/methodology.md,
    Utilisation, availability and disparity), availability over ``pool`` (register or population); for a
    dataset with grants, a row of VCSE over spend and grants (docs/methodology.md#vcse-reach)."""
    eq = metrics.equity(ds, metrics.select(ds, [anchor_id], years), pool=pool)
    if ds.has_grants:  # VCSE reach that counts grants, beside the spend-only figure
        both = ds.with_flow("both")
        row = metrics.equity(both, metrics.select(both, [anchor_id], years), pool=pool)
        row = row[row["group"] == "vcse"].assign(label="VCSE, spend and grants")
        attrs = eq.attrs
        eq = pd.concat([eq, row], ignore_index=True)
        eq.attrs = attrs
    df = pd.DataFrame(
        {
            "Group": eq["label"],
            "Utilisation (share of spend)": eq["utilisation"],
            "Availability (share of the pool)": eq["availability"],
            "Disparity index": eq["disparity_index"],
            "Below 80 (four-fifths rule)": eq["below_four_fifths"],
            "Spend membership unknown": eq["utilisation_unknown_share"],
            "Pool membership unknown": eq["availability_unknown_share"],
        }
    )
    kinds = {c: "pct" for c in df.columns if "share" in c or "membership" in c}
    return ReportTable(
        df,
        kinds | {"Disparity index": "index", "Below 80 (four-fifths rule)": "flag"},
        f"Equity of addressable spend, {period_label(ds, years)}: disparity index = 100 x utilisation / "
        f"availability; below 80 is a substantial disparity. Availability pool: "
        f"{eq.attrs['choices']['availability_pool']}; supplier flags: {eq.attrs['choices']['supplier_flags']}"
        + (f"; n/a: {NO_KNOWN_MEMBERSHIP}" if eq["availability"].isna().any() else "")
        + (
            "; 'VCSE, spend and grants': the VCSE share of the spend and the 360Giving grants together"
            if ds.has_grants
            else ""
        ),
    )


def equity_table(ds: Dataset, anchor_id: str, years: list[str] | None, pool: str = "register"):
    """``equity_frame`` formatted."""
    return equity_frame(ds, anchor_id, years, pool).styler()


FLOW_ROWS = [("spend", "Spend"), ("grant", "Grants (360Giving)"), ("both", "Spend and grants")]


def grants_frame(
    ds: Dataset,
    anchor_id: str,
    years: list[str] | None,
    area: str = "home",
    grant_location: str | None = None,
) -> ReportTable | None:
    """Grants beside spend (docs/methodology.md#grants): for spend, grants and both, total and addressable
    £, local share, VCSE share and IMD deciles 1-2 share of addressable £ (VCSE reach that counts both);
    the caption names what placed the grants and what is not in the pounds (grants in other currencies,
    per currency). None for a dataset without grants."""
    if not ds.has_grants:
        return None
    a = ds.area(area, anchor_id)
    rows = []
    for flow, label in FLOW_ROWS:
        p = metrics.select(ds, [anchor_id], years, flow=flow, grant_location=grant_location)
        ls = metrics.local_share(p, a, ds.ruleset.name)
        eq = metrics.equity(ds.with_flow(flow, grant_location), p).set_index("group")["utilisation"]
        rows.append(
            {
                "Money": label,
                "Total (£)": ls.total_spend,
                "Addressable (£)": ls.addressable_spend,
                "Local share": ls.local_share,
                "VCSE share": eq.get("vcse"),
                "IMD deciles 1-2 share": eq.get("imd_1_2"),
            }
        )
    df = pd.DataFrame(rows)
    both = ds.with_flow("both", grant_location)
    other: dict[str, list] = {}
    people = 0
    for r in ds.grant_reports.get(anchor_id, []):
        for cur, v in r.other_currencies.items():
            got = other.setdefault(cur, [0, 0.0])
            got[0] += int(v["grants"])
            got[1] += float(v["amount"])
        people += int(r.individuals["grants"])
    apart = "; ".join(
        f"{c} {v[1]:,.2f} ({v[0]:,} grant{'s' if v[0] != 1 else ''})" for c, v in sorted(other.items())
    )
    caption = (
        f"Grants beside spend, {period_label(ds, years)}, local meaning {a.describe()}: shares of "
        f"addressable £ (VCSE and IMD 1-2 among £ whose membership is known). Grants placed by "
        f"{both.choices['grant_location']}. "
        + (f"Not in these pounds (other currencies): {apart}. " if apart else "")
        + (
            f"{people:,} grant{'s' if people != 1 else ''} to individuals counted in the totals, never named."
            if people
            else ""
        )
    )
    kinds = {"Total (£)": "money", "Addressable (£)": "money"}
    kinds |= {c: "pct" for c in ("Local share", "VCSE share", "IMD deciles 1-2 share")}
    return ReportTable(df, kinds, caption.strip())


def grants_table(
    ds: Dataset,
    anchor_id: str,
    years: list[str] | None,
    area: str = "home",
    grant_location: str | None = None,
):
    """``grants_frame`` formatted, or a line saying the dataset has no grants."""
    t = grants_frame(ds, anchor_id, years, area, grant_location)
    if t is None:
        from IPython.display import Markdown

        return Markdown(
            "This dataset has no grants (360Giving files go in `grants/<anchor_id>/`): the figures above "
            "are of spend."
        )
    return t.styler()


def top_leaking_frame(
    ds: Dataset, anchor_id: str, years: list[str] | None, area: str = "home", n: int = 10
) -> ReportTable:
    """The ``n`` suppliers with the most non-local addressable spend (``metrics.top_leaking``), each
    located by the name of its district (its ONS code in a tooltip and the workbook)."""
    a = ds.area(area, anchor_id)
    top = metrics.top_leaking(metrics.select(ds, [anchor_id], years), a, n=n)
    df = pd.DataFrame(
        {
            "Supplier": top["supplier"],
            "Leakage (£)": top["leakage"],
            "Addressable spend (£)": top["addressable_spend"],
            "Located in": ds.place_names.shown(top["lad"]),
            "LAD code": top["lad"],
        }
    )
    return ReportTable(
        df,
        {"Leakage (£)": "money", "Addressable spend (£)": "money"},
        f"Top {n} suppliers by leakage, {period_label(ds, years)}; local = {a.describe()}",
        {"Located in": code_tips(top["lad"])},
        hidden=("LAD code",),
    )


def top_leaking_table(ds: Dataset, anchor_id: str, years: list[str] | None, area: str = "home", n: int = 10):
    """``top_leaking_frame`` formatted."""
    return top_leaking_frame(ds, anchor_id, years, area, n).styler()


def shared_suppliers_frame(ds: Dataset, n: int = 15) -> ReportTable:
    """Suppliers paid by two or more anchors, largest combined spend first (``metrics.shared_suppliers``):
    the anchors by name, the supplier's district by name (its code in a tooltip and the workbook)."""
    sh = metrics.shared_suppliers(ds).head(n)
    names = dict(zip(ds.anchors["anchor_id"].astype(str), ds.anchors["name"].astype(str)))
    df = pd.DataFrame(
        {
            "Supplier": sh["supplier"],
            "Anchors": sh["n_anchors"],
            "Paid by": network_charts.paid_by(sh["anchors"], names, "; "),
            "Combined spend (£)": sh["combined_spend"],
            "Located in": ds.place_names.shown(sh["lad"]),
            "LAD code": sh["lad"],
        }
    )
    return ReportTable(
        df,
        {"Anchors": "count", "Combined spend (£)": "money"},
        f"Suppliers shared across anchors (top {n} by combined spend, {period_label(ds, None)})",
        {"Located in": code_tips(sh["lad"])},
        hidden=("LAD code",),
    )


def shared_suppliers_table(ds: Dataset, n: int = 15):
    """``shared_suppliers_frame`` formatted."""
    return shared_suppliers_frame(ds, n).styler()
