"""Supplier names: normalisation and matching to the register (DESIGN.md: suppliers in spend files
are matched to the register by normalised name)."""

from __future__ import annotations

import re

import pandas as pd

_LEGAL_FORMS = [
    (r"\bLIMITED\b", "LTD"), (r"\bPUBLIC LIMITED COMPANY\b", "PLC"),
    (r"\bLIMITED LIABILITY PARTNERSHIP\b", "LLP"), (r"\bCOMMUNITY INTEREST COMPANY\b", "CIC"),
    (r"\bCOMPANY\b", "CO"), (r"&", " AND "),
]
_DROP_SUFFIXES = re.compile(r"(\s+(LTD|PLC|LLP|CIC|LP|INC|CO|UK))+$")
_TRADING_AS = re.compile(r"\s+(T/A|TA|T A|TRADING AS)\s+.*$")


def normalise_name(series: pd.Series) -> pd.Series:
    """Key for matching: upper case, '&' -> AND, punctuation dropped, leading THE, trading-as
    and legal forms (LTD/LIMITED, PLC, LLP, CIC) removed. 'The Green Cafe Limited' -> 'GREEN CAFE'."""
    s = series.astype("string").str.upper()
    s = s.str.replace(r"\bT/A\b", " TA ", regex=True)
    for pattern, repl in _LEGAL_FORMS:
        s = s.str.replace(pattern, repl, regex=True)
    s = s.str.replace(r"[^A-Z0-9 ]+", " ", regex=True).str.replace(r"\s+", " ", regex=True).str.strip()
    s = s.str.replace(_TRADING_AS, "", regex=True)
    s = s.str.replace(r"^THE\s+", "", regex=True)
    s = s.str.replace(_DROP_SUFFIXES, "", regex=True).str.strip()
    return s.mask(s == "", pd.NA)


def match_exact(spend_names: pd.Series, register_keys: pd.Series) -> pd.Series:
    """Register row index for each spend name whose normalised key equals a register key, else <NA>."""
    first_row = pd.Series(register_keys.index, index=register_keys.to_numpy()).groupby(level=0).first()
    keys = normalise_name(spend_names)
    return keys.map(first_row).astype("Int64")
