"""The social value app: tender weighting simulator and commitments monitor (a model and a view).

``SocialValueModel`` holds the state (weight, tender, grouping, proxy values) and computes tables
with ``social_value`` and ``commitments``; ``SocialValueView`` is a VBox whose widgets and offline
charts (AppChart) are updated in place. Errors reach the user as one plain line in the status widget.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

import altair as alt
import ipywidgets as widgets
import pandas as pd
import traitlets

from anchorlib.apps.common import AppChart
from anchorlib.apps.download import Download, Table
from anchorlib.charts import social_value as csv_charts
from anchorlib.data.dataset import Dataset, open_dataset
from anchorlib.errors import AnchorlibError
from anchorlib.export import Sheet
from anchorlib.formatting import money, number, pct
from anchorlib.social_value import commitments as cm
from anchorlib.social_value import tenders as sv

BY_LABELS = {"anchor_id": "Anchor", "supplier_name": "Supplier"}


class SocialValueModel(traitlets.HasTraits):
    """State and computation; no widgets. Weights are fractions (0.10 = 10%)."""

    sv_weight = traitlets.Float(0.05)
    tender_id = traitlets.Unicode("")
    by = traitlets.Unicode("anchor_id")
    proxies = traitlets.Dict()

    def __init__(
        self,
        tenders: pd.DataFrame | None,
        commitments: pd.DataFrame | None,
        anchor_names: dict[str, str] | None = None,
        tender_id: str = "",
        **kw,
    ):
        super().__init__(**kw)
        self.tenders = tenders
        self.anchor_names = anchor_names or {}
        self.rated = cm.rate(commitments) if commitments is not None else None
        if tenders is not None:
            self.summary = sv.tender_summary(tenders)
            self.outcomes = sv.outcomes_by_weight(tenders)
            self.tender_id = tender_id or str(self.summary["tender_id"].iloc[0])

    @traitlets.validate("sv_weight")
    def _check_weight(self, proposal):
        w = sv.check_weight(proposal["value"])
        if w > sv.MAX_WEIGHT + 1e-12:
            raise AnchorlibError(f"the simulator runs from 0% to {sv.MAX_WEIGHT:.0%}; {w:.1%} is outside it")
        return w

    @traitlets.validate("tender_id")
    def _check_tender(self, proposal):
        known = self.tenders["tender_id"].unique().tolist() if self.tenders is not None else []
        if proposal["value"] not in known:
            raise AnchorlibError(
                f"unknown tender '{proposal['value']}'; this dataset has {known[0]} to {known[-1]}"
                if known
                else "this dataset has no tenders"
            )
        return proposal["value"]

    @traitlets.validate("by")
    def _check_by(self, proposal):
        if proposal["value"] not in BY_LABELS:
            raise AnchorlibError(f"totals are per anchor_id or supplier_name, not '{proposal['value']}'")
        return proposal["value"]

    def bids(self) -> pd.DataFrame:
        return self.tenders[self.tenders["tender_id"] == self.tender_id]

    def ranking(self) -> pd.DataFrame:
        """The chosen tender's bids ranked at the current weight, as shown."""
        r = sv.score_bids(self.bids(), self.sv_weight)
        pw, qw, _ = sv.rescaled_weights(
            float(r["price_weight"].iloc[0]), float(r["quality_weight"].iloc[0]), self.sv_weight
        )
        flags = r[list(sv.GROUPS)].apply(
            lambda row: ", ".join(g for f, g in sv.GROUPS.items() if pd.notna(row[f]) and bool(row[f])),
            axis=1,
        )
        return pd.DataFrame(
            {
                "Rank": r["rank"],
                "Bidder": r["bidder"],
                "Local / SME / VCSE": flags.replace("", "-"),
                "Price (£)": r["price"].map(number),
                "Price score": r["price_score"].round(1),
                "Quality": r["quality_score"],
                "Social value": r["social_value_score"],
                f"Total (price {pct(pw)}, quality {pct(qw)}, SV {pct(self.sv_weight)})": r["total"].round(2),
            }
        )

    def winner(self) -> str:
        return sv.winner_at(self.bids(), self.sv_weight)

    def tipping(self) -> sv.Tipping:
        return sv.tipping_point(self.bids())

    def all_tenders(self) -> pd.DataFrame:
        """Every tender: winner at its own weight, at the current weight, and the tipping weight."""
        now = sv.winners(self.tenders, self.sv_weight).set_index("tender_id")["bidder"]
        s = self.summary
        return pd.DataFrame(
            {
                "Tender": s["tender_id"],
                "Bids": s["bids"],
                "Own weight": s["own_weight"].map(lambda w: pct(w, 0)),
                "Winner at own weight": s["winner"],
                f"Winner at {pct(self.sv_weight)}": s["tender_id"].map(now),
                "Changed": (s["tender_id"].map(now) != s["winner"]).map({True: "yes", False: ""}),
                "Tipping weight": [sv.percent(None if pd.isna(w) else w) for w in s["tipping_weight"]],
            }
        )

    def headline(self) -> str:
        s = self.all_tenders()
        changed = int((s["Changed"] == "yes").sum())
        here = sv.outcomes_by_weight(self.tenders, weights=(self.sv_weight,))
        local = here[here["group"] == "Local"].set_index("measure")["share"]
        return (
            f"At {pct(self.sv_weight)}, {changed} of {len(s)} tenders have a different winner than at their "
            f"own weight; local bidders win {pct(local['tenders'], 0)} of tenders and "
            f"{pct(local['contract value'], 0)} of contract value (the winning prices)."
        )

    def outcomes_chart(self) -> alt.HConcatChart:
        return csv_charts.outcomes_chart(self.outcomes, self.sv_weight)

    def _named(self, df: pd.DataFrame) -> pd.DataFrame:
        """Anchor names in place of anchor ids, for display."""
        if self.by == "anchor_id" and self.anchor_names:
            df = df.assign(anchor_id=df["anchor_id"].map(lambda a: self.anchor_names.get(a, a)))
        return df

    def ratings_chart(self) -> alt.Chart:
        return csv_charts.ratings_chart(self._named(cm.rating_counts(self.rated, self.by)), self.by)

    def totals(self) -> pd.DataFrame:
        t = self._named(cm.totals(self.rated, self.by))
        return pd.DataFrame(
            {
                BY_LABELS[self.by]: t[self.by],
                "Measure": t["measure"],
                "Unit": t["unit"],
                "Contracts": t["contracts"],
                "Committed": t["committed"].map(number),
                "Delivered": t["delivered"].map(number),
                "Delivered / target": t["progress"].map(lambda x: pct(x, 0)),
                "Rating": t["rating"],
            }
        )

    def monetised(self) -> tuple[pd.DataFrame, list[str]]:
        m, unpriced = cm.monetise(self.rated, self.proxies, self.by)
        m = self._named(m)
        return pd.DataFrame(
            {
                BY_LABELS[self.by]: m[self.by],
                "Measures priced": m["measures"],
                "Committed (£)": m["committed_value"].map(money),
                "Delivered (£)": m["delivered_value"].map(money),
            }
        ), unpriced


def download_tables(m: SocialValueModel, root: str = "") -> dict[str, Table]:
    """The table behind each of the app's charts for the choices now, for its downloads: who wins by social
    value weight (the tenders' and the contract value's shares won by local, SME and VCSE bidders), and
    the commitments' ratings per anchor or supplier."""
    out = {}
    base = {"dataset": root} if root else {}
    if m.tenders is not None:
        o = m.outcomes
        wide = o.pivot_table(
            index=["weight", "group"], columns="measure", values=["won", "known", "share"], sort=False
        )
        frame = pd.DataFrame(
            {
                "Social value weight": [w for w, _ in wide.index],
                "Bidders": [g for _, g in wide.index],
                "Tenders won": wide[("won", "tenders")].to_numpy(),
                "Tenders whose winner's flag is known": wide[("known", "tenders")].to_numpy(),
                "Share of tenders": wide[("share", "tenders")].to_numpy(),
                "Contract value won (£)": wide[("won", "contract value")].to_numpy(),
                "Contract value whose winner's flag is known (£)": wide[
                    ("known", "contract value")
                ].to_numpy(),
                "Share of contract value": wide[("share", "contract value")].to_numpy(),
            }
        )
        kinds = {"Social value weight": "pct", "Share of tenders": "pct", "Share of contract value": "pct"}
        kinds |= {c: "count" for c in frame.columns if c.startswith("Tenders")}
        kinds |= {c: "money" for c in frame.columns if c.startswith("Contract value")}
        out["outcomes"] = Table(
            Sheet.from_frame("outcomes by weight", frame, kinds, "Who wins as the social value weight moves"),
            base
            | {
                "weights": "0% to 30%; price and quality weights scaled in proportion",
                "current weight": pct(m.sv_weight),
            },
            ["social-value", "outcomes-by-weight"],
        )
    if m.rated is not None:
        counts = m._named(cm.rating_counts(m.rated, m.by))
        frame = pd.DataFrame(
            {
                BY_LABELS[m.by]: counts[m.by].astype(str),
                "Rating": counts["rating"].astype(str),
                "Commitments": counts["commitments"],
            }
        )
        out["ratings"] = Table(
            Sheet.from_frame("ratings", frame, {"Commitments": "count"}, "Commitments by rating"),
            base | {"ratings": cm.RATING_RULE, "target": "the whole commitment"},
            ["social-value", "ratings", "per", BY_LABELS[m.by]],
        )
    return out


def _table(df: pd.DataFrame, highlight: list[bool] | None = None) -> str:
    """An HTML table; rows where ``highlight`` is True are shown in bold."""
    out = df.to_html(index=False, escape=True, border=0, classes="sv-table")
    if highlight is not None:  # body rows open with a bare <tr>; the header row carries a style attribute
        parts = out.split("<tr>")
        out = parts[0] + "".join(
            ('<tr class="sv-first">' if h else "<tr>") + p for h, p in zip(highlight, parts[1:])
        )
    return out


STYLE = """<style>
.sv-table {border-collapse: collapse; font-size: 13px; margin: 4px 0 10px}
.sv-table th, .sv-table td {padding: 3px 8px; border-bottom: 1px solid #ddd; text-align: left;
  line-height: 1.35}
.sv-table tr.sv-first td {font-weight: bold; background: #eef5fb}
.sv-status {color: #B00020; font-weight: bold}
</style>"""


class SocialValueView(widgets.VBox):
    """The widgets; every update changes values and charts in place."""

    def __init__(self, model: SocialValueModel, title: str = "", notes=(), root: str = ""):
        self.model = model
        self.root = root  # the dataset folder, named in downloads
        self.status = widgets.HTML().add_class("sv-status")
        header = widgets.HTML(
            STYLE
            + (f"<h2 style='margin:4px 0'>{html.escape(title)}</h2>" if title else "")
            + "".join(f"<p>{html.escape(n)}</p>" for n in notes)
        )
        tabs = []
        if model.tenders is not None:
            tabs.append(("Tender simulator", self._simulator()))
        if model.rated is not None:
            tabs.append(("Commitments", self._commitments()))
        self.tabs = widgets.Tab(children=[w for _, w in tabs], titles=tuple(t for t, _ in tabs))
        super().__init__([header, self.status, self.tabs], layout=widgets.Layout(max_width="1300px"))
        self.refresh()

    # -- simulator -------------------------------------------------------------------------------
    def _simulator(self) -> widgets.VBox:
        m = self.model
        self.slider = widgets.FloatSlider(
            value=round(100 * m.sv_weight, 1),
            min=0,
            max=100 * sv.MAX_WEIGHT,
            step=0.5,
            description="Social value weight (%)",
            readout_format=".1f",
            continuous_update=False,
            style={"description_width": "initial"},
            layout=widgets.Layout(width="480px"),
        ).add_class("sv-weight")
        labels = [(f"{r.tender_id} ({r.bids} bids)", r.tender_id) for r in m.summary.itertuples()]
        self.tender = widgets.Dropdown(
            options=labels, value=m.tender_id, description="Tender", layout=widgets.Layout(width="300px")
        ).add_class("sv-tender")
        self.winner = widgets.HTML().add_class("sv-winner")
        self.ranking = widgets.HTML()
        self.headline = widgets.HTML().add_class("sv-headline")
        self.outcomes = AppChart(m.outcomes_chart())
        self.outcomes_download = Download(
            "this table (who wins by weight)", lambda: download_tables(m, self.root)["outcomes"]
        ).add_class("al-download-outcomes")
        self.all_tenders = widgets.HTML()
        note = widgets.HTML(
            f"<p><small>Score = w_price x price score + w_quality x quality + w_sv x social value; "
            f"price score = 100 x lowest price / bid price. {html.escape(sv.TIPPING_DEFINITION)}. "
            "Ties go to the lower price, then the bidder name.</small></p>"
        )
        self.slider.observe(self._on_slider, "value")
        self.tender.observe(self._on_tender, "value")
        m.observe(lambda _: self._guard(self._show_weight), "sv_weight")
        m.observe(lambda _: self._guard(self._show_tender), "tender_id")
        return widgets.VBox(
            [
                widgets.HBox([self.slider, self.tender]),
                self.winner,
                self.headline,
                self.outcomes,
                self.outcomes_download,
                self.ranking,
                widgets.HTML("<h2>All tenders</h2>"),
                self.all_tenders,
                note,
            ]
        )

    def _on_slider(self, change):
        self._guard(lambda: setattr(self.model, "sv_weight", change["new"] / 100))

    def _on_tender(self, change):
        self._guard(lambda: setattr(self.model, "tender_id", change["new"]))

    def _show_tender(self):
        m = self.model
        tp = m.tipping()
        tip = sv.percent(tp.weight) + ("" if tp.weight is None else f", from which {tp.new_winner} wins")
        self.winner.value = (
            f"<p style='font-size:16px'>Winner of <b>{html.escape(m.tender_id)}</b> at "
            f"{pct(m.sv_weight)}: <b class='sv-winner-name'>{html.escape(m.winner())}</b>"
            f" &middot; at its own weight ({pct(tp.own_weight, 0)}): {html.escape(tp.winner)}"
            f" &middot; tipping weight: {html.escape(tip)}</p>"
        )
        ranking = m.ranking()
        self.ranking.value = _table(ranking, highlight=(ranking["Rank"] == 1).tolist())

    def _show_weight(self):
        m = self.model
        self._show_tender()
        self.headline.value = f"<p>{html.escape(m.headline())}</p>"
        tenders = m.all_tenders()
        self.all_tenders.value = _table(tenders, highlight=(tenders["Changed"] == "yes").tolist())
        self.outcomes.chart = m.outcomes_chart()

    # -- commitments -----------------------------------------------------------------------------
    def _commitments(self) -> widgets.VBox:
        m = self.model
        self.by = widgets.ToggleButtons(
            options=[(v, k) for k, v in BY_LABELS.items()], value=m.by, description="Totals per"
        ).add_class("sv-by")
        self.ratings = AppChart(m.ratings_chart())
        self.ratings_download = Download(
            "this table (ratings)", lambda: download_tables(m, self.root)["ratings"]
        ).add_class("al-download-ratings")
        self.totals = widgets.HTML().add_class("sv-totals")
        units = m.rated.groupby("measure")["unit"].agg(lambda u: "/".join(sorted(set(u) - {""})) or "unit")
        self.proxy_boxes = {
            x: widgets.Text(
                placeholder=f"£ per {units[x]}; blank = none",
                description=x,
                continuous_update=False,
                style={"description_width": "300px"},
                layout=widgets.Layout(width="560px"),
            )
            for x in sorted(units.index)
        }
        for box in self.proxy_boxes.values():
            box.observe(self._on_proxy, "value")
        self.money = widgets.HTML().add_class("sv-money")
        self.by.observe(lambda c: self._guard(lambda: setattr(m, "by", c["new"])), "value")
        m.observe(lambda _: self._guard(self._show_commitments), ["by", "proxies"])
        return widgets.VBox(
            [
                self.by,
                self.ratings,
                self.ratings_download,
                widgets.HTML(
                    f"<p><small>Ratings: {html.escape(cm.RATING_RULE)}. Target = the "
                    "whole commitment.</small></p>"
                ),
                self.totals,
                widgets.HTML(
                    "<h2>Monetised view</h2><p>Enter your own proxy value in £ per unit for any measure "
                    "(for example from a social value framework you use). anchorlib supplies none.</p>"
                ),
                *self.proxy_boxes.values(),
                self.money,
            ]
        )

    def _on_proxy(self, _change):
        def apply():
            proxies = {}
            for measure, box in self.proxy_boxes.items():
                text = box.value.replace("£", "").replace(",", "").strip()
                if text:
                    proxies[measure] = text
            self.model.proxies = proxies

        self._guard(apply)

    def _show_commitments(self):
        m = self.model
        self.ratings.chart = m.ratings_chart()
        self.totals.value = _table(m.totals())
        table, unpriced = m.monetised()
        left = (
            f"<p><small>No proxy value given for: {html.escape(', '.join(unpriced))}.</small></p>"
            if unpriced
            else ""
        )
        self.money.value = (_table(table) if len(table) else "<p>No proxy values entered.</p>") + left

    # -- shared ----------------------------------------------------------------------------------
    def refresh(self):
        if self.model.tenders is not None:
            self._guard(self._show_weight)
        if self.model.rated is not None:
            self._guard(self._show_commitments)

    def _guard(self, fn):
        """Run an update; a failure becomes one plain line in the status widget, never a traceback.
        Updates nest (a widget sets the model, whose observers redraw): the outermost clears the status
        only when nothing inside it failed."""
        self._depth = getattr(self, "_depth", 0) + 1
        if self._depth == 1:
            self._failed = False
        try:
            fn()
        except (AnchorlibError, traitlets.TraitError, ValueError) as err:
            self._failed = True
            self.status.value = f"<p>Could not update: {html.escape(' '.join(str(err).split()))}</p>"
        finally:
            self._depth -= 1
        if self._depth == 0 and not self._failed:
            self.status.value = ""


def social_value_app(
    data_dir=None,
    sv_weight: float = 0.05,
    tender_id: str = "",
    proxies: Mapping[str, float] | None = None,
    title: str = "",
) -> SocialValueView:
    """Open the dataset and build the app, starting at ``sv_weight`` (a fraction) and ``tender_id``,
    with the user's ``proxies`` (£ per unit by measure) filled in. ``title``: a heading, for use outside
    a notebook that has one. Problems show in the status line, not as a traceback."""
    notes, tenders, commitments, names, err = [], None, None, {}, None
    try:
        ds: Dataset = open_dataset(data_dir)
        tenders = sv.load_tenders(ds) if ds.tenders is not None else None
        commitments = cm.load_commitments(ds) if ds.commitments is not None else None
        names = dict(zip(ds.anchors["anchor_id"], ds.anchors["name"]))
        if tenders is None:
            notes.append("This dataset has no social_value/tenders.csv: the simulator is hidden.")
        if commitments is None:
            notes.append(
                "This dataset has no social_value/commitments.csv: the commitments monitor is hidden."
            )
    except AnchorlibError as exc:
        err = exc
    model = SocialValueModel(tenders, commitments, anchor_names=names)
    view = SocialValueView(model, title=title, notes=notes, root=str(ds.root) if err is None else "")
    if err is not None:
        view.status.value = f"<p>Could not open the data: {html.escape(str(err))}</p>"
        return view
    view._guard(lambda: _apply(view, sv_weight, tender_id, dict(proxies or {})))
    return view


def _apply(view: SocialValueView, sv_weight: float, tender_id: str, proxies: dict) -> None:
    m = view.model
    if m.rated is not None and proxies:
        cm.monetise(m.rated, proxies, m.by)  # ParameterError for an unknown measure or a bad value
        for measure, value in proxies.items():
            view.proxy_boxes[measure].value = str(value)
    if m.tenders is None:
        return
    if tender_id:
        m.tender_id = tender_id  # validated by the model
        view.tender.value = tender_id
    m.sv_weight = sv_weight
    view.slider.value = round(100 * m.sv_weight, 1)
