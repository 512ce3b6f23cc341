"""Read a spend file into a ``RawTable``: its header, then every record below it as text with its line.

CSV: the title lines and header are found with Python's csv module on the first lines; the body is
read by ``pyarrow.csv`` as strings (fast, multi-threaded). Every record is accounted for: when the
body has records whose field count differs from the header's, pyarrow is asked again, serially, for
their line numbers; when records and physical lines do not pair one to one (a quoted newline), the
body is read again with the csv module. Workbooks (.xlsx, .xlsm, .ods): every sheet, each with its own
header, or the reason it is skipped (``read_sheets``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from anchorlib import collector
from anchorlib.data.ingest.headers import HeaderMatch, find_header
from anchorlib.data.ingest.values import PAD_CHARS, TEXT
from anchorlib.errors import AnchorlibError, SpendFileError

DELIMITERS = (",", ";", "\t", "|")
HEAD_LINES = 80  # the header must start within the first 60 records; 80 lines leaves room
_UTF8_BOM = b"\xef\xbb\xbf"
NO_HEADER = (
    "no header row found: expected columns for an amount and a supplier or payment date in the first 60 rows"
)


@dataclass
class RawTable:
    """A file's header and body as text. ``columns`` and ``lines`` are parallel (one entry per row)."""

    header: list[str]
    header_line: int  # 1-based line (sheet row for Excel) of the header
    match: HeaderMatch
    columns: list[pa.Array | pa.ChunkedArray]  # one string column per header column
    lines: np.ndarray  # int64, 1-based source line of each row
    odd: list[tuple[int, list[str]]] = field(default_factory=list)  # rows of another width: (line, cells)
    encoding: str = "utf-8"  # a CSV's encoding; a workbook's format ('xlsx', 'xlsm', 'ods')
    sheet: str | None = None  # the workbook sheet it is

    @property
    def records(self) -> int:
        """Records below the header (as read, before any is folded or repaired)."""
        return len(self.lines) + len(self.odd)


def read_table(path: Path) -> RawTable:
    """A CSV (``.csv``, ``.txt``, ``.tsv`` or no suffix); raise ``SpendFileError`` for an unreadable or
    header-less file, or a suffix that is neither a CSV's nor a workbook's (``read_sheets``)."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv", ""):
        return read_csv(path)
    raise SpendFileError(f"unsupported file type '{suffix}' (expected .csv, .xlsx, .xlsm or .ods)", path=path)


# --- CSV ----------------------------------------------------------------------------------------


def _to_utf8(raw: bytes, path: Path) -> tuple[bytes, str]:
    """The file as UTF-8 bytes (BOM removed) and the encoding it was in."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16").encode("utf-8"), "utf-16"
        except UnicodeDecodeError as err:  # a BOM, then bytes that are not UTF-16 (cut short, or not text)
            raise SpendFileError(
                "starts with a UTF-16 byte order mark but is not UTF-16 text "
                f"({err.reason} at byte {err.start})",
                path=path,
            ) from None
    if b"\x00" in raw[:4096]:
        raise SpendFileError("binary content: not a CSV spend file", path=path)
    if raw.startswith(_UTF8_BOM):
        return raw[len(_UTF8_BOM) :], "utf-8-sig"
    return raw, "utf-8"


def _transcode(raw: bytes) -> tuple[bytes, str]:
    """Bytes that are not UTF-8: Windows-1252 (the '£' of Excel's CSV export), else Latin-1."""
    try:
        return raw.decode("cp1252").encode("utf-8"), "cp1252"
    except UnicodeDecodeError:
        return raw.decode("latin-1").encode("utf-8"), "latin-1"


def _head_offsets(data: bytes, n: int) -> list[int]:
    """Byte offsets just past each of the first ``n`` line ends."""
    out, pos = [], 0
    while len(out) < n:
        nxt = data.find(b"\n", pos)
        if nxt < 0:
            if pos < len(data):
                out.append(len(data))
            break
        pos = nxt + 1
        out.append(pos)
    return out


def _head_records(lines: list[str], delimiter: str) -> tuple[list[list[str]], list[int], list[int]]:
    """Records of the head, the 1-based line each starts on, and the number of lines read after it."""
    reader = csv.reader(iter(lines), delimiter=delimiter)
    records, starts, ends = [], [], []
    start = 1
    try:
        for rec in reader:
            records.append(rec)
            starts.append(start)
            ends.append(reader.line_num)
            start = reader.line_num + 1
    except csv.Error:
        pass  # a head cut inside a quoted field: the records so far are enough
    return records, starts, ends


def _find_csv_header(head: str) -> tuple[str, HeaderMatch, list[str], int, int] | None:
    """(delimiter, match, header cells, header line, lines through the header) of the best delimiter."""
    lines = [ln + "\n" for ln in head.split("\n")]
    if lines and lines[-1] == "\n":
        lines.pop()
    best = None
    for delim in DELIMITERS:
        records, starts, ends = _head_records(lines, delim)
        m = find_header(records)
        if m is None:
            continue
        score = len(m.mapping) + (1 if delim == "," else 0)
        if best is None or score > best[0]:
            best = (score, delim, m, records[m.index], starts[m.index], ends[m.index])
    return None if best is None else best[1:]


HEAD_BYTES = 1 << 20
BLOCK_SIZE = 4 << 20  # pyarrow's unit of parallel parsing


def read_csv(path: Path) -> RawTable:
    """The file is memory-mapped and handed to pyarrow as it is when it is UTF-8 (the usual case);
    other encodings, and old Mac line ends, are converted to UTF-8 in memory first."""
    try:
        if path.stat().st_size == 0:
            raise SpendFileError("empty file", path=path)
        buf = pa.memory_map(str(path)).read_buffer()
    except OSError as exc:
        raise SpendFileError(f"cannot read file ({exc.strerror or exc})", path=path) from exc
    head = buf.slice(0, min(buf.size, HEAD_BYTES)).to_pybytes()
    if head.startswith(_UTF8_BOM):
        buf, head = buf.slice(len(_UTF8_BOM)), head[len(_UTF8_BOM) :]
        encoding = "utf-8-sig"
    else:
        encoding = "utf-8"
    cut = head.rfind(b"\n") + 1 if buf.size > HEAD_BYTES else len(head)
    try:
        text = head[:cut].decode("utf-8")
        plain = "\x00" not in text[:4096] and ("\n" in text or "\r" not in text)
    except UnicodeDecodeError:
        plain = False
    if not plain:  # UTF-16, Windows-1252, binary, or CR line ends: work on converted bytes
        data, encoding = _to_utf8(
            buf.to_pybytes() if encoding == "utf-8" else _UTF8_BOM + buf.to_pybytes(), path
        )
        if b"\n" not in data[:HEAD_BYTES] and b"\r" in data:
            data = data.replace(b"\r", b"\n")
        try:
            data[:HEAD_BYTES].decode("utf-8")
        except UnicodeDecodeError:
            data, encoding = _transcode(data)
        buf, head = pa.py_buffer(data), data[:HEAD_BYTES]
    return _read_csv_body(path, buf, head, encoding)


def _read_csv_body(path: Path, buf: pa.Buffer, head: bytes, encoding: str) -> RawTable:
    offsets = _head_offsets(head, HEAD_LINES)
    try:
        text = head[: offsets[-1]].decode("utf-8") if offsets else ""
    except UnicodeDecodeError:  # the head decodes but a line cut at HEAD_BYTES does not
        text = head[: offsets[-2]].decode("utf-8") if len(offsets) > 1 else ""
    found = _find_csv_header(text)
    if found is None:
        raise SpendFileError(NO_HEADER, path=path)
    delim, match, header, header_line, through = found
    body_start = offsets[through - 1]
    first_line = through + 1
    try:
        columns, lines, odd = _arrow_body(buf, body_start, first_line, len(header), delim)
    except pa.ArrowInvalid as exc:
        if "utf8" in str(exc).lower().replace("-", "") and encoding in ("utf-8", "utf-8-sig"):
            data, encoding = _transcode(buf.to_pybytes())
            return _read_csv_body(path, pa.py_buffer(data), data[:HEAD_BYTES], encoding)
        columns = None
    if columns is None:  # records and lines do not pair up, or pyarrow could not parse: the csv module
        text = buf.slice(body_start).to_pybytes().decode("utf-8")
        with collector.paused():  # a list per record, as read_excel's rows
            columns, lines, odd = _python_body(text, first_line, len(header), delim, path)
    return RawTable(header, header_line, match, columns, lines, odd, encoding)


def _count_lines(buf: pa.Buffer) -> int:
    """Physical lines in ``buf`` (a last line without its line end counts)."""
    a = np.frombuffer(buf, dtype=np.uint8)
    step = 1 << 22  # 4 MB at a time: no buffer-sized temporary
    n = sum(int(np.count_nonzero(a[i : i + step] == 10)) for i in range(0, len(a), step))
    return n + (1 if len(a) and a[-1] != 10 else 0)


def _arrow_body(buf: pa.Buffer, start: int, first_line: int, n: int, delim: str):
    """(columns, lines, odd rows) via pyarrow, or (None, None, None) when lines cannot be assigned."""
    body = buf.slice(start)
    if body.size == 0:
        return [pa.array([], TEXT) for _ in range(n)], np.zeros(0, dtype="int64"), []
    names = [f"c{i}" for i in range(n)]

    def read(threads: bool, bad: list, quoted_newlines: bool):
        def handler(row):
            bad.append((row.number, row.text))
            return "skip"

        return pacsv.read_csv(
            body,
            read_options=pacsv.ReadOptions(column_names=names, use_threads=threads, block_size=BLOCK_SIZE),
            parse_options=pacsv.ParseOptions(
                delimiter=delim,
                newlines_in_values=quoted_newlines,
                ignore_empty_lines=False,
                invalid_row_handler=handler,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={c: TEXT for c in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )

    # First the fast way, as if no quoted value held a line end. Such a value split across two
    # blocks leaves a half-row of another width (or the records and lines do not pair up), so any
    # odd row or mismatch means reading again with quoted newlines allowed.
    bad: list = []
    with ThreadPoolExecutor(max_workers=1) as pool:  # lines counted while pyarrow reads
        counting = pool.submit(_count_lines, body)
        table = read(True, bad, False)
        expected = counting.result()
    if bad or table.num_rows != expected:
        bad = []
        table = read(True, bad, True)
    if table.num_rows + len(bad) != expected:
        return None, None, None
    if bad:  # threaded reads do not number invalid rows: ask again, serially
        bad = []
        table = read(False, bad, True)
    odd_numbers = np.array(sorted(b[0] for b in bad), dtype="int64")
    all_lines = np.arange(1, expected + 1, dtype="int64")
    lines = np.setdiff1d(all_lines, odd_numbers, assume_unique=True) if bad else all_lines
    odd = [(first_line - 1 + num, next(csv.reader([text], delimiter=delim), [])) for num, text in sorted(bad)]
    columns = [table.column(i) for i in range(n)]
    return columns, lines + (first_line - 1), odd


def _python_body(text: str, first_line: int, n: int, delim: str, path: Path):
    """The body through the csv module (quoted newlines): slower, same result."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    rows, lines, odd = [], [], []
    start = first_line
    try:
        for rec in reader:
            if len(rec) == n:
                rows.append(rec)
                lines.append(start)
            else:  # an empty line is a record of no fields: odd, and counted blank later
                odd.append((start, rec))
            start = first_line + reader.line_num
    except csv.Error as exc:
        raise SpendFileError(f"malformed CSV ({exc})", path=path, line=start) from exc
    return _columns(rows, n), np.array(lines, dtype="int64"), odd


def _columns(rows: list[list[str]], n: int) -> list[pa.Array]:
    return [pa.array([r[i] for r in rows], type=TEXT) for i in range(n)]


# --- Excel --------------------------------------------------------------------------------------


def cell_text(value: object) -> str:
    """An Excel cell as the text a CSV export would hold (dates ISO, whole numbers without '.0')."""
    if type(value) is str:  # most cells: returned before any other test
        return value
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
    return str(value)


WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".ods")
_SHEET_KINDS = {  # python-calamine's SheetTypeEnum names of sheets without a table of cells
    "ChartSheet": "a chart sheet (no cells)",
    "DialogSheet": "a dialog sheet (no cells)",
    "MacroSheet": "a macro sheet (not data)",
    "Vba": "a VBA module (not data)",
}
_HIDDEN = {"Hidden": "hidden", "VeryHidden": "hidden (very hidden: only a macro can show it)"}


@dataclass
class Sheet:
    """One sheet of a workbook: its ``table`` (its header and the rows below it), or why it is
    ``skipped``. ``rows``: the sheet's rows through its last used one."""

    name: str
    rows: int = 0
    table: RawTable | None = None
    skipped: str | None = None


def _sheets_calamine(path: Path):
    """(name, why it has no cells or None, hidden or None, [rows] or []) per sheet via python-calamine
    (Rust; ~20x openpyxl). Empty leading rows are kept (``skip_empty_area=False``) so that a row's index
    + 1 is its sheet row number. The rows come in a list the caller empties, so that this generator holds
    no sheet's cells while the caller works; the workbook is closed before its last sheet is yielded."""
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    metas = wb.sheets_metadata
    try:
        for k, meta in enumerate(metas):  # the enums are neither hashable nor named: 'SheetTypeEnum.Vba'
            kind = _SHEET_KINDS.get(str(meta.typ).rpartition(".")[2])
            box = [] if kind else [wb.get_sheet_by_name(meta.name).to_python(skip_empty_area=False)]
            if k == len(metas) - 1:
                wb = _close(wb)
            yield meta.name, kind, _HIDDEN.get(str(meta.visible).rpartition(".")[2]), box
    finally:
        _close(wb)


def _close(wb) -> None:
    """Close a python-calamine workbook (None: already closed); returns None."""
    if wb is not None and hasattr(wb, "close"):
        wb.close()


def _sheets_openpyxl(path: Path):
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        for ws in wb.worksheets:
            hidden = {"hidden": _HIDDEN["Hidden"], "veryHidden": _HIDDEN["VeryHidden"]}.get(ws.sheet_state)
            yield ws.title, None, hidden, [ws.iter_rows(values_only=True)]
    finally:
        wb.close()


def _is_empty(rows: list[list[str]]) -> bool:
    return not any(c.strip(PAD_CHARS) for r in rows for c in r)


def _sheet(name: str, rows: list[list[str]], hidden: str | None, fmt: str) -> Sheet:
    """A sheet's cells (as text) -> its table, or why it is skipped."""
    if _is_empty(rows):
        return Sheet(name, len(rows), skipped="empty")
    match = find_header(rows)
    if hidden:
        held = (
            f"; it holds a spend header at row {match.index + 1} and {len(rows) - match.index - 1:,} rows "
            "below it, not counted: unhide the sheet to load them"
            if match is not None
            else ""
        )
        return Sheet(name, len(rows), skipped=hidden + held)
    if match is None:
        return Sheet(name, len(rows), skipped="no header row found in its first 60 rows")
    return Sheet(name, len(rows), table=_excel_table(rows, match, fmt, name))


def read_sheets(path: Path) -> Iterator[Sheet]:
    """Every sheet of an .xlsx, .xlsm or .ods workbook in order, one at a time (a sheet's cells are
    freed before the next is read): its table when it has a recognisable header and is visible, else
    the reason it is skipped. A row's line is its sheet row number."""
    fmt = path.suffix.lower().lstrip(".")
    try:
        import python_calamine  # noqa: F401  (the fast reader when installed)

        sheets = _sheets_calamine
    except ImportError as exc:
        if fmt == "ods":
            raise SpendFileError(
                "reading .ods needs python-calamine (pip install python-calamine)", path=path
            ) from exc
        sheets = _sheets_openpyxl
    what = "an OpenDocument spreadsheet" if fmt == "ods" else "an Excel workbook"
    try:
        for name, kind, hidden, box in sheets(path):
            if kind is not None:
                sheet = Sheet(name, skipped=kind)
            else:
                with collector.paused():  # a list per row: the collector would walk them all, freeing nothing
                    rows = [list(map(cell_text, r)) for r in box.pop()]  # the reader's cells freed after
                    sheet = _sheet(name, rows, hidden, fmt)
                    del rows
            yield sheet
            del sheet
    except OSError as exc:
        raise SpendFileError(f"cannot read file ({exc.strerror or exc})", path=path) from exc
    except SpendFileError:
        raise
    except Exception as exc:  # the readers raise many types for a broken zip or a file of another kind
        raise SpendFileError(f"cannot open as {what} ({type(exc).__name__}: {exc})", path=path) from exc
    except (
        BaseException
    ) as exc:  # a panic in python-calamine's Rust is pyo3's PanicException (not an Exception)
        if type(exc).__name__ != "PanicException":
            raise
        raise SpendFileError(f"cannot open as {what} (the reader failed: {exc})", path=path) from exc


def workbook_rows(
    path: Path, what: str, error: type[AnchorlibError] = SpendFileError
) -> Iterator[tuple[str, str | None, list[list[str]]]]:
    """(name, why it is not read or None, its rows as text) of each sheet of a workbook, one at a time (a
    hidden sheet, a chart or macro sheet comes with its reason and no rows). Row k of the list is sheet row
    k + 1. A workbook that cannot be read is one line, ``error`` naming it as ``what`` ('an Excel
    workbook')."""
    try:
        import python_calamine  # noqa: F401  (the fast reader when installed)

        sheets = _sheets_calamine
    except ImportError:
        sheets = _sheets_openpyxl
    try:
        for name, kind, hidden, box in sheets(path):
            if kind is not None or hidden is not None:
                yield name, kind or hidden, []
                continue
            with collector.paused():
                rows = [list(map(cell_text, r)) for r in box.pop()]
            yield name, None, rows
    except OSError as exc:
        raise error(f"cannot read file ({exc.strerror or exc})", path=path) from exc
    except Exception as exc:  # the readers raise many types for a broken zip or a file of another kind
        raise error(f"cannot open as {what} ({type(exc).__name__}: {exc})", path=path) from exc
    except BaseException as exc:  # python-calamine's Rust panics (pyo3's PanicException)
        if type(exc).__name__ != "PanicException":
            raise
        raise error(f"cannot open as {what} (the reader failed: {exc})", path=path) from exc


def _excel_table(rows: list[list[str]], match: HeaderMatch, fmt: str, sheet: str) -> RawTable:
    header = rows[match.index]
    while header and not header[-1].strip():
        header = header[:-1]
    n = len(header)
    body, lines, odd = [], [], []
    for k in range(match.index + 1, len(rows)):
        cells = rows[k] + [""] * (n - len(rows[k]))  # cells past a row's end are empty in a sheet
        if len(cells) > n and any(c.strip() for c in cells[n:]):
            odd.append((k + 1, cells))
        else:
            body.append(cells[:n])
            lines.append(k + 1)
    return RawTable(
        header, match.index + 1, match, _columns(body, n), np.array(lines, dtype="int64"), odd, fmt, sheet
    )
