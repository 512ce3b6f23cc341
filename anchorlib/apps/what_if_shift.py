"""The what-if app (a model and a view): move x% of the leakage in chosen categories to local
suppliers and see the added local spend, the new local share and its LM3-weighted value.

``WhatIfModel`` holds the choices and calls ``metrics.leakage_by``, ``metrics.shift_scenario`` and
``metrics.lm3`` (docs/methodology.md, Shift scenario and LM3); ``WhatIfView`` updates tiles and
offline charts (AppChart) in place.
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
    area_picker,
    choice_notes,
    flow_picker,
    placeholder,
    select_rows,
    tiles_html,
)
from anchorlib.apps.data_picker import AppShell, app_shell
from anchorlib.apps.download import Download, Table
from anchorlib.charts import what_if as charts_what_if
from anchorlib.data.dataset import Dataset
from anchorlib.data.rollup import SHARE_COLUMNS, SUPPLIER_COLUMNS, selected_rollup
from anchorlib.errors import ParameterError
from anchorlib.export import Sheet
from anchorlib.formatting import money, multiplier, pct


class WhatIfModel(ChoiceModel):
    """Choices: anchors, area, the leaking categories in scope, and the share of their leakage moved."""

    categories = traitlets.List(traitlets.Unicode())
    share = traitlets.Float(0.10)

    def __init__(self, ds: Dataset, **kw):
        self._memo = Memo()
        super().__init__(ds, **kw)
        if not self.categories:
            self.categories = self.leaking()[:3]

    @property
    def base(self) -> pd.DataFrame:
        """The chosen flow's payments rolled up once, by anchor, to what the shift and LM3 read
        (anchorlib/data/rollup.py): a choice of anchors is then a selection of these rows."""
        columns = ["anchor_id", *SHARE_COLUMNS, *SUPPLIER_COLUMNS, "category"]
        return self._memo.get(("base", self.flow), lambda: selected_rollup(self.fds, columns, resolved=True))

    @traitlets.validate("share")
    def _check_share(self, proposal):
        if not 0 <= proposal["value"] <= 1:
            raise ParameterError(f"the share moved must be between 0% and 100%, not {proposal['value']:.0%}")
        return float(proposal["value"])

    @traitlets.validate("categories")
    def _check_categories(self, proposal):
        if not proposal["value"]:
            raise ParameterError("pick at least one category")
        unknown = sorted(set(proposal["value"]) - set(self.leaking()))
        if unknown:
            raise ParameterError(f"no leakage in {', '.join(unknown)} for this choice; pick from the list")
        return list(proposal["value"])

    def _key(self):
        return self.flow, tuple(self.anchor_ids), self.area_id

    def payments(self) -> pd.DataFrame:
        """The chosen anchors' rows of the rollup (kept per choice)."""
        return self._memo.get(
            ("payments", self.flow, tuple(self.anchor_ids)), lambda: select_rows(self.base, self.anchor_ids)
        )

    def by_category(self) -> pd.DataFrame:
        """``metrics.leakage_by`` category, largest leakage first (kept per anchors and area)."""
        return self._memo.get(
            ("by", *self._key()), lambda: metrics.leakage_by(self.payments(), self.area(), "category")
        )

    def leaking(self) -> list[str]:
        """Categories with leakage, largest first."""
        df = self.by_category()
        return df.loc[df["leakage"] > 0, "category"].dropna().astype(str).tolist()

    def lm3(self) -> metrics.LM3:
        return self._memo.get(
            ("lm3", *self._key()), lambda: metrics.lm3(self.fds, self.payments(), self.area())
        )

    def shift(self) -> metrics.Shift:
        """``metrics.shift_scenario`` for the choices: one per slider position, categories, anchors and
        area."""
        return self._memo.get(
            ("shift", *self._key(), tuple(self.categories), self.share),
            lambda: metrics.shift_scenario(
                self.fds, self.payments(), self.area(), self.categories, self.share, lm3_of=self.lm3()
            ),
        )

    def per_category(self) -> pd.DataFrame:
        """Each chosen category's leakage (``metrics.leakage_by``: addressable - local spend, as in
        ``shift_scenario``) and the part moved, share x leakage (docs/methodology.md, Shift scenario)."""
        leak = (
            self.by_category()
            .assign(category=lambda d: d["category"].astype(str))
            .set_index("category")["leakage"]
        )
        return charts_what_if.shift_data(
            [
                {
                    "category": c,
                    "leakage_in_scope": float(leak[c]),
                    "added_local_spend": self.share * float(leak[c]),
                }
                for c in self.categories
            ]
        )


def lm3_text(lm3) -> str:
    """One plain sentence on the LM3 ratio and how unsurveyed local suppliers were treated."""
    if lm3.lm3 is None:
        return (
            "No supplier survey (lm3_survey.csv) covers these local suppliers, so there is no LM3 ratio: the "
            "added local value is not estimated."
        )
    return (
        f"LM3 = {multiplier(lm3.lm3)} from a survey of {lm3.surveyed_suppliers} local suppliers "
        f"({money(lm3.surveyed_local_spend)} of local spend; {money(lm3.unsurveyed_local_spend)} unsurveyed: "
        f"{lm3.unsurveyed_treatment})."
    )


def download_tables(m: WhatIfModel) -> dict[str, Table]:
    """The table behind each of the app's charts for the choices now, for its downloads: each chosen
    category's leakage and the part moved; the local share before and after; with the choices."""
    s = m.shift()
    choices = choice_notes(
        m.fds,
        m.anchor_ids,
        m.area().describe(),
        categories=m.categories,
        share_moved=f"{round(100 * m.share)}% of the leakage in those categories",
        lm3=lm3_text(m.lm3()),
    )
    name = [*m.anchor_ids, m.area_id, f"{round(100 * m.share)}pc"]
    by = m.per_category()
    wide = by.pivot_table(index="category", columns="part", values="amount", aggfunc="sum", sort=False)
    wide = wide.reindex(columns=list(charts_what_if.SHIFT_PARTS.values()))
    wide.insert(0, "Leakage (£)", by.groupby("category", sort=False)["leakage"].first())
    wide = wide.reset_index()
    wide.columns = ["Category", "Leakage (£)", *(f"{c} (£)" for c in wide.columns[2:])]
    before_after = pd.DataFrame(
        {
            "Scenario": ["Today", "After the shift"],
            "Local share": [s.local_share_before, s.local_share_after],
            "Local spend (£)": [s.local_spend_before, s.local_spend_after],
        }
    )
    return {
        "shift": Table(
            Sheet.from_frame(
                "leakage moved",
                wide,
                {c: "money" for c in wide.columns[1:]},
                "Leakage moved to local suppliers, by chosen category",
            ),
            choices,
            ["what-if", "leakage-moved", *name],
        ),
        "before_after": Table(
            Sheet.from_frame(
                "local share",
                before_after,
                {"Local share": "pct", "Local spend (£)": "money"},
                "Local share today and after the shift",
            ),
            choices,
            ["what-if", "local-share", *name],
        ),
    }


class WhatIfView(Guarded, widgets.VBox):
    """Controls (anchors, area, categories, a slider), result tiles, the shift by category, before/after."""

    def __init__(self, model: WhatIfModel):
        self.model = m = model
        ds = m.ds
        self.status = widgets.HTML().add_class("al-status")
        self.anchors = anchor_picker(ds, m.anchor_ids, "460px")
        self.area = area_picker(ds, m.area_id)
        self.flow = flow_picker(ds, m.flow)
        self.categories = widgets.SelectMultiple(
            options=m.leaking(),
            value=m.categories,
            rows=6,
            description="Leaking categories (largest first)",
            style={"description_width": "initial"},
            layout=widgets.Layout(width="560px"),
        ).add_class("al-categories")
        self.slider = widgets.IntSlider(
            value=round(100 * m.share),
            min=0,
            max=100,
            step=5,
            description="Share of their leakage moved to local suppliers (%)",
            continuous_update=False,
            style={"description_width": "initial"},
            layout=widgets.Layout(width="720px"),
        ).add_class("al-share-slider")
        self.tiles = widgets.HTML().add_class("al-tiles-box")
        self.by_category, self.before_after = (AppChart(placeholder()) for _ in range(2))
        self.downloads = {
            key: Download(label, lambda key=key: download_tables(m)[key]).add_class(f"al-download-{key}")
            for key, label in (
                ("shift", "this table (leakage moved)"),
                ("before_after", "this table (local share)"),
            )
        }
        self.note = widgets.HTML().add_class("al-lm3-note")
        self._chart_memo = Memo(32)
        self.link(self.anchors, m, "anchor_ids", list)
        self.link(self.area, m, "area_id")
        self.link(self.flow, m, "flow")
        self.link(self.categories, m, "categories", list)
        self.link(self.slider, m, "share", lambda v: v / 100)
        m.observe(lambda _: self._guard(self._new_choices), ["anchor_ids", "area_id", "flow"])
        m.observe(lambda _: self._guard(self.refresh), ["categories", "share"])
        # rows wrap where they do not fit (a narrower JupyterLab main area)
        wrap = widgets.Layout(flex_flow="row wrap")
        controls = widgets.HBox(
            [widgets.VBox([self.anchors, self.area, self.flow]), self.categories], layout=wrap
        )
        super().__init__(
            [
                widgets.HTML(STYLE),
                controls,
                self.slider,
                self.status,
                self.tiles,
                widgets.HBox(
                    [
                        widgets.VBox([self.by_category, self.downloads["shift"]]),
                        widgets.VBox([self.before_after, self.downloads["before_after"]]),
                    ],
                    layout=wrap,
                ),
                self.note,
            ],
            layout=widgets.Layout(max_width="1340px"),
        )
        self._guard(self.refresh)
        step = round(100 * m.share)  # the slider's neighbours, as the slider gives them (value / 100)
        self.warm(m, "share", [v / 100 for v in (step - 5, step + 5) if 0 <= v <= 100])

    def _new_choices(self):
        """Anchors, area or money changed: the leaking categories change (a grant's category is its
        programme); keep the chosen ones still leaking."""
        m, options = self.model, self.model.leaking()
        keep = [c for c in m.categories if c in options] or options[:3]
        with self.quiet():
            self.categories.options = options
            self.categories.value = tuple(keep)
        if keep != m.categories:
            m.categories = keep  # its observer refreshes
        else:
            self.refresh()

    def _charts(self, s) -> list[ChartMaker]:
        """Each chart widget and how to make its chart for the shift ``s`` (``show_charts``)."""
        m = self.model
        sub = f"{m.area().describe()}; {round(100 * m.share)}% of the leakage moved"
        return [
            (
                self.by_category,
                lambda: charts_what_if.shift_chart(m.per_category(), "Leakage moved to local suppliers", sub),
            ),
            (
                self.before_after,
                lambda: charts_what_if.before_after_chart(
                    s.local_share_before, s.local_share_after, "Local share", sub
                ),
            ),
        ]

    def refresh(self):
        m = self.model
        s = m.shift()
        value = "n/a (no survey)" if s.lm3_ratio is None else money(s.added_local_value)
        self.tiles.value = tiles_html(
            [
                (
                    "in-scope",
                    "Leakage in chosen categories",
                    money(s.leakage_in_scope),
                    f"{len(m.categories)} categories",
                ),
                (
                    "added",
                    "Added local spend",
                    money(s.added_local_spend),
                    f"{round(100 * m.share)}% of that leakage",
                ),
                (
                    "before",
                    "Local share today",
                    pct(s.local_share_before),
                    f"local {money(s.local_spend_before)}"
                    if s.local_share_before is not None
                    else "no supplier location known",
                ),
                ("after", "New local share", pct(s.local_share_after), f"local {money(s.local_spend_after)}"),
                (
                    "lm3-value",
                    "LM3-weighted local value",
                    value,
                    "added spend x LM3" + ("" if s.lm3_ratio is None else f" ({multiplier(s.lm3_ratio)})"),
                ),
            ]
        )
        self.show_charts((*m._key(), tuple(m.categories), m.share), self._charts(s))
        self.note.value = (
            f"<p><small>{html.escape(lm3_text(m.lm3()))} Moving x% of a category's leakage adds "
            "x% x leakage to local spend (R2) and to local value at the LM3 ratio (docs/methodology.md, "
            "Shift scenario).</small></p>"
        )


def what_if(
    data_dir=None,
    anchor_ids: list[str] | None = None,
    area_id: str = "home",
    categories: list[str] | None = None,
    share: float = 0.10,
    flow: str = "spend",
) -> AppShell:
    """Open the dataset (``data_dir`` or a Dataset; None = the bundled sample) and build the what-if app
    (``.view``; ``share`` a fraction 0..1) with a picker for one's own data folder; the figures of ``flow``
    (spend, grant or both: a grant's category is its programme)."""
    kw = {
        "area_id": area_id,
        "flow": flow or "spend",  # before the categories, which are the flow's
        "share": share,
        **({"anchor_ids": list(anchor_ids)} if anchor_ids else {}),
        **({"categories": list(categories)} if categories else {}),
    }
    return app_shell(data_dir, lambda d, **choices: WhatIfView(WhatIfModel(d, **choices)), **kw)
