"""Chart builders for the equity gaps app (docs/methodology.md, Utilisation, availability and
disparity; IMD deciles), in the one anchorlib theme. Each takes a ``metrics`` frame and returns an
``alt.Chart`` with a title, axis titles with units, tooltips and an ARIA ``description``."""

from __future__ import annotations

import functools

import altair as alt
import pandas as pd

from anchorlib.charts import base as charts
from anchorlib.metrics import FOUR_FIFTHS

#: each half of the gaps chart, px: the whole chart, labels and legend included, fits the ~980 px a notebook
#: output has in JupyterLab at 1400 px with the file browser open (tests/test_lab_browser.py)
GAPS_HALF_WIDTH = 260
_TIP = [
    alt.Tooltip("category:N", title="Category"),
    alt.Tooltip("utilisation:Q", title="Utilisation", format=".1%"),
    alt.Tooltip("availability:Q", title="Availability", format=".1%"),
    alt.Tooltip("disparity_index:Q", title="Disparity index", format=".0f"),
    alt.Tooltip("spend_in_group:Q", title="Spend with the group (£)", format=",.0f"),
    alt.Tooltip("utilisation_unknown_share:Q", title="Spend with membership unknown", format=".0%"),
]


def _by_category(df: pd.DataFrame) -> pd.DataFrame:
    cols = [
        "category",
        "utilisation",
        "availability",
        "disparity_index",
        "spend_in_group",
        "utilisation_unknown_share",
    ]
    out = df[cols].astype({"category": str}).copy()
    out["gap"] = out["disparity_index"].map(
        lambda d: (
            "no figure"
            if pd.isna(d)
            else ("below 80 (substantial disparity)" if d < FOUR_FIFTHS else "80 or more")
        )
    )
    return out


def _disparity_layers() -> alt.LayerChart:
    bars = (
        alt.Chart()
        .mark_bar()
        .encode(
            y=alt.Y("category:N", sort=charts.BY_RANK, title=None),
            x=alt.X("disparity_index:Q", title="Disparity index (100 = parity)"),
            color=alt.Color(
                "gap:N",
                title=None,
                legend=alt.Legend(orient="top", labelLimit=300),
                scale=alt.Scale(
                    domain=["below 80 (substantial disparity)", "80 or more", "no figure"],
                    range=[charts.PALETTE[5], charts.PALETTE[0], "#999999"],
                ),
            ),
            tooltip=_TIP,
        )
    )
    line = (
        alt.Chart(pd.DataFrame({"x": [FOUR_FIFTHS]}))
        .mark_rule(color="#000", strokeDash=[6, 3], strokeWidth=2)
        .encode(x="x:Q", tooltip=[alt.Tooltip("x:Q", title="Four-fifths line")])
    )
    return alt.layer(bars, line).properties(width=GAPS_HALF_WIDTH, height=alt.Step(19))


def _utilisation_layers() -> alt.LayerChart:
    """The right half of the gaps chart: its category axis unlabelled (the left half labels it)."""
    base = alt.Chart().encode(
        y=alt.Y("category:N", sort=charts.BY_RANK, title=None, axis=alt.Axis(labels=False)), tooltip=_TIP
    )
    bars = base.mark_bar(color=charts.PALETTE[4]).encode(
        x=alt.X(
            "utilisation:Q",
            title="Share (%): bars utilisation, black ticks availability",
            axis=alt.Axis(format=".0%"),
        )
    )
    ticks = base.mark_tick(color="#000", thickness=3, size=16).encode(x="availability:Q")
    return alt.layer(bars, ticks).properties(width=GAPS_HALF_WIDTH, height=alt.Step(19))


_DISPARITY_TEXT = (
    "bars of the disparity index for each category, 100 times utilisation over availability, with a "
    "dashed line at 80: below it is a substantial disparity (the four-fifths rule)"
)
_UTILISATION_TEXT = (
    "for each category, a bar of the share of spend (in per cent) with suppliers in the group, and a "
    "black tick at the share of the register's suppliers that are in the group"
)


def gaps_chart(df: pd.DataFrame, label: str, subtitle: str = "") -> alt.HConcatChart:
    """One chart, one row per category: the disparity index with the 80 line on the left, utilisation vs
    availability on the right, sharing the category axis (labelled once, on the left) so each row reads
    across; ``df`` is ``metrics.equity(..., by="category")`` for one group."""
    data = _by_category(df)
    data = charts.ranked(data, "category", data.sort_values("disparity_index")["category"].tolist())
    title = f"{label}: disparity index by category"
    return charts.on_frame(
        _gaps_frame(),
        data,
        title,
        f"{subtitle + '; ' if subtitle else ''}right: utilisation vs availability",
        f"{title}, with utilisation vs availability. Left, {_DISPARITY_TEXT}. Right, {_UTILISATION_TEXT}.",
    )


@functools.cache
def _gaps_frame() -> alt.HConcatChart:
    """The gaps chart without its data and titles, built once: the layers inherit the top level's data
    (building it, Altair copies each part many times: most of an app update's time when rebuilt each time)."""
    return alt.hconcat(_disparity_layers(), _utilisation_layers(), spacing=24).resolve_scale(y="shared")


def imd_chart(df: pd.DataFrame, title: str, subtitle: str = "") -> alt.Chart:
    """Addressable £ by supplier-location IMD decile, 1 (most deprived) to 10, then unknown;
    ``df`` is ``metrics.imd_distribution``."""
    data = df[["imd_decile", "spend", "share", "n_suppliers"]].astype({"imd_decile": str}).copy()
    data["kind"] = [
        "Unknown location" if d == "unknown" else ("Deciles 1-2" if d in ("1", "2") else "Deciles 3-10")
        for d in data["imd_decile"]
    ]
    return (
        alt.Chart(
            data,
            title=alt.Title(title, subtitle=subtitle or alt.Undefined),
            description=f"{title}. Bars of addressable spend in pounds for each IMD decile of the "
            "supplier's location, from 1 (most deprived) to 10, then unknown location.",
        )
        .mark_bar()
        .encode(
            x=alt.X(
                "imd_decile:N",
                sort=data["imd_decile"].tolist(),
                axis=alt.Axis(labelAngle=0),
                title="IMD decile of the supplier's location (1 = most deprived)",
            ),
            y=alt.Y("spend:Q", title="Addressable spend (£)", axis=alt.Axis(format="~s")),
            color=alt.Color(
                "kind:N",
                title=None,
                legend=alt.Legend(orient="top"),
                scale=alt.Scale(
                    domain=["Deciles 1-2", "Deciles 3-10", "Unknown location"],
                    range=[charts.PALETTE[2], charts.PALETTE[0], "#999999"],
                ),
            ),
            tooltip=[
                alt.Tooltip("imd_decile:N", title="IMD decile"),
                alt.Tooltip("spend:Q", title="Spend (£)", format=",.0f"),
                alt.Tooltip("share:Q", title="Share of spend with known decile", format=".1%"),
                alt.Tooltip("n_suppliers:Q", title="Suppliers"),
            ],
        )
        .properties(width=560, height=180)
    )
