"""How figures read wherever anchorlib shows them: notebooks, apps, reports and the command line.

Pounds with thousands separators, shares as %, the disparity index, LM3 to two places, 'n/a' for a
missing figure, and ``num`` for JSON. A leaf module: it imports nothing from anchorlib and not pandas,
so the command line's cached path can use it without loading pandas; a pandas missing value (pd.NA,
NaT) is recognised through pandas only when pandas is already loaded, as it is wherever one exists.
"""

from __future__ import annotations

import html
import math
import sys
from collections.abc import Callable, Mapping

#: What a missing figure reads as.
NA = "n/a"


def num(x) -> float | None:
    """A JSON-ready figure: None for None, pd.NA, NaT and NaN; else ``float(x)``."""
    if x is None:
        return None
    try:
        value = float(x)
    except TypeError:
        pd = sys.modules.get("pandas")  # a pandas NA only exists once pandas is loaded
        if pd is not None and pd.api.types.is_scalar(x) and pd.isna(x):
            return None
        raise
    return None if math.isnan(value) else value


def money(x) -> str:
    """Pounds to the pound with thousands separators ('£1,234,567'), or 'n/a'."""
    x = num(x)
    return NA if x is None else f"£{x:,.0f}"


def number(x, digits: int = 0) -> str:
    """A count or amount with thousands separators ('1,234'; ``digits`` decimal places), or 'n/a'."""
    x = num(x)
    return NA if x is None else f"{x:,.{digits}f}"


def pct(x, digits: int = 1) -> str:
    """A share (0.456) as a percentage ('45.6%'; ``digits`` decimal places), or 'n/a'."""
    x = num(x)
    return NA if x is None else f"{x:.{digits}%}"


#: Why a local share reads n/a (docs/methodology.md#local-share): its denominator, addressable spend with a
#: known supplier location, is zero. Published spend files name payees, not places, until a supplier
#: register gives them one.
NO_KNOWN_LOCATION = (
    "no addressable spend has a supplier of known location: the register (suppliers.csv) locates none of "
    "these payees; `anchorlib register build` fills it from Companies House and the Charity Commission"
)
#: Why an availability or disparity index reads n/a: nobody in the pool has a known membership of the group.
NO_KNOWN_MEMBERSHIP = (
    "no supplier in the availability pool is known to be in the group or not (BAME-led, women-led and "
    "youth-led come from the analyst or a supplier survey, never from the registers)"
)


def share_or_why(x, why: str = NO_KNOWN_LOCATION, digits: int = 1) -> str:
    """A share as ``pct``, or 'n/a: <why>' when it is missing."""
    return pct(x, digits) if num(x) is not None else f"{NA}: {why}"


def disparity(x, flag_below: float | None = None) -> str:
    """A disparity index (100 = parity) to the unit ('85'), or 'n/a'; with ``flag_below`` (the
    four-fifths line, 80) an index below it is marked '*' ('72*')."""
    x = num(x)
    if x is None:
        return NA
    return f"{x:.0f}" + ("*" if flag_below is not None and x < flag_below else "")


def multiplier(x) -> str:
    """A ratio such as LM3 to two decimal places ('1.85'), or 'n/a'."""
    x = num(x)
    return NA if x is None else f"{x:.2f}"


def figure(key: str, x) -> str:
    """A headline figure by its key in ``anchorlib summary --json``: 'lm3' as a multiplier, a key naming
    a share (local_share, mean_anchor_local_share, ...) as %, any other (spend, leakage) as money."""
    if key == "lm3":
        return multiplier(x)
    return pct(x) if "share" in key else money(x)


def exact(x) -> str:
    """A figure at full precision for a machine-readable attribute (``repr`` of the float, so it reads
    back exactly), or '' when missing."""
    x = num(x)
    return "" if x is None else repr(x)


#: A column's formatter in ``table``: one of the functions above, or a ``str.format`` pattern.
Formatter = Callable[[object], str] | str


def table(df, formats: Mapping[str, Formatter], caption: str = ""):
    """A pandas DataFrame as a table for reading (a Styler): columns formatted by ``formats``, 'n/a' for
    missing values, no index, and the ``caption`` when given.

    Every cell, column label and the caption are text, never markup: what a formatter returns and every
    unformatted value is HTML-escaped, so a payee named ``<img onerror=...>`` in a spend file shows as
    those characters in a notebook or report instead of running (pandas' Styler escapes nothing unless
    told to)."""
    out = df.style.format(na_rep=NA, escape="html")  # every column: its text, escaped
    if formats:  # then the formatted columns (a dict given to Styler.format resets the columns it omits)
        out = out.format({c: _escaped(f) for c, f in formats.items()}, subset=list(formats), na_rep=NA)
    out = out.format_index(escape="html", axis=1).hide(axis="index")
    return out.set_caption(html.escape(caption)) if caption else out


def _escaped(fmt: Formatter) -> Callable[[object], str]:
    """``fmt`` whose text is HTML-escaped (escaped as it leaves the formatter, whatever it was given)."""
    show = fmt.format if isinstance(fmt, str) else fmt
    return lambda x: html.escape(str(show(x)))
