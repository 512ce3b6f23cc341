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


#: What each figure of ``anchorlib summary --json`` is called where people read it (reports, workbooks).
FIGURE_LABELS = {
    "total_spend": "Total spend",
    "addressable_spend": "Addressable spend",
    "local_spend": "Local spend",
    "unknown_location_spend": "Unknown location (addressable)",
    "local_share": "Local share",
    "leakage": "Leakage (addressable - local)",
    "local_share_excluding_hq_only": "Local share without head-office-only suppliers",
    "mean_anchor_local_share": "Mean of the anchors' local shares (not pooled)",
    "lm3": "LM3 (local multiplier, 1 to 3)",
}


def flag(x) -> str:
    """A yes/no figure (below the four-fifths line, reconciled) as 'yes' or 'no', or 'n/a'."""
    if _missing(x):
        return NA
    return "yes" if bool(x) else "no"


#: How a column of each kind reads in a table: a report's (``table``) and, as number formats, a workbook's
#: (``anchorlib.export.NUMBER_FORMATS``, the same kinds). Text columns read as they are.
BY_KIND: dict[str, Callable[[object], str]] = {
    "money": money,
    "pct": pct,
    "count": number,
    "number": lambda x: number(x, 2),
    "index": disparity,
    "ratio": multiplier,
    "flag": flag,
}


def figure_kind(key: str) -> str:
    """The kind (``BY_KIND``) of a headline figure by its key in ``anchorlib summary --json``: 'lm3' a
    ratio, a key naming a share (local_share, mean_anchor_local_share, ...) a pct, any other (spend,
    leakage) money."""
    if key == "lm3":
        return "ratio"
    return "pct" if "share" in key else "money"


def figure(key: str, x) -> str:
    """A headline figure by its key in ``anchorlib summary --json``, as its kind reads (``figure_kind``)."""
    return BY_KIND[figure_kind(key)](x)


def place(name: object, code: object) -> str:
    """An area as it reads wherever one is shown: its name with its ONS code, 'Newham (E09000025)'; the code
    alone when the name is not known, the name alone when there is no code, 'unknown location' for
    neither."""
    code = None if _missing(code) else str(code).strip() or None
    name = None if _missing(name) else str(name).strip() or None
    if name is None or name == code:
        return code or "unknown location"
    return f"{name} ({code})" if code else name


def _missing(x) -> bool:
    """None, NaN, pd.NA or NaT (a missing name or code)."""
    if x is None:
        return True
    try:
        return num(x) is None
    except (TypeError, ValueError):
        return False


def exact(x) -> str:
    """A figure at full precision for a machine-readable attribute (``repr`` of the float, so it reads
    back exactly), or '' when missing."""
    x = num(x)
    return "" if x is None else repr(x)


#: A column's formatter in ``table``: one of the functions above, or a ``str.format`` pattern.
Formatter = Callable[[object], str] | str


def table(
    df, formats: Mapping[str, Formatter], caption: str = "", tooltips: Mapping[str, object] | None = None
):
    """A pandas DataFrame as a table for reading (a Styler): columns formatted by ``formats``, 'n/a' for
    missing values, no index, and the ``caption`` when given; ``tooltips``: column -> a text per row (a
    Series or list aligned with ``df``), shown on hovering its cells (their ``title``), e.g. the ONS code
    of a place shown by name.

    Every cell, column label, tooltip and the caption are text, never markup: what a formatter returns and
    every unformatted value is HTML-escaped, so a payee named ``<img onerror=...>`` in a spend file shows as
    those characters in a notebook or report instead of running (pandas' Styler escapes nothing unless
    told to)."""
    out = df.style.format(na_rep=NA, escape="html")  # every column: its text, escaped
    if formats:  # then the formatted columns (a dict given to Styler.format resets the columns it omits)
        out = out.format({c: _escaped(f) for c, f in formats.items()}, subset=list(formats), na_rep=NA)
    out = out.format_index(escape="html", axis=1).hide(axis="index")
    if tooltips:
        tips = df.iloc[:, 0:0].copy()  # same index, no columns; the Styler leaves other cells untitled
        for column, texts in tooltips.items():
            tips[column] = [None if _missing(t) else html.escape(str(t), quote=True) for t in texts]
        out = out.set_tooltips(tips, as_title_attribute=True)
    return out.set_caption(html.escape(caption)) if caption else out


def _escaped(fmt: Formatter) -> Callable[[object], str]:
    """``fmt`` whose text is HTML-escaped (escaped as it leaves the formatter, whatever it was given)."""
    show = fmt.format if isinstance(fmt, str) else fmt
    return lambda x: html.escape(str(show(x)))
