"""Charts for social value: outcomes by tender weight, commitment ratings (docs/methodology.md, Tender
scoring and Commitments). Data comes shaped from ``social_value.tenders`` and
``social_value.commitments``; the theme is ``charts.base``'s.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from anchorlib.charts import base as charts
from anchorlib.social_value.commitments import NOT_DUE, RATINGS
from anchorlib.social_value.tenders import MARKED_WEIGHTS

#: the lines' colours, each 3:1 or more on white (WCAG 1.4.11; the palette's orange, 2.3:1, was SME's), and
#: their patterns: solid, dashed, dotted (colour is never the only cue: WCAG 1.4.1)
GROUP_COLOURS = {"Local": "#0072B2", "SME": "#D55E00", "VCSE": "#009E73"}
RATING_COLOURS = dict(zip([*RATINGS, NOT_DUE], ["#009E73", "#56B4E9", "#E69F00", "#D55E00", "#999999"]))
RATING_DASHES = dict(zip(RATING_COLOURS, charts.DASHES))
#: the slider's rule (#CC79A7, 3.0:1 on white, enough for a line) and its label, darker to read as text
SLIDER_COLOUR, SLIDER_TEXT = "#CC79A7", "#9A4A78"
MARK_LABELS = {0.05: "5% today", 0.10: "10% PPN 06/20", 0.20: "20%"}
MEASURE_TITLES = {"tenders": "Share of tenders won", "contract value": "Share of contract value won"}


def _weight_rules(current: float | None) -> alt.LayerChart:
    marks = pd.DataFrame(
        {"weight": list(MARKED_WEIGHTS), "label": [MARK_LABELS.get(w, f"{w:.0%}") for w in MARKED_WEIGHTS]}
    )
    base = alt.Chart(marks)
    layers = [
        base.mark_rule(color="#777", strokeDash=[2, 3]).encode(x="weight:Q"),
        base.mark_text(
            align="left", dx=3, dy=-4, baseline="bottom", fontSize=11, color="#444", angle=0
        ).encode(x="weight:Q", y=alt.value(0), text="label:N"),
    ]
    if current is not None:
        now = alt.Chart(pd.DataFrame({"weight": [current], "label": [f"slider {current:.1%}"]}))
        layers += [
            now.mark_rule(color=SLIDER_COLOUR, strokeWidth=2.5).encode(x="weight:Q"),
            now.mark_text(
                align="left", dx=3, dy=4, baseline="top", fontSize=12, fontWeight="bold", color=SLIDER_TEXT
            ).encode(x="weight:Q", y=alt.value(0), text="label:N"),
        ]
    return alt.layer(*layers)


def outcomes_chart(outcomes: pd.DataFrame, current: float | None = None, title: str = "") -> alt.HConcatChart:
    """Two panels (share of tenders, share of contract value) won by Local, SME and VCSE bidders
    as the social value weight goes from 0% to 30%, marking 5%, 10%, 20% and the slider's weight."""
    title = title or "Who wins as the social value weight rises"
    panels = []
    for measure, heading in MEASURE_TITLES.items():
        d = outcomes[outcomes["measure"] == measure]
        lines = (
            alt.Chart(d)
            .mark_line(interpolate="step-after", strokeWidth=2.5)
            .encode(
                x=alt.X(
                    "weight:Q",
                    title="Social value weight (%)",
                    axis=alt.Axis(format=".0%"),
                    scale=alt.Scale(domain=[0, float(outcomes["weight"].max())]),
                ),
                y=alt.Y(
                    "share:Q", title="Share (%)", axis=alt.Axis(format=".0%"), scale=alt.Scale(domain=[0, 1])
                ),
                color=alt.Color(
                    "group:N",
                    title="Winner is",
                    legend=alt.Legend(orient="right"),
                    scale=alt.Scale(domain=list(GROUP_COLOURS), range=list(GROUP_COLOURS.values())),
                ),
                strokeDash=charts.dashes("group:N", GROUP_COLOURS, "Winner is", alt.Legend(orient="right")),
                tooltip=[
                    alt.Tooltip("group:N", title="Winner is"),
                    alt.Tooltip("weight:Q", title="Weight", format=".2%"),
                    alt.Tooltip("share:Q", title=heading, format=".1%"),
                    alt.Tooltip("won:Q", title="Won (tenders or £)", format=",.0f"),
                    alt.Tooltip("known:Q", title="Of (flag known)", format=",.0f"),
                ],
            )
        )
        panels.append(
            alt.layer(lines, _weight_rules(current), title=heading).properties(width=340, height=190)
        )
    return alt.hconcat(
        *panels,
        title=alt.Title(
            title,
            subtitle="Price and quality weights scaled in proportion; "
            "shares among winners whose status is known",
        ),
        description=f"{title}. Two step-line charts of the share of tenders and of contract value "
        "won by local (solid line), SME (dashed) and VCSE (dotted) bidders at social value weights from 0% "
        "to 30%, with rules at 5%, 10% and 20%.",
    ).resolve_scale(color="shared", strokeDash="shared")


def ratings_chart(counts: pd.DataFrame, by: str, title: str = "") -> alt.Chart:
    """Horizontal stacked bars: commitments per anchor (or supplier) by rating, good first."""
    label = "Anchor" if by == "anchor_id" else "Supplier"
    title = title or f"Social value commitments by rating, per {label.lower()}"
    present = [r for r in RATING_COLOURS if r in set(counts["rating"])]
    d = counts.assign(order=counts["rating"].map({r: i for i, r in enumerate(RATING_COLOURS)}))
    return (
        alt.Chart(
            d,
            title=alt.Title(title, subtitle="Rating of delivered to date vs target"),
            description=f"{title}. Stacked bars counting commitments rated good (solid outline), "
            "approaching target (dashed), requires improvement (dotted) and inadequate (dash-dot), in that "
            "order, then not yet due (sparse dots).",
        )
        .mark_bar(strokeWidth=charts.DASH_WIDTH)
        .encode(
            y=alt.Y(f"{by}:N", title=None, sort="ascending", axis=alt.Axis(labelLimit=420)),
            x=alt.X("commitments:Q", title="Commitments (contract x measure)", axis=alt.Axis(tickMinStep=1)),
            color=alt.Color(
                "rating:N",
                title="Rating",
                sort=present,
                scale=alt.Scale(domain=present, range=[RATING_COLOURS[r] for r in present]),
            ),
            # each rating keeps its pattern whichever ratings are present
            strokeDash=alt.StrokeDash(
                "rating:N",
                title="Rating",
                sort=present,
                scale=alt.Scale(domain=present, range=[RATING_DASHES[r] for r in present]),
            ),
            order=alt.Order("order:Q"),
            tooltip=[
                alt.Tooltip(f"{by}:N", title=label),
                alt.Tooltip("rating:N", title="Rating"),
                alt.Tooltip("commitments:Q", title="Commitments"),
            ],
        )
        .properties(width=520, height=alt.Step(24))
    )
