"""Vectorised parsing of the cells spend files really contain: amounts, dates, redacted payees."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

_AMOUNT_JUNK = re.compile(r"[£,\s†\u00a0]|GBP", flags=re.IGNORECASE)

# Orders matter: UK publishers write day first.
DATE_FORMATS = (
    "%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f", "%d-%b-%Y", "%d-%b-%y", "%d-%B-%Y", "%d %b %Y", "%d %B %Y",
    "%d.%m.%Y", "%d-%m-%Y", "%Y/%m/%d", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%Y%m%d",
)
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")

REDACTION_PATTERN = re.compile(
    r"^\s*(?:\*+\s*)?(?:redacted|withheld|personal data|name withheld|private individual|"
    r"individual|data protection|not disclosed|confidential|removed)\b|redacted|"
    r"personal (?:data|information)|under dpa? act|data protection act",
    flags=re.IGNORECASE,
)


def parse_amounts(raw: pd.Series) -> pd.Series:
    """Text -> float pounds, NaN where unreadable.

    Handles '£1,234.50', ' 57,492,900.67 ', '(250.00)' and '250.00-' and '250.00 CR' (credits),
    '-£12', and Excel numbers already parsed.
    """
    s = raw.astype("string").fillna("").str.strip()
    negative = s.str.startswith("(") & s.str.endswith(")")
    s = s.str.replace(r"^\((.*)\)$", r"\1", regex=True)
    trailing_minus = s.str.endswith("-") & (s.str.len() > 1)
    cr = s.str.upper().str.endswith("CR")
    s = s.str.replace(r"(-|\s*[Cc][Rr])$", "", regex=True)
    s = s.str.replace(_AMOUNT_JUNK, "", regex=True)
    s = s.str.replace(r"^-£", "-", regex=True)
    values = pd.to_numeric(s.replace("", pd.NA), errors="coerce").astype("float64")
    flip = (negative | trailing_minus | cr).to_numpy(dtype=bool)
    out = values.to_numpy(copy=True)
    out[flip] = -np.abs(out[flip])
    return pd.Series(out, index=raw.index, dtype="float64")


def _parse_one_format(values: pd.Series, fmt: str) -> pd.Series:
    return pd.to_datetime(values, format=fmt, errors="coerce")


def parse_dates(raw: pd.Series) -> pd.Series:
    """Text -> datetime64 (date only), NaT where unreadable. Works on unique values, so fast."""
    s = raw.astype("string").fillna("").str.strip()
    uniq = pd.Series(s.unique(), dtype="string")
    uniq = uniq[uniq != ""]
    parsed = pd.Series(pd.NaT, index=uniq.index, dtype="datetime64[ns]")
    todo = uniq
    for fmt in DATE_FORMATS:
        if todo.empty:
            break
        got = _parse_one_format(todo, fmt)
        ok = got.notna()
        parsed.loc[todo.index[ok]] = got[ok].to_numpy()
        todo = todo[~ok]
    if not todo.empty:  # Excel serial numbers (days since 1899-12-30) in a text column
        serial = pd.to_numeric(todo, errors="coerce")
        ok = serial.between(20000, 80000)
        parsed.loc[todo.index[ok]] = (_EXCEL_EPOCH + pd.to_timedelta(serial[ok], unit="D")).to_numpy()
    lookup = dict(zip(uniq.tolist(), parsed.dt.normalize().tolist()))
    return pd.to_datetime(s.map(lookup), errors="coerce").astype("datetime64[ns]")


def is_redacted(names: pd.Series) -> pd.Series:
    """True for payee cells that stand for withheld personal data (never a supplier name)."""
    s = names.astype("string").fillna("")
    return s.str.contains(REDACTION_PATTERN, regex=True).fillna(False).astype(bool)


def financial_year(dates: pd.Series) -> pd.Series:
    """UK financial year label (April to March): 2023-05-01 -> '2023-24'; NaT -> <NA>."""
    d = pd.to_datetime(dates)
    start = d.dt.year - (d.dt.month < 4).astype("Int64")
    label = start.astype("Int64").astype("string") + "-" + ((start + 1) % 100).astype("Int64").astype("string").str.zfill(2)
    return label.astype("string")
