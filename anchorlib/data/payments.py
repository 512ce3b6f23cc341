"""``Dataset.payments``: spend joined to the register, places and the addressable rule set.

Built for tens of millions of rows: text columns are pandas categoricals (a national dataset repeats
a few thousand payees, expense types and places), and name matching, location and the rule set run
once per distinct value, then spread back to the rows with integer codes. Categories are sorted, so
a group-by on them orders as it would on plain strings, and use the ``str`` dtype, which is what a
Parquet or mapped-file round trip returns (anchorlib/cache.py, anchorlib/mapped.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from anchorlib.data.addressable import RuleSet
from anchorlib.data.ingest.values import financial_year
from anchorlib.data.places import Geography
from anchorlib.data.suppliers import register_keys, resolve_names

GROUP_FLAGS = ["is_sme", "is_vcse", "bame_led", "women_led", "youth_led", "hq_only"]
SPEND_CATEGORICALS = [
    "anchor_id",
    "supplier_name",
    "expense_type",
    "expense_area",
    "supplier_postcode",
    "source_file",
]
LOCATION = ["postcode", "lad", "rgn", "lsoa"]
#: The money flows a dataset's payments hold (``flow``): payments from spend files, and grants (360Giving
#: files, anchorlib/data/grants.py). A grant's ``placed_by`` says what placed it (spend rows: <NA>).
FLOWS = ("grant", "spend")
PLACED_BY = ("beneficiary location", "recipient postcode")
#: How a payee or recipient was matched to the register (``match_method``); the numbers are a grant's.
SPEND_MATCH_METHODS = sorted(["exact", "fuzzy", "override", "none", "redacted"])
MATCH_METHODS = sorted([*SPEND_MATCH_METHODS, "company number", "charity number"])


def flow_columns(n: int, flow: str = "spend") -> dict:
    """``flow`` and ``placed_by`` (<NA>) for ``n`` payments of one flow: what a payment of the spend files
    gains beside grants (``FLOWS``)."""
    return {
        "flow": categorical(np.full(n, FLOWS.index(flow), dtype=np.int8), FLOWS),
        "placed_by": categorical(np.full(n, -1, dtype=np.int8), PLACED_BY),
    }


def categorical(codes: np.ndarray, categories) -> pd.Categorical:
    """A categorical from integer codes (-1 = <NA>) and its categories (as ``str``)."""
    return pd.Categorical.from_codes(codes, categories=pd.Index(categories, dtype="str"))


def factorize(values) -> tuple[np.ndarray, pd.Index]:
    """(codes, sorted distinct values); <NA> gets code -1. A categorical keeps its own codes."""
    if (
        isinstance(getattr(values, "dtype", None), pd.CategoricalDtype)
        and values.cat.categories.is_monotonic_increasing
    ):
        return values.cat.codes.to_numpy(), values.cat.categories
    codes, uniq = pd.factorize(values, sort=True)
    return codes, pd.Index(uniq)


def compact(values: pd.Series) -> pd.Series:
    """A text column as a categorical (same values, a fraction of the memory)."""
    codes, uniq = factorize(values)
    return pd.Series(categorical(codes, uniq), index=values.index, name=values.name)


def concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Frames with the same columns, one after another; categoricals stay categoricals (sorted union of
    the categories, as ``compact`` of the whole column would give) instead of turning into text."""
    from pandas.api.types import union_categoricals

    cols = {}
    for c in frames[0].columns:
        parts = [f[c] for f in frames]
        if all(isinstance(p.dtype, pd.CategoricalDtype) for p in parts):
            u = union_categoricals(parts, sort_categories=True)
            cols[c] = categorical(u.codes, u.categories)
        else:
            cols[c] = pd.concat(parts, ignore_index=True)
    return pd.DataFrame(cols)


def spend_frame(df: pd.DataFrame, anchor_id: str, rel: str) -> pd.DataFrame:
    """One loaded spend file's rows (``ingest.SPEND_COLUMNS``) as the payments hold them: ``anchor_id``
    first, ``source_file`` the file's path in the dataset folder, text columns as categoricals."""
    zeros = np.zeros(len(df), dtype=np.int8)  # the file's anchor and path: one category each
    df.insert(0, "anchor_id", categorical(zeros, [anchor_id]))
    df["source_file"] = categorical(zeros, [rel])
    for col in SPEND_CATEGORICALS:  # compact each file as it comes: the text is never held whole
        if col not in ("anchor_id", "source_file"):
            df[col] = compact(df[col].astype("string"))
    return df


def spread(small: np.ndarray, idx: np.ndarray, fill=-1) -> np.ndarray:
    """``small[idx]`` with ``fill`` where idx is -1 (no match): one take from ``small`` with ``fill``
    appended, which index -1 picks (a tenth of the time of a masked assignment)."""
    return np.append(small, np.array([fill], dtype=small.dtype))[idx]


def _spread_cat(values: pd.Series, idx: np.ndarray) -> pd.Categorical:
    codes, uniq = factorize(values)
    return categorical(spread(codes, idx), uniq)


def _spread_masked(values: pd.Series, idx: np.ndarray, dtype: str):
    """A nullable Int64/Float64/boolean column: ``values`` taken at idx, <NA> where idx is -1."""
    arr = pd.array(values, dtype=dtype)
    na = arr.isna()
    data = arr.to_numpy(dtype={"Int64": "int64", "Float64": "float64", "boolean": "bool"}[dtype], na_value=0)
    return _masked(spread(data, idx, 0), spread(na, idx, True), dtype)


def _masked(data: np.ndarray, mask: np.ndarray, dtype: str):
    cls = {
        "Int64": pd.arrays.IntegerArray,
        "Float64": pd.arrays.FloatingArray,
        "boolean": pd.arrays.BooleanArray,
    }[dtype]
    return cls(data, mask)


def _resolved_names(spend: pd.DataFrame, resolve, matched=None) -> tuple[dict, np.ndarray]:
    """Match columns (supplier_key, register_row, match_method, match_score) and each row's register row
    (-1: none). ``resolve``: distinct payee names -> ``suppliers.resolve_names``' frame for them.
    ``matched``: (register row or -1, method) per row decided before the names (a grant's recipient by
    its company or charity number: anchorlib/data/grants.py), which wins over the name."""
    codes, names = factorize(spend["supplier_name"])
    res = resolve(pd.Series(names, dtype="string"))
    redacted = spend["redacted"].to_numpy(dtype=bool)
    row = spread(res["register_row"].fillna(-1).to_numpy(dtype="int64"), codes)
    row[redacted] = -1
    methods = MATCH_METHODS if matched is not None else SPEND_MATCH_METHODS
    mcodes = spread(
        res["match_method"].map({m: i for i, m in enumerate(methods)}).to_numpy(dtype="int8"),
        codes,
        methods.index("none"),
    )
    mcodes[redacted] = methods.index("redacted")
    score = spread(res["match_score"].to_numpy(dtype="float64", na_value=np.nan), codes, np.nan)
    score[redacted] = np.nan
    keys = _spread_cat(res["supplier_key"], codes)
    if matched is not None:
        fixed, how = matched
        hit = (fixed >= 0) & ~redacted
        row[hit] = fixed[hit]
        mcodes[hit] = [methods.index(h) for h in how[hit]]
        score[hit] = 100.0
    cols = {
        "supplier_key": keys,
        "register_row": _masked(np.maximum(row, 0), row < 0, "Int64"),
        "match_method": categorical(mcodes, methods),
        "match_score": _masked(np.nan_to_num(score), np.isnan(score), "Float64"),
    }
    return cols, row


def _locations(spend: pd.DataFrame, reg: pd.DataFrame, geography: Geography, row: np.ndarray) -> dict:
    """postcode, lad, rgn, lsoa, imd_decile: the matched register entry's, else those of the spend file's
    postcode."""
    table = reg[[*LOCATION, "imd_decile"]].reset_index(drop=True)
    where = row.copy()  # row of ``table`` each payment takes its location from (-1: unknown)
    pc_codes, pcs = factorize(spend["supplier_postcode"])
    if len(pcs):
        lad_known = spread(table["lad"].notna().to_numpy(), where, False)
        fill = ~lad_known & (pc_codes >= 0)
        located = geography.locate(pd.Series(pcs, dtype="string")).reset_index(drop=True)
        where[fill] = len(table) + pc_codes[fill]
        table = pd.concat([table, located[[*LOCATION, "imd_decile"]]], ignore_index=True)
    cols = {c: _spread_cat(table[c], where) for c in LOCATION}
    cols["imd_decile"] = _spread_masked(table["imd_decile"], where, "Int64")
    return cols


def _classes(spend: pd.DataFrame, ruleset: RuleSet) -> dict:
    """category, addressable, exclusion by ``ruleset`` (docs/methodology.md#addressable-spend), once per
    distinct (expense type, payee, redacted)."""
    e, etypes = factorize(spend["expense_type"])
    s, names = factorize(spend["supplier_name"])
    red = spend["redacted"].to_numpy(dtype=bool)
    key = ((e.astype("int64") + 1) * (len(names) + 1) + (s + 1)) * 2 + red
    kcodes, kuniq = pd.factorize(key)
    kuniq = np.asarray(kuniq)
    e_u, s_u = (kuniq // 2) // (len(names) + 1) - 1, (kuniq // 2) % (len(names) + 1) - 1
    uniq = pd.DataFrame(
        {
            "expense_type": pd.Series(categorical(e_u, etypes)).astype("string"),
            "supplier_name": pd.Series(categorical(s_u, names)).astype("string"),
            "redacted": (kuniq % 2).astype(bool),
        }
    )
    got = ruleset.classify(uniq)
    return {
        "category": _spread_cat(got["category"], kcodes),
        "addressable": got["addressable"].to_numpy(dtype=bool)[kcodes],
        "exclusion": _spread_cat(got["exclusion"], kcodes),
    }


class Joiner:
    """The join of spend to the register, places and the rule set, for one dataset's tables, applied to
    the spend a chunk at a time (``join``): the payees' matches to the register are kept per distinct
    name across chunks, so a national dataset written file by file (anchorlib/data/storage/parts.py)
    matches each payee once, and every chunk's rows get what one join of all the spend would give them
    (``resolve_names`` resolves each name on its own)."""

    def __init__(
        self,
        reg: pd.DataFrame,
        geography: Geography,
        ruleset: RuleSet,
        overrides: dict[str, int | None] | None = None,
    ):
        self.reg, self.geography, self.ruleset, self.overrides = reg, geography, ruleset, overrides
        self._known: pd.DataFrame | None = None  # resolve_names' columns, indexed by payee name

    def _resolve(self, names: pd.Series) -> pd.DataFrame:
        """``resolve_names`` of the distinct payee ``names``, each resolved once per Joiner."""
        known = self._known
        new = names if known is None else names[~names.isin(known.index)]
        if len(new) or known is None:
            got = resolve_names(
                new, pd.Series(False, index=new.index), register_keys(self.reg), self.overrides
            )
            got.index = pd.Index(new.to_numpy(), dtype="string")
            known = got if known is None else pd.concat([known, got])
            self._known = known
        return known.reindex(pd.Index(names.to_numpy(), dtype="string"))

    def join(self, spend: pd.DataFrame, *, matched=None, flow: str = "spend") -> pd.DataFrame:
        """One row per payment: the spend columns, financial_year, the match to the register
        (``suppliers.resolve_names``; ``matched``: rows matched before the names, see ``_resolved_names``),
        location, group flags and the addressable classification; for another ``flow`` than spend (a
        grant), ``flow_columns`` too (``placed_by`` <NA>: a grant's placing is anchorlib/data/grants.py's)."""
        reg = self.reg
        cols = {c: spend[c] for c in spend.columns}
        dates, days = factorize(spend["payment_date"])
        cols["financial_year"] = _spread_cat(financial_year(pd.Series(days)), dates)
        names, row = _resolved_names(spend, self._resolve, matched)
        cols.update(names)
        cols["register_name"] = _spread_cat(reg["supplier_name"], row)
        cols.update(_locations(spend, reg, self.geography, row))
        for flag in GROUP_FLAGS:
            values = reg[flag] if flag in reg.columns else pd.Series(pd.NA, index=reg.index, dtype="boolean")
            cols[flag] = _spread_masked(values, row, "boolean")
        cols.update(_classes(spend, self.ruleset))
        if flow != "spend":  # a spend file's payments are as they always were: no flow columns
            cols.update(flow_columns(len(spend), flow))
        return pd.DataFrame(cols, index=spend.index)


def build_payments(
    spend: pd.DataFrame,
    reg: pd.DataFrame,
    geography: Geography,
    ruleset: RuleSet,
    overrides: dict[str, int | None] | None = None,
) -> pd.DataFrame:
    """One row per payment: the spend columns, financial_year, the match to the register
    (``suppliers.resolve_names``), location, group flags and the addressable classification."""
    return Joiner(reg, geography, ruleset, overrides).join(spend)


def from_arrow(table) -> pd.DataFrame:
    """A query result as a frame with the dtypes ``build_payments`` gives: text as sorted
    categoricals, the group flags as nullable booleans, register rows and IMD deciles as Int64."""
    import pyarrow as pa

    cols = {}
    for name, col in zip(table.column_names, table.columns):
        t = col.type
        if pa.types.is_dictionary(t):
            col, t = col.cast(t.value_type), t.value_type
        if pa.types.is_string(t) or pa.types.is_large_string(t):
            cols[name] = compact(pd.Series(col.to_pandas(), dtype="string")).array
        elif pa.types.is_boolean(t):
            flag = name in GROUP_FLAGS or col.null_count
            cols[name] = pd.array(col.to_pandas(), dtype="boolean") if flag else col.to_numpy()
        elif name in ("register_row", "imd_decile") or (pa.types.is_integer(t) and col.null_count):
            # (whole numbers, with or without gaps: Spark hands integers with nulls back as floats)
            cols[name] = pd.array(col.to_pandas(), dtype="Int64")
        elif name == "match_score":
            cols[name] = pd.array(col.to_pandas(), dtype="Float64")
        else:
            cols[name] = col.to_pandas()
    return pd.DataFrame(cols, index=pd.RangeIndex(table.num_rows))
