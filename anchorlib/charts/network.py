"""Chart builders for the network of anchors: local share side by side, shared suppliers."""

from __future__ import annotations

from collections.abc import Mapping

import altair as alt
import pandas as pd

from anchorlib.charts import base as charts


def network_data(summary: dict) -> pd.DataFrame:
    """One row per anchor from ``metrics.summary``: name, local_share, local_spend, addressable_spend."""
    return pd.DataFrame(
        [
            {
                "anchor": r["name"],
                "local_share": r["local_share"],
                "local_spend": r["local_spend"],
                "addressable_spend": r["addressable_spend"],
            }
            for r in summary["anchors"]
        ]
    )


POOLED = "Pooled (ratio of sums)"
MEAN = "Mean of anchors' shares"
#: black, and vermilion (3.9:1 on white; the palette's orange, 2.3:1, was too faint for a line: WCAG 1.4.11)
_RULE_COLOURS = {POOLED: charts.PALETTE[7], MEAN: charts.PALETTE[5]}
#: the two rules differ in pattern as well as colour (WCAG 1.4.1): dashed and dotted
_RULE_DASHES = {POOLED: [6, 3], MEAN: [2, 2]}


def network_chart(
    df: pd.DataFrame,
    pooled: float | None,
    mean: float | None,
    title: str,
    subtitle: str = "",
    width: int = 520,
    step: int = 34,
    full_scale: bool = True,
) -> alt.LayerChart:
    """Each anchor's local share (bars) with the network's pooled and mean shares as labelled dashed
    rules (docs/methodology.md, Pooling); ``df`` from ``network_data``. A share given as None has no
    rule (the network report draws the pooled share only). ``full_scale``: the axis runs 0-100%, so
    the app's bars keep their scale as the area changes; otherwise it fits the data."""
    lines = pd.DataFrame([{"measure": POOLED, "value": pooled}, {"measure": MEAN, "value": mean}]).dropna()
    shown = lines["measure"].tolist()
    bars = (
        alt.Chart(df)
        .mark_bar(color=charts.PALETTE[0])
        .encode(
            # labelLimit: long NHS names in full
            y=alt.Y("anchor:N", title=None, sort="-x", axis=alt.Axis(labelLimit=480)),
            x=alt.X(
                "local_share:Q",
                title="Local share of addressable spend (%)",
                axis=alt.Axis(format=".0%"),
                scale=alt.Scale(domain=[0, 1]) if full_scale else alt.Undefined,
            ),
            tooltip=[
                alt.Tooltip("anchor:N", title="Anchor"),
                alt.Tooltip("local_share:Q", title="Local share", format=".1%"),
                alt.Tooltip("local_spend:Q", title="Local spend (£)", format=",.0f"),
                alt.Tooltip("addressable_spend:Q", title="Addressable spend (£)", format=",.0f"),
            ],
        )
    )
    rules = (
        alt.Chart(lines)
        .mark_rule(strokeWidth=3)
        .encode(
            x="value:Q",
            color=alt.Color(
                "measure:N",
                title="Network",
                scale=alt.Scale(domain=shown, range=[_RULE_COLOURS[m] for m in shown]),
            ),
            strokeDash=alt.StrokeDash(
                "measure:N",
                title="Network",
                scale=alt.Scale(domain=shown, range=[_RULE_DASHES[m] for m in shown]),
            ),
            tooltip=[
                alt.Tooltip("measure:N", title="Network figure"),
                alt.Tooltip("value:Q", title="Local share", format=".1%"),
            ],
        )
    )
    named = {POOLED: "the network's pooled share (dashed)", MEAN: "the mean of the anchors' shares (dotted)"}
    drawn = " and ".join(named[m] for m in shown)
    lines_text = {0: "", 1: f", with a line for {drawn}", 2: f", with lines for {drawn}"}
    return alt.layer(
        bars,
        rules,
        title=alt.Title(title, subtitle=subtitle or alt.Undefined),
        description=f"{title}. Bars of each anchor's local share in per cent{lines_text[len(shown)]}.",
    ).properties(width=width, height=alt.Step(step))


def paid_by(anchors: pd.Series, names: Mapping[str, str], sep: str = ", ") -> pd.Series:
    """``metrics.shared_suppliers``' ``anchors`` (anchor ids joined by ';') as the anchors' names."""
    return anchors.map(lambda ids: sep.join(names.get(a, a) for a in str(ids).split(";")))


def shared_suppliers_chart(
    df: pd.DataFrame, names: dict[str, str], title: str, subtitle: str = "", n: int = 12
) -> alt.Chart:
    """Horizontal bars of combined addressable £ for the ``n`` largest suppliers paid by 2+ anchors;
    ``df`` from ``metrics.shared_suppliers`` (optional ``location``: the place as it reads, else ``lad``),
    ``names`` anchor id -> name for the tooltip."""
    top = df.head(n).assign(
        supplier=lambda d: d["supplier"].astype(str),
        paid_by=lambda d: paid_by(d["anchors"], names),
        location=lambda d: (
            (d["location"] if "location" in d else d["lad"]).astype("string").fillna("unknown")
        ),
    )
    return (
        alt.Chart(
            top[["supplier", "n_anchors", "paid_by", "combined_spend", "location"]],
            title=alt.Title(title, subtitle=subtitle or alt.Undefined),
            description=f"{title}. Bars of the combined addressable spend in pounds of the {len(top)} "
            "largest suppliers that two or more anchors pay, coloured and outlined (solid for 2, dashed "
            "for 3, dotted for 4, then dash-dot and sparse dots) by how many anchors pay them.",
        )
        .mark_bar(strokeWidth=charts.DASH_WIDTH)
        .encode(
            y=alt.Y("supplier:N", sort="-x", title=None, axis=alt.Axis(labelLimit=360)),
            x=alt.X("combined_spend:Q", title="Combined addressable spend (£)", axis=alt.Axis(format="~s")),
            color=alt.Color(
                "n_anchors:O",
                title="Anchors paying",
                legend=alt.Legend(orient="top"),
                scale=alt.Scale(range=charts.PALETTE[:4]),
            ),
            strokeDash=alt.StrokeDash(
                "n_anchors:O",
                title="Anchors paying",
                legend=alt.Legend(orient="top"),
                scale=alt.Scale(range=charts.DASHES),
            ),
            tooltip=[
                alt.Tooltip("supplier:N", title="Supplier"),
                alt.Tooltip("n_anchors:Q", title="Anchors paying"),
                alt.Tooltip("paid_by:N", title="Paid by"),
                alt.Tooltip("location:N", title="Located in"),
                alt.Tooltip("combined_spend:Q", title="Combined spend (£)", format=",.0f"),
            ],
        )
        .properties(width=560, height=alt.Step(22))
    )
