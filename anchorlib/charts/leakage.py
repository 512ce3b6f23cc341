"""Chart builders for where the money goes, local or not: the leakage explorer and the anchor reports
(data prep + spec builder; the one anchorlib theme)."""

from __future__ import annotations

import functools

import altair as alt
import numpy as np
import pandas as pd

from anchorlib.charts import base as charts

HQ_MEASURES = {"all": "All local suppliers", "ex_hq": "Without head-office-only suppliers"}


def trend_data(rows: list[dict]) -> pd.DataFrame:
    """Long form for ``trend_chart`` from per-year dicts of financial_year, local_share,
    local_share_excluding_hq_only, local_spend, local_spend_excluding_hq_only, leakage."""
    out = []
    for r in rows:
        for key, label in HQ_MEASURES.items():
            sfx = "" if key == "all" else "_excluding_hq_only"
            out.append(
                {
                    "financial_year": r["financial_year"],
                    "measure": label,
                    "local_share": r[f"local_share{sfx}"],
                    "local_spend": r[f"local_spend{sfx}"],
                    "leakage": r["leakage"],
                }
            )
    return pd.DataFrame(out, columns=["financial_year", "measure", "local_share", "local_spend", "leakage"])


def trend_chart(df: pd.DataFrame, title: str, subtitle: str = "") -> alt.Chart:
    """Local share (%) by financial year, with and without head-office-only suppliers side by side
    (docs/methodology.md, Head-office effect); ``df`` from ``trend_data``."""
    return charts.on_frame(
        _trend_frame(),
        df,
        title,
        subtitle,
        f"{title}. Bars of local share of addressable spend, in per cent, for each financial year: "
        "counting all local suppliers (solid outline), and without suppliers marked head-office only "
        "(dashed outline).",
    )


@functools.cache
def _trend_frame() -> alt.Chart:
    colours = alt.Scale(domain=list(HQ_MEASURES.values()), range=[charts.PALETTE[0], charts.PALETTE[4]])
    legend = alt.Legend(orient="top", direction="vertical", labelLimit=360)
    return (
        alt.Chart()
        .mark_bar(strokeWidth=charts.DASH_WIDTH)
        .encode(
            x=alt.X("financial_year:N", title="Financial year", axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("measure:N", sort=list(HQ_MEASURES.values())),
            y=alt.Y(
                "local_share:Q",
                title="Local share (%)",
                axis=alt.Axis(format=".0%"),
                scale=alt.Scale(domain=[0, 1]),
            ),
            color=alt.Color("measure:N", title=None, scale=colours, legend=legend),
            strokeDash=charts.dashes("measure:N", HQ_MEASURES.values(), legend=legend),
            tooltip=[
                alt.Tooltip("financial_year:N", title="Financial year"),
                alt.Tooltip("measure:N", title="Counting"),
                alt.Tooltip("local_share:Q", title="Local share", format=".1%"),
                alt.Tooltip("local_spend:Q", title="Local spend (£)", format=",.0f"),
                alt.Tooltip("leakage:Q", title="Leakage, all suppliers (£)", format=",.0f"),
            ],
        )
        .properties(width=330, height=200, padding={"left": 10, "top": 4, "right": 4, "bottom": 4})
    )


def local_share_by_year_chart(df: pd.DataFrame, title: str, subtitle: str = "") -> alt.Chart:
    """Bars of local share (%) per financial year (the anchor report); ``df`` has financial_year,
    local_share, local_spend and addressable_spend, one row per year."""
    return (
        alt.Chart(
            df,
            title=alt.Title(title, subtitle=subtitle or alt.Undefined),
            description=f"{title}. Bars of the local share of addressable spend for each financial year.",
        )
        .mark_bar()
        .encode(
            x=alt.X("financial_year:O", title="Financial year"),
            y=alt.Y("local_share:Q", title="Local share (%)", axis=alt.Axis(format="%")),
            tooltip=[
                alt.Tooltip("financial_year:O", title="Year"),
                alt.Tooltip("local_share:Q", title="Local share", format=".1%"),
                alt.Tooltip("local_spend:Q", title="Local spend (£)", format=",.0f"),
                alt.Tooltip("addressable_spend:Q", title="Addressable spend (£)", format=",.0f"),
            ],
        )
        .properties(width=420, height=220)
    )


def top_suppliers_chart(df: pd.DataFrame, title: str, subtitle: str = "") -> alt.Chart:
    """Horizontal bars of leakage (£) to the largest non-local suppliers; ``df`` from
    ``metrics.top_leaking`` (supplier, leakage, addressable_spend, lad; optional location)."""
    df = df.assign(location=df["location"] if "location" in df else df["lad"]).astype({"supplier": str})
    return charts.on_frame(
        _top_suppliers_frame(),
        df[["supplier", "leakage", "addressable_spend", "location"]],
        title,
        subtitle,
        f"{title}. Bars of addressable spend in pounds that went to each of the {len(df)} "
        "non-local suppliers paid most, largest first.",
    )


@functools.cache
def _top_suppliers_frame() -> alt.Chart:
    return (
        alt.Chart()
        # every bar is a non-local supplier's: drawn as "Not local" is everywhere, colour and dashed outline
        .mark_bar(
            color=charts.LOCAL_COLOURS["Not local"],
            stroke=charts.OUTLINE,
            strokeDash=charts.LOCAL_DASHES["Not local"],
            strokeWidth=charts.DASH_WIDTH,
        )
        .encode(
            y=alt.Y("supplier:N", sort="-x", title=None, axis=alt.Axis(labelLimit=360)),
            x=alt.X("leakage:Q", title="Spend with a non-local supplier (£)", axis=alt.Axis(format="~s")),
            tooltip=[
                alt.Tooltip("supplier:N", title="Supplier"),
                alt.Tooltip("location:N", title="Located in"),
                alt.Tooltip("leakage:Q", title="Non-local spend (£)", format=",.0f"),
                alt.Tooltip("addressable_spend:Q", title="Addressable spend (£)", format=",.0f"),
            ],
        )
        .properties(width=560, height=alt.Step(22))
    )


def local_by_category_data(payments: pd.DataFrame, local: pd.Series, top: int = 12) -> pd.DataFrame:
    """Addressable £ per category split into Local / Not local / Unknown location (top categories by £):
    one row per category and status that has payments, categories in their own order, then status."""
    add = payments["addressable"].astype(bool).to_numpy()
    status = np.where(payments["lad"].isna().to_numpy(), 2, np.where(np.asarray(local, dtype=bool), 0, 1))[
        add
    ]
    category = payments["category"][add]
    if isinstance(category.dtype, pd.CategoricalDtype):
        codes, names = category.cat.codes.to_numpy(), category.cat.categories
    else:
        codes, names = pd.factorize(category, sort=True)
    amount = payments["amount"].to_numpy(dtype="float64")[add]
    keep = codes >= 0
    key = codes[keep].astype(np.int64) * 3 + status[keep]
    n = 3 * len(names)
    spend = np.bincount(key, weights=amount[keep], minlength=n)
    seen = np.flatnonzero(np.bincount(key, minlength=n))
    df = pd.DataFrame(
        {
            "category": np.asarray(names, dtype=object)[seen // 3],
            "status": np.asarray(charts.LOCAL_STATUS, dtype=object)[seen % 3],
            "amount": spend[seen],
        }
    )
    totals = df.groupby("category", sort=False)["amount"].sum()
    order = totals.iloc[np.argsort(-totals.to_numpy(), kind="stable")].index[:top]
    df = df[df["category"].isin(order)].reset_index(drop=True)
    df["share"] = df["amount"] / df.groupby("category", sort=False)["amount"].transform("sum")
    df["category"] = df["category"].astype(str)
    return df


def local_by_category_chart(
    df: pd.DataFrame,
    title: str,
    subtitle: str = "",
    width: int = 560,
    step: int = 26,
    legend_top: bool = False,
) -> alt.Chart:
    """Horizontal stacked bars: addressable £ by category, local vs not local vs unknown (``width`` px,
    ``step`` px a category, the legend above the bars when ``legend_top``)."""
    order = df.groupby("category")["amount"].sum().sort_values(ascending=False).index.tolist()
    return charts.on_frame(
        _local_by_category_frame(width, step, legend_top),
        charts.ranked(df, "category", order),
        title,
        subtitle,
        f"{title}. Stacked bars of addressable spend in pounds for each category, split into local (solid "
        "outline), not local (dashed) and unknown location (dotted), in that order.",
    )


@functools.cache
def _local_by_category_frame(width: int, step: int, legend_top: bool) -> alt.TopLevelMixin:
    chart = (
        alt.Chart()
        .mark_bar(strokeWidth=charts.DASH_WIDTH)
        .encode(
            y=alt.Y("category:N", sort=charts.BY_RANK, title=None),
            x=alt.X("amount:Q", title="Addressable spend (£)", axis=alt.Axis(format="~s")),
            color=alt.Color(
                "status:N",
                title="Supplier location",
                scale=alt.Scale(domain=list(charts.LOCAL_COLOURS), range=list(charts.LOCAL_COLOURS.values())),
            ),
            strokeDash=charts.dashes("status:N", charts.LOCAL_STATUS, "Supplier location"),
            order=alt.Order("status:N"),
            tooltip=[
                alt.Tooltip("category:N", title="Category"),
                alt.Tooltip("status:N", title="Location"),
                alt.Tooltip("amount:Q", title="Spend (£)", format=",.0f"),
                alt.Tooltip("share:Q", title="Share of category", format=".1%"),
            ],
        )
        .properties(width=width, height=alt.Step(step))
    )
    return chart.configure_legend(orient="top") if legend_top else chart
