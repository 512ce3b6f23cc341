"""Reading the small CSV tables of a dataset folder, with one-line errors naming the file, line and problem.

``read_table`` takes whatever a user saved as CSV (UTF-8 with or without a byte-order mark, UTF-16,
Windows-1252; separated by commas, or semicolons, tabs or bars; blank lines anywhere; a record split over
lines by a quoted line break) and returns its
rows with each row's index = its CSV line - 2, so ``index + 2`` is always the line a message names. It
refuses, with one line each, what cannot be a table: an empty file, a folder, binary content, a
spreadsheet saved under a .csv name, a line with more fields than the header, an unclosed quote, a
column the reader needs that the header names twice.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from anchorlib.errors import DatasetError

_TRUE = {"true", "yes", "y", "1", "t"}
_FALSE = {"false", "no", "n", "0", "f"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_BYTES = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])  # not tab, line feed, return
_LEADING_BLANK_LINES = re.compile(rb"(?:[ \t]*(?:\r\n|\n|\r))*")
_CHUNK = 1 << 23  # bytes checked as UTF-8 at a time: the text itself is never held whole


def shown(value: object, limit: int = 60) -> str:
    """A value from a file as a message shows it: on one line, control characters as '?', at most
    ``limit`` characters."""
    s = " ".join(_CONTROL.sub("?", str(value)).split())
    return s if len(s) <= limit else s[: limit - 3] + "..."


def counted(n: int, singular: str, plural: str | None = None) -> str:
    """'1 postcode', '2 postcodes' (``plural`` where adding an s will not do: 'entry', 'entries')."""
    return f"{n} {singular if n == 1 else plural or singular + 's'}"


def _clean_header(name: object) -> str:
    return "" if pd.isna(name) else str(name).replace("\ufeff", "").replace("ï»¿", "").strip()


def _is_utf8(raw: bytes) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for start in range(0, len(raw), _CHUNK):
            decoder.decode(raw[start : start + _CHUNK], final=start + _CHUNK >= len(raw))
    except UnicodeDecodeError:
        return False
    return True


def _utf16_without_bom(raw: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when ``raw`` looks like UTF-16 text without a byte-order mark (every other
    byte of ASCII text is 0), else None."""
    sample = raw[:4096]
    half = max(len(sample) // 2, 1)
    if sample[1::2].count(0) >= 0.9 * half and sample[0::2].count(0) <= 0.1 * half:
        return "utf-16-le"
    if sample[0::2].count(0) >= 0.9 * half and sample[1::2].count(0) <= 0.1 * half:
        return "utf-16-be"
    return None


def _decode(raw: bytes, shown_path: object) -> tuple[bytes, str]:
    """(the file's bytes without a byte-order mark, the encoding to read them with). UTF-16 is re-encoded
    as UTF-8, so that every file reaches the parser as UTF-8 or Windows-1252 bytes."""

    def fail(problem: str) -> DatasetError:
        return DatasetError(problem, path=shown_path)

    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or _utf16_without_bom(raw):
        encoding = "utf-16" if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else None
        try:
            return raw.decode(encoding or _utf16_without_bom(raw)).lstrip("\ufeff").encode("utf-8"), "utf-8"
        except UnicodeDecodeError as exc:
            raise fail(f"is not valid UTF-16 text (byte {exc.start}); save it as CSV (UTF-8)") from None
    if raw.startswith(b"PK\x03\x04"):
        raise fail("is a zip file (an .xlsx or .ods workbook?), not CSV text; save it as CSV (UTF-8)")
    if b"\x00" in raw[: 1 << 16]:
        raise fail("holds binary content (NUL bytes), not CSV text")
    if _is_utf8(raw):
        return raw, "utf-8"
    try:
        raw.decode("cp1252")  # the five bytes cp1252 leaves undefined are not text
    except UnicodeDecodeError as exc:
        byte = f"byte 0x{raw[exc.start]:02x} at offset {exc.start}"
        raise fail(f"is not text in UTF-8, UTF-16 or Windows-1252 ({byte})") from None
    return raw, "cp1252"


def _physical_lines(raw: bytes) -> int:
    crlf = raw.count(b"\r\n")
    n = raw.count(b"\n") + raw.count(b"\r") - crlf
    return n + (0 if raw.endswith((b"\n", b"\r")) else 1)


def _records_by_csv(
    text: str, shown_path: object, lead: int, sep: str = ","
) -> tuple[list[list[str]], list[int]]:
    """Every record of ``text`` with the line it starts on (Python's csv module: slower than pandas' parser,
    used when a record spans lines or a line has too many fields). One-line errors for an unclosed quote
    and for a line with more non-blank fields than the header."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, skipinitialspace=True, strict=False)
    records, starts, previous = [], [], 0
    for row in reader:
        records.append(row)
        starts.append(lead + previous + 1)
        previous = reader.line_num
    if records and text.count('"') % 2 and any("\n" in f or "\r" in f for f in records[-1]):
        raise DatasetError(
            'a quote (") opened on this line is never closed', path=shown_path, line=starts[-1]
        )
    width = len(records[0]) if records else 0
    for row, line in zip(records, starts):
        if len(row) > width and any(f.strip() for f in row[width:]):
            raise DatasetError(
                f"the line has {len(row)} fields but the header has {width}", path=shown_path, line=line
            )
    return records, starts


def _separator(body: bytes) -> tuple[str, int]:
    """(the field separator, the length of an Excel 'sep=;' line to skip, else 0): ',' unless the header
    line holds no comma but semicolons, tabs or bars (a European Excel's CSV)."""
    first = body.split(b"\n", 1)[0].split(b"\r", 1)[0]
    hinted = re.fullmatch(rb"sep=(.)", first.strip())
    if hinted and hinted.group(1) in b",;\t|":
        rest = body[len(first) :]
        return hinted.group(1).decode(), len(first) + (2 if rest.startswith(b"\r\n") else 1 if rest else 0)
    if b"," in first:
        return ",", 0
    counts = {sep: first.count(sep.encode()) for sep in (";", "\t", "|")}
    best = max(counts, key=counts.get)
    return (best if counts[best] else ","), 0


def _parse(raw: bytes, encoding: str, shown_path: object) -> tuple[pd.DataFrame, list[int]]:
    """All records as strings (row 0 the header, blank lines as rows of <NA>) and the line each starts on."""
    lead_bytes = _LEADING_BLANK_LINES.match(raw).group()
    lead = _physical_lines(lead_bytes) if lead_bytes else 0  # whole blank lines, each ending in a line break
    body = raw[len(lead_bytes) :]
    sep, hint = _separator(body)
    if hint:  # Excel's 'sep=;' line: a line of the file, not the header
        body, lead = body[hint:], lead + 1
    if not body.strip():
        raise DatasetError("the file is empty", path=shown_path)
    options = dict(header=None, dtype="string", keep_default_na=False, na_values=[""], skip_blank_lines=False)
    try:
        frame = pd.read_csv(io.BytesIO(body), sep=sep, encoding=encoding, skipinitialspace=True, **options)
        if len(frame) == _physical_lines(body):  # one record per line: record i starts on line i + 1
            return frame, [lead + i + 1 for i in range(len(frame))]
    except (pd.errors.ParserError, ValueError, OverflowError):
        pass  # too many fields on a line, an unclosed quote: the csv module finds the line and says which
    records, starts = _records_by_csv(body.decode(encoding), shown_path, lead, sep)
    width = len(records[0])
    rows = [(r + [None] * width)[:width] for r in records]
    frame = pd.DataFrame(rows, dtype="string").replace("", pd.NA)
    return frame, starts


def read_table(
    path: Path,
    required: list[str],
    optional: list[str] = (),
    aliases: dict[str, list[str]] | None = None,
    *,
    root: Path | None = None,
) -> pd.DataFrame:
    """Read a CSV as strings, rename alias columns to their canonical names and check ``required``.

    The index of each row is its CSV line - 2 (blank lines and rows of empty fields are dropped, and a
    record that a quoted line break spreads over lines counts from its first). Values are stripped; blank
    is <NA>. Raises DatasetError naming the file (relative to ``root``), the line where one applies, and
    the problem.
    """
    shown_path = path.relative_to(root) if root is not None and path.is_relative_to(root) else path
    if not path.exists():
        raise DatasetError("required file is missing", path=shown_path)
    if path.is_dir():
        raise DatasetError("is a folder, not a CSV file", path=shown_path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DatasetError(f"cannot be read ({exc.strerror or exc})", path=shown_path) from None
    if not raw.strip():
        raise DatasetError("the file is empty", path=shown_path)
    raw, encoding = _decode(raw, shown_path)
    sample = raw[: 1 << 16]
    if len(sample) - len(sample.translate(None, _CONTROL_BYTES)) > 8:
        raise DatasetError("holds binary content (control characters), not CSV text", path=shown_path)
    frame, starts = _parse(raw, encoding, shown_path)
    header = [_clean_header(c) for c in frame.iloc[0]]
    wanted = {alt.lower() for c in [*required, *optional] for alt in [c, *(aliases or {}).get(c, [])]}
    names, seen = [], {}
    for i, h in enumerate(header):
        name = h or f"(column {i + 1})"
        seen[name.lower()] = seen.get(name.lower(), 0) + 1
        if seen[name.lower()] > 1:
            if name.lower() in wanted:
                raise DatasetError(
                    f"column '{shown(name)}' appears twice in the header", path=shown_path, line=starts[0]
                )
            name = f"{name} ({seen[name.lower()]})"  # a repeated column the reader does not use
        names.append(name)
    df = frame.iloc[1:].copy(deep=False)
    df.columns = names
    df.index = pd.Index(starts[1:], dtype="int64") - 2
    df = df.dropna(how="all")
    if df.index.equals(pd.RangeIndex(len(df))):
        df.index = pd.RangeIndex(len(df))  # lines 2, 3, ...: the usual case, and pandas' fastest index
    df = df.drop(columns=[c for h, c in zip(header, names) if not h and df[c].isna().all()])
    for c in df.columns:
        df[c] = df[c].str.strip().replace("", pd.NA)
    lower = {c.lower(): c for c in df.columns}
    rename: dict[str, str] = {}
    for canonical in [*required, *optional]:
        for alt in [canonical, *(aliases or {}).get(canonical, [])]:
            hit = lower.get(alt.lower())
            if hit is not None and hit not in rename:
                rename[hit] = canonical
                break
    df = df.rename(columns=rename)
    missing = [c for c in required if c not in df.columns]
    if missing:
        found = [shown(c, 30) for c in df.columns[:12]] + (["..."] if len(df.columns) > 12 else [])
        raise DatasetError(
            f"missing column(s) {', '.join(missing)}; found {', '.join(found)}", path=shown_path
        )
    df.attrs["source"] = str(shown_path)
    return df


def parse_flag(values: pd.Series, *, path: object = None, column: str = "") -> pd.Series:
    """yes/no/true/false/1/0 -> nullable boolean; blank -> <NA> (unknown). Anything else is an error."""
    s = values.astype("string").str.strip().str.lower()
    true = s.isin(_TRUE).fillna(False).to_numpy(dtype=bool)
    false = s.isin(_FALSE).fillna(False).to_numpy(dtype=bool)
    out = pd.Series(pd.arrays.BooleanArray(true, ~(true | false)), index=values.index)
    bad = s.notna() & ~s.isin(_TRUE | _FALSE).fillna(False)
    if bad.any():
        first = bad.idxmax()
        raise DatasetError(
            f"column {column}: '{shown(values[first])}' is not yes/no/true/false/1/0 or blank",
            path=path,
            line=int(first) + 2,
        )
    return out


def parse_number(values: pd.Series, *, path: object = None, column: str = "") -> pd.Series:
    """Numbers with optional thousands separators ('29,199') -> float; blank -> NaN; anything else, an
    infinity included, is an error."""
    s = values.astype("string").str.replace(",", "", regex=False).str.strip()
    out = pd.to_numeric(s, errors="coerce").astype("float64")
    given = (s.notna() & (s != "")).fillna(False).astype(bool)
    bad = given & ~pd.Series(np.isfinite(out.to_numpy()), index=out.index)
    if bad.any():
        first = bad.idxmax()
        raise DatasetError(
            f"column {column}: '{shown(values[first])}' is not a number", path=path, line=int(first) + 2
        )
    return out


def raise_at_first(
    table: pd.DataFrame, bad: pd.Series, message: str, path: object, **extra: pd.Series
) -> None:
    """DatasetError at the first row where ``bad`` holds, naming its CSV line (``table['line']``).

    ``message`` may name the row's columns (and ``extra`` series) as ``{column}`` placeholders.
    """
    if bad.any():
        i = bad[bad].index[0]
        values = {k: shown(table.at[i, k]) for k in table.columns} | {
            k: shown(v[i]) for k, v in extra.items()
        }
        raise DatasetError(message.format(**values), path=path, line=int(table.at[i, "line"]))
