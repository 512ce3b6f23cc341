"""The network overview (a model and a view): all anchors side by side, pooled and mean local share.

Figures come from ``metrics.summary``; the view updates tiles and an offline chart (AppChart) in place.
"""

from __future__ import annotations

import altair as alt
import ipywidgets as widgets
import pandas as pd
import traitlets

from anchorlib import metrics
from anchorlib.apps.common import (
    AREA_LABELS,
    STYLE,
    AppChart,
    FlowChoice,
    Guarded,
    Memo,
    area_options,
    area_picker,
    choice_notes,
    flow_picker,
    flow_words,
    tiles_html,
)
from anchorlib.apps.data_picker import AppShell, app_shell
from anchorlib.apps.download import Download, Table
from anchorlib.charts import network as network_charts
from anchorlib.data.dataset import Dataset
from anchorlib.data.grants import flow_label
from anchorlib.export import Sheet
from anchorlib.formatting import money, number, pct
from anchorlib.metrics import pooling


class NetworkModel(FlowChoice):
    """Choices: the local area (home = each anchor's own home boroughs) and the money (``FlowChoice``)."""

    area_id = traitlets.Unicode("home")

    def __init__(self, ds: Dataset, **kw):
        # the metrics below sum the dataset's rollups (Dataset.rollup): same sums, far fewer rows
        self.ds = ds
        self._cache = Memo()
        super().__init__(**kw)

    def shared(self) -> pd.DataFrame:
        """``metrics.shared_suppliers``: suppliers paid by 2+ anchors (all years; independent of the area)."""
        return self._cache.get(("shared", self.flow), lambda: metrics.shared_suppliers(self.fds))

    def summary(self) -> dict:
        """For the chosen area, ``metrics.summary``'s shape with only what the view shows: ``anchors`` (name
        and ``metrics.local_share`` of each) and ``network`` (``metrics.network``); cached per area."""

        def compute():
            ds, area_id = self.fds, self.area_id
            shares = pooling.anchor_shares(ds, None, area_id)
            rows = [
                {"anchor_id": a, "name": str(ds.anchor(a)["name"]), **share.to_dict()}
                for a, share in shares.items()
            ]
            return {"anchors": rows, "network": pooling.network_of(shares, area_id, ds.ruleset.name)}

        return self._cache.get(("summary", self.area_id, self.flow), compute)


def download_tables(m: NetworkModel) -> dict[str, Table]:
    """The table behind each of the overview's charts for the area now, for its downloads: each anchor's
    local share with the network's pooled and mean shares (the chart's dashed lines); the suppliers shared
    by two or more anchors (the chart draws the largest), each placed by name and code."""
    s = m.summary()
    n = s["network"]
    ds = m.ds
    where = "each anchor's own home borough(s)" if m.area_id == "home" else ds.area(m.area_id).describe()
    choices = choice_notes(m.fds, None, where, pooling=n["choices"].get("pooling", ""))
    rows = [
        [r["name"], r["local_share"], r["local_spend"], r["addressable_spend"], r["unknown_location_spend"]]
        for r in s["anchors"]
    ]
    rows.append(
        [
            network_charts.POOLED,
            n["local_share"],
            n["local_spend"],
            n["addressable_spend"],
            n["unknown_location_spend"],
        ]
    )
    rows.append([network_charts.MEAN, n["mean_anchor_local_share"], None, None, None])
    anchors = Sheet(
        "local share by anchor",
        ["Anchor", "Local share", "Local spend (£)", "Addressable spend (£)", "Unknown location (£)"],
        ["text", "pct", "money", "money", "money"],
        rows,
        "Local share by anchor, with the network's pooled share and the mean of the anchors' shares",
    )
    names = dict(zip(ds.anchors["anchor_id"].astype(str), ds.anchors["name"].astype(str)))
    sh = m.shared()
    shared = pd.DataFrame(
        {
            "Supplier": sh["supplier"].astype(str),
            "Anchors paying": sh["n_anchors"],
            "Paid by": network_charts.paid_by(sh["anchors"], names, "; "),
            "Combined spend (£)": sh["combined_spend"],
            "Located in": ds.place_names.shown(sh["lad"]),
            "LAD code": sh["lad"],
        }
    )
    return {
        "anchors": Table(anchors, choices, ["network", "local-share-by-anchor", m.area_id]),
        "shared": Table(
            Sheet.from_frame(
                "shared suppliers",
                shared,
                {"Anchors paying": "count", "Combined spend (£)": "money"},
                "Suppliers paid by two or more anchors, all years (the chart draws the largest)",
            ),
            {k: v for k, v in choices.items() if k != "local area"} | {"spend": "addressable, all years"},
            ["network", "shared-suppliers"],
        ),
    }


class NetworkView(Guarded, widgets.VBox):
    def __init__(self, model: NetworkModel):
        self.model = m = model
        self.status = widgets.HTML().add_class("al-status")
        self.area = area_picker(m.ds, m.area_id, width="340px")
        self.flow = flow_picker(m.ds, m.flow, "340px")
        self.tiles = widgets.HTML()
        self._chart_memo = Memo(16)
        self.chart = AppChart(self._chart_memo.get((m.area_id, m.flow), self._chart))
        self.downloads = {
            key: Download(label, lambda key=key: download_tables(m)[key]).add_class(f"al-download-{key}")
            for key, label in (
                ("anchors", "this table (local share by anchor)"),
                ("shared", "the shared suppliers"),
            )
        }
        self.shared_tiles = widgets.HTML()
        self.shared_chart = AppChart(self._shared_chart())
        self._show_shared()
        self.shared_chart.add_class("al-shared-chart")
        self._shown_flow = m.flow
        self._note = (
            "<p><small>Pooled local share = the network's local spend / its addressable spend "
            "with known location (ratio of sums). The mean of the anchors' shares is a different "
            "number; both are shown, labelled (docs/methodology.md, Pooling). 'Home' uses each anchor's "
            "own home boroughs."
        )
        self.note = widgets.HTML(self._note + flow_words(m.fds) + "</small></p>")
        self.link(self.area, m, "area_id")
        self.link(self.flow, m, "flow")
        m.observe(lambda _: self._guard(self.refresh), ["area_id", "flow"])
        super().__init__(
            [
                widgets.HTML(STYLE),
                widgets.HBox([self.area, self.flow]),
                self.status,
                self.tiles,
                self.chart,
                self.downloads["anchors"],
                self.note,
                self.shared_tiles,
                self.shared_chart,
                self.downloads["shared"],
            ],
            layout=widgets.Layout(max_width="1340px"),
        )
        self._guard(self.refresh)
        self.warm(m, "area_id", [a for _, a in area_options(m.ds)])

    def _shared_chart(self) -> alt.Chart:
        m = self.model
        names = dict(zip(m.ds.anchors["anchor_id"], m.ds.anchors["name"]))
        shared = m.shared()
        what = {"spend": "suppliers paid", "grant": "recipients funded", "both": "suppliers paid or funded"}
        return network_charts.shared_suppliers_chart(
            shared.assign(location=m.ds.place_names.labels(shared["lad"])),
            names,
            "Largest shared suppliers" if m.flow == "spend" else "Largest shared suppliers and recipients",
            f"{what[m.flow]} by two or more anchors; all years",
        )

    def _show_shared(self) -> None:
        shared = self.model.shared()
        self.shared_tiles.value = tiles_html(
            [
                ("shared", "Shared suppliers", number(len(shared)), "paid by 2 or more anchors"),
                (
                    "shared-spend",
                    "Their combined spend",
                    money(float(shared["combined_spend"].sum())),
                    "addressable, all years"
                    + ("" if self.model.flow == "spend" else f" ({flow_label(self.model.flow)})"),
                ),
            ]
        )

    def _chart(self) -> alt.LayerChart:
        s = self.model.summary()
        n = s["network"]
        return network_charts.network_chart(
            network_charts.network_data(s),
            n["local_share"],
            n["mean_anchor_local_share"],
            "Local share by anchor",
            f"Area: {AREA_LABELS.get(self.model.area_id, self.model.area_id)}",
        )

    def refresh(self):
        n = self.model.summary()["network"]
        self.tiles.value = tiles_html(
            [
                ("anchors", "Anchors", str(len(self.model.summary()["anchors"])), "in this network"),
                ("total", "Total spend", money(n["total_spend"]), "all payments"),
                ("local", "Local spend", money(n["local_spend"]), "addressable, with local suppliers"),
                (
                    "pooled",
                    "Pooled local share",
                    pct(n["local_share"]),
                    "ratio of sums" if n["local_share"] is not None else "no supplier location known",
                ),
                (
                    "mean",
                    "Mean of anchors' shares",
                    pct(n["mean_anchor_local_share"]),
                    "each anchor counts once",
                ),
            ]
        )
        self.chart.chart = self._chart_memo.get((self.model.area_id, self.model.flow), self._chart)
        if self._shown_flow != self.model.flow:  # the shared suppliers do not depend on the area
            self._shown_flow = self.model.flow
            self.shared_chart.chart = self._shared_chart()
            self._show_shared()
        self.note.value = self._note + flow_words(self.model.fds) + "</small></p>"


def network(data_dir=None, area_id: str = "home", flow: str = "spend") -> AppShell:
    """Open the dataset (``data_dir`` or a Dataset; None = the bundled sample) and build the overview
    (``.view``) with a picker for one's own data folder; the figures of ``flow`` (spend, grant or both)."""
    return app_shell(
        data_dir,
        lambda d, **choices: NetworkView(NetworkModel(d, **choices)),
        area_id=area_id,
        flow=flow or "spend",
    )
