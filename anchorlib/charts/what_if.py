"""Chart builders for the what-if app (docs/methodology.md, Shift scenario), in the one anchorlib theme."""

from __future__ import annotations

import altair as alt
import pandas as pd

from anchorlib.charts import base as charts

SHIFT_PARTS = {"shifted": "Moved to local suppliers", "remaining": "Still leaking"}


def shift_data(rows: list[dict]) -> pd.DataFrame:
    """Long form for ``shift_chart`` from per-category dicts of category, leakage_in_scope and
    added_local_spend."""
    out = []
    for r in rows:
        parts = {
            "shifted": r["added_local_spend"],
            "remaining": r["leakage_in_scope"] - r["added_local_spend"],
        }
        out += [
            {"category": r["category"], "part": SHIFT_PARTS[k], "amount": v, "leakage": r["leakage_in_scope"]}
            for k, v in parts.items()
        ]
    return pd.DataFrame(out, columns=["category", "part", "amount", "leakage"])


def shift_chart(df: pd.DataFrame, title: str, subtitle: str = "") -> alt.Chart:
    """Per chosen category: its leakage (£) split into the part moved to local suppliers and the rest."""
    order = df.groupby("category", sort=False)["leakage"].first().sort_values(ascending=False).index.tolist()
    return (
        alt.Chart(
            charts.ranked(df, "category", order),
            title=alt.Title(title, subtitle=subtitle or alt.Undefined),
            description=f"{title}. For each chosen category, a bar of its leakage in pounds, split into "
            "the part the scenario moves to local suppliers (solid outline) and the part still leaking "
            "(dashed outline).",
        )
        .mark_bar(strokeWidth=charts.DASH_WIDTH)
        .encode(
            y=alt.Y("category:N", sort=charts.BY_RANK, title=None),
            x=alt.X("amount:Q", title="Leakage (£)", axis=alt.Axis(format="~s")),
            color=alt.Color(
                "part:N",
                title=None,
                legend=alt.Legend(orient="top"),
                scale=alt.Scale(
                    domain=list(SHIFT_PARTS.values()),
                    range=[charts.LOCAL_COLOURS["Local"], charts.LOCAL_COLOURS["Not local"]],
                ),
            ),
            # moved: local's pattern; still leaking: not local's
            strokeDash=charts.dashes("part:N", SHIFT_PARTS.values(), legend=alt.Legend(orient="top")),
            order=alt.Order("part:N", sort="ascending"),
            tooltip=[
                alt.Tooltip("category:N", title="Category"),
                alt.Tooltip("part:N", title="Part"),
                alt.Tooltip("amount:Q", title="Amount (£)", format=",.0f"),
                alt.Tooltip("leakage:Q", title="Category leakage (£)", format=",.0f"),
            ],
        )
        .properties(width=520, height=alt.Step(24))
    )


def before_after_chart(
    before: float | None, after: float | None, title: str, subtitle: str = ""
) -> alt.Chart:
    """Two bars: local share (%) today and with the shift."""
    df = pd.DataFrame({"when": ["Today", "With the shift"], "local_share": [before, after]})
    return (
        alt.Chart(
            df,
            title=alt.Title(title, subtitle=subtitle or alt.Undefined),
            description=f"{title}. Two bars of local share in per cent: today, and if the chosen share of "
            "leakage moved to local suppliers.",
        )
        .mark_bar()
        .encode(
            x=alt.X("when:N", title=None, sort=["Today", "With the shift"], axis=alt.Axis(labelAngle=0)),
            y=alt.Y(
                "local_share:Q",
                title="Local share (%)",
                axis=alt.Axis(format=".0%"),
                scale=alt.Scale(domain=[0, 1]),
            ),
            color=alt.Color(
                "when:N", legend=None, scale=alt.Scale(range=[charts.PALETTE[4], charts.PALETTE[0]])
            ),
            tooltip=[
                alt.Tooltip("when:N", title="When"),
                alt.Tooltip("local_share:Q", title="Local share", format=".1%"),
            ],
        )
        .properties(width=220, height=220)
    )
