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

# Padding seen around cells: whitespace, no-break spaces and Lambeth's dagger (U+2020).
PAD_CHARS = " \t\r\n\u00a0\u2002\u2003\u2009\u2020"
_NUMBER = r"^([0-9]+(\.[0-9]*)?|\.[0-9]+)$"

# Orders matter: UK publishers write day first.
DATE_FORMATS = (
    "%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f", "%d-%b-%Y", "%d-%b-%y", "%d-%B-%Y", "%d %b %Y", "%d %B %Y",
    "%d.%m.%Y", "%d-%m-%Y", "%Y/%m/%d", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%Y%m%d",
)
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
EXCEL_SERIAL_RANGE = (20000, 80000)  # 1954..2119: a bare number outside this is not a date

REDACTION_PATTERN = re.compile(
    r"^\s*(?:\*+\s*)?(?:redacted|withheld|personal data|name withheld|private individual|"
    r"individual|data protection|not disclosed|confidential|removed)\b|redacted|"
    r"personal (?:data|information)|under dpa? act|data protection act",
    flags=re.IGNORECASE,
)


def as_strings(values) -> pa.Array:
    """Any column (Arrow, pandas, list) as one Arrow string array, nulls as ''."""
    if isinstance(values, pd.Series):
        values = pa.array(values.astype("string").fillna(""), type=pa.string())
    elif not isinstance(values, (pa.Array, pa.ChunkedArray)):
        values = pa.array(["" if v is None else str(v) for v in values], type=pa.string())
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    if values.type != pa.string():
        values = values.cast(pa.string())
    return pc.fill_null(values, "")


def trim(values) -> pa.Array:
    """Cells without their padding (see ``PAD_CHARS``)."""
    return pc.utf8_trim(as_strings(values), characters=PAD_CHARS)


def parse_amounts(raw) -> np.ndarray:
    """Text -> float pounds, NaN where blank or unreadable.

    Handles '£1,234.50', ' 57,492,900.67 ', credits written '(250.00)', '250.00-', '250.00 CR',
    '-£12' or '£-12', 'GBP 12', and numbers Excel already parsed ('1234.5').
    """
    s = trim(raw)
    s = pc.replace_substring(pc.replace_substring(s, ",", ""), "£", "")
    s = pc.replace_substring(pc.replace_substring(s, "GBP", ""), "gbp", "")
    s = pc.utf8_trim(s, characters=PAD_CHARS)
    paren = pc.and_(pc.starts_with(s, "("), pc.ends_with(s, ")"))
    credit = pc.ends_with(s, "cr", ignore_case=True)
    s = pc.utf8_rtrim(s, characters="CRcr" + PAD_CHARS)
    minus = pc.or_(pc.starts_with(s, "-"), pc.ends_with(s, "-"))
    s = pc.utf8_trim(s, characters="()-+" + PAD_CHARS)
    ok = pc.match_substring_regex(s, _NUMBER)
    values = pc.cast(pc.if_else(ok, s, pa.scalar(None, pa.string())), pa.float64())
    out = values.to_numpy(zero_copy_only=False).astype("float64", copy=True)
    flip = pc.or_(pc.or_(paren, credit), minus).to_numpy(zero_copy_only=False)
    out[flip] = -np.abs(out[flip])
    return out


def parse_date_values(values: list[str]) -> np.ndarray:
    """Unique date texts -> datetime64[ns] (midnight), NaT where no format of DATE_FORMATS fits."""
    uniq = pd.Series(values, dtype="object")
    parsed = pd.Series(pd.NaT, index=uniq.index, dtype="datetime64[ns]")
    todo = uniq[uniq != ""]
    for fmt in DATE_FORMATS:
        if todo.empty:
            break
        got = pd.to_datetime(todo, format=fmt, errors="coerce")
        ok = got.notna()
        parsed.loc[todo.index[ok]] = got[ok].to_numpy()
        todo = todo[~ok]
    if not todo.empty:  # Excel serial numbers (days since 1899-12-30) in a text column
        serial = pd.to_numeric(todo, errors="coerce")
        ok = serial.between(*EXCEL_SERIAL_RANGE)
        parsed.loc[todo.index[ok]] = (_EXCEL_EPOCH + pd.to_timedelta(serial[ok], unit="D")).to_numpy()
    return parsed.dt.normalize().to_numpy(dtype="datetime64[ns]")


def parse_dates(raw) -> np.ndarray:
    """Text -> datetime64[ns] (date only), NaT where blank or unreadable. Parses each distinct text once."""
    enc = pc.dictionary_encode(trim(raw))
    lookup = parse_date_values(enc.dictionary.to_pylist())
    idx = enc.indices.to_numpy(zero_copy_only=False)
    return lookup[idx] if len(lookup) else np.full(len(idx), np.datetime64("NaT"), dtype="datetime64[ns]")


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


def is_redacted(names) -> np.ndarray:
    """True for payee cells that stand for withheld personal data (never a supplier name)."""
    enc = pc.dictionary_encode(as_strings(names))
    flags = np.array([bool(REDACTION_PATTERN.search(v)) for v in enc.dictionary.to_pylist()], dtype=bool)
    idx = enc.indices.to_numpy(zero_copy_only=False)
    return flags[idx] if len(flags) else np.zeros(len(idx), dtype=bool)


def financial_year(dates: pd.Series) -> pd.Series:
    """UK financial year label (April to March): 2023-05-01 -> '2023-24'; NaT -> <NA>."""
    d = pd.to_datetime(dates)
    start = d.dt.year - (d.dt.month < 4).astype("Int64")
    label = start.astype("Int64").astype("string") + "-" + ((start + 1) % 100).astype("Int64").astype("string").str.zfill(2)
    return label.astype("string")
