"""Chart builders for the workshop apps (data prep + spec builder; the one anchorlib theme)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from . import charts  # noqa: F401  (registers and enables the anchorlib theme)


def trend_chart(df: pd.DataFrame, title: str, subtitle: str = "") -> alt.Chart:
    """Local share (%) by financial year; ``df`` has financial_year, local_share, local_spend, leakage."""
    return alt.Chart(df, title=alt.Title(title, subtitle=subtitle or alt.Undefined),
                     description=f"{title}. Bars of local share of addressable spend, in per cent, for each "
                                 "financial year.").mark_bar(color=charts.PALETTE[0]).encode(
        x=alt.X("financial_year:N", title="Financial year", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("local_share:Q", title="Local share (%)", axis=alt.Axis(format=".0%"), scale=alt.Scale(domain=[0, 1])),
        tooltip=[alt.Tooltip("financial_year:N", title="Financial year"),
                 alt.Tooltip("local_share:Q", title="Local share", format=".1%"),
                 alt.Tooltip("local_spend:Q", title="Local spend (£)", format=",.0f"),
                 alt.Tooltip("leakage:Q", title="Leakage (£)", format=",.0f")],
    ).properties(width=300, height=200, padding={"left": 10, "top": 4, "right": 4, "bottom": 4})
