"""Altair chart builders and the one anchorlib theme.

Charts never load anything from a CDN: Altair's default renderer fetches Vega from one, which fails
offline and in exported HTML. ``use_static()`` renders SVG through vl-convert (for papermill and HTML
reports), ``use_interactive()`` uses offline JupyterCharts (for JupyterLab and Voila). Each builder
takes tidy data from ``metrics`` and returns an ``alt.Chart`` with a title, axis titles with units,
tooltips and an ARIA ``description``.
"""

from __future__ import annotations

import copy
import html

import altair as alt
import pandas as pd

#: Okabe-Ito, safe for the common forms of colour blindness.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
LOCAL_COLOURS = {"Local": "#0072B2", "Not local": "#E69F00", "Unknown location": "#999999"}
LOCAL_STATUS = list(LOCAL_COLOURS)  # in the order local_by_category_data lists them
FONT = "DejaVu Sans, Arial, sans-serif"
#: Every bar's outline: 12.6:1 against the white page, so a bar in a light colour of the palette (orange is
#: 2.3:1, grey 2.8:1) still stands out at the 3:1 WCAG 2.1 asks of the parts of a chart (1.4.11).
OUTLINE = "#333333"
#: Outline patterns, solid first: where colour tells categories apart, the bars' outline (or the line's
#: stroke) does too, so a chart reads in grey or to a colour-blind reader (WCAG 1.4.1), as the gaps chart's
#: dashed 80 line always did; the legend shows each pattern beside its colour.
DASHES = [[1, 0], [6, 3], [2, 2], [8, 3, 2, 3], [1, 4]]
#: a dashed bar outline's width, px (1 px dashes are hard to see)
DASH_WIDTH = 2
#: the pattern of local, not local and unknown location wherever they show (the what-if's parts too)
LOCAL_DASHES = dict(zip(LOCAL_COLOURS, DASHES))


@alt.theme.register("anchorlib", enable=True)
def anchorlib_theme() -> alt.theme.ThemeConfig:
    """Large, plain type that reads when projected on a wall; colour-blind-safe categories."""
    return alt.theme.ThemeConfig(
        {
            "config": {
                "font": FONT,
                "view": {"continuousWidth": 560, "continuousHeight": 320, "stroke": None},
                "title": {
                    "fontSize": 18,
                    "anchor": "start",
                    "fontWeight": "bold",
                    "subtitleFontSize": 13,
                    "subtitleColor": "#444",
                },
                "axis": {"labelFontSize": 13, "titleFontSize": 14, "gridColor": "#e6e6e6", "labelLimit": 360},
                "legend": {"labelFontSize": 13, "titleFontSize": 13, "orient": "bottom"},
                "range": {"category": PALETTE},
                "bar": {"stroke": OUTLINE, "strokeWidth": 1},
                # no "bar.cornerRadiusEnd": on stacked bars Vega clips each stack with a clipPath whose id
                # ("clip1", ...) repeats in every chart, so two charts on one page clip each other's bars
            }
        }
    )


def use_static(fmt: str = "svg") -> None:
    """Render charts as static SVG (or PNG) via vl-convert: works in nbconvert HTML with no network. An SVG
    carries the chart's ARIA role and ``description``, as the apps' Vega views do (``described_svg``)."""
    alt.renderers.enable(fmt)
    if fmt == "svg":
        plain = alt.renderers.get()
        alt.renderers.register("anchorlib_svg", lambda spec, **meta: described_svg(plain(spec, **meta), spec))
        alt.renderers.enable("anchorlib_svg")


def described_svg(bundle: dict, spec: dict) -> dict:
    """``bundle`` (a renderer's mimebundle) with its SVG's root element given the role and the ARIA label a
    Vega view gives its chart in a browser: vl-convert's SVG has neither, so a report's chart was a nameless
    image to a screen reader (axe: svg-img-alt)."""
    svg, description = bundle.get("image/svg+xml"), spec.get("description")
    if isinstance(svg, str) and description and svg.startswith("<svg "):
        label = html.escape(" ".join(str(description).split()), quote=True)
        aria = f'role="graphics-document" aria-roledescription="visualization" aria-label="{label}" '
        bundle = {**bundle, "image/svg+xml": "<svg " + aria + svg.removeprefix("<svg ")}
    return bundle


def use_interactive() -> None:
    """Render as offline JupyterCharts (anywidget): live in JupyterLab and Voila, no CDN."""
    alt.JupyterChart.enable_offline()
    _ = alt.renderers.enable("jupyter", offline=True)


def dashes(field: str, domain: list, title: str | None = None, legend: alt.Legend | None = None, **kw):
    """A strokeDash channel for ``field`` that repeats its colour channel's categories (``domain``, in the
    same order as the colours) as outline patterns (``DASHES``); give it the colour channel's ``title`` and
    ``legend`` so Vega-Lite draws one legend showing both."""
    return alt.StrokeDash(
        field,
        title=title,
        legend=legend if legend is not None else alt.Undefined,
        scale=alt.Scale(domain=list(domain), range=DASHES[: len(domain)]),
        **kw,
    )


#: Sort a channel by the ``rank`` column ``ranked`` adds: the order travels in the data, not in the spec,
#: so the apps' charts keep one spec while their data changes (apps/app_chart.py)
BY_RANK = alt.EncodingSortField("rank", op="min", order="ascending")


FRAME = "_al_frame"  # the attribute (outside Altair's schema) naming the frame a chart was made on


def on_frame(
    frame: alt.TopLevelMixin, data: pd.DataFrame, title: str, subtitle: str | None, description: str
) -> alt.TopLevelMixin:
    """A chart that is ``frame`` (built once, with no top-level data, title or description) with this
    ``data``, title, subtitle and ARIA ``description``: a copy sharing the frame's parts. Only the
    top-level properties, which Altair keeps in ``_kwds``, are copied: Altair's ``copy(deep=False)``
    would build a compound chart again, deep-copying every part. The chart names its frame (``FRAME``),
    so the apps' chart widget reuses the frame's Vega-Lite and converts only the rows
    (apps/app_chart.chart_parts)."""
    chart = copy.copy(frame)
    object.__setattr__(chart, "_kwds", dict(frame._kwds))  # Altair's __setattr__ would store it in _kwds
    chart.data = data
    chart.title = alt.Title(title, subtitle=subtitle if subtitle else alt.Undefined)
    chart.description = description
    object.__setattr__(chart, FRAME, frame)  # an instance attribute: not in the chart's Vega-Lite
    return chart


def ranked(df: pd.DataFrame, column: str, order: list) -> pd.DataFrame:
    """``df`` with ``rank``: the position of each row's ``column`` value in ``order`` (for ``BY_RANK``)."""
    return df.assign(rank=df[column].map({v: i for i, v in enumerate(order)}))
