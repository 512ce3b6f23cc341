"""The network overview (STYLE.md: model + view): all anchors side by side, pooled and mean local share.

Figures come from ``metrics.summary``; the view updates tiles and an offline JupyterChart in place.
"""

from __future__ import annotations

import html

import altair as alt
import ipywidgets as widgets
import traitlets

from .. import charts, charts_apps, metrics
from ..dataset import Dataset, open_dataset
from ..errors import AnchorlibError
from .data_picker import AppShell
from .common import STYLE, Guarded, money, pct, tiles_html
from .leakage import AREA_LABELS, area_options


class NetworkModel(traitlets.HasTraits):
    """Choice: the local area (home = each anchor's own home boroughs)."""

    area_id = traitlets.Unicode("home")

    def __init__(self, ds: Dataset, **kw):
        self.ds = ds
        self._cache: dict[str, dict] = {}
        super().__init__(**kw)

    def summary(self) -> dict:
        """``metrics.summary`` for the chosen area, cached per area."""
        if self.area_id not in self._cache:
            self._cache[self.area_id] = metrics.summary(self.ds, None, self.area_id)
        return self._cache[self.area_id]


class NetworkView(Guarded, widgets.VBox):
    def __init__(self, model: NetworkModel):
        self.model = m = model
        self.status = widgets.HTML().add_class("al-status")
        self.area = widgets.Dropdown(options=area_options(m.ds), value=m.area_id, description="Local area",
                                     style={"description_width": "initial"},
                                     layout=widgets.Layout(width="340px")).add_class("al-area")
        self.tiles = widgets.HTML()
        self.chart = alt.JupyterChart(self._chart())
        self.note = widgets.HTML("<p><small>Pooled local share = the network's local spend / its addressable spend "
                                 "with known location (ratio of sums). The mean of the anchors' shares is a different "
                                 "number; both are shown, labelled (DESIGN.md, Pooling). 'Home' uses each anchor's own "
                                 "home boroughs.</small></p>")
        self.area.observe(lambda c: self._guard(lambda: setattr(m, "area_id", c["new"])), "value")
        m.observe(lambda _: self._guard(self.refresh), "area_id")
        super().__init__([widgets.HTML(STYLE), self.area, self.status, self.tiles, self.chart, self.note],
                         layout=widgets.Layout(max_width="1340px"))
        self._guard(self.refresh)

    def _chart(self) -> alt.LayerChart:
        s = self.model.summary()
        n = s["network"]
        return charts_apps.network_chart(charts_apps.network_data(s), n["local_share"], n["mean_anchor_local_share"],
                                         "Local share by anchor", f"Area: {AREA_LABELS.get(self.model.area_id, self.model.area_id)}")

    def refresh(self):
        n = self.model.summary()["network"]
        self.tiles.value = tiles_html([
            ("anchors", "Anchors", str(len(self.model.summary()["anchors"])), "in this network"),
            ("total", "Total spend", money(n["total_spend"]), "all payments"),
            ("local", "Local spend", money(n["local_spend"]), "addressable, with local suppliers"),
            ("pooled", "Pooled local share", pct(n["local_share"]), "ratio of sums"),
            ("mean", "Mean of anchors' shares", pct(n["mean_anchor_local_share"]), "each anchor counts once"),
        ])
        self.chart.chart = self._chart()


def network(data_dir=None, area_id: str = "home") -> AppShell:
    """Open the dataset (``data_dir`` or a Dataset; None = the bundled sample) and build the overview
    (``.view``) with a picker for one's own data folder."""
    charts.use_interactive()
    return AppShell(lambda ds: _view(ds), _view(data_dir, area_id))


def _view(data_dir, area_id="home"):
    try:
        ds = data_dir if isinstance(data_dir, Dataset) else open_dataset(data_dir or None)
        return NetworkView(NetworkModel(ds, area_id=area_id))
    except (AnchorlibError, traitlets.TraitError, OSError) as err:
        return widgets.HTML(STYLE + f"<p class='al-status'>Could not open the data: {html.escape(str(err))}</p>")
