"""Pieces shared by the workshop apps: headline tiles, a status line, a guarded update."""

from __future__ import annotations

import html
import os
from collections.abc import Callable
from contextlib import contextmanager

import altair as alt
import ipywidgets as widgets
import pandas as pd
import traitlets

from anchorlib.apps.app_chart import AppChart
from anchorlib.apps.memo import Memo
from anchorlib.data.dataset import Dataset, open_dataset
from anchorlib.data.grants import GRANT_LOCATIONS, flow_key
from anchorlib.data.places import Area
from anchorlib.errors import AnchorlibError, ParameterError

#: A chart widget and how to make its chart for the current choices (``Guarded.show_charts``).
ChartMaker = tuple[AppChart, Callable[[], alt.TopLevelMixin]]

AREA_LABELS = {"home": "Home borough(s)", "city_hackney": "City & Hackney", "london": "London"}

STYLE = """<style>
.al-tiles {display: flex; gap: 10px; flex-wrap: wrap; margin: 4px 0 6px}
.al-tile {border: 1px solid #ccc; border-radius: 6px; padding: 6px 10px; min-width: 150px;
  background: #f7fafc}
.al-tile .al-label {font-size: 13px; color: #333}
.al-tile .al-value {font-size: 22px; font-weight: bold; color: #000}
.al-tile .al-note {font-size: 13px; color: #444}
.al-status {color: #B00020; font-weight: bold; font-size: 15px}
</style>"""


def tiles_html(tiles: list[tuple[str, str, str, str]]) -> str:
    """Tiles of (css key, label, value, note) as HTML; each value carries class ``al-<key>``."""
    return (
        "<div class='al-tiles'>"
        + "".join(
            f"<div class='al-tile'><div class='al-label'>{html.escape(label)}</div>"
            f"<div class='al-value al-{key}'>{html.escape(value)}</div>"
            f"<div class='al-note'>{html.escape(note)}</div></div>"
            for key, label, value, note in tiles
        )
        + "</div>"
    )


class Guarded:
    """Mixin for a view with a ``status`` HTML widget: run updates so failures become one plain line."""

    status: widgets.HTML
    _chart_memo: Memo  # (chart number, choice key) -> chart (``show_charts``)
    _warmed = False  # has a view of this kernel warmed (see ``warm``)?

    def _guard(self, fn) -> bool:
        try:
            fn()
        except (AnchorlibError, traitlets.TraitError, ValueError, KeyError) as err:
            self.status.value = f"<p>Could not update: {html.escape(' '.join(str(err).split()))}</p>"
            return False
        self.status.value = ""
        return True

    def link(
        self, widget: widgets.Widget, model: traitlets.HasTraits, name: str, convert=lambda v: v
    ) -> None:
        """Copy ``widget.value`` (through ``convert``) to ``model.<name>`` on change, guarded; not while
        the view itself resets widgets (``quiet``)."""

        def copy(change):
            if not getattr(self, "_quiet", False):
                self._guard(lambda: setattr(model, name, convert(change["new"])))

        widget.observe(copy, "value")

    def warm(self, model: traitlets.HasTraits, name: str, values) -> None:
        """In a kernel Voila preheats (it runs the notebook before anyone asks: ``VOILA_PREHEAT``), show each
        other choice in ``values`` of ``model.<name>`` once, then the first one again, so that the first
        change to one of them only sends what is already computed (``Memo``); the widgets end as they
        began. Only the kernel's first view warms (one opened later from the data picker does not: the
        kernel keeps VOILA_PREHEAT once a visitor has it). ``ANCHORLIB_APPS_WARM=0`` turns it off."""
        if (
            Guarded._warmed
            or os.environ.get("VOILA_PREHEAT") != "True"
            or os.environ.get("ANCHORLIB_APPS_WARM", "1") == "0"
        ):
            return
        Guarded._warmed = True
        first = getattr(model, name)
        for value in values:
            if value != first:
                self._guard(lambda v=value: setattr(model, name, v))
        self._guard(lambda: setattr(model, name, first))

    def show_charts(self, key: tuple, charts: list[ChartMaker]) -> None:
        """Give each AppChart its chart, made once per choice ``key`` (``self._chart_memo``), one after the
        other: a chart goes to the page as soon as it is made, so the browser draws it while the kernel
        makes the next one (together they arrived after the slowest)."""
        for i, (widget, make) in enumerate(charts):
            widget.chart = self._chart_memo.get((i, *key), make)

    @contextmanager
    def quiet(self):
        """Change widgets' options and values without copying them to the model."""
        self._quiet = True
        try:
            yield
        finally:
            self._quiet = False


class FlowChoice(traitlets.HasTraits):
    """The money an app's figures sum (``flow``: 'spend', the default; 'grant' or 'both' where the dataset
    ``ds`` has grants); ``fds`` is the dataset of that flow (``Dataset.with_flow``)."""

    flow = traitlets.Unicode("spend")
    ds: Dataset

    @traitlets.validate("flow")
    def _check_flow(self, proposal):
        return flow_key(proposal["value"])

    @property
    def fds(self) -> Dataset:
        """The dataset of the chosen flow (the dataset itself for spend)."""
        return self.ds.with_flow(self.flow)


class ChoiceModel(FlowChoice):
    """The choices every app shares: anchors (at least one, each known), a local area and the money
    (``FlowChoice``)."""

    anchor_ids = traitlets.List(traitlets.Unicode())
    area_id = traitlets.Unicode("home")

    def __init__(self, ds: Dataset, **kw):
        self.ds = ds
        self._areas = Memo(16)  # (anchors, area id) -> Area
        kw.setdefault("anchor_ids", ds.anchor_ids[:1])
        super().__init__(**kw)

    @traitlets.validate("anchor_ids")
    def _check_anchors(self, proposal):
        if not proposal["value"]:
            raise ParameterError("pick at least one organisation")
        for a in proposal["value"]:
            self.ds.anchor(a)
        return list(proposal["value"])

    def area(self) -> Area:
        """The chosen area; 'home' over several anchors is the union of their home boroughs (kept per choice,
        so the models' figures kept per area find it without building it again)."""
        return self._areas.get(
            (tuple(self.anchor_ids), self.area_id),
            lambda: chosen_area(self.ds, self.area_id, self.anchor_ids),
        )


def open_or_message(data_dir, make: Callable[[Dataset], widgets.Widget]) -> widgets.Widget:
    """``make(ds)`` on the dataset (``data_dir``, a Dataset, or None = $ANCHORLIB_DATA or the sample), or
    a plain one-line message when the data cannot be opened or the first choices are wrong."""
    try:
        ds = data_dir if isinstance(data_dir, Dataset) else open_dataset(data_dir or None)
        return make(ds)
    except (AnchorlibError, traitlets.TraitError, OSError) as err:
        return widgets.HTML(
            STYLE + f"<p class='al-status'>Could not open the data: {html.escape(str(err))}</p>"
        )


def area_options(ds: Dataset) -> list[tuple[str, str]]:
    """(label, area id) for the area dropdowns: home, City & Hackney, London, then areas.csv."""
    return [(label, a) for a, label in AREA_LABELS.items()] + [
        (str(v.name), k) for k, v in ds.areas.items() if k not in AREA_LABELS and k != "uk"
    ]


def chosen_area(ds: Dataset, area_id: str, anchor_ids: list[str]) -> Area:
    """The area of a dropdown choice; 'home' over several anchors is the union of their home boroughs."""
    if area_id in ("", "home"):
        lads = frozenset().union(*(ds.home_area(a).lads for a in anchor_ids))
        names = ", ".join(str(ds.anchor(a)["name"]) for a in anchor_ids)
        return Area("home", f"Home borough(s) of {names}", lads, names=ds.place_names)
    return ds.area(area_id)


def select_rows(frame, anchor_ids: list[str], years: list[str] | None = None):
    """Rows of a (rolled-up) payments frame for some anchors and, when given, financial years."""
    keep = frame["anchor_id"].isin(anchor_ids)
    if years is not None:
        keep &= frame["financial_year"].isin(years)
    out = frame[keep]
    out.attrs = dict(frame.attrs)  # the rule set and IMD vintage from metrics.select
    return out


def choice_notes(ds: Dataset, anchor_ids: list[str] | None, where: str, **extra) -> dict[str, object]:
    """The choices behind an app's figures, as a download's workbook lists them: the dataset, the
    organisations by name, where counts as local (``where``, by name and code), ``extra`` (e.g. the
    financial years) and the dataset's rule set and IMD vintage; for a dataset with grants, the flow
    (``ds`` a flow view: ``ChoiceModel.fds``) and what placed the grants."""
    names = dict(zip(ds.anchors["anchor_id"].astype(str), ds.anchors["name"].astype(str)))
    flows = {k.replace("_", " "): v for k, v in ds.choices.items() if k in ("flow", "grant_location")}
    return {
        "dataset": str(ds.root),
        **({"organisations": "; ".join(names.get(a, a) for a in anchor_ids)} if anchor_ids else {}),
        "local area": where,
        **{k.replace("_", " "): v for k, v in extra.items()},
        **flows,
        "addressable rule set": ds.ruleset.name,
        "IMD vintage": ds.geography.imd_vintage,
        "definitions": "docs/methodology.md",
    }


#: The flow picker's choices (``flow_picker``), as every app names them.
FLOW_OPTIONS = [("Spend", "spend"), ("Grants", "grant"), ("Spend and grants", "both")]


def flow_picker(ds: Dataset, value: str = "spend", width: str = "320px") -> widgets.Dropdown:
    """The 'Money' dropdown (spend, grants, or both), shown only where the dataset has grants."""
    return widgets.Dropdown(
        options=FLOW_OPTIONS,
        value=flow_key(value),
        description="Money",
        style={"description_width": "initial"},
        layout=widgets.Layout(width=width, display="" if ds.has_grants else "none"),
    ).add_class("al-flow")


def flow_words(ds: Dataset) -> str:
    """What a footnote says of the money a flow view sums: '' for spend alone in a dataset without
    grants."""
    if not ds.has_grants and ds.flow == "spend":
        return ""
    what = {
        "spend": "spend files only",
        "grant": "360Giving grants only",
        "both": "spend and 360Giving grants",
    }
    text = f" Money: {what[ds.flow]}"
    if ds.flow != "spend":
        text += f"; grants placed by {html.escape(GRANT_LOCATIONS[ds.grant_location])}"
        text += (
            "; grants in other currencies are not in these figures; grants to individuals are counted, "
            "never named"
        )
    return text + "."


def anchor_picker(ds: Dataset, value: list[str], width: str = "520px") -> widgets.SelectMultiple:
    """The 'Organisation(s)' multi-select every app shows (names, anchor ids as values)."""
    names = dict(zip(ds.anchors["anchor_id"], ds.anchors["name"]))
    return widgets.SelectMultiple(
        options=[(names[a], a) for a in ds.anchor_ids],
        value=value,
        description="Organisation(s)",
        rows=min(4, len(ds.anchor_ids)),
        style={"description_width": "initial"},
        layout=widgets.Layout(width=width),
    ).add_class("al-anchors")


def area_picker(
    ds: Dataset, value: str, options=None, description: str = "Local area", width: str = "320px"
) -> widgets.Dropdown:
    return widgets.Dropdown(
        options=options or area_options(ds),
        value=value,
        description=description,
        style={"description_width": "initial"},
        layout=widgets.Layout(width=width),
    ).add_class("al-area")


def placeholder() -> alt.Chart:
    """The empty chart a view starts with; its first ``refresh`` draws the real ones (when the first
    choices fail, the placeholder stays and the status line says why)."""
    return alt.Chart(pd.DataFrame({"x": []}), description="Chart loading").mark_point()
