"""Every chart the apps and reports draw, as each builds it on the sample, read for what a reader without
colour vision or with low vision needs (docs/methodology.md, Accessible charts and apps): an ARIA description;
colour never the only cue (a field shown by colour is shown by an outline or line pattern, by an axis, or
the exception says what else shows it); marks that stand out from the white page at 3:1 and text at 4.5:1
(WCAG 2.1: 1.4.1, 1.4.3, 1.4.11). The browser tests run axe on the pages themselves (tests/axe.py)."""

from __future__ import annotations

import altair as alt
import pytest

from anchorlib import apps, charts
from anchorlib.charts import base
from anchorlib.paths import SAMPLE_DIR
from anchorlib.reports import views

APP_CHARTS = {
    "leakage": ["trend", "categories", "suppliers"],
    "equity": ["gaps", "deciles"],
    "what_if": ["by_category", "before_after"],
    "network": ["chart", "shared_chart"],
}
#: (chart, field coloured) -> what else tells its values apart
NOT_BY_COLOUR_ALONE = {
    ("equity.deciles", "kind"): "the x axis labels each bar's decile; the colour groups deciles 1-2",
    ("equity.gaps", "gap"): "the dashed line at 80: a bar that ends left of it is below 80",
}
#: marks whose colour is all there is of them on the page (bars have OUTLINE)
LINE_MARKS = {"line", "rule", "tick", "point", "trail"}
WHITE = "#ffffff"


def luminance(colour: str) -> float:
    h = colour.lstrip("#")
    h = "".join(c * 2 for c in h) if len(h) == 3 else h
    rgb = [int(h[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str = WHITE) -> float:
    """WCAG 2's contrast ratio of two #rgb or #rrggbb colours."""
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_contrast_matches_wcag_worked_values():
    assert contrast("#000000") == pytest.approx(21.0)
    assert contrast("#777777") == pytest.approx(4.48, abs=0.01)  # the grey that just misses 4.5:1
    assert contrast("#ffffff") == pytest.approx(1.0)


def all_charts(sample_ds) -> dict[str, alt.TopLevelMixin]:
    found = {}
    for app, names in APP_CHARTS.items():
        view = getattr(apps, app)(sample_ds).view
        for name in names:
            found[f"{app}.{name}"] = getattr(view, name).chart
    sv = apps.social_value_app(str(SAMPLE_DIR)).model
    found["social_value.outcomes"] = sv.outcomes_chart()
    found["social_value.ratings"] = sv.ratings_chart()
    anchor = sample_ds.anchor_ids[0]
    found["report.local_share_by_year"] = views.local_share_by_year(sample_ds, anchor)
    found["report.local_by_category"] = views.local_by_category(sample_ds, anchor, None)
    found["report.network"] = views.network_local_share_chart(sample_ds, views.network_summary(sample_ds))
    return found


def units(spec: dict, inherited: dict | None = None):
    """Each single-view spec of a (layered, concatenated) Vega-Lite spec, with the encoding it inherits."""
    encoding = {**(inherited or {}), **spec.get("encoding", {})}
    parts = [
        *spec.get("layer", []),
        *spec.get("hconcat", []),
        *spec.get("vconcat", []),
        *spec.get("concat", []),
    ]
    if "mark" in spec:
        yield spec, encoding
    for part in parts:
        yield from units(part, encoding)


def mark_of(unit: dict) -> dict:
    mark = unit["mark"]
    return {"type": mark} if isinstance(mark, str) else mark


@pytest.fixture(scope="module")
def specs(sample_ds) -> dict[str, dict]:
    return {name: chart.to_dict() for name, chart in all_charts(sample_ds).items()}


def test_every_chart_has_a_description(specs):
    assert len(specs) == 14
    for name, spec in specs.items():
        assert len(spec.get("description", "")) > 40, name


def test_colour_is_never_the_only_cue(specs):
    checked = 0
    for name, spec in specs.items():
        for _unit, enc in units(spec):
            colour = enc.get("color", {})
            field = colour.get("field")
            if field is None or colour.get("type") not in ("nominal", "ordinal"):
                continue
            checked += 1
            if (name, field) in NOT_BY_COLOUR_ALONE:
                continue
            also = [
                ch
                for ch in ("strokeDash", "shape", "text", "x", "y")
                if enc.get(ch, {}).get("field") == field
            ]
            assert also, f"{name}: {field} is told apart by colour alone"
            if "strokeDash" in also:  # one pattern for each colour, none twice
                dashes = enc["strokeDash"]["scale"]["range"]
                assert len({tuple(d) for d in dashes}) == len(dashes), name
                assert len(dashes) >= len(colour.get("scale", {}).get("domain", [])), name
    assert checked >= 11  # every chart that colours by category was looked at


def colours_of(unit: dict, enc: dict) -> list[str]:
    mark = mark_of(unit)
    found = [mark[k] for k in ("color", "stroke", "fill") if isinstance(mark.get(k), str)]
    scale = enc.get("color", {}).get("scale", {})
    found += [c for c in scale.get("range", []) if isinstance(c, str) and c.startswith("#")]
    return found


def test_marks_and_text_stand_out_from_the_page(specs):
    theme = alt.theme.get()()["config"]
    assert contrast(theme["bar"]["stroke"]) >= 3  # every bar is outlined (the fills may be lighter)
    assert contrast(theme["title"]["subtitleColor"]) >= 4.5
    assert (
        min(contrast(c) for c in base.PALETTE) < 3
    )  # light fills (orange, sky blue, yellow): why the outline
    for name, spec in specs.items():
        for unit, enc in units(spec):
            kind = mark_of(unit)["type"]
            for colour in colours_of(unit, enc):
                if kind == "text":
                    assert contrast(colour) >= 4.5, (name, kind, colour)
                elif kind in LINE_MARKS:
                    assert contrast(colour) >= 3, (name, kind, colour)
                elif kind == "bar":
                    stroke = mark_of(unit).get("stroke", theme["bar"]["stroke"])
                    assert contrast(stroke) >= 3, (name, stroke)


def test_static_svg_carries_the_description():
    charts.use_static()
    try:
        chart = (
            alt.Chart(alt.Data(values=[{"a": 1}]), description='Bars of "a" & b').mark_bar().encode(x="a:Q")
        )
        svg = alt.renderers.get()(chart.to_dict())["image/svg+xml"]
        assert svg.startswith(
            '<svg role="graphics-document" aria-roledescription="visualization" '
            'aria-label="Bars of &quot;a&quot; &amp; b" '
        )
    finally:
        charts.use_interactive()
