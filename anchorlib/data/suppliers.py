"""Supplier names: normalisation and matching to the register (docs/methodology.md#supplier-matching):
suppliers in spend files are matched to the register by normalised name."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

_LEGAL_FORMS = [
    (r"\bLIMITED\b", "LTD"),
    (r"\bPUBLIC LIMITED COMPANY\b", "PLC"),
    (r"\bLIMITED LIABILITY PARTNERSHIP\b", "LLP"),
    (r"\bCOMMUNITY INTEREST COMPANY\b", "CIC"),
    (r"\bCOMPANY\b", "CO"),
    (r"&", " AND "),
]
_DROP_SUFFIXES = re.compile(r"(\s+(LTD|PLC|LLP|CIC|LP|INC|CO|UK))+$")
_TRADING_AS = re.compile(r"\s+(T/A|TA|T A|TRADING AS)\s+.*$")


#: Unicode's combining marks (accents once NFKD has split them from their letters).
_COMBINING = r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"
#: Latin letters NFKD does not split into a letter and an accent.
_FOLD = str.maketrans(
    {"Ø": "O", "ø": "o", "Æ": "AE", "æ": "ae", "Œ": "OE", "œ": "oe", "Ł": "L", "ł": "l", "Đ": "D", "đ": "d"}
    | {"Þ": "TH", "þ": "th", "ß": "ss", "ı": "i"}
)


def normalise_name(series: pd.Series) -> pd.Series:
    """Key for matching: accents folded, upper case, '&' -> AND, punctuation dropped, leading THE,
    trading-as (leading or trailing) and legal forms (LTD/LIMITED, PLC, LLP, CIC, '& Co') removed.
    'The Green Café Limited' -> 'GREEN CAFE', 'Café Crème' -> 'CAFE CREME', 'Søren & Co' -> 'SOREN'."""
    s = series.astype("string")
    if s.str.contains(r"[^\x00-\x7f]", regex=True).any():  # accents folded before punctuation goes
        s = s.str.normalize("NFKD").str.replace(_COMBINING, "", regex=True)  # 'é' -> 'e' + accent -> 'e'
        s = s.str.translate(_FOLD)
    s = s.str.upper()
    s = s.str.replace(r"\bT/A\b", " TA ", regex=True)
    for pattern, repl in _LEGAL_FORMS:
        s = s.str.replace(pattern, repl, regex=True)
    s = s.str.replace(r"[^A-Z0-9 ]+", " ", regex=True).str.replace(r"\s+", " ", regex=True).str.strip()
    s = s.str.replace(_TRADING_AS, "", regex=True)
    s = s.str.replace(r"^THE\s+|\s+THE$", "", regex=True)  # 'The X' and registers' 'X, The'
    s = s.str.replace(_DROP_SUFFIXES, "", regex=True).str.replace(r"\s+AND$", "", regex=True).str.strip()
    return s.mask(s == "", pd.NA)


def register_keys(register: pd.DataFrame) -> pd.Series:
    """The keys payees are matched against, indexed by register row: each supplier's ``supplier_key`` and,
    where suppliers.csv has an ``aliases`` column (';'-joined other names the supplier is known or paid
    by, such as a previous name; ``anchorlib register build`` writes them), the normalised aliases."""
    keys = register["supplier_key"]
    if "aliases" not in register.columns or register["aliases"].isna().all():
        return keys
    other = register["aliases"].astype("string").str.split(";").explode().str.strip()
    other = normalise_name(other[other.fillna("") != ""])
    return pd.concat([keys, other[~other.isna()]])


def match_exact(spend_names: pd.Series, register_keys: pd.Series) -> pd.Series:
    """Register row index for each spend name whose normalised key equals a register key, else <NA>."""
    first_row = pd.Series(register_keys.index, index=register_keys.to_numpy()).groupby(level=0).first()
    keys = normalise_name(spend_names)
    return keys.map(first_row).astype("Int64")


FUZZY_THRESHOLD = (
    90.0  # rapidfuzz ratio (0-100) on normalised names; 'HACKNEY CLEANING' vs 'HACKNEY CATERING' is 81
)
METHODS = ("exact", "fuzzy", "override", "none", "redacted")
NO_NAME = "(no payee name)"  # the one supplier id (and name) of redacted and blank payees
_BLOCK = 2000  # spend names scored against the register at a time


def same_first_word(a: str, b: str) -> bool:
    """Guard on a fuzzy match: the names' first words agree, allowing one typo in a word of 4+ letters
    and spacing differences ('I S W P' = 'ISWP', 'COOMBESWOOD' = 'COOMBES WOOD'). On Devon's real
    payees this rejects 'PARK HOUSE'/'MANOR HOUSE', 'LAKESIDE'/'LAKEVIEW', 'MILLBROOK'/'WILLINBROOK'
    and 'COUNTY'/'COUNTRYWIDE' (a typo is allowed between whole first words only), while keeping
    'CHELFAM'/'CHELFHAM'."""
    from rapidfuzz.distance import Levenshtein

    wa, wb = a.split(" ", 1)[0], b.split(" ", 1)[0]
    longer, other = (wa, b) if len(wa) >= len(wb) else (wb, a)
    if other.replace(" ", "").startswith(longer):
        return True  # the same letters, spaced differently
    return Levenshtein.distance(wa, wb) <= (1 if min(len(wa), len(wb)) >= 4 else 0)


def resolve_names(
    spend_names: pd.Series,
    redacted: pd.Series,
    register_keys: pd.Series,
    overrides: dict[str, int | None] | None = None,
    *,
    threshold: float = FUZZY_THRESHOLD,
) -> pd.DataFrame:
    """Match spend-file payees to register rows (docs/methodology.md#supplier-matching).

    Works on unique normalised names, so a payee resolves the same way for every anchor. In order:
    redacted payees are never matched; an analyst's ``overrides`` (normalised spend name -> register
    row, or None to force no match) win; then exact key equality; then the best rapidfuzz ``ratio``
    at or above ``threshold`` among register keys whose first word agrees (``same_first_word``). Returns,
    aligned with ``spend_names``:
    supplier_key, register_row (Int64), match_method, match_score (100 exact/override, NA none).
    """
    from rapidfuzz import fuzz, process

    keys = normalise_name(spend_names)
    reg = register_keys.dropna()
    first_row = pd.Series(reg.index, index=reg.to_numpy()).groupby(level=0).first()
    uniq = pd.Index(keys.dropna().unique())
    # per unique key, as plain arrays: a pandas setitem per fuzzy match took ~0.1 ms (1.65 s for 13k payees)
    row = first_row.reindex(uniq).to_numpy(dtype="float64", copy=True)  # register row, NaN: no exact match
    exact = ~np.isnan(row)
    method = np.where(exact, "exact", "none").astype(object)
    score = np.where(exact, 100.0, np.nan)
    todo = np.flatnonzero(~exact)
    names = uniq.tolist()
    choices, choice_rows = first_row.index.tolist(), first_row.to_numpy(dtype="float64")
    for start in range(0, len(todo) if choices else 0, _BLOCK):  # blocks bound the score matrix's memory
        block = todo[start : start + _BLOCK]
        scores = process.cdist(
            [names[k] for k in block], choices, scorer=fuzz.ratio, score_cutoff=threshold, workers=1
        )
        for i in np.flatnonzero((scores >= threshold).any(axis=1)):
            candidates = np.flatnonzero(scores[i] >= threshold)
            for j in candidates[np.argsort(-scores[i, candidates], kind="stable")]:
                if same_first_word(names[block[i]], choices[j]):
                    k = block[i]
                    row[k], method[k], score[k] = choice_rows[j], "fuzzy", round(float(scores[i, j]), 1)
                    break
    for key, reg_row in (overrides or {}).items():
        k = uniq.get_indexer([key])[0]
        if k >= 0:
            row[k] = np.nan if reg_row is None else reg_row
            method[k] = "none" if reg_row is None else "override"
            score[k] = np.nan if reg_row is None else 100.0
    at = uniq.get_indexer(keys)
    at[at < 0] = len(uniq)  # a blank key: the unmatched entry appended here
    row, method, score = np.append(row, np.nan), np.append(method, "none"), np.append(score, np.nan)
    out = pd.DataFrame(
        {
            "supplier_key": keys,
            "register_row": pd.array(row[at], dtype="Float64").astype("Int64"),
            "match_method": pd.array(method[at], dtype="string"),
            "match_score": pd.array(score[at], dtype="Float64"),
        },
        index=spend_names.index,
    )
    red = redacted.fillna(False).astype(bool).to_numpy()
    out.loc[red, "register_row"] = pd.NA
    out.loc[red, "match_score"] = pd.NA
    out.loc[red, "match_method"] = "redacted"
    return out


def supplier_ids(payments: pd.DataFrame) -> pd.Series:
    """The resolved supplier of each payment (docs/methodology.md#supplier-matching): 'R<row>' for a
    register match, else 'K<normalised payee>', else 'N<payee as written>', else '(no payee name)'
    (redacted or blank). Two spellings that resolve to one register entry or one normalised name are one
    supplier. A frame that carries these ids in a ``supplier_id`` column (``rollup.with_supplier_ids``) is
    not resolved again. DuckDB computes the same ids in SQL (``SUPPLIER_ID_SQL``)."""
    if "supplier_id" in payments.columns:
        return payments["supplier_id"].astype("string")
    row = payments["register_row"].astype("Int64").astype("string")
    out = ("R" + row).fillna("K" + payments["supplier_key"].astype("string"))
    out = out.fillna("N" + payments["supplier_name"].astype("string"))
    return out.fillna(NO_NAME).astype("string")


#: The resolved supplier of a payment, as ``supplier_ids``, in SQL.
SUPPLIER_ID_SQL = f"""CASE WHEN register_row IS NOT NULL THEN 'R' || CAST(register_row AS VARCHAR)
    WHEN supplier_key IS NOT NULL THEN 'K' || supplier_key
    WHEN supplier_name IS NOT NULL THEN 'N' || supplier_name
    ELSE '{NO_NAME}' END"""


def read_overrides(path, register: pd.DataFrame, *, root=None) -> dict[str, int | None]:
    """supplier_matches.csv (spend_name, register_name; blank register_name = force no match) ->
    normalised spend name -> register row. One-line errors for a blank spend_name (or one of punctuation
    only), a register_name not in the register, and one payee (normalised) decided twice differently."""
    from anchorlib.data.tables import read_table, shown
    from anchorlib.errors import DatasetError

    df = read_table(path, ["spend_name", "register_name"], root=root)
    by_name = pd.Series(register.index, index=register["supplier_name"].str.upper().to_numpy())
    by_name = by_name.groupby(level=0).first()
    by_key = pd.Series(register.index, index=register["supplier_key"].to_numpy()).groupby(level=0).first()
    spend_keys = normalise_name(df["spend_name"])
    reg_keys = normalise_name(df["register_name"])
    out: dict[str, int | None] = {}
    lines: dict[str, int] = {}
    source = df.attrs["source"]
    for i in df.index:
        line, spend_name = int(i) + 2, df.at[i, "spend_name"]
        if pd.isna(spend_name):
            raise DatasetError("spend_name is blank", path=source, line=line)
        key = spend_keys[i]
        if pd.isna(key):
            raise DatasetError(
                f"spend_name '{shown(spend_name)}' is nothing but legal forms or punctuation",
                path=source,
                line=line,
            )
        name = df.at[i, "register_name"]
        hit = None
        if pd.notna(name):
            hit = by_name.get(str(name).upper(), by_key.get(reg_keys[i]))
            if hit is None or pd.isna(hit):
                raise DatasetError(
                    f"register_name '{shown(name)}' is not in suppliers.csv", path=source, line=line
                )
            hit = int(hit)
        if key in out and out[key] != hit:
            said = "no match" if out[key] is None else f"'{shown(register.at[out[key], 'supplier_name'])}'"
            raise DatasetError(
                f"spend_name '{shown(spend_name)}' is decided on line {lines[key]} too ({said}), differently",
                path=source,
                line=line,
            )
        out[key], lines[key] = hit, line
    return out


def match_table(payments: pd.DataFrame) -> pd.DataFrame:
    """One row per payee as written in the spend files, for an analyst to review: spend_name,
    supplier_key, register_name, match_method, match_score, postcode and lad (blank = unknown
    location), spend (£), payments, anchors (';'-joined).
    Largest spend first. Overrides go in supplier_matches.csv (spend_name, register_name)."""
    cols = ["supplier_name", "supplier_key", "register_name", "match_method", "match_score"]
    if not isinstance(payments, pd.DataFrame):  # an out-of-core dataset's payments: summed in SQL
        return _match_table_sql(payments, cols)
    g = payments.assign(match_score=payments["match_score"].astype("float64"))
    g = (
        g.groupby(cols, dropna=False, sort=False)
        .agg(
            postcode=("postcode", "first"),
            lad=("lad", "first"),
            spend=("amount", "sum"),
            payments=("amount", "size"),
            anchors=("anchor_id", lambda s: ";".join(sorted(set(s)))),
        )
        .reset_index()
    )
    g = g.rename(columns={"supplier_name": "spend_name"})
    return g.sort_values(["spend", "spend_name"], ascending=[False, True], ignore_index=True)


def _match_table_sql(payments, cols: list[str]) -> pd.DataFrame:
    """``match_table`` of a ``PaymentsRelation`` (anchorlib/data/relation.py), by DuckDB over its parts."""
    from anchorlib.data.sql import query

    keys = ", ".join(cols)
    g = query(
        f"""SELECT {keys}, first(postcode) AS postcode, first(lad) AS lad, sum(amount) AS spend,
            count(*) AS payments, string_agg(DISTINCT anchor_id, ';' ORDER BY anchor_id) AS anchors
            FROM p GROUP BY {keys}""",
        p=payments,
    )
    g = g.rename(columns={"supplier_name": "spend_name"})
    return g.sort_values(["spend", "spend_name"], ascending=[False, True], ignore_index=True)


def match_shares(payments: pd.DataFrame) -> dict[str, float]:
    """Share of spend (sum of amounts) by match_method: exact, fuzzy, override, none, redacted."""
    by = payments.groupby("match_method")["amount"].sum()
    total = float(by.sum())
    return {m: (float(by.get(m, 0.0)) / total if total else 0.0) for m in METHODS}
