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


def network_data(summary: dict) -> pd.DataFrame:
    """One row per anchor from ``metrics.summary``: name, local_share, local_spend, addressable_spend."""
    return pd.DataFrame([{"anchor": r["name"], "local_share": r["local_share"], "local_spend": r["local_spend"],
                          "addressable_spend": r["addressable_spend"]} for r in summary["anchors"]])


def network_chart(df: pd.DataFrame, pooled: float | None, mean: float | None, title: str, subtitle: str = "") -> alt.LayerChart:
    """Each anchor's local share (bars) with the network's pooled and mean shares as labelled rules."""
    lines = pd.DataFrame([{"measure": "Pooled (ratio of sums)", "value": pooled},
                          {"measure": "Mean of anchors' shares", "value": mean}]).dropna()
    bars = alt.Chart(df).mark_bar(color=charts.PALETTE[0]).encode(
        y=alt.Y("anchor:N", title=None, sort="-x"),
        x=alt.X("local_share:Q", title="Local share of addressable spend (%)", axis=alt.Axis(format=".0%"),
                scale=alt.Scale(domain=[0, 1])),
        tooltip=[alt.Tooltip("anchor:N", title="Anchor"), alt.Tooltip("local_share:Q", title="Local share", format=".1%"),
                 alt.Tooltip("local_spend:Q", title="Local spend (£)", format=",.0f"),
                 alt.Tooltip("addressable_spend:Q", title="Addressable spend (£)", format=",.0f")])
    rules = alt.Chart(lines).mark_rule(strokeWidth=3, strokeDash=[6, 3]).encode(
        x="value:Q",
        color=alt.Color("measure:N", title="Network", scale=alt.Scale(range=[charts.PALETTE[1], charts.PALETTE[7]])),
        tooltip=[alt.Tooltip("measure:N", title="Network figure"), alt.Tooltip("value:Q", title="Local share", format=".1%")])
    return alt.layer(bars, rules, title=alt.Title(title, subtitle=subtitle or alt.Undefined),
                     description=f"{title}. Bars of each anchor's local share in per cent, with dashed lines for the "
                                 "network's pooled share and the mean of the anchors' shares.").properties(
        width=620, height=alt.Step(34))
