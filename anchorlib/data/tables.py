"""Reading the small CSV tables of a dataset folder with one-line errors for what is missing."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from anchorlib.errors import DatasetError

_TRUE = {"true", "yes", "y", "1", "t"}
_FALSE = {"false", "no", "n", "0", "f"}


def _clean_header(name: object) -> str:
    return str(name).replace("\ufeff", "").replace("ï»¿", "").strip()


def read_table(
    path: Path,
    required: list[str],
    optional: list[str] = (),
    aliases: dict[str, list[str]] | None = None,
    *,
    root: Path | None = None,
) -> pd.DataFrame:
    """Read a CSV as strings, rename alias columns to their canonical names and check ``required``.

    Raises DatasetError naming the file (relative to ``root``) and the missing columns.
    """
    shown = path.relative_to(root) if root is not None and path.is_relative_to(root) else path
    if not path.exists():
        raise DatasetError("required file is missing", path=shown)
    try:
        df = pd.read_csv(
            path,
            dtype="string",
            keep_default_na=False,
            na_values=[""],
            encoding="utf-8-sig",
            skipinitialspace=True,
        )
    except UnicodeDecodeError:
        df = pd.read_csv(
            path,
            dtype="string",
            keep_default_na=False,
            na_values=[""],
            encoding="cp1252",
            skipinitialspace=True,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DatasetError(f"cannot parse CSV ({exc})", path=shown) from exc
    df.columns = [_clean_header(c) for c in df.columns]
    lower = {c.lower(): c for c in df.columns}
    rename: dict[str, str] = {}
    for canonical in [*required, *optional]:
        if canonical in df.columns:
            continue
        for alt in [canonical, *(aliases or {}).get(canonical, [])]:
            hit = lower.get(alt.lower())
            if hit is not None and hit not in rename:
                rename[hit] = canonical
                break
    df = df.rename(columns=rename)
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise DatasetError(
            f"missing column(s) {', '.join(missing)}; found {', '.join(map(str, df.columns))}", path=shown
        )
    for c in df.columns:
        if df[c].dtype == "string":
            df[c] = df[c].str.strip()
    df.attrs["source"] = str(shown)
    return df


def parse_flag(values: pd.Series, *, path: object = None, column: str = "") -> pd.Series:
    """yes/no/true/false/1/0 -> nullable boolean; blank -> <NA> (unknown). Anything else is an error."""
    s = values.astype("string").str.strip().str.lower()
    out = pd.Series(pd.NA, index=values.index, dtype="boolean")
    out[s.isin(_TRUE).fillna(False)] = True
    out[s.isin(_FALSE).fillna(False)] = False
    bad = s.notna() & ~s.isin(_TRUE | _FALSE).fillna(False)
    if bad.any():
        first = bad.idxmax()
        raise DatasetError(
            f"column {column}: '{values[first]}' is not yes/no/true/false/1/0 or blank",
            path=path,
            line=int(first) + 2,
        )
    return out


def parse_number(values: pd.Series, *, path: object = None, column: str = "") -> pd.Series:
    """Numbers with optional thousands separators ('29,199') -> float; blank -> NaN; junk is an error."""
    s = values.astype("string").str.replace(",", "", regex=False).str.strip()
    out = pd.to_numeric(s, errors="coerce")
    bad = s.notna() & (s != "") & out.isna()
    if bad.any():
        first = bad.idxmax()
        raise DatasetError(
            f"column {column}: '{values[first]}' is not a number", path=path, line=int(first) + 2
        )
    return out.astype("float64")


def raise_at_first(
    table: pd.DataFrame, bad: pd.Series, message: str, path: object, **extra: pd.Series
) -> None:
    """DatasetError at the first row where ``bad`` holds, naming its CSV line (``table['line']``).

    ``message`` may name the row's columns (and ``extra`` series) as ``{column}`` placeholders.
    """
    if bad.any():
        i = bad[bad].index[0]
        values = {k: table.at[i, k] for k in table.columns} | {k: v[i] for k, v in extra.items()}
        raise DatasetError(message.format(**values), path=path, line=int(table.at[i, "line"]))
