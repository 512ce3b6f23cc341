"""The leakage explorer (STYLE.md: model + view): where an anchor's money goes, local or not.

``LeakageModel`` holds the choices and calls ``metrics`` (never reimplementing them); ``LeakageView``
updates its tiles and offline JupyterCharts in place.
"""

from __future__ import annotations

import html

import altair as alt
import ipywidgets as widgets
import pandas as pd
import traitlets

from .. import charts, charts_apps, metrics
from ..dataset import Dataset, open_dataset
from ..errors import AnchorlibError, ParameterError
from ..places import Area
from .data_picker import AppShell
from .common import STYLE, Guarded, money, pct, tiles_html

AREA_LABELS = {"home": "Home borough(s)", "city_hackney": "City & Hackney", "london": "London"}


def area_options(ds: Dataset) -> list[tuple[str, str]]:
    """(label, area id) for the area dropdowns: home, City & Hackney, London, then areas.csv."""
    return ([(label, a) for a, label in AREA_LABELS.items()]
            + [(str(v.name), k) for k, v in ds.areas.items() if k not in AREA_LABELS and k != "uk"])


class LeakageModel(traitlets.HasTraits):
    """Choices: anchors, area, financial years, addressable only or all spend."""

    anchor_ids = traitlets.List(traitlets.Unicode())
    area_id = traitlets.Unicode("home")
    years = traitlets.List(traitlets.Unicode())
    addressable_only = traitlets.Bool(True)

    def __init__(self, ds: Dataset, **kw):
        self.ds = ds
        self.all_years = sorted(ds.payments["financial_year"].dropna().astype(str).unique().tolist())
        kw.setdefault("anchor_ids", ds.anchor_ids[:1])
        kw.setdefault("years", self.all_years)
        super().__init__(**kw)

    @traitlets.validate("anchor_ids")
    def _check_anchors(self, proposal):
        if not proposal["value"]:
            raise ParameterError("pick at least one organisation")
        for a in proposal["value"]:
            self.ds.anchor(a)
        return list(proposal["value"])

    @traitlets.validate("years")
    def _check_years(self, proposal):
        if not proposal["value"]:
            raise ParameterError("pick at least one financial year")
        return list(proposal["value"])

    def area(self) -> Area:
        """The chosen area; 'home' over several anchors is the union of their home boroughs."""
        if self.area_id in ("", "home"):
            lads = frozenset().union(*(self.ds.home_area(a).lads for a in self.anchor_ids))
            names = ", ".join(str(self.ds.anchor(a)["name"]) for a in self.anchor_ids)
            return Area("home", f"Home borough(s) of {names}", lads)
        return self.ds.area(self.area_id)

    def payments(self) -> pd.DataFrame:
        """The chosen payments; the last selection is kept, so an area change does not select again."""
        key = (tuple(self.anchor_ids), tuple(self.years), self.addressable_only)
        if getattr(self, "_key", None) != key:
            p = metrics.select(self.ds, self.anchor_ids, self.years)
            self._payments, self._key = (p if self.addressable_only else p.assign(addressable=True)), key
        return self._payments

    def scope(self) -> str:
        return "addressable spend" if self.addressable_only else "all spend"

    def headline(self) -> metrics.LocalShare:
        return metrics.local_share(self.payments(), self.area(), self.ds.ruleset.name)

    def trend(self) -> pd.DataFrame:
        p, area = self.payments(), self.area()
        rows = []
        for year, py in p.groupby("financial_year", observed=True):
            ls = metrics.local_share(py, area, self.ds.ruleset.name)
            rows.append({"financial_year": str(year), "local_share": ls.local_share, "local_spend": ls.local_spend,
                         "leakage": ls.leakage})
        return pd.DataFrame(rows, columns=["financial_year", "local_share", "local_spend", "leakage"])

    def by_category(self) -> pd.DataFrame:
        p = self.payments()
        return charts.local_by_category_data(p, metrics.is_local(p, self.area()))


class LeakageView(Guarded, widgets.VBox):
    """Controls, headline tiles, trend and category charts; all updated in place."""

    def __init__(self, model: LeakageModel):
        self.model = m = model
        ds = m.ds
        self.status = widgets.HTML().add_class("al-status")
        names = dict(zip(ds.anchors["anchor_id"], ds.anchors["name"]))
        wide = {"description_width": "initial"}
        self.anchors = widgets.SelectMultiple(options=[(names[a], a) for a in ds.anchor_ids], value=m.anchor_ids,
                                              description="Organisation(s)", rows=min(4, len(ds.anchor_ids)),
                                              style=wide, layout=widgets.Layout(width="520px")).add_class("al-anchors")
        self.area = widgets.Dropdown(options=area_options(ds), value=m.area_id, description="Local area", style=wide,
                                     layout=widgets.Layout(width="320px")).add_class("al-area")
        self.years = widgets.SelectMultiple(options=m.all_years, value=m.years, description="Financial years",
                                            rows=min(4, len(m.all_years)), style=wide,
                                            layout=widgets.Layout(width="260px")).add_class("al-years")
        self.scope = widgets.ToggleButtons(options=[("Addressable only", True), ("All spend", False)],
                                           value=m.addressable_only, description="Spend").add_class("al-scope")
        self.tiles = widgets.HTML().add_class("al-tiles-box")
        self.trend, self.categories = (alt.JupyterChart(c) for c in self._safe_charts())
        self.note = widgets.HTML()
        for w, name in ((self.anchors, "anchor_ids"), (self.years, "years")):
            w.observe(lambda c, n=name: self._guard(lambda: setattr(m, n, list(c["new"]))), "value")
        self.area.observe(lambda c: self._guard(lambda: setattr(m, "area_id", c["new"])), "value")
        self.scope.observe(lambda c: self._guard(lambda: setattr(m, "addressable_only", c["new"])), "value")
        m.observe(lambda _: self._guard(self.refresh), ["anchor_ids", "area_id", "years", "addressable_only"])
        controls = widgets.HBox([widgets.VBox([self.anchors, self.area]), widgets.VBox([self.years, self.scope])])
        super().__init__([widgets.HTML(STYLE), controls, self.status, self.tiles,
                          widgets.HBox([self.trend, self.categories]), self.note],
                         layout=widgets.Layout(max_width="1340px"))
        self._guard(self.refresh)

    def _safe_charts(self) -> tuple[alt.Chart, alt.Chart]:
        """The first charts; placeholders when the first choices fail (the status says why)."""
        try:
            return self._charts()
        except (AnchorlibError, ValueError, KeyError):
            empty = alt.Chart(pd.DataFrame({"x": []}), description="No data").mark_point()
            return empty, empty

    def _charts(self) -> tuple[alt.JupyterChart, alt.JupyterChart]:
        m = self.model
        sub = f"{m.area().describe()}; {m.scope()}"
        return (charts_apps.trend_chart(m.trend(), "Local share by year", sub),
                charts.local_by_category_chart(m.by_category(), "Local vs not local by category", sub)
                .properties(width=430, height=alt.Step(19)).configure_legend(orient="top"))

    def refresh(self):
        m = self.model
        ls = m.headline()
        self.tiles.value = tiles_html([
            ("total", f"Total ({m.scope()})", money(ls.addressable_spend), f"all payments {money(ls.total_spend)}"),
            ("local", "Local spend", money(ls.local_spend), f"local share {pct(ls.local_share)}"),
            ("share", "Local share", pct(ls.local_share), "of spend with known location"),
            ("leakage", "Leakage", money(ls.leakage), "spend not with local suppliers"),
            ("unknown", "Unknown location", money(ls.unknown_location_spend), "not counted as local"),
            ("hq", "Local share without HQ-only", pct(ls.local_share_excluding_hq_only),
             f"local {money(ls.local_spend_excluding_hq_only)}"),
        ])
        self.trend.chart, self.categories.chart = self._charts()
        self.note.value = (f"<p><small>Local share = local spend / spend with known location (DESIGN.md). "
                           f"Rule set: {html.escape(ls.choices.get('addressable_rule_set', ''))}. Head-office effect: "
                           "suppliers marked hq_only invoice from a local office but may work elsewhere.</small></p>")


def leakage(data_dir=None, anchor_ids: list[str] | None = None, area_id: str = "home",
            years: list[str] | None = None, addressable_only: bool = True) -> AppShell:
    """Open the dataset (``data_dir`` or a Dataset; None = the bundled sample) and build the explorer
    (``.view``) with a picker for one's own data folder. Problems show as a plain message."""
    charts.use_interactive()
    return AppShell(lambda ds: _view(ds), _view(data_dir, anchor_ids, area_id, years, addressable_only))


def _view(data_dir, anchor_ids=None, area_id="home", years=None, addressable_only=True):
    try:
        ds = data_dir if isinstance(data_dir, Dataset) else open_dataset(data_dir or None)
        kw = {"area_id": area_id, "addressable_only": addressable_only}
        if anchor_ids:
            kw["anchor_ids"] = list(anchor_ids)
        if years:
            kw["years"] = list(years)
        return LeakageView(LeakageModel(ds, **kw))
    except (AnchorlibError, traitlets.TraitError, OSError) as err:
        return widgets.HTML(STYLE + f"<p class='al-status'>Could not open the data: {html.escape(str(err))}</p>")
