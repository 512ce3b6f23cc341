"""Repair rows whose fields a broken export fused together, where the repair is unambiguous.

Lambeth's June 2012 export wrote ``25/06/2012900`` for the date ``25/06/2012`` and the amount
``900``, and ``Catch2212/06/2012`` for the supplier ``Catch22`` and its date. Such a row has fewer
fields than the header. A repair splits one cell around a date of the file's own shape (the digit
pattern, e.g. ``99/99/9999``, of at least 95% of its dates), so that the row gets the header's
width, the date lands in the date column and the amount and date parse. A row is repaired only
when exactly one split does that; otherwise it is rejected with its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from anchorlib.data.ingest.values import parse_amounts, parse_dates

MAX_MISSING = 2  # one cell split into at most three: text, date, amount


@dataclass(frozen=True)
class Repair:
    line: int
    cells: list[str]  # the repaired row, with the header's width
    note: str  # what was split, for the load report


def shape_regex(shape: str) -> re.Pattern:
    """'99/99/9999' -> a regex matching that digit pattern anywhere (overlapping matches)."""
    return re.compile("(?=(" + re.escape(shape).replace("9", r"\d") + "))")


def _splits(cells: list[str], n: int, date_idx: int, pattern: re.Pattern):
    """Every row of width ``n`` made by splitting one cell around a date, the date in ``date_idx``."""
    k = n - len(cells)
    for j, cell in enumerate(cells):
        for m in pattern.finditer(cell):
            a, b = m.start(1), m.end(1)
            pieces = [p for p in (cell[:a], cell[a:b], cell[b:]) if p != ""]
            if len(pieces) != k + 1:
                continue
            row = cells[:j] + pieces + cells[j + 1 :]
            if row[date_idx] == cell[a:b]:
                yield row, f"'{cell}' split into " + " | ".join(f"'{p}'" for p in pieces)


def repair_fused(
    rows: list[tuple[int, list[str]]], n: int, amount_idx: int, date_idx: int, shape: str
) -> tuple[list[Repair], list[tuple[int, list[str]]]]:
    """(repaired rows, rows left as they were) for rows narrower than the ``n``-column header."""
    pattern = shape_regex(shape)
    candidates: list[tuple[int, list[str], str]] = []  # (row position, cells, note)
    for pos, (_line, cells) in enumerate(rows):
        if 1 <= n - len(cells) <= MAX_MISSING:
            candidates.extend((pos, row, note) for row, note in _splits(cells, n, date_idx, pattern))
    if not candidates:
        return [], rows
    amounts = parse_amounts([c[1][amount_idx] for c in candidates])
    dates = parse_dates([c[1][date_idx] for c in candidates])
    valid = ~np.isnan(amounts) & ~np.isnat(dates)
    good: dict[int, list[tuple[list[str], str]]] = {}
    for (pos, row, note), ok in zip(candidates, valid):
        if ok:
            good.setdefault(pos, []).append((row, note))
    repaired = [Repair(rows[pos][0], *fits[0]) for pos, fits in sorted(good.items()) if len(fits) == 1]
    done = {r.line for r in repaired}
    return repaired, [r for r in rows if r[0] not in done]
