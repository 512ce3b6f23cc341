"""The leakage explorer (a model and a view): where an anchor's money goes, local or not.

``LeakageModel`` holds the choices and calls ``metrics`` (never reimplementing them); ``LeakageView``
updates its tiles and offline charts (AppChart) in place.
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
from anchorlib.charts import leakage as leakage_charts
from anchorlib.data.dataset import Dataset
from anchorlib.data.rollup import (
    RESOLVED_SUPPLIER_COLUMNS,
    SHARE_COLUMNS,
    SUPPLIER_COLUMNS,
    rollup,
    selected_rollup,
)
from anchorlib.errors import ParameterError
from anchorlib.export import Sheet
from anchorlib.formatting import NO_KNOWN_LOCATION, money, pct


class LeakageModel(ChoiceModel):
    """Choices: anchors, area, financial years, addressable only or all spend."""

    years = traitlets.List(traitlets.Unicode())
    addressable_only = traitlets.Bool(True)

    def __init__(self, ds: Dataset, **kw):
        self._memo = Memo()
        self.ds = ds
        years = set()
        for flow in ("spend", "grant") if ds.has_grants else ("spend",):
            years |= set(self.bases(flow)["category"]["financial_year"].dropna().astype(str))
        self.all_years = sorted(years)
        kw.setdefault("years", self.all_years)
        super().__init__(ds, **kw)

    def bases(self, flow: str) -> dict[str, pd.DataFrame]:
        """A flow's payments rolled up once per grain the figures need, by anchor and year
        (anchorlib/data/rollup.py; stored beside a cached dataset): a choice of anchors and years is then
        a selection of these rows."""

        def make():
            fds = self.ds.with_flow(flow)
            return {
                "category": selected_rollup(fds, ["anchor_id", "financial_year", "category", *SHARE_COLUMNS]),
                "supplier": selected_rollup(
                    fds, ["anchor_id", "financial_year", *SHARE_COLUMNS, *SUPPLIER_COLUMNS], resolved=True
                ),
            }

        return self._memo.get(("bases", flow), make)

    @property
    def base(self) -> dict[str, pd.DataFrame]:
        """The chosen flow's rollups (``bases``)."""
        return self.bases(self.flow)

    @traitlets.validate("years")
    def _check_years(self, proposal):
        if not proposal["value"]:
            raise ParameterError("pick at least one financial year")
        return list(proposal["value"])

    def _selection(self) -> tuple:
        return self.flow, tuple(self.anchor_ids), tuple(self.years), self.addressable_only

    def payments(self, by: str = "category") -> pd.DataFrame:
        """The chosen payments rolled up for the figures by year and category (``by`` "category") or by
        supplier ("supplier"); kept per selection, so an area change only re-aggregates."""

        def roll():
            out = {}
            for grain, base in self.base.items():
                p = select_rows(base, self.anchor_ids, self.years)
                out[grain] = p if self.addressable_only else p.assign(addressable=True)
            # suppliers across the chosen anchors and years as one row each (fewer rows to resolve)
            out["supplier"] = rollup(
                out["supplier"], [*SHARE_COLUMNS, *RESOLVED_SUPPLIER_COLUMNS], min_rows=0
            )
            return out

        return self._memo.get(("payments", *self._selection()), roll)[by]

    def _figure(self, what: str, fn):
        """``fn()`` once per selection and area (apps/common.Memo)."""
        return self._memo.get((what, *self._selection(), self.area_id), fn)

    def scope(self) -> str:
        money_ = {"spend": "spend", "grant": "grants", "both": "spend and grants"}[self.flow]
        return f"addressable {money_}" if self.addressable_only else f"all {money_}"

    def beside(self) -> dict[str, metrics.LocalShare] | None:
        """Where the dataset has grants: the headline of spend alone and of grants alone for the chosen
        anchors, years and area (the tiles show grants beside spend); None without grants."""
        if not self.ds.has_grants:
            return None

        def both():
            out = {}
            for flow in ("spend", "grant"):
                p = select_rows(self.bases(flow)["category"], self.anchor_ids, self.years)
                p = p if self.addressable_only else p.assign(addressable=True)
                out[flow] = metrics.local_share(p, self.area(), self.ds.ruleset.name)
            return out

        return self._memo.get(
            ("beside", tuple(self.anchor_ids), tuple(self.years), self.addressable_only, self.area_id), both
        )

    def headline(self) -> metrics.LocalShare:
        return self._figure(
            "headline", lambda: metrics.local_share(self.payments(), self.area(), self.ds.ruleset.name)
        )

    def trend(self) -> pd.DataFrame:
        """Per financial year: local share with and without head-office-only suppliers
        (``leakage_charts.trend_data``)."""

        def rows():
            shares = metrics.local_share_per(
                self.payments(), self.area(), "financial_year", self.ds.ruleset.name
            )
            return leakage_charts.trend_data(
                [{"financial_year": year, **ls.to_dict()} for year, ls in shares.items()]
            )

        return self._figure("trend", rows)

    def top_suppliers(self, n: int = 10) -> pd.DataFrame:
        """The ``n`` non-local suppliers with the most leakage (``metrics.top_leaking``)."""
        return self._figure(
            ("top", n),
            lambda: metrics.top_leaking(self.payments("supplier"), self.area(), by="supplier", n=n),
        )

    def by_category(self) -> pd.DataFrame:
        def frame():
            p = self.payments()
            return leakage_charts.local_by_category_data(p, metrics.is_local(p, self.area()))

        return self._figure("category", frame)

    def located(self, top: pd.DataFrame) -> pd.DataFrame:
        """``top_suppliers`` with each supplier's place by name and code ('Newham (E09000025)')."""
        return top.assign(location=self.ds.place_names.labels(top["lad"]))


def download_tables(m: LeakageModel) -> dict[str, Table]:
    """The table behind each of the explorer's charts for the choices now, for its downloads: the rows the
    chart draws, in £ and shares (``export``: real numbers with number formats), and the choices."""
    years = m.years if len(m.years) < 3 else [m.years[0], "to", m.years[-1]]
    spend = "addressable" if m.addressable_only else "all-spend"
    choices = choice_notes(m.fds, m.anchor_ids, m.area().describe(), financial_years=m.years, spend=m.scope())

    def table(what: str, frame: pd.DataFrame, kinds: dict, title: str) -> Table:
        sheet = Sheet.from_frame(what, frame, kinds, title)
        return Table(sheet, choices, ["leakage", what, *m.anchor_ids, m.area_id, *years, spend])

    trend = m.trend()
    top = m.top_suppliers()
    cats = m.by_category()
    return {
        "trend": table(
            "local share by year",
            pd.DataFrame(
                {
                    "Financial year": trend["financial_year"],
                    "Counting": trend["measure"],
                    "Local share": trend["local_share"],
                    "Local spend (£)": trend["local_spend"],
                    "Leakage, all suppliers (£)": trend["leakage"],
                }
            ),
            {"Local share": "pct", "Local spend (£)": "money", "Leakage, all suppliers (£)": "money"},
            "Local share by year, with and without head-office-only suppliers",
        ),
        "categories": table(
            "by category",
            pd.DataFrame(
                {
                    "Category": cats["category"],
                    "Supplier location": cats["status"],
                    "Spend (£)": cats["amount"],
                    "Share of category": cats["share"],
                }
            ),
            {"Spend (£)": "money", "Share of category": "pct"},
            f"Local vs not local by category ({m.scope()})",
        ),
        "suppliers": table(
            "top suppliers",
            pd.DataFrame(
                {
                    "Supplier": top["supplier"].astype(str),
                    "Located in": m.ds.place_names.shown(top["lad"]),
                    "LAD code": top["lad"],
                    "Non-local spend (£)": top["leakage"],
                    "Addressable spend (£)": top["addressable_spend"],
                }
            ),
            {"Non-local spend (£)": "money", "Addressable spend (£)": "money"},
            "Top 10 non-local suppliers",
        ),
    }


class LeakageView(Guarded, widgets.VBox):
    """Controls, headline tiles, trend and category charts; all updated in place."""

    def __init__(self, model: LeakageModel):
        self.model = m = model
        ds = m.ds
        self.status = widgets.HTML().add_class("al-status")
        wide = {"description_width": "initial"}
        self.anchors = anchor_picker(ds, m.anchor_ids)
        self.area = area_picker(ds, m.area_id)
        self.years = widgets.SelectMultiple(
            options=m.all_years,
            value=m.years,
            description="Financial years",
            rows=min(4, len(m.all_years)),
            style=wide,
            layout=widgets.Layout(width="260px"),
        ).add_class("al-years")
        self.scope = widgets.ToggleButtons(
            options=[("Addressable only", True), ("All spend", False)],
            value=m.addressable_only,
            description="Spend",
        ).add_class("al-scope")
        self.flow = flow_picker(ds, m.flow, "260px")
        self.tiles = widgets.HTML().add_class("al-tiles-box")
        self.trend, self.categories, self.suppliers = (AppChart(placeholder()) for _ in range(3))
        self.downloads = {
            key: Download(label, lambda key=key: download_tables(m)[key]).add_class(f"al-download-{key}")
            for key, label in (
                ("trend", "this table (local share by year)"),
                ("categories", "this table (by category)"),
                ("suppliers", "this table (top suppliers)"),
            )
        }
        self.note = widgets.HTML().add_class("al-footnote")
        self._chart_memo = Memo(48)
        self.link(self.anchors, m, "anchor_ids", list)
        self.link(self.years, m, "years", list)
        self.link(self.area, m, "area_id")
        self.link(self.scope, m, "addressable_only")
        self.link(self.flow, m, "flow")
        m.observe(
            lambda _: self._guard(self.refresh),
            ["anchor_ids", "area_id", "years", "addressable_only", "flow"],
        )
        controls = widgets.HBox(
            [widgets.VBox([self.anchors, self.area]), widgets.VBox([self.years, self.scope, self.flow])]
        )
        super().__init__(
            [
                widgets.HTML(STYLE),
                controls,
                self.status,
                self.tiles,
                # side by side where they fit (Voila's 1340 px), one under the other in a narrower Lab
                widgets.HBox(
                    [
                        widgets.VBox([self.trend, self.downloads["trend"]]),
                        widgets.VBox([self.categories, self.downloads["categories"]]),
                    ],
                    layout=widgets.Layout(flex_flow="row wrap"),
                ),
                self.suppliers,
                self.downloads["suppliers"],
                self.note,
            ],
            layout=widgets.Layout(max_width="1340px"),
        )
        self._guard(self.refresh)
        self.warm(m, "area_id", [a for _, a in area_options(ds)])

    def _charts(self) -> list[ChartMaker]:
        """Each chart widget and how to make its chart, the quickest first (``show_charts``)."""
        m = self.model
        sub = f"{m.area().describe()}; {m.scope()}"
        return [
            (
                self.trend,
                lambda: leakage_charts.trend_chart(
                    m.trend(), "Local share by year: the head-office effect", sub
                ),
            ),
            (
                self.categories,
                lambda: leakage_charts.local_by_category_chart(
                    m.by_category(),
                    "Local vs not local by category",
                    sub,
                    width=400,
                    step=19,
                    legend_top=True,
                ),
            ),
            (
                self.suppliers,
                lambda: leakage_charts.top_suppliers_chart(
                    m.located(m.top_suppliers()), "Top 10 non-local suppliers", sub
                ),
            ),
        ]

    def refresh(self):
        m = self.model
        ls = m.headline()
        self.tiles.value = tiles_html(
            [
                (
                    "total",
                    f"Total ({m.scope()})",
                    money(ls.addressable_spend),
                    f"all payments {money(ls.total_spend)}",
                ),
                ("local", "Local spend", money(ls.local_spend), f"local share {pct(ls.local_share)}"),
                (
                    "share",
                    "Local share",
                    pct(ls.local_share),
                    "of spend with known location"
                    if ls.local_share is not None
                    else "no supplier location known",
                ),
                ("leakage", "Leakage", money(ls.leakage), "spend not with local suppliers"),
                ("unknown", "Unknown location", money(ls.unknown_location_spend), "not counted as local"),
                (
                    "hq",
                    "Local share without HQ-only",
                    pct(ls.local_share_excluding_hq_only),
                    f"local {money(ls.local_spend_excluding_hq_only)}",
                ),
                *self._beside_tiles(),
            ]
        )
        self.show_charts((*m._selection(), m.area_id), self._charts())
        self.note.value = (
            "<p><small>Local share = local spend / spend with known location (docs/methodology.md, "
            "Local share and leakage). "
            + ("" if ls.local_share is not None else f"Local share n/a: {html.escape(NO_KNOWN_LOCATION)}. ")
            + f"Rule set: {html.escape(ls.choices.get('addressable_rule_set', ''))}. Head-office effect: "
            "suppliers marked hq_only invoice from a local office but may work elsewhere."
            + flow_words(m.fds)
            + "</small></p>"
        )

    def _beside_tiles(self) -> list[tuple[str, str, str, str]]:
        """Grants beside spend (a dataset with grants): each flow's total and local share."""
        beside = self.model.beside()
        if beside is None:
            return []
        s, g = beside["spend"], beside["grant"]
        return [
            ("spend-only", "Spend", money(s.addressable_spend), f"local share {pct(s.local_share)}"),
            ("grants", "Grants (360Giving)", money(g.addressable_spend), f"local share {pct(g.local_share)}"),
        ]


def leakage(
    data_dir=None,
    anchor_ids: list[str] | None = None,
    area_id: str = "home",
    years: list[str] | None = None,
    addressable_only: bool = True,
    flow: str = "spend",
) -> AppShell:
    """Open the dataset (``data_dir`` or a Dataset; None = the bundled sample) and build the explorer
    (``.view``) with a picker for one's own data folder; the figures of ``flow`` (spend, grant or both;
    grants are shown beside spend wherever the dataset has them). Problems show as a plain message."""
    kw = {
        "area_id": area_id,
        "addressable_only": addressable_only,
        "flow": flow or "spend",
        **({"anchor_ids": list(anchor_ids)} if anchor_ids else {}),
        **({"years": list(years)} if years else {}),
    }
    return app_shell(data_dir, lambda d, **choices: LeakageView(LeakageModel(d, **choices)), **kw)
