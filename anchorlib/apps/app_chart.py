"""The apps' chart widget: an Altair chart drawn offline by Vega, updated in place.

``AppChart(chart)`` is an anywidget whose browser side is ``anchorlib/static/app_chart.js``. Setting
``.chart`` to a new Altair chart does the least the browser needs:

- the chart's Vega-Lite (``to_dict(validate=False)`` with ``app_values``: no schema validation and no
  Altair data sanitising on each update, the costliest part of it in the kernel; the builders' specs
  are validated by the tests) is split into its *shape* (everything but the datasets' rows, the
  top-level title and subtitle text and the description) and those parts;
- a new shape is compiled to Vega by vl-convert (the Vega-Lite version of the offline bundle; compiled
  shapes are kept, in the kernel and on disk for the next kernels (``compiled``), so a shape seen before
  costs nothing) with the title text as Vega signals, and sent as ``spec``: the browser builds a new view;
- the same shape sends only ``updates``: the rows of each dataset that changed, the title signals'
  values and the ARIA description; the browser replaces those in the live view, with no new view and
  no recompile.

Datasets are renamed ``al_data_<i>`` (Altair names them by a hash of their rows) so that one shape
has one compiled spec. The apps' charts have no params or selections.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass

import altair as alt
import anywidget
import pandas as pd
import traitlets

from anchorlib.apps.memo import Memo
from anchorlib.charts import base as charts

TITLE_SIGNALS = {"text": "al_title", "subtitle": "al_subtitle"}
DESCRIPTION = "al_description"  # the ARIA description (Vega's view.description), updated like a title
_PLACEHOLDER = "\u241f{}\u241f"  # stands for a title text or the description in a shape


def app_values(data) -> dict:
    """Altair data transformer for the apps' small frames: the max-rows guard (``alt.limit_rows``), then
    records of Python values with missing values as null, straight from the columns without the
    copy and conversion of the whole frame that Altair's ``sanitize_pandas_dataframe`` makes first;
    frames with date columns go through Altair's own."""
    if isinstance(data, pd.DataFrame) and not any(
        pd.api.types.is_datetime64_any_dtype(t) for t in data.dtypes
    ):
        alt.limit_rows(data)  # raises MaxRowsError past 5,000 rows
        names = [str(c) for c in data.columns]
        columns = [data[c].to_numpy(dtype=object, na_value=None) for c in data.columns]
        return {"values": [dict(zip(names, row)) for row in zip(*columns)]}
    return alt.to_values(alt.limit_rows(data))


alt.data_transformers.register("anchorlib_app", app_values)


def vega_spec(vega_lite: dict) -> dict:
    """A Vega-Lite spec compiled to Vega by vl-convert, with the Vega-Lite version of the offline bundle
    (so the browser runs the Vega it was compiled for)."""
    import vl_convert
    from altair.utils._importers import vl_version_for_vl_convert

    return vl_convert.vegalite_to_vega(vega_lite, vl_version=vl_version_for_vl_convert())


@dataclass(frozen=True)
class ChartParts:
    """An Altair chart split for AppChart: ``shape`` (JSON text of its Vega-Lite without the datasets' rows
    and with placeholders for the title text and the ARIA description), ``datasets`` (al_data_<i> -> rows),
    ``titles`` (signal -> text) and ``description``."""

    shape: str
    datasets: dict[str, list]
    titles: dict[str, str]
    description: str | None = None


_FRAMES = Memo(
    32
)  # (id of a charts.on_frame frame, its title keys, described) -> (frame, parts, top dataset)


def chart_parts(chart: alt.TopLevelMixin) -> ChartParts:
    """The ``ChartParts`` of ``chart``. A chart made by ``charts.on_frame`` whose frame has been seen with
    the same title keys takes that shape and converts only its top-level rows (``app_values``): the
    frame's Vega-Lite is not built again."""
    frame = chart.__dict__.get(charts.FRAME)
    title = chart.title
    if frame is None or not isinstance(chart.data, pd.DataFrame) or not isinstance(title, alt.Title):
        return _parts(chart)[0]
    key = (id(frame), isinstance(title.subtitle, str), isinstance(chart.description, str))
    seen = _FRAMES.get(key, lambda: (frame, *_parts(chart)))
    if seen[0] is not frame or seen[2] is None:
        return _parts(chart)[0]
    parts, top = seen[1], seen[2]
    titles = {
        TITLE_SIGNALS["text"]: title.text,
        **({TITLE_SIGNALS["subtitle"]: title.subtitle} if key[1] else {}),
    }
    with alt.data_transformers.enable("anchorlib_app"):
        rows = app_values(chart.data)["values"]
    return ChartParts(
        parts.shape, {**parts.datasets, top: rows}, titles, chart.description if key[2] else None
    )


def _parts(chart: alt.TopLevelMixin) -> tuple[ChartParts, str | None]:
    """The ``ChartParts`` of ``chart`` from its Vega-Lite, and the name its top-level dataset has in them."""
    with alt.data_transformers.enable("anchorlib_app"):
        vl = chart.to_dict(validate=False)
    top = vl.get("data", {}).get("name") if isinstance(vl.get("data"), dict) else None
    rows = vl.pop("datasets", {})
    titles = {}
    title = vl.get("title")
    if isinstance(title, str):
        title = {"text": title}
    if isinstance(title, dict):
        title = dict(title)
        for key, signal in TITLE_SIGNALS.items():
            if isinstance(title.get(key), str):
                titles[signal] = title[key]
                title[key] = _PLACEHOLDER.format(signal)
        vl["title"] = title
    description = vl.get("description") if isinstance(vl.get("description"), str) else None
    if description is not None:
        vl["description"] = _PLACEHOLDER.format(DESCRIPTION)
    text = json.dumps(vl, sort_keys=True)
    datasets, renamed = {}, None
    for i, (name, values) in enumerate(rows.items()):
        new = f"al_data_{i}"
        text = text.replace(json.dumps(name), json.dumps(new))
        datasets[new] = values
        renamed = new if name == top else renamed
    return ChartParts(text, datasets, titles, description), renamed


def compiled(vega_lite: dict) -> dict:
    """``vega_spec(vega_lite)``, compiled once per machine: kept as JSON under ``chart_bundle.root()/vega``,
    named by a hash of the spec and the vl-convert and Vega-Lite versions. A new kernel then compiles only
    shapes no kernel compiled before: vl-convert starts a V8 engine for the first (0.5-0.9 s of CPU and
    about 60 MB in every kernel). Without a writable folder, each kernel compiles as before."""
    from importlib.metadata import version

    from altair.utils._importers import vl_version_for_vl_convert

    from anchorlib.apps import chart_bundle

    text = json.dumps(vega_lite, sort_keys=True)  # the version read without importing vl-convert (9 MB)
    key = f"{version('vl-convert-python')}\0{vl_version_for_vl_convert()}\0{text}"
    path = chart_bundle.root() / "vega" / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    vg = vega_spec(vega_lite)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(vg), encoding="utf-8")
        tmp.replace(path)  # whole or not at all: another kernel may read it at once
    except OSError:
        pass
    return vg


def compile_shape(parts: ChartParts) -> dict:
    """The Vega spec of a shape (its datasets empty, the title text as signals)."""
    vl = json.loads(parts.shape)
    if parts.datasets:
        vl["datasets"] = {name: [] for name in parts.datasets}
    vg = compiled(vl)
    title = vg.get("title")
    if isinstance(title, dict):
        for key, signal in TITLE_SIGNALS.items():
            if title.get(key) == _PLACEHOLDER.format(signal):
                title[key] = {"signal": signal}
        vg["signals"] = [*({"name": s, "value": ""} for s in parts.titles), *vg.get("signals", [])]
    return vg


def filled(template: dict, parts: ChartParts) -> dict:
    """``template`` (a compiled shape) with the rows and title text of ``parts``: the spec to embed."""
    data = [
        {**d, "values": parts.datasets[d["name"]]} if d.get("name") in parts.datasets else d
        for d in template.get("data", [])
    ]
    signals = [
        {**s, "value": parts.titles[s["name"]]} if s.get("name") in parts.titles else s
        for s in template.get("signals", [])
    ]
    described = {"description": parts.description} if parts.description is not None else {}
    return {**template, "data": data, **({"signals": signals} if signals else {}), **described}


class AppChart(anywidget.AnyWidget):
    """An offline Vega chart the apps update in place (module docstring). Its browser module, chosen when
    the first chart is made (``chart_bundle.module``): under Voila a small module that imports the served
    bundle, elsewhere the bundle."""

    _esm = None  # the browser module, set on first use
    _css = ".vega-embed {overflow: visible}"  # the action menu is not cut off
    chart = traitlets.Instance(alt.TopLevelMixin, allow_none=True)
    spec = traitlets.Dict(allow_none=True).tag(sync=True)
    updates = traitlets.List().tag(sync=True)
    embed_options = traitlets.Dict(None, allow_none=True).tag(sync=True)
    _compiled = Memo(64)  # shape -> compiled Vega, shared by every chart of the kernel

    def __init__(self, chart: alt.TopLevelMixin | None = None, **kw):
        if AppChart._esm is None:
            from anchorlib.apps import chart_bundle

            AppChart._esm = chart_bundle.module()
        self._parts = Memo(16)  # id(chart) -> (chart, parts); holding the chart keeps its id unique
        self._base: ChartParts | None = None  # the parts ``spec`` was filled with
        super().__init__(**kw)
        self.chart = chart

    @traitlets.observe("chart")
    def _on_change_chart(self, change):
        chart = change.new
        if chart is None:
            self._base = None
            self.spec = None
            return
        parts = self._parts.get(id(chart), lambda: (chart, chart_parts(chart)))[1]
        base = self._base
        if base is not None and parts.shape == base.shape:
            # the same shape: the rows and title text that differ from the spec's (the browser redraws
            # what changed)
            self.updates = [
                *({"data": n, "values": v} for n, v in parts.datasets.items() if v != base.datasets[n]),
                *({"signal": s, "value": t} for s, t in parts.titles.items() if t != base.titles[s]),
                *([{"description": parts.description}] if parts.description != base.description else []),
            ]
            return
        template = self._compiled.get(parts.shape, lambda: compile_shape(parts))
        with self.hold_sync():
            self.updates = []
            self.spec = filled(template, parts)
        self._base = parts
