"""The register review (notebooks/05_register_review.ipynb): the payees most worth a look, largest spend
first, each with the candidate the matching found, and Accept / Reject buttons that write the decision to
the dataset's supplier_matches.csv (``data.registers.review``). A rebuild (``anchorlib register build``,
or the Rebuild button when the register files are given) picks the decisions up.
"""

from __future__ import annotations

import html
from pathlib import Path

import ipywidgets as widgets
import pandas as pd

from anchorlib.apps.common import STYLE
from anchorlib.data.registers import review as rv
from anchorlib.errors import AnchorlibError
from anchorlib.formatting import money, number

HEAD = ["Payee", "Spend", "Method", "Candidate", "Score", "Register", "Decision", ""]


class ReviewView(widgets.VBox):
    """One row per payee of ``review.queue``; Accept and Reject write supplier_matches.csv at once."""

    def __init__(
        self, data_dir, n: int = 30, companies: list[str] | None = None, charities: str | None = None
    ):
        self.root = Path(data_dir).expanduser().resolve()
        self.n, self.companies, self.charities = n, companies or [], charities
        self.status = widgets.HTML().add_class("al-status")
        self.note = widgets.HTML()
        self.grid = widgets.GridBox(
            layout=widgets.Layout(grid_template_columns="2.5fr 1fr 0.8fr 2.5fr 0.6fr 1.2fr 1.4fr 1.2fr")
        )
        self.rebuild = widgets.Button(
            description="Rebuild the register",
            disabled=not (self.companies or self.charities),
            tooltip="anchorlib register build with the files given as parameters",
        ).add_class("al-rebuild")
        self.rebuild.on_click(lambda _: self._run(self._rebuild))
        super().__init__([widgets.HTML(STYLE), self.note, self.status, self.grid, self.rebuild])
        self._run(self.refresh)

    def _run(self, fn) -> None:
        try:
            fn()
        except AnchorlibError as err:
            self.status.value = f"<p>{html.escape(str(err))}</p>"

    def refresh(self) -> None:
        q = rv.queue(self.root, self.n)
        self.queue = q
        cells = [widgets.HTML(f"<b>{h}</b>") for h in HEAD]
        for i, r in q.iterrows():
            cand = "" if pd.isna(r["candidate"]) else str(r["candidate"])
            ident = r["company_number"] if pd.notna(r["company_number"]) else r["charity_number"]
            cells += [
                widgets.HTML(html.escape(str(r["payee"]))),
                widgets.HTML(money(r["spend"])),
                widgets.HTML(html.escape(str(r["method"]))),
                widgets.HTML(html.escape(cand + (f" ({ident})" if pd.notna(ident) else ""))),
                widgets.HTML(number(r["score"], 1)),
                widgets.HTML(html.escape("" if pd.isna(r["register"]) else str(r["register"]))),
                widgets.HTML(html.escape(r["decided"] or "")).add_class(f"al-decided-{i}"),
                self._buttons(i, r, bool(cand) and r["method"] != "ambiguous"),
            ]
        self.grid.children = cells
        self.note.value = (
            f"<p><small>{len(q)} payees matched fuzzily, ambiguously or not at all, largest spend first, "
            f"from {html.escape(q.attrs.get('source', ''))}. Accept: the payee is the candidate; Reject: "
            "never match it automatically. Decisions go to supplier_matches.csv at once; rebuild the "
            "register to apply them (anchorlib register build, docs/methodology.md#register-matching). An "
            "ambiguous payee lists its candidates: write the one it is, with its company_number, in "
            "supplier_matches.csv.</small></p>"
        )

    def _buttons(self, i: int, r: pd.Series, can_accept: bool) -> widgets.HBox:
        accept = widgets.Button(
            description="Accept", disabled=not can_accept, layout=widgets.Layout(width="70px")
        )
        reject = widgets.Button(description="Reject", layout=widgets.Layout(width="70px"))
        accept.add_class(f"al-accept-{i}")
        reject.add_class(f"al-reject-{i}")
        accept.on_click(lambda _: self._run(lambda: self.decide(i, True)))
        reject.on_click(lambda _: self._run(lambda: self.decide(i, False)))
        return widgets.HBox([accept, reject])

    def decide(self, i: int, accept: bool) -> None:
        """Write the decision for row ``i`` of the queue and show it."""
        r = self.queue.iloc[i]
        text = lambda c: None if pd.isna(r[c]) else str(r[c])  # noqa: E731
        rv.decide(
            self.root,
            str(r["payee"]),
            accept,
            text("candidate"),
            text("company_number"),
            text("charity_number"),
        )
        self.queue.at[i, "decided"] = f"accepted {r['candidate']}" if accept else "rejected"
        self.grid.children[(i + 1) * len(HEAD) + 6].value = html.escape(self.queue.at[i, "decided"])
        self.status.value = ""

    def _rebuild(self) -> None:
        from anchorlib.data.registers.builder import build_register

        result = build_register(self.root, [Path(p) for p in self.companies], self.charities)
        self.refresh()
        m = result.report["methods"]
        self.status.value = (
            "<p style='color:#1b5e20'>Rebuilt: "
            + ", ".join(f"{k} {v['payees']:,}" for k, v in m.items())
            + " payees.</p>"
        )


def register_review(
    data_dir=None, n: int = 30, companies: list[str] | None = None, charities: str | None = None
) -> widgets.Widget:
    """The review table for the dataset at ``data_dir`` (None: the bundled sample); ``companies`` and
    ``charities`` (the register files) enable the Rebuild button. Problems show as a plain message."""
    from anchorlib.paths import default_data_dir

    try:
        return ReviewView(data_dir or default_data_dir(), n, companies, charities)
    except AnchorlibError as err:
        return widgets.HTML(f"<p class='al-status'>{html.escape(str(err))}</p>")
