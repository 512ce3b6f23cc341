"""Vectorised parsing of the cells spend files really contain: amounts, dates, redacted payees.

Inputs are Arrow string arrays (or anything ``pa.array`` accepts); outputs are NumPy arrays, so a
million-row column parses in a few Arrow kernels rather than a Python loop.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

TEXT = pa.large_string()  # the storage of pandas' "string" dtype: no cast when the frame is built
# Padding seen around cells: whitespace, no-break spaces and Lambeth's dagger (U+2020).
PAD_CHARS = " \t\r\n\u00a0\u2002\u2003\u2009\u2020"
_NUMBER = r"^([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"  # Excel writes big numbers as 1.2E+07

# Orders matter: UK publishers write day first.
DATE_FORMATS = (
    "%d/%m/%Y",
    "%d/%m/%y",
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%d-%b-%Y",
    "%d-%b-%y",
    "%d-%B-%Y",
    "%d %b %Y",
    "%d %B %Y",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%Y/%m/%d",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%Y%m%d",
)
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
YEARS = (1900, 2199)  # a date outside these years is a damaged cell, not a payment date
EXCEL_SERIAL_RANGE = (20000, 80000)  # 1954..2119: a bare number outside this is not a date

REDACTION_PATTERN = re.compile(
    r"^\s*(?:\*+\s*)?(?:redacted|withheld|personal data|name withheld|private individual|"
    r"individual|data protection|not disclosed|confidential|removed)\b|redacted|"
    r"personal (?:data|information)|under dpa? act|data protection act",
    flags=re.IGNORECASE,
)


def as_strings(values) -> pa.Array | pa.ChunkedArray:
    """Any column (Arrow, pandas, list) as Arrow strings, nulls as ''."""
    if isinstance(values, pd.Series):
        values = pa.array(values.astype("string").fillna(""), type=TEXT)
    elif not isinstance(values, (pa.Array, pa.ChunkedArray)):
        values = pa.array(["" if v is None else str(v) for v in values], type=TEXT)
    if values.type not in (pa.string(), pa.large_string()):
        values = values.cast(TEXT)
    return pc.fill_null(values, "") if values.null_count else values


def trim(values) -> pa.Array | pa.ChunkedArray:
    """Cells without their padding (see ``PAD_CHARS``)."""
    return pc.utf8_trim(as_strings(values), characters=PAD_CHARS)


def _numpy(arr) -> np.ndarray:
    return (
        arr.to_numpy(zero_copy_only=False)
        if isinstance(arr, (pa.Array, pa.ChunkedArray))
        else np.asarray(arr)
    )


_STRIP = "£()-+" + PAD_CHARS


def runs(idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(start, length) of each run of consecutive positions in sorted ``idx``."""
    breaks = np.flatnonzero(np.diff(idx) != 1) + 1
    starts = idx[np.r_[0, breaks]] if len(idx) else idx
    return starts, np.diff(np.r_[0, breaks, len(idx)])


def subset(col, idx: np.ndarray, idx_runs: tuple[np.ndarray, np.ndarray] | None = None):
    """The cells at sorted positions ``idx``: zero-copy slices when they form few runs (the usual case:
    all rows but a total or a repeated header), else a take (slow on a chunked column). ``idx_runs``:
    ``runs(idx)`` when the caller takes the same rows of several columns."""
    if len(idx) == len(col):
        return col
    starts, lengths = idx_runs if idx_runs is not None else runs(idx)
    if len(starts) <= 256:
        parts = [col.slice(int(a), int(n)) for a, n in zip(starts, lengths)]
        chunks = [c for p in parts for c in (p.chunks if isinstance(p, pa.ChunkedArray) else [p])]
        return pa.chunked_array(chunks, type=col.type)
    whole = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    return whole.take(pa.array(idx))


def _credit(s):
    """A minus sign or a bracket anywhere in an amount that parses makes it a credit: once the core is
    digits, they can only have been around it ('(12.00)', '-£12', '£-12', '12.00-')."""
    return pc.or_(pc.match_substring(s, "-"), pc.match_substring(s, "("))


def _amounts_slow(s) -> np.ndarray:
    """The validating path, for cells that are not plain digits: 'GBP 12', '12.00 CR', '1.2E+07', text."""
    s = pc.replace_substring_regex(s, "(?i)gbp", "")
    credit = pc.match_substring_regex(s, r"(?i)cr\s*$")
    s = pc.utf8_trim(pc.replace_substring_regex(s, r"(?i)cr\s*$", ""), characters=PAD_CHARS)
    core = pc.utf8_trim(s, characters=_STRIP)
    ok = pc.match_substring_regex(core, _NUMBER)
    out = _numpy(pc.cast(pc.if_else(ok, core, pa.scalar(None, core.type)), pa.float64())).astype(
        "float64", copy=True
    )
    signs = pc.or_(pc.or_(pc.starts_with(s, "-"), pc.starts_with(s, "£-")), pc.ends_with(s, "-"))
    signs = pc.or_(signs, pc.and_(pc.starts_with(s, "("), pc.ends_with(s, ")")))
    flip = _numpy(pc.or_(signs, credit))
    out[flip] = -np.abs(out[flip])
    return out


def blank_as_null(chunk: pa.Array) -> pa.Array:
    """The chunk with '' cells null. Without copying the text when it can: the validity bitmap of a
    fresh, null-free string array is just 'length > 0'."""
    if chunk.offset or chunk.null_count:
        return pc.if_else(pc.equal(chunk, ""), pa.scalar(None, chunk.type), chunk)
    valid = pc.greater(pc.binary_length(chunk), 0)
    return pa.Array.from_buffers(chunk.type, len(chunk), [valid.buffers()[1], *chunk.buffers()[1:]])


def null_where(col, mask: np.ndarray):
    """``col`` with the cells where ``mask`` is True null, by a new validity bitmap (no text copied)."""
    out, k = [], 0
    for c in col.chunks if isinstance(col, pa.ChunkedArray) else [col]:
        m, k = mask[k : k + len(c)], k + len(c)
        if m.any():
            valid = ~m if not c.null_count else _numpy(c.is_valid()) & ~m
            bits = np.packbits(np.concatenate([np.zeros(c.offset, bool), valid]), bitorder="little")
            c = pa.Array.from_buffers(c.type, len(c), [pa.py_buffer(bits), *c.buffers()[1:]], offset=c.offset)
        out.append(c)
    return pa.chunked_array(out, type=col.type) if isinstance(col, pa.ChunkedArray) else out[0]


def _string_buffers(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(offsets, bytes) of a string array, as NumPy views; offsets start at 0 into the bytes."""
    width = np.int64 if arr.type == pa.large_string() else np.int32
    offsets = np.frombuffer(arr.buffers()[1], dtype=width)[arr.offset : arr.offset + len(arr) + 1]
    data = arr.buffers()[2]
    data = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    return offsets.astype(np.int64, copy=False) - offsets[0], data[offsets[0] : offsets[-1]]


def _validity(lengths: np.ndarray) -> pa.Buffer | None:
    """An Arrow validity bitmap marking the cells of non-zero length; None when all are."""
    empty = lengths == 0
    return pa.py_buffer(np.packbits(~empty, bitorder="little")) if empty.any() else None


def _amounts_plain(arr: pa.Array) -> np.ndarray | None:
    """``parse_amounts`` of an array whose cells are all plain ('£1,234.50', '(12.00)', '-£12', ''),
    over its buffers; None when one is not. The same steps as the general path: commas removed, the
    padding, '£', brackets and signs trimmed (``_STRIP``), the core cast, a '-' or '(' anywhere
    making a credit. A cell is plain when its core is digits and points that the cast accepts."""
    if arr.null_count:
        return None
    offsets, data = _string_buffers(arr)
    comma = data == ord(",")
    if comma.any():  # offsets move back by the commas before them
        before = np.zeros(len(data) + 1, dtype=np.int32 if len(data) < 2**31 else np.int64)
        np.cumsum(comma, out=before[1:])
        offsets, data = offsets - before[offsets], data[~comma]
    s = pa.Array.from_buffers(TEXT, len(arr), [None, pa.py_buffer(offsets), pa.py_buffer(data)])
    core = pc.utf8_trim(s, characters=_STRIP)
    core_offsets, core_data = _string_buffers(core)
    if not (((core_data - np.uint8(48)) < 10) | (core_data == ord("."))).all():
        return None
    # an empty core is no amount: null, then NaN
    core = (
        pa.Array.from_buffers(TEXT, len(core), [_validity(np.diff(core_offsets)), *core.buffers()[1:]])
        if core.offset == 0
        else blank_as_null(core)
    )
    try:
        out = _numpy(pc.cast(core, pa.float64())).astype("float64", copy=True)
    except pa.ArrowInvalid:  # '.', '1.2.3'
        return None
    signs = np.flatnonzero((data == ord("-")) | (data == ord("(")))
    flip = np.searchsorted(offsets, signs, side="right") - 1
    out[flip] = -np.abs(out[flip])
    return out


def parse_amounts(raw) -> np.ndarray:
    """Text -> float pounds, NaN where blank or unreadable.

    Handles '£1,234.50', ' 57,492,900.67 ', credits written '(250.00)', '250.00-', '250.00 CR',
    '-£12' or '£-12', 'GBP 12', Excel's '1.2E+07' and numbers Excel already parsed. Cells that are
    digits with at most one point once padding, signs, brackets, '£' and commas are stripped are
    cast in one go; the few others take the validating path.
    """
    raw = as_strings(raw)
    if not isinstance(raw, pa.ChunkedArray):
        return _amounts(raw)
    return np.concatenate([_amounts(c) for c in raw.chunks]) if raw.num_chunks else np.zeros(0, "float64")


def _amounts(raw: pa.Array) -> np.ndarray:
    """``parse_amounts`` of one array: the NumPy path when its bytes allow, else Arrow kernels."""
    fast = _amounts_plain(raw)
    if fast is not None:
        return fast
    s = pc.replace_substring(raw, ",", "")
    core = pc.utf8_trim(s, characters=_STRIP)
    plain = pc.ascii_is_decimal(pc.replace_substring(core, ".", "", max_replacements=1))
    out = _numpy(pc.cast(pc.if_else(plain, core, pa.scalar(None, core.type)), pa.float64())).astype(
        "float64", copy=True
    )
    flip = _numpy(_credit(s))
    out[flip] = -np.abs(out[flip])
    other = np.flatnonzero(~_numpy(plain) & _numpy(pc.greater(pc.binary_length(core), 0)))
    if len(other):
        out[other] = _amounts_slow(subset(s, other))
    return out


_DIGIT = re.compile(r"\d")


def parse_date_values(values: list[str]) -> np.ndarray:
    """Unique date texts -> datetime64[ns] (midnight), NaT where no format of DATE_FORMATS fits.
    Texts without a digit ('', 'Payment Date') fit none and are not tried."""
    uniq = np.asarray(values, dtype=object)
    parsed = np.full(len(uniq), np.datetime64("NaT"), dtype="datetime64[ns]")
    todo = np.array([i for i, v in enumerate(values) if _DIGIT.search(v)], dtype=np.int64)
    for fmt in DATE_FORMATS:
        if not len(todo):
            break
        got = pd.to_datetime(uniq[todo], format=fmt, errors="coerce")
        ok = np.asarray(got.notna() & (got.year >= YEARS[0]) & (got.year <= YEARS[1]))
        parsed[todo[ok]] = got[ok].to_numpy().astype("datetime64[ns]")
        todo = todo[~ok]
    if len(todo):  # Excel serial numbers (days since 1899-12-30) in a text column
        serial = pd.to_numeric(pd.Series(uniq[todo], dtype="object"), errors="coerce")
        ok = serial.between(*EXCEL_SERIAL_RANGE).to_numpy()
        parsed[todo[ok]] = (_EXCEL_EPOCH + pd.to_timedelta(serial[ok], unit="D")).to_numpy()
    return parsed.astype("datetime64[D]").astype("datetime64[ns]")


def parse_dates(raw) -> np.ndarray:
    """Text -> datetime64[ns] (date only), NaT where blank or unreadable. Parses each distinct text once."""
    uniq, idx = distinct(as_strings(raw))
    lookup = parse_date_values([v.strip(PAD_CHARS) for v in uniq])
    return lookup[idx] if len(lookup) else np.full(len(idx), np.datetime64("NaT"), dtype="datetime64[ns]")


def distinct(col) -> tuple[list[str], np.ndarray]:
    """(distinct values, index of each cell's value among them): per-value work done once."""
    uniq = pc.unique(col)
    return uniq.to_pylist(), _numpy(pc.index_in(col, value_set=uniq))


def flag_distinct(col, tests):
    """Per cell, ``test(value)`` for one test or a tuple of tests, each evaluated once per distinct value."""
    uniq = pc.unique(col)
    values = uniq.to_pylist()
    many = isinstance(tests, tuple)
    out = []
    for test in tests if many else (tests,):
        hits = [v for v in values if test(v)]
        out.append(
            _numpy(pc.is_in(col, value_set=pa.array(hits, type=col.type)))
            if hits
            else np.zeros(len(col), dtype=bool)
        )
    return tuple(out) if many else out[0]


def date_shape(texts: list[str], counts: list[int] | None = None) -> str | None:
    """The digit pattern ('99/99/9999') shared by at least 95% of the given date texts, else None."""
    counts = counts or [1] * len(texts)
    shapes: dict[str, int] = {}
    for t, c in zip(texts, counts):
        if t:
            key = re.sub(r"\d", "9", t)
            shapes[key] = shapes.get(key, 0) + c
    if not shapes:
        return None
    best, n = max(shapes.items(), key=lambda kv: kv[1])
    return best if n >= 0.95 * sum(shapes.values()) else None


def is_redacted_name(name: str) -> bool:
    """True for a payee cell that stands for withheld personal data (never a supplier name)."""
    return bool(REDACTION_PATTERN.search(name))


def is_redacted(names) -> np.ndarray:
    """``is_redacted_name`` per cell of a column."""
    return flag_distinct(as_strings(names), is_redacted_name)


def financial_year(dates: pd.Series) -> pd.Series:
    """UK financial year label (April to March): 2023-05-01 -> '2023-24'; NaT -> <NA>."""
    d = pd.to_datetime(dates)
    start = d.dt.year - (d.dt.month < 4).astype("Int64")
    label = (
        start.astype("Int64").astype("string")
        + "-"
        + ((start + 1) % 100).astype("Int64").astype("string").str.zfill(2)
    )
    return label.astype("string")
