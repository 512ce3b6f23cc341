"""Load one spend file (CSV or Excel, any supported layout) into normalised payments + a report.

The normalised columns are ``SPEND_COLUMNS``. Every record below the header ends up either as a
payment or as a ``Rejection`` with its line (total rows and repeated headers included); blank
records are counted (``blank_lines``), not listed. Fused rows are repaired where unambiguous
(``repair.py``) and listed in ``LoadReport.repairs``.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from anchorlib.data.ingest.headers import map_header, normalise_header, role_candidates
from anchorlib.data.ingest.reader import NO_HEADER, WORKBOOK_SUFFIXES, RawTable, read_sheets, read_table
from anchorlib.data.ingest.repair import repair_fused
from anchorlib.data.ingest.report import (
    SPEND_COLUMNS,
    LoadReport,
    Rejection,
    RepairNote,
    SheetReport,
    StructureLine,
)
from anchorlib.data.ingest.values import (
    TEXT,
    blank_as_null,
    date_shape,
    flag_distinct,
    is_redacted_name,
    null_where,
    parse_amounts,
    parse_dates,
    runs,
    subset,
    trim,
)
from anchorlib.errors import SpendFileError

TEXT_ROLES = ["supplier_name", "expense_type", "expense_area", "transaction_id", "supplier_postcode"]
TOTAL_LABEL = re.compile(r"^\s*(grand\s+|sub\s*-?\s*)?totals?\s*:?[\s\u2020]*$", re.IGNORECASE)
RECONCILE_TOLERANCE = 0.01  # pounds
PENNY = 0.005  # an unlabelled total must equal the rows above it to the penny
SPLIT_ROWS = 200_000  # columns this long have their amounts parsed in two halves at once

_LAYOUTS = [  # (name, headers as published that identify it)
    ("central government spend over £25k", {"departmental family", "entity", "expense type", "supplier"}),
    ("LGTC spend over £500", {"expense area", "expense type", "supplier name"}),
]


def _layout_name(t: RawTable, mapping: dict[str, int]) -> str:
    if t.match.pivot_of:
        return f"per-supplier aggregate (pivot table of '{t.match.pivot_of}'; no payment dates)"
    published = {c.strip().lower() for c in t.header}
    name = next((name for name, needed in _LAYOUTS if needed <= published), None)
    name = name or f"generic ({', '.join(sorted(mapping))})"
    return name if "payment_date" in mapping else name + "; no payment dates"


def _blank(cells: list[str]) -> bool:
    return not any(c.strip(" \t\r\n\u00a0\u2020") for c in cells)


def _is_total_label(value: str) -> bool:
    return bool(TOTAL_LABEL.match(value))


def _label_mask(col) -> np.ndarray:
    """Cells reading 'Total', 'Grand Total', 'Sub-total:' (checked once per distinct value)."""
    return flag_distinct(col, _is_total_label)


def _supplier_flags(col) -> tuple[np.ndarray, np.ndarray]:
    """(total label, redacted payee) per supplier cell, from one pass over the distinct names."""
    return tuple(flag_distinct(col, (_is_total_label, is_redacted_name)))


def _nonblank(col: pa.Array) -> np.ndarray:
    return pc.greater(pc.utf8_length(trim(col)), 0).to_numpy(zero_copy_only=False)


def _pick_date_column(t: RawTable, mapping: dict[str, int]) -> None:
    """When several columns are dates, the best-ranked alias unless it is mostly empty or unreadable."""
    cands = role_candidates(t.header, "payment_date")
    if len(cands) < 2:
        return
    rates = []
    for idx in cands:
        col = t.columns[idx]
        sample = col.slice(0, min(len(col), 5000))
        rates.append(float(np.mean(~np.isnat(parse_dates(sample)))) if len(sample) else 0.0)
    ok = [i for i, r in zip(cands, rates) if r >= 0.5]
    mapping["payment_date"] = ok[0] if ok else cands[int(np.argmax(rates))]


class _Rows:
    """Classifies the records of a RawTable into payments, totals, header repeats and rejections."""

    def __init__(self, t: RawTable, path: Path):
        self.t, self.path = t, path
        self.n = len(t.header)
        self.mapping = dict(t.match.mapping)
        self.rejections: list[Rejection] = []
        self.totals: list[tuple[int, float, str]] = []  # (line, amount, how)
        self.boundaries: list[int] = []  # lines of repeated headers
        self.structure: list[StructureLine] = []  # repeated headers, title lines, total rows
        self.blank = 0
        self.blank_at: list[np.ndarray] = []  # the lines of the blank records of the header's width
        self.blank_odd: list[int] = []  # and of the others
        self.textual: dict[int, str] = {}  # rejected rows of one or two cells of text: titles?

    # -- records of another width than the header --------------------------------------------
    def fold_odd_rows(self, report: LoadReport) -> None:
        t, n = self.t, self.n
        named = max((i + 1 for i, h in enumerate(t.header) if h.strip()), default=n)
        regular, short = [], []
        for line, cells in t.odd:
            if _blank(cells):
                self.blank += 1
                self.blank_odd.append(line)
            elif len(cells) > n and _blank(cells[n:]):
                regular.append((line, cells[:n]))
            elif named <= len(cells) < n:
                regular.append((line, cells + [""] * (n - len(cells))))
            elif self._odd_total(line, cells):
                continue
            else:
                short.append((line, cells))
        if short and "payment_date" in self.mapping:
            shape = self._date_shape()
            if shape:
                repaired, short = repair_fused(
                    short, n, self.mapping["amount"], self.mapping["payment_date"], shape
                )
                regular.extend((r.line, r.cells) for r in repaired)
                report.repairs = [RepairNote(r.line, r.note) for r in repaired]
                report.rows_repaired = len(repaired)
        for line, cells in short:
            text = [c.strip() for c in cells if c.strip()]
            if len(text) <= 2 and np.isnan(parse_amounts(text)).all():
                self.textual[line] = " ".join(text)
                fields = f"{len(cells)} field{'s' if len(cells) != 1 else ''}"
                reason = f"no amount: {fields} of text (the header has {n})"
            else:
                reason = (
                    f"{len(cells)} fields where the header has {n} "
                    "(fields fused or shifted; no unambiguous repair)"
                )
            self.rejections.append(Rejection(line, reason))
        if regular:
            self._append(regular)

    def _odd_total(self, line: int, cells: list[str]) -> bool:
        first = next((c for c in cells if c.strip()), "")
        if not TOTAL_LABEL.match(first):
            return False
        values = parse_amounts(cells)
        found = values[~np.isnan(values)]
        if len(found) == 1:
            self._total(line, float(found[0]), "total row")
        else:
            many = f"with {len(found)} amounts" if len(found) else "without an amount"
            self._structure(line, "total row", f"total row {many}: declares nothing")
        return True

    def _date_shape(self) -> str | None:
        vc = pc.value_counts(trim(self.t.columns[self.mapping["payment_date"]]))
        return date_shape(vc.field("values").to_pylist(), vc.field("counts").to_pylist())

    def _append(self, rows: list[tuple[int, list[str]]]) -> None:
        t = self.t
        lines = np.concatenate([t.lines, np.array([r[0] for r in rows], dtype="int64")])
        order = np.argsort(lines, kind="stable")
        take = pa.array(order)
        cols = []
        for i, c in enumerate(t.columns):
            chunks = list(c.chunks) if isinstance(c, pa.ChunkedArray) else [c]
            chunks.append(pa.array([r[1][i] for r in rows], type=c.type))
            cols.append(pa.chunked_array(chunks, c.type).take(take))
        t.columns, t.lines = cols, lines[order]

    def _total(self, line: int, amount: float, how: str) -> None:
        self.totals.append((line, amount, how))
        self._structure(line, "total row", f"{how}: declares £{amount:,.2f}")

    def _structure(self, line: int, kind: str, note: str) -> None:
        self.structure.append(StructureLine(line, kind, note))

    # -- the regular rows ---------------------------------------------------------------------
    def classify(self, amounts: np.ndarray, dates: np.ndarray, label: np.ndarray) -> np.ndarray:
        """The loaded mask over the table's rows, given their parsed amounts and dates and which
        rows carry a total label; everything else is counted blank or listed in ``rejections``."""
        t, m = self.t, self.mapping
        dated = "payment_date" in m
        ok = ~np.isnan(amounts)
        if dated:
            ok &= ~np.isnat(dates)
        elif "supplier_name" in m:  # no dates: an amount with no payee goes to the odd-row checks
            ok &= _nonblank(t.columns[m["supplier_name"]])
        for pos in np.flatnonzero(ok & label):
            self._total(int(t.lines[pos]), float(amounts[pos]), "total row")
        loaded = ok & ~label
        rest = np.flatnonzero(~ok)
        if len(rest):
            nonblank = np.zeros(len(rest), dtype=bool)
            for c in t.columns:
                nonblank |= _nonblank(subset(c, rest))
            self.blank += int((~nonblank).sum())
            self.blank_at.append(t.lines[rest[~nonblank]])
            rest = rest[nonblank]
        cells = [subset(c, rest).to_pylist() for c in t.columns] if len(rest) else []
        lone = []  # amount-only rows: totals when they equal the rows above them
        for k, pos in enumerate(rest):
            row = [c[k] for c in cells]
            kind = self._odd_row(int(t.lines[pos]), row, amounts[pos], dates[pos], dated)
            if kind == "lone":
                lone.append(pos)
        self._unlabelled_totals(lone, loaded, amounts)
        return loaded

    def _odd_row(self, line: int, row: list[str], amount: float, date, dated: bool) -> str | None:
        m, header = self.mapping, self.t.header
        first = next((c for c in row if c.strip()), "")
        sup = row[m["supplier_name"]] if "supplier_name" in m else ""
        if TOTAL_LABEL.match(first) or (sup.strip() and TOTAL_LABEL.match(sup)):
            if not np.isnan(amount):
                self._total(line, float(amount), "total row")
            else:
                self._structure(line, "total row", "total row without an amount: declares nothing")
            return None
        if [normalise_header(c) for c in row] == [normalise_header(h) for h in header] or (
            not self.t.match.pivot_of and map_header(row) == map_header(header)
        ):
            self.boundaries.append(line)
            self._structure(line, "repeated header", "the header row again")
            return None
        raw_amount, others = row[m["amount"]].strip(), [c for i, c in enumerate(row) if i != m["amount"]]
        if not np.isnan(amount) and _blank(others):
            return "lone"
        text = [c.strip() for c in row if c.strip()]
        if len(text) <= 2 and np.isnan(amount) and (not dated or np.isnat(date)):
            self.textual[line] = " ".join(text)  # a title, when a repeated header follows (``titles``)
        if not raw_amount:
            reason = "no amount"
        elif np.isnan(amount):
            reason = f"amount '{raw_amount}' is not a number"
        elif dated and not row[m["payment_date"]].strip():
            reason = "no payment date"
        elif dated:
            reason = f"date '{row[m['payment_date']].strip()}' not recognised"
        else:
            reason = "an amount with no supplier"
        self.rejections.append(Rejection(line, reason))
        return None

    def titles(self) -> None:
        """Rows of one or two cells of text (no amount, no date), in one run directly above a repeated
        header (blank lines between the run and the header allowed), are the block's title lines
        ('Payments over £500: May 2023'): structure, not rejections. The same row anywhere else, or
        above a blank line that parts it from the run, stays rejected (e.g. 'no amount')."""
        if not self.boundaries or not self.textual:
            return
        blank = np.sort(np.concatenate([np.array(self.blank_odd, dtype="int64"), *self.blank_at]))

        def is_blank(line: int) -> bool:
            k = int(np.searchsorted(blank, line))
            return k < len(blank) and blank[k] == line

        titles = {}
        for b in self.boundaries:
            line = b - 1
            while line > self.t.header_line and is_blank(line):
                line -= 1
            while line > self.t.header_line and line in self.textual:
                titles[line] = self.textual[line]
                line -= 1
        if titles:
            self.rejections = [r for r in self.rejections if r.line not in titles]
            for line, text in titles.items():
                self._structure(line, "title line", f"a title above a repeated header: '{text}'")

    def _unlabelled_totals(self, lone: list[int], loaded: np.ndarray, amounts: np.ndarray) -> None:
        """An amount alone on its row is a total only at the end of the file or of a block, and only
        when it equals (to the penny) the sum of the loaded rows above it or of its block."""
        if not lone:
            return
        lines = self.t.lines
        data_lines = lines[loaded]
        cum = np.concatenate([[0.0], np.cumsum(amounts[loaded])])
        for pos in lone:
            line, value = int(lines[pos]), float(amounts[pos])
            marks = [b for b in self.boundaries + [t[0] for t in self.totals] if b < line]
            after = [b for b in self.boundaries + [t[0] for t in self.totals] if b > line]
            start = max(marks, default=0)
            end = min(after, default=math.inf)
            above = int(np.searchsorted(data_lines, line))
            block = above - int(np.searchsorted(data_lines, start))
            at_end = above == len(data_lines) or data_lines[above] > end
            sums = (cum[above], cum[above] - cum[above - block])
            if at_end and any(abs(value - s) < PENNY for s in sums):
                self._total(line, value, "unlabelled total row (equals the rows above)")
            else:
                self.rejections.append(
                    Rejection(
                        line,
                        f"amount {value:,.2f} alone on its row (no supplier or date), "
                        "and not a total of the rows above",
                    )
                )

    def declared(self, net: float) -> float | None:
        """The total the file declares: a lone total; the grand total; else the sum of block totals."""
        if not self.totals:
            return None
        totals = sorted(self.totals)
        last = totals[-1][1]
        if (
            len(totals) == 1
            or abs(last - net) <= RECONCILE_TOLERANCE
            or abs(last - sum(t[1] for t in totals[:-1])) <= RECONCILE_TOLERANCE
        ):
            return last
        return float(sum(t[1] for t in totals))


def _repeated(text: str, n: int) -> pd.api.extensions.ExtensionArray:
    """``text`` n times as pandas' ``str`` dtype, built from buffers (a million file names in ms)."""
    b = text.encode()
    offsets = (
        pa.py_buffer(np.arange(0, (n + 1) * len(b), len(b), dtype=np.int64))
        if b
        else pa.py_buffer(np.zeros(n + 1, np.int64))
    )
    arr = pa.Array.from_buffers(TEXT, n, [None, offsets, pa.py_buffer(b * n)])
    return pd.array(arr, dtype=pd.StringDtype("pyarrow", na_value=np.nan))


def _clean_text(col):
    """A text column trimmed, blanks as null."""
    s = trim(col)
    if isinstance(s, pa.ChunkedArray):
        return pa.chunked_array([blank_as_null(c) for c in s.chunks], type=s.type)
    return blank_as_null(s)


def load_spend_file(path: str | Path) -> tuple[pd.DataFrame, LoadReport]:
    """Read one spend file; return (payments in ``SPEND_COLUMNS``, its ``LoadReport``).

    A workbook (.xlsx, .xlsm, .ods) is read sheet by sheet (``load_workbook``). Raises
    ``SpendFileError`` (one line naming the file) when the file cannot be read at all or has no
    recognisable header; rows that cannot be used are rejected in the report instead.
    """
    path = Path(path)
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        return load_workbook(path)
    return _load_table(read_table(path), path)


def _load_table(t: RawTable, path: Path) -> tuple[pd.DataFrame, LoadReport]:
    """One table (a CSV, or one sheet of a workbook) -> its payments and its report."""
    rows = _Rows(t, path)
    report = LoadReport(file=str(path), header_line=t.header_line, encoding=t.encoding)
    report.lines_below_header = t.records
    m = rows.mapping
    _pick_date_column(t, m)
    rows.fold_odd_rows(report)
    n = len(t.lines)
    # Arrow kernels release the GIL: the columns are parsed and cleaned side by side.
    with ThreadPoolExecutor(max_workers=2) as pool:
        amount = t.columns[m["amount"]]
        half = len(amount) // 2 if len(amount) >= SPLIT_ROWS else len(amount)  # the longest job: in two
        jobs = {
            "amount": pool.submit(parse_amounts, amount.slice(0, half)),
            "amount2": pool.submit(parse_amounts, amount.slice(half)),
            "date": pool.submit(parse_dates, t.columns[m["payment_date"]]) if "payment_date" in m else None,
            "label": pool.submit(_label_mask, t.columns[0]),
            "supplier": pool.submit(_supplier_flags, t.columns[m["supplier_name"]])
            if "supplier_name" in m
            else None,
            "source_file": pool.submit(_repeated, path.name, n),  # sliced to the rows loaded
            **{role: pool.submit(_clean_text, t.columns[m[role]]) for role in TEXT_ROLES if role in m},
        }
        got = {k: (f.result() if f is not None else None) for k, f in jobs.items()}
    amounts = np.concatenate([got["amount"], got["amount2"]])
    dates = got["date"] if got["date"] is not None else np.full(n, np.datetime64("NaT"), "datetime64[ns]")
    label, redacted = got["label"], np.zeros(n, dtype=bool)
    if got["supplier"] is not None and m["supplier_name"] != 0:
        label = label | got["supplier"][0]
    if got["supplier"] is not None:
        redacted = got["supplier"][1]
    loaded = rows.classify(amounts, dates, label)
    rows.titles()
    report.layout = _layout_name(t, m)
    report.columns = {role: t.header[i].strip() for role, i in m.items()}

    n_out = int(loaded.sum())
    sel = np.flatnonzero(loaded)
    sel_runs = runs(sel)
    redacted = redacted[loaded]
    cols = {"payment_date": dates[loaded], "amount": amounts[loaded]}
    for role in TEXT_ROLES:
        col = subset(got[role], sel, sel_runs) if role in m else pa.nulls(n_out, TEXT)
        if role == "supplier_name" and redacted.any():  # kept as spend, never as a supplier's name
            col = null_where(col, redacted)
        cols[role] = pd.array(col, dtype="string")
    cols["redacted"] = redacted
    cols["source_file"] = got["source_file"][:n_out]
    cols["source_line"] = t.lines[loaded].astype("int64", copy=False)
    out = pd.DataFrame(cols, columns=SPEND_COLUMNS, copy=False)

    sheet = {"sheet": t.sheet} if t.sheet is not None else {}
    report.rejections = sorted((replace(r, **sheet) for r in rows.rejections), key=lambda r: r.line)
    report.repairs = [replace(r, **sheet) for r in report.repairs]
    report.structure_rows = sorted((replace(r, **sheet) for r in rows.structure), key=lambda r: r.line)
    report.rows_loaded = len(out)
    report.rows_rejected = len(report.rejections)
    report.blank_lines = rows.blank
    kinds = Counter(r.kind for r in report.structure_rows)
    report.structure = {
        "blank_lines": rows.blank,
        "repeated_headers": kinds["repeated header"],
        "title_lines": kinds["title line"],
        "total_rows": kinds["total row"],
    }
    report.structure_lines = sum(report.structure.values())
    report.undated_rows = int(np.isnat(cols["payment_date"]).sum())
    report.net_total = round(float(np.sum(out["amount"].to_numpy())), 2)
    report.declared_total = rows.declared(report.net_total)
    if report.declared_total is not None:
        report.reconciled = abs(report.net_total - report.declared_total) <= RECONCILE_TOLERANCE
    return out, report


# --- workbooks ----------------------------------------------------------------------------------


@dataclass
class _Part:
    """A read sheet while the workbook is put together: its payments, its report, and the summed field
    when it is a pivot table."""

    sheet: SheetReport
    df: pd.DataFrame
    report: LoadReport
    pivot_of: str | None
    _multiset: _Multiset | None = None

    def multiset(self) -> _Multiset:
        """The sheet's payments as a multiset of row hashes over ``_IDENTITY`` (computed once)."""
        if self._multiset is None:
            self._multiset = _Multiset(pd.util.hash_pandas_object(self.df[_IDENTITY], index=False).to_numpy())
        return self._multiset

    def date_range(self) -> tuple[np.datetime64, np.datetime64]:
        """(first, last) payment date; the widest range when a payment has no date."""
        dates = self.df["payment_date"].to_numpy()
        if np.isnat(dates).any():
            return np.datetime64("1677-09-22"), np.datetime64("2262-04-11")
        return dates.min(), dates.max()


#: What makes two payments the same one, for finding a sheet that repeats another.
_IDENTITY = [c for c in SPEND_COLUMNS if c not in ("source_file", "source_line", "redacted")]


def load_workbook(path: Path) -> tuple[pd.DataFrame, LoadReport]:
    """Every sheet of a workbook, each with its own header (sheets may differ in layout and in how many
    title lines they have). Read: the visible sheets with a spend header. Skipped, each with its reason
    in ``LoadReport.sheets``: empty sheets, sheets without a header (notes, cover sheets), hidden ones,
    chart and macro sheets; a summary beside dated payments (a pivot table, or a sheet without dates
    whose total equals the dated sheets'); a sheet whose payments all appear on the sheets read before
    it (a copy, or a whole year beside its months). The file's counts and totals are the sum of the
    sheets read; rejections, repairs and structure lines name their sheet."""
    sheets: list[SheetReport] = []
    parts: list[_Part] = []
    for sheet in read_sheets(path):
        if sheet.table is None:
            sheets.append(SheetReport(sheet.name, False, sheet.skipped, rows=sheet.rows))
            continue
        pivot_of = sheet.table.match.pivot_of
        df, rep = _load_table(sheet.table, path)
        del sheet.table
        s = SheetReport(
            sheet.name,
            True,
            rows=sheet.rows,
            header_line=rep.header_line,
            layout=rep.layout,
            rows_loaded=rep.rows_loaded,
            rows_rejected=rep.rows_rejected,
            rows_repaired=rep.rows_repaired,
            structure_lines=rep.structure_lines,
            net_total=rep.net_total,
            declared_total=rep.declared_total,
            reconciled=rep.reconciled,
        )
        sheets.append(s)
        parts.append(_Part(s, df, rep, pivot_of))
    if not parts:
        why = "; ".join(f"'{s.name}': {s.reason}" for s in sheets) or "the workbook has no sheets"
        raise SpendFileError(f"{NO_HEADER} of any sheet ({why})", path=path)
    _skip_repeats(parts)  # first: a copied sheet must not double the total a summary is checked against
    _skip_summaries(parts)
    return _combine(path, [p for p in parts if p.sheet.read], sheets)


def _skip(part: _Part, reason: str) -> None:
    """Mark a read sheet skipped: its rows count nowhere (the reason says why)."""
    part.sheet.read, part.sheet.reason = False, reason
    for k in ("rows_loaded", "rows_rejected", "rows_repaired", "structure_lines"):
        setattr(part.sheet, k, 0)
    part.sheet.net_total, part.sheet.declared_total, part.sheet.reconciled = 0.0, None, None


def _skip_summaries(parts: list[_Part]) -> None:
    """Sheets of per-supplier sums without dates, beside sheets of dated payments, summarise them."""
    parts = [p for p in parts if p.sheet.read]
    dated = [p for p in parts if p.report.rows_loaded > p.report.undated_rows]
    if not dated:
        return
    dated_net = round(sum(p.report.net_total for p in dated), 2)
    names = _names([p.sheet.name for p in dated])
    for p in parts:
        r = p.report
        if not r.rows_loaded or r.undated_rows < r.rows_loaded:
            continue
        if p.pivot_of:
            _skip(
                p,
                f"a pivot table of '{p.pivot_of}' (per-supplier sums of £{r.net_total:,.2f}, no dates) "
                f"summarising the payments on {names} (£{dated_net:,.2f}): not counted twice",
            )
        elif abs(r.net_total - dated_net) <= RECONCILE_TOLERANCE:
            _skip(
                p,
                f"a summary without payment dates whose total, £{r.net_total:,.2f}, equals that of the "
                f"payments on {names}: not counted twice",
            )
        else:
            p.sheet.note = (
                f"no payment dates, beside {names} with them: its £{r.net_total:,.2f} counts in no "
                "financial year (check it is not a summary of them)"
            )


def _names(names: list[str]) -> str:
    quoted = [f"'{n}'" for n in names]
    return ("sheet " if len(quoted) == 1 else "sheets ") + ", ".join(quoted)


def _skip_repeats(parts: list[_Part]) -> None:
    """In workbook order, a sheet whose every payment (as many times as it holds it) is on the sheets
    kept before it repeats them: skipped, with which. A kept sheet that shares only some payments with
    earlier ones is noted (published workbooks do repeat a payment across months, rarely). Payments are
    compared only between sheets whose payment dates overlap: monthly sheets are never hashed."""
    live = [p for p in parts if p.sheet.read and p.report.rows_loaded]
    if len(live) < 2:
        return
    kept: list[_Part] = []
    for p in live:
        near = [q for q in kept if _dates_overlap(p, q)]
        if not near:
            kept.append(p)
            continue
        mine, n = p.multiset(), p.report.rows_loaded
        same = next((q.sheet.name for q in near if q.multiset() == mine), None)
        have = sum((q.multiset().counts_of(mine.values) for q in near), np.zeros(len(mine.values), np.int64))
        sharing = _names([q.sheet.name for q in near if q.multiset().shares(mine)])
        if same is not None:
            _skip(p, f"repeats sheet '{same}': the same {n:,} payments, not counted twice")
        elif (have >= mine.counts).all():
            _skip(p, f"its {n:,} payments all appear on {sharing}: not counted twice")
        else:
            shared = int(np.minimum(have, mine.counts).sum())
            if shared:
                p.sheet.note = (
                    f"{shared:,} of its payments are identical to ones on {sharing} (counted on both)"
                )
            kept.append(p)


def _dates_overlap(a: _Part, b: _Part) -> bool:
    """Whether two sheets' payment dates overlap (always, when either has a payment without a date)."""
    (a0, a1), (b0, b1) = a.date_range(), b.date_range()
    return a0 <= b1 and b0 <= a1


class _Multiset:
    """Row hashes with their multiplicities: sorted distinct ``values`` and their ``counts``."""

    def __init__(self, keys: np.ndarray):
        self.values, self.counts = np.unique(keys, return_counts=True)

    def counts_of(self, values: np.ndarray) -> np.ndarray:
        """How many times each of ``values`` is in the multiset (0 when it is not)."""
        if not len(self.values):
            return np.zeros(len(values), np.int64)
        idx = np.minimum(np.searchsorted(self.values, values), len(self.values) - 1)
        return np.where(self.values[idx] == values, self.counts[idx], 0)

    def shares(self, other: _Multiset) -> bool:
        return bool(np.isin(other.values, self.values, assume_unique=True).any())

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, _Multiset)
            and np.array_equal(self.values, other.values)
            and np.array_equal(self.counts, other.counts)
        )


#: The counts of a workbook's report that are the sums of its sheets'.
_SUMMED = (
    "rows_loaded",
    "rows_rejected",
    "rows_repaired",
    "blank_lines",
    "undated_rows",
    "lines_below_header",
    "structure_lines",
)


def _combine(path: Path, parts: list[_Part], sheets: list[SheetReport]) -> tuple[pd.DataFrame, LoadReport]:
    """The read sheets as one file: payments one sheet after another, counts summed."""
    reports = [p.report for p in parts]
    first = reports[0]
    df = parts[0].df if len(parts) == 1 else pd.concat([p.df for p in parts], ignore_index=True)
    layouts = list(dict.fromkeys(r.layout for r in reports))
    report = LoadReport(
        file=str(path),
        layout=layouts[0] if len(layouts) == 1 else "several layouts by sheet: " + "; ".join(layouts),
        header_line=first.header_line,
        columns=first.columns,
        encoding=first.encoding,
        sheets=sheets,
    )
    for key in _SUMMED:
        setattr(report, key, sum(getattr(r, key) for r in reports))
    report.structure = {k: sum(r.structure[k] for r in reports) for k in first.structure}
    report.rejections = [x for r in reports for x in r.rejections]
    report.repairs = [x for r in reports for x in r.repairs]
    report.structure_rows = [x for r in reports for x in r.structure_rows]
    report.net_total = round(float(np.sum(df["amount"].to_numpy())), 2)
    # The file declares a total when every sheet with payments does: their sum. It reconciles when
    # each of them does; a sheet that does not makes the file not reconcile, declared total or not.
    paying = [r for r in reports if r.rows_loaded or r.declared_total is not None]
    if any(r.reconciled is False for r in paying):
        report.reconciled = False
    if paying and all(r.declared_total is not None for r in paying):
        report.declared_total = round(sum(r.declared_total for r in paying), 2)
        if report.reconciled is None:
            report.reconciled = True
    return df, report
