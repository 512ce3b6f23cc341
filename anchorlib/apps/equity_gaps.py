"""The equity gaps app (a model and a view): does the spend reach SMEs, VCSEs, BAME-led, women-led and
youth-led suppliers, and suppliers in the most deprived neighbourhoods, as often as they exist?

``EquityModel`` holds the choices and calls ``metrics.equity`` and ``metrics.imd_distribution``
(docs/methodology.md, Utilisation, availability and disparity: below 80 is a substantial disparity);
``EquityView`` updates tiles and offline charts (AppChart) in place.
"""

from __future__ import annotations

import html

import ipywidgets as widgets
import pandas as pd
import traitlets

from anchorlib import metrics
from anchorlib.apps.common import (
    STYLE,
    AppChart,
    ChartMaker,
    ChoiceModel,
    Guarded,
    Memo,
    anchor_picker,
    area_options,
    area_picker,
    choice_notes,
    flow_picker,
    flow_words,
    placeholder,
    select_rows,
    tiles_html,
)
from anchorlib.apps.data_picker import AppShell, app_shell
from anchorlib.apps.download import Download, Table
from anchorlib.charts import equity as charts_equity
from anchorlib.data.dataset import Dataset
from anchorlib.data.rollup import GROUP_COLUMNS, SHARE_COLUMNS, SUPPLIER_COLUMNS, selected_rollup
from anchorlib.errors import ParameterError
from anchorlib.export import Sheet
from anchorlib.formatting import disparity, pct

ANYWHERE = "anywhere"


class EquityModel(ChoiceModel):
    """Choices: anchors, where suppliers are located (anywhere, or in an area), and the group whose
    gaps are shown by category."""

    area_id = traitlets.Unicode(ANYWHERE)
    group = traitlets.Unicode("sme")
    pool_name = traitlets.Unicode("register")  # the availability pool: register or population

    def __init__(self, ds: Dataset, **kw):
        self._memo = Memo()
        super().__init__(ds, **kw)

    @property
    def base(self) -> pd.DataFrame:
        """The chosen flow's payments rolled up once, by anchor, to what equity and the IMD deciles read (the
        groups' flags and IMD decile are the supplier's; anchorlib/data/rollup.py): a choice of anchors is
        a selection of its rows."""
        columns = ["anchor_id", *SHARE_COLUMNS, *SUPPLIER_COLUMNS, "category", *GROUP_COLUMNS]
        return self._memo.get(("base", self.flow), lambda: selected_rollup(self.fds, columns, resolved=True))

    @traitlets.validate("group")
    def _check_group(self, proposal):
        if proposal["value"] not in metrics.GROUP_LABELS:
            raise ParameterError(
                f"unknown group '{proposal['value']}'; choose one of {', '.join(metrics.GROUP_LABELS)}"
            )
        return proposal["value"]

    def scope(self) -> str:
        return "suppliers anywhere" if self.area_id == ANYWHERE else f"suppliers in {self.area().name}"

    def payments(self) -> pd.DataFrame:
        """The chosen anchors' payments, only those to suppliers located in the area when one is chosen."""

        def rows():
            p = self._selection()
            return p if self.area_id == ANYWHERE else p[metrics.is_local(p, self.area()).to_numpy()]

        return self._cached("payments", rows)

    def _selection(self) -> pd.DataFrame:
        """The chosen anchors' rows of the rollup."""
        return self._memo.get(
            ("selection", self.flow, tuple(self.anchor_ids)), lambda: select_rows(self.base, self.anchor_ids)
        )

    @traitlets.validate("pool_name")
    def _check_pool(self, proposal):
        metrics.pool_frame(self.ds, proposal["value"])  # one line for an unknown pool or a missing population
        return proposal["value"]

    def pool(self) -> pd.DataFrame | str | None:
        """The availability pool: None for the whole register, or its suppliers located in the chosen area
        (so utilisation and availability count the same place); the local business population, or its
        businesses in the area, when ``pool_name`` is 'population'."""
        if self.pool_name == "population":
            area = None if self.area_id == ANYWHERE else self.area()
            return self._cached("pool", lambda: metrics.pool_frame(self.ds, "population", area))
        if self.area_id == ANYWHERE:
            return None
        return self._cached(
            "pool", lambda: self.ds.suppliers[metrics.is_local(self.ds.suppliers, self.area()).to_numpy()]
        )

    def pool_label(self) -> str:
        """The availability pool in words, as the footnote and the downloads' choices name it."""
        if self.pool_name == "population":
            return "the local business population (population.csv)" + (
                "" if self.area_id == ANYWHERE else " located in the same area"
            )
        return (
            "the whole supplier register"
            if self.area_id == ANYWHERE
            else "register suppliers in the same area"
        )

    def _cached(self, what: str, fn):
        return self._memo.get((what, self.flow, tuple(self.anchor_ids), self.area_id, self.pool_name), fn)

    def overall(self) -> pd.DataFrame:
        """``metrics.equity`` over all the chosen spend, one row per group."""
        return self._cached("overall", lambda: metrics.equity(self.ds, self.payments(), pool=self.pool()))

    def by_category(self) -> pd.DataFrame:
        """``metrics.equity`` by category for the chosen group."""
        df = self._cached(
            "category", lambda: metrics.equity(self.ds, self.payments(), by="category", pool=self.pool())
        )
        out = df[df["group"] == self.group]
        if out.empty:
            raise ParameterError(f"this dataset has no figures for {metrics.GROUP_LABELS[self.group]}")
        return out

    def imd(self) -> pd.DataFrame:
        return self._cached("imd", lambda: metrics.imd_distribution(self.payments()))

    def vcse_reach(self) -> dict[str, float | None] | None:
        """VCSE utilisation of spend only and of spend and grants (docs/methodology.md#grants), for the
        chosen anchors and area, where the dataset has grants; None otherwise."""
        if not self.ds.has_grants:
            return None

        def both():
            out = {}
            for flow in ("spend", "both"):
                view = (
                    self
                    if flow == self.flow
                    else EquityModel(
                        self.ds,
                        anchor_ids=self.anchor_ids,
                        area_id=self.area_id,
                        pool_name=self.pool_name,
                        flow=flow,
                    )
                )
                rows = view.overall().set_index("group")
                out[flow] = rows["utilisation"].get("vcse") if "vcse" in rows.index else None
            return out

        return self._memo.get(("vcse_reach", tuple(self.anchor_ids), self.area_id, self.pool_name), both)


def _choices(m: EquityModel) -> dict:
    where = m.scope() if m.area_id == ANYWHERE else m.area().describe()
    return choice_notes(
        m.fds, m.anchor_ids, where, group=metrics.GROUP_LABELS[m.group], availability_pool=m.pool_label()
    )


def gaps_table(m: EquityModel) -> Table:
    """The table behind the gaps chart for the choices now: the chosen group's figures by category."""
    gaps = m.by_category()
    frame = pd.DataFrame(
        {
            "Category": gaps["category"].astype(str),
            "Group": gaps["label"],
            "Utilisation (share of spend)": gaps["utilisation"],
            "Availability (share of register)": gaps["availability"],
            "Disparity index": gaps["disparity_index"],
            "Below 80 (four-fifths rule)": gaps["below_four_fifths"],
            "Spend in the group (£)": gaps["spend_in_group"],
            "Spend whose membership is known (£)": gaps["spend_membership_known"],
            "Spend membership unknown": gaps["utilisation_unknown_share"],
            "Register membership unknown": gaps["availability_unknown_share"],
        }
    )
    kinds = {c: "pct" for c in frame.columns if "share" in c or "unknown" in c}
    kinds |= {"Disparity index": "index", "Below 80 (four-fifths rule)": "flag"}
    kinds |= {c: "money" for c in frame.columns if "(£)" in c}
    title = f"{metrics.GROUP_LABELS[m.group]}: utilisation, availability and disparity index by category"
    return Table(
        Sheet.from_frame("gaps by category", frame, kinds, title),
        _choices(m),
        ["equity", "gaps-by-category", m.group, *m.anchor_ids, m.area_id],
    )


def deciles_table(m: EquityModel) -> Table:
    """The table behind the IMD chart for the choices now: addressable spend by decile."""
    deciles = m.imd()
    frame = pd.DataFrame(
        {
            "IMD decile (1 = most deprived)": deciles["imd_decile"].astype(str),
            "Addressable spend (£)": deciles["spend"],
            "Share of spend with known decile": deciles["share"],
            "Suppliers": deciles["n_suppliers"],
        }
    )
    kinds = {
        "Addressable spend (£)": "money",
        "Share of spend with known decile": "pct",
        "Suppliers": "count",
    }
    return Table(
        Sheet.from_frame(
            "by IMD decile", frame, kinds, "Addressable spend by the IMD decile of the supplier's location"
        ),
        _choices(m),
        ["equity", "by-imd-decile", *m.anchor_ids, m.area_id],
    )


#: Each chart's download: its key, its label and how to make its table (each on its own: a group the
#: data has no figures for leaves the deciles' download working).
DOWNLOADS = {
    "gaps": ("this table (the group by category)", gaps_table),
    "deciles": ("this table (spend by IMD decile)", deciles_table),
}


class EquityView(Guarded, widgets.VBox):
    """Controls, one tile per group (disparity index), one chart of disparity and utilisation by category,
    IMD deciles."""

    def __init__(self, model: EquityModel):
        self.model = m = model
        ds = m.ds
        self.status = widgets.HTML().add_class("al-status")
        self.anchors = anchor_picker(ds, m.anchor_ids)
        places = [("Anywhere", ANYWHERE), *area_options(ds)]
        self.area = area_picker(ds, m.area_id, places, "Suppliers located", "360px")
        groups = m.overall()["group"].tolist() if not m.overall().empty else list(metrics.GROUP_LABELS)
        self.group = widgets.Dropdown(
            options=[(metrics.GROUP_LABELS[g], g) for g in groups],
            value=m.group,
            description="Group by category",
            style={"description_width": "initial"},
            layout=widgets.Layout(width="320px"),
        ).add_class("al-group")
        pools = [("Supplier register", "register")]
        if ds.population is not None:
            pools.append(("Local business population", "population"))
        self.pool = widgets.Dropdown(
            options=pools,
            value=m.pool_name,
            description="Availability pool",
            style={"description_width": "initial"},
            layout=widgets.Layout(width="320px", display="" if len(pools) > 1 else "none"),
        ).add_class("al-pool")
        self.flow = flow_picker(ds, m.flow)
        self.tiles = widgets.HTML().add_class("al-tiles-box")
        self.gaps, self.deciles = AppChart(placeholder()), AppChart(placeholder())
        self.downloads = {
            key: Download(label, lambda make=make: make(m)).add_class(f"al-download-{key}")
            for key, (label, make) in DOWNLOADS.items()
        }
        self.note = widgets.HTML().add_class("al-footnote")
        self._chart_memo = Memo(32)
        self.link(self.anchors, m, "anchor_ids", list)
        self.link(self.area, m, "area_id")
        self.link(self.group, m, "group")
        self.link(self.pool, m, "pool_name")
        self.link(self.flow, m, "flow")
        m.observe(
            lambda _: self._guard(self.refresh), ["anchor_ids", "area_id", "group", "pool_name", "flow"]
        )
        controls = widgets.HBox([self.anchors, widgets.VBox([self.area, self.group, self.pool, self.flow])])
        super().__init__(
            [
                widgets.HTML(STYLE),
                controls,
                self.status,
                self.tiles,
                self.gaps,
                self.downloads["gaps"],
                self.deciles,
                self.downloads["deciles"],
                self.note,
            ],
            layout=widgets.Layout(max_width="1340px"),
        )
        self._guard(self.refresh)
        self.warm(m, "area_id", [a for _, a in places])

    def _charts(self) -> list[ChartMaker]:
        """Each chart widget and how to make its chart (``show_charts``)."""
        m = self.model
        sub = f"{m.scope()}; addressable spend"
        return [
            (
                self.gaps,
                lambda: charts_equity.gaps_chart(m.by_category(), metrics.GROUP_LABELS[m.group], sub),
            ),
            (
                self.deciles,
                lambda: charts_equity.imd_chart(
                    m.imd(), "Spend by IMD decile of the supplier's location", sub
                ),
            ),
        ]

    def refresh(self):
        m = self.model
        tiles = [
            (
                f"di-{r.group}",
                r.label,
                disparity(r.disparity_index),
                f"uses {pct(r.utilisation)}, exists {pct(r.availability)}"
                if pd.notna(r.availability)
                else "membership unknown in the pool",
            )
            for r in m.overall().itertuples()
        ]
        reach = m.vcse_reach()
        if reach is not None:
            tiles.append(
                (
                    "vcse-reach",
                    "VCSE share of spend and grants",
                    pct(reach["both"]),
                    f"spend only {pct(reach['spend'])}",
                )
            )
        self.tiles.value = tiles_html(tiles)
        self.show_charts((tuple(m.anchor_ids), m.area_id, m.group, m.pool_name, m.flow), self._charts())
        ov = m.overall()
        unknown = ov.set_index("group")["utilisation_unknown_share"].get(m.group)
        pool = m.pool_label()
        self.note.value = (
            "<p><small>Tiles: disparity index = 100 x utilisation / availability; below 80 is a "
            "substantial disparity (four-fifths rule). Utilisation = spend with suppliers in the group / "
            "spend with suppliers whose membership is known; availability = the group's share of the "
            "supplier register, among suppliers whose membership is known (docs/methodology.md, "
            f"Utilisation, availability and disparity). For {html.escape(metrics.GROUP_LABELS[m.group])}, "
            f"{pct(unknown)} of the spend went to suppliers whose membership is unknown. Availability "
            f"pool: {pool}.{flow_words(m.fds)}"
            + (
                " VCSE share of spend and grants: utilisation of VCSEs over the spend and the grants "
                "together, beside the spend-only figure."
                if reach is not None
                else ""
            )
            + "</small></p>"
        )


def equity(
    data_dir=None,
    anchor_ids: list[str] | None = None,
    area_id: str = ANYWHERE,
    group: str = "sme",
    pool: str = "register",
    flow: str = "spend",
) -> AppShell:
    """Open the dataset (``data_dir`` or a Dataset; None = the bundled sample) and build the equity gaps
    app (``.view``) with a picker for one's own data folder; availability over ``pool`` (register or
    population), of ``flow`` (spend, grant or both). Problems show as a plain message."""
    kw = {
        "area_id": area_id or ANYWHERE,
        "group": group,
        "pool_name": pool or "register",
        "flow": flow or "spend",
        **({"anchor_ids": list(anchor_ids)} if anchor_ids else {}),
    }
    return app_shell(data_dir, lambda d, **choices: EquityView(EquityModel(d, **choices)), **kw)
