"""Tables out of anchorlib, for Excel: workbooks (.xlsx) and CSV, written the same way wherever they come
from (``anchorlib summary --xlsx``, the apps' downloads, the batch reports' workbooks).

A table is a ``Sheet``: its column labels, each column's *kind* and its rows. Numbers stay numbers: a
workbook gets the real values with a number format per kind (``NUMBER_FORMATS``: £ with thousands
separators, shares as %, ...), a CSV their full precision; never formatted text. Each sheet's header row
is bold, frozen and filtered.

Text from input files is text, never a formula (CSV injection, OWASP): a workbook writes every text cell
as a string, and one starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is marked
quote-prefixed too, so Excel keeps it text even when the cell is edited; a CSV, which has no cell types,
puts an apostrophe before such text (``'=HYPERLINK(...)``), as Excel itself does. Numbers are not text:
a negative amount stays a number.

A leaf module: nothing of anchorlib, openpyxl imported on first use, pandas never (a frame is read through
its own methods), so the command line's cached path can write a workbook without loading pandas.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field

#: The kinds of column, and the number format a workbook gives each (text is written as text).
NUMBER_FORMATS = {
    "money": '"£"#,##0.00',  # pounds and pence, thousands separated
    "pct": "0.0%",  # a share (0.456) as 45.6%
    "count": "#,##0",
    "number": "#,##0.##",
    "index": "0",  # a disparity index (100 = parity)
    "ratio": "0.00",  # LM3
    "flag": "General",  # TRUE / FALSE
    "date": "yyyy-mm-dd",
    "text": "@",
}
#: What a text cell may start with that a spreadsheet would take for a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # characters an .xlsx cannot hold
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
MAX_WIDTH = 60  # characters: the widest a column is made


@dataclass
class Sheet:
    """A table for a spreadsheet: ``columns`` (labels), ``kinds`` (a key of ``NUMBER_FORMATS`` per
    column), ``rows`` (Python values; None is a blank cell) and a ``title`` saying what it holds."""

    name: str
    columns: list[str]
    kinds: list[str]
    rows: list[list] = field(default_factory=list)
    title: str = ""

    def __post_init__(self):
        if len(self.kinds) != len(self.columns):
            raise ValueError(f"sheet {self.name}: {len(self.columns)} columns but {len(self.kinds)} kinds")
        unknown = sorted(set(self.kinds) - set(NUMBER_FORMATS))
        if unknown:
            raise ValueError(f"sheet {self.name}: unknown kind(s) {', '.join(unknown)}")

    @classmethod
    def from_frame(cls, name: str, frame, kinds: Mapping[str, str] | None = None, title: str = "") -> Sheet:
        """A pandas DataFrame as a sheet: its columns, each of kind ``kinds[column]`` (else from its
        dtype: bool a flag, integer a count, float a number, anything else text), no index."""
        kinds = dict(kinds or {})
        columns = [str(c) for c in frame.columns]
        guessed = [kinds.get(c) or _kind_of(frame[c].dtype) for c in frame.columns]
        data = [frame[c].tolist() for c in frame.columns]
        return cls(name, columns, guessed, [list(r) for r in zip(*data)] if data else [], title)

    def to_json(self) -> dict:
        """The sheet as plain JSON (``from_json`` reads it back), e.g. to store with a command's result."""
        return asdict(self) | {"rows": [[_plain(v) for v in r] for r in self.rows]}

    @classmethod
    def from_json(cls, data: Mapping) -> Sheet:
        return cls(**data)


def _kind_of(dtype) -> str:
    text = str(dtype).lower()
    if "bool" in text:
        return "flag"
    if "int" in text:
        return "count"
    if "float" in text:
        return "number"
    return "date" if "datetime" in text else "text"


def _plain(value):
    """A cell value as Python's own: None for missing (None, NaN, pandas' NA and NaT), bool, int, float,
    a date, or text."""
    if value is None:
        return None
    if type(value).__module__ == "numpy" and callable(getattr(value, "item", None)):
        value = value.item()  # a NumPy scalar (np.float64 is a float, but its repr is not a number's)
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return None if isinstance(value, float) and math.isnan(value) else value
    if isinstance(value, (dt.datetime, dt.date)):
        return None if str(value) == "NaT" else value
    if type(value).__name__ in ("NAType", "NaTType"):
        return None
    return str(value)


def choices_sheet(choices: Mapping[str, object], name: str = "choices", title: str = "") -> Sheet:
    """The choices behind a workbook's figures as a two-column sheet (what, value)."""
    rows = [[str(k), None if v is None else _text_of(v)] for k, v in choices.items()]
    return Sheet(name, ["Choice", "Value"], ["text", "text"], rows, title or "The choices behind the figures")


def _text_of(value) -> str:
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value)
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def neutralised(text: str) -> str:
    """Text for a CSV field that a spreadsheet will not take for a formula: an apostrophe before text
    starting with ``FORMULA_START``."""
    return "'" + text if text.startswith(FORMULA_START) else text


def sheet_names(sheets: Sequence[Sheet]) -> list[str]:
    """Each sheet's name as a workbook allows it: at most 31 characters, none of []:*?/\\, not blank,
    no two the same (in any case)."""
    out, seen = [], set()
    for s in sheets:
        base = _SHEET_BAD.sub("-", s.name).strip("' ")[:31] or "sheet"
        name, n = base, 2
        while name.lower() in seen:
            suffix = f" ({n})"
            name, n = base[: 31 - len(suffix)] + suffix, n + 1
        seen.add(name.lower())
        out.append(name)
    return out


def xlsx_bytes(sheets: Sequence[Sheet], title: str = "") -> bytes:
    """The sheets as one .xlsx workbook (openpyxl's write-only mode: rows are streamed, so a large table
    costs no more memory than its rows)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    wb.properties.creator = "anchorlib"
    if title:
        wb.properties.title = _clean(title)
    bold = Font(bold=True)
    for sheet, name in zip(sheets, sheet_names(sheets)):
        ws = wb.create_sheet(name)
        widths = _widths(sheet)
        for i, w in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = w
        ws.freeze_panes = "A2"
        if sheet.columns:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(sheet.columns))}{len(sheet.rows) + 1}"
        header = []
        for label in sheet.columns:
            cell = _text_cell(WriteOnlyCell(ws), label)
            cell.font = bold
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            header.append(cell)
        ws.append(header)
        styles = [_style(WriteOnlyCell(ws), kind) for kind in sheet.kinds]  # one per column, shared
        quoted = _style(WriteOnlyCell(ws), "text", quote=True)
        for row in sheet.rows:
            ws.append(
                [_cell(WriteOnlyCell(ws), v, k, st, quoted) for v, k, st in zip(row, sheet.kinds, styles)]
            )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _clean(text: str) -> str:
    return _ILLEGAL.sub("\ufffd", text)


def _text_cell(cell, text: str):
    """``cell`` holding ``text`` as a string, never a formula (quote-prefixed where it looks like one)."""
    cell.value = _clean(text)
    cell.data_type = "s"
    if text.startswith(FORMULA_START):
        cell.quotePrefix = True
    return cell


def _style(cell, kind: str, quote: bool = False):
    """The style of a column's cells (its number format; ``quote``: text kept text when edited), made once
    on ``cell`` and shared by the column: a write-only sheet writes each cell's style and drops the cell."""
    cell.number_format = NUMBER_FORMATS[kind]
    cell.quotePrefix = quote
    return cell._style


def _cell(cell, value, kind: str, style, quoted):
    """``cell`` holding ``value`` as its kind: a number (in full: openpyxl itself would write a float to 16
    significant digits, where its shortest repr, up to 17, reads back as the same double), TRUE/FALSE, a
    date, or text (never a formula). Set directly: openpyxl's checks of a value cost more than the rest."""
    value = _plain(value)
    if value is None:
        return cell
    if isinstance(value, (int, float)) and kind != "text":
        if isinstance(value, bool):
            cell._value, cell.data_type = value, "b"
        elif math.isfinite(value):
            cell._value, cell.data_type = repr(float(value)) if isinstance(value, float) else str(value), "n"
        else:
            return cell  # an infinite ratio (a share of nothing) is blank, as a missing one
        cell._style = style
        return cell
    if isinstance(value, (dt.date, dt.datetime)) and kind != "text":
        cell.value = value
        cell._style = style
        return cell
    text = value if isinstance(value, str) else str(value)  # a number in a text column stays as it reads
    cell._value, cell.data_type = _clean(text), "s"
    cell._style = quoted if text.startswith(FORMULA_START) else style
    return cell


def _widths(sheet: Sheet, sample: int = 500) -> list[float]:
    """Column widths in characters from the header and the first ``sample`` rows (as they read)."""
    out = []
    for i, label in enumerate(sheet.columns):
        longest = max(
            [min(len(w), MAX_WIDTH) for w in label.split()]
            + [min(len(label), 24)]
            + [len(_shown(r[i], sheet.kinds[i])) for r in sheet.rows[:sample]]
        )
        out.append(min(max(longest + 2, 8), MAX_WIDTH))
    return out


def _shown(value, kind: str) -> str:
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"money": f"£{value:,.2f}", "pct": f"{value:.1%}", "count": f"{value:,.0f}"}.get(
            kind, f"{value:,.2f}"
        )
    return str(value)


def csv_bytes(sheet: Sheet) -> bytes:
    """The sheet as CSV for Excel: UTF-8 with a byte-order mark (so £ and accents read right), CRLF line
    ends, the header line, numbers at full precision, TRUE/FALSE, blanks for missing values, text
    ``neutralised``."""
    out = io.StringIO(newline="")
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow([neutralised(c) for c in sheet.columns])
    for row in sheet.rows:
        w.writerow([_csv_field(v) for v in row])
    return out.getvalue().encode("utf-8-sig")


def _csv_field(value) -> str:
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (int, dt.date)):
        return str(value)
    return neutralised(value)


def file_name(parts: Iterable[object], ext: str) -> str:
    """A file name saying what a file holds and for which choices, from ``parts`` (e.g. 'leakage',
    'top-suppliers', an anchor id, a year): each reduced to letters, digits, '_' and '-', joined by '_', at
    most 150 characters before ``.ext``; nothing a file system or a browser could read otherwise."""
    words = [re.sub(r"[^A-Za-z0-9_]+", "-", str(p)).strip("-_") for p in parts if p not in (None, "")]
    stem = "_".join(w for w in words if w)[:150].strip("-_") or "table"
    return f"{stem}.{ext}"
