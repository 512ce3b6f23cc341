"""How figures read in tables, tiles and reports: pounds with thousands separators, shares as %."""

from __future__ import annotations


def money(x: float | None) -> str:
    """£ with thousands separators, or 'n/a'."""
    return "n/a" if x is None else f"£{x:,.0f}"


def pct(x: float | None) -> str:
    """A share (0.456) as '45.6%', or 'n/a'."""
    return "n/a" if x is None else f"{x:.1%}"
