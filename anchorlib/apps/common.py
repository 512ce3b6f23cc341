"""Pieces shared by the workshop apps: headline tiles, a status line, a guarded update."""

from __future__ import annotations

import html

import ipywidgets as widgets
import traitlets

from ..errors import AnchorlibError

STYLE = """<style>
.al-tiles {display: flex; gap: 10px; flex-wrap: wrap; margin: 4px 0 6px}
.al-tile {border: 1px solid #ccc; border-radius: 6px; padding: 6px 10px; min-width: 150px; background: #f7fafc}
.al-tile .al-label {font-size: 13px; color: #333}
.al-tile .al-value {font-size: 22px; font-weight: bold; color: #000}
.al-tile .al-note {font-size: 13px; color: #444}
.al-status {color: #B00020; font-weight: bold; font-size: 15px}
</style>"""


def money(x: float | None) -> str:
    """£ with thousands separators, or 'n/a'."""
    return "n/a" if x is None else f"£{x:,.0f}"


def pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.1%}"


def tiles_html(tiles: list[tuple[str, str, str, str]]) -> str:
    """Tiles of (css key, label, value, note) as HTML; each value carries class ``al-<key>``."""
    return "<div class='al-tiles'>" + "".join(
        f"<div class='al-tile'><div class='al-label'>{html.escape(label)}</div>"
        f"<div class='al-value al-{key}'>{html.escape(value)}</div><div class='al-note'>{html.escape(note)}</div></div>"
        for key, label, value, note in tiles) + "</div>"


class Guarded:
    """Mixin for a view with a ``status`` HTML widget: run updates so failures become one plain line."""

    status: widgets.HTML

    def _guard(self, fn) -> bool:
        try:
            fn()
        except (AnchorlibError, traitlets.TraitError, ValueError, KeyError) as err:
            self.status.value = f"<p>Could not update: {html.escape(' '.join(str(err).split()))}</p>"
            return False
        self.status.value = ""
        return True
