"""The metrics' sums in pandas and NumPy (anchorlib/metrics/engine/__init__.py lists what an engine sums).

Each sum is ``amount`` over the payments meeting the conditions that anchorlib/metrics/definitions.py
names for it (``SHARE_SUMS``, the equity groups): here every condition is a boolean array, and a sum is
one grouped sum of ``amount`` where all of its conditions hold. Used below ``ENGINE_MIN_ROWS`` payments,
and on the apps' rollups (thousands of rows).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from anchorlib.data.places import Area
from anchorlib.data.suppliers import NO_NAME, supplier_ids
from anchorlib.metrics.definitions import COUNTS, SHARE_COLUMNS, SHARE_SUMS, SUPPLIER, is_local


class PandasEngine:
    name = "pandas"

    def share_sums(
        self,
        payments: pd.DataFrame,
        area: Area | dict[str, Area],
        keys: list[str],
        *,
        names: bool = True,
        filters: dict[str, list] | None = None,
    ) -> pd.DataFrame:
        """``SHARE_COLUMNS`` per value of ``keys``. With SUPPLIER, ``supplier_id`` stands in its place, and
        (``names``) the display name ``supplier`` and ``lad`` follow."""
        keys = list(keys)
        if isinstance(area, dict):
            filters = {**(filters or {}), "anchor_id": list(area)}
            keys = ["anchor_id", *[k for k in keys if k != "anchor_id"]]
        payments = _kept(payments, filters)
        amount = payments["amount"].to_numpy(dtype="float64")
        conditions = {
            "addressable": payments["addressable"].astype(bool).to_numpy(),
            "local": _local(payments, area),
            "known": payments["lad"].notna().to_numpy(),
            "hq_only": payments["hq_only"].fillna(False).astype(bool).to_numpy(),
        }
        ids = supplier_ids(payments) if SUPPLIER in keys else None
        cols = ["supplier_id" if k == SUPPLIER else k for k in keys]
        # one frame built at once from numpy columns (a column set at a time cost more than the sums)
        sums = {
            c: np.where(_all(conditions, need, len(amount)), amount, 0.0) for c, need in SHARE_SUMS.items()
        }
        sums.update({c: _all(conditions, need, len(amount)).astype("int64") for c, need in COUNTS.items()})
        if cols:
            f = pd.DataFrame({**{c: (ids if c == "supplier_id" else payments[c]) for c in cols}, **sums})
            out = f.groupby(cols, dropna=False, sort=False)[SHARE_COLUMNS].sum().reset_index()
        else:
            out = pd.DataFrame({c: [np.nansum(v)] for c, v in sums.items()})
        if ids is not None and names:
            out = out.join(_names(payments, ids), on="supplier_id")
        return out

    def supplier_names(self, payments: pd.DataFrame, ids: list[str]) -> pd.DataFrame:
        """Per resolved supplier in ``ids``: ``supplier`` (register name when matched, else the first payee
        spelling in sort order) and ``lad`` (the smallest LAD code seen), indexed by ``supplier_id``."""
        all_ids = supplier_ids(payments)
        mine = all_ids.isin(list(ids)).to_numpy()
        return _names(payments[mine], all_ids[mine])

    def equity_sums(
        self, payments: pd.DataFrame, groups: list[tuple[str, str]], keys: list[str]
    ) -> pd.DataFrame:
        """Per ``keys`` value, over addressable payments: addressable_spend and each group's £ in the group
        (``in_g``) and £ whose membership is known (``known_g``; IMD deciles 1-2: whose decile is known)."""
        p = payments[payments["addressable"].astype(bool).to_numpy()]
        amount = p["amount"].to_numpy(dtype="float64")
        columns = {"addressable_spend": amount}  # built as numpy columns, the frame made once
        for g, flag in groups:
            if flag == "imd_1_2":
                decile = p["imd_decile"].to_numpy(dtype="float64", na_value=np.nan)
                known, member = ~np.isnan(decile), decile <= 2
            else:
                flags = p[flag].astype("boolean")
                known, member = flags.notna().to_numpy(), flags.fillna(False).to_numpy(dtype=bool)
            columns[f"in_{g}"] = np.where(member, amount, 0.0)
            columns[f"known_{g}"] = np.where(known, amount, 0.0)
        if keys:
            f = pd.DataFrame({**{k: p[k] for k in keys}, **columns})
            return f.groupby(keys, dropna=False, sort=False).sum().reset_index()
        return pd.DataFrame({c: [np.nansum(v)] for c, v in columns.items()})

    def decile_spend(self, payments: pd.DataFrame) -> tuple[pd.Series, np.ndarray, np.ndarray]:
        """(IMD decile, amount, resolved supplier code) of each addressable payment."""
        add = payments["addressable"].astype(bool).to_numpy()
        ids = payments["supplier_id"] if "supplier_id" in payments.columns else supplier_ids(payments)
        codes = _codes(ids)
        return payments["imd_decile"][add], payments["amount"].to_numpy(dtype=float)[add], codes[add]

    def resolve(self, payments: pd.DataFrame) -> pd.DataFrame:
        """The payments with each one's resolved supplier in ``supplier_id`` (resolved once for the sums
        and the names that follow)."""
        if "supplier_id" in payments.columns:
            return payments
        return payments.assign(supplier_id=supplier_ids(payments))


PANDAS = PandasEngine()


def _kept(payments: pd.DataFrame, filters: dict[str, list] | None) -> pd.DataFrame:
    """The rows whose column is in the given values for every ``filters`` entry."""
    mask = None
    for column, values in (filters or {}).items():
        m = payments[column].isin(list(values)).to_numpy()
        mask = m if mask is None else mask & m
    return payments if mask is None or mask.all() else payments[mask]


def _local(payments: pd.DataFrame, area: Area | dict[str, Area]) -> np.ndarray:
    """``is_local`` for one area, or for anchor_id -> area (each payment tested against its anchor's area)."""
    if isinstance(area, Area):
        return is_local(payments, area).to_numpy()
    local = np.zeros(len(payments), dtype=bool)
    for a, ar in area.items():
        local |= (payments["anchor_id"] == a).to_numpy() & is_local(payments, ar).to_numpy()
    return local


def _all(conditions: dict[str, np.ndarray], need: tuple[str, ...], n: int) -> np.ndarray:
    """True where every condition of ``need`` holds ('~x': where x does not)."""
    out = np.ones(n, dtype=bool)
    for c in need:
        out &= ~conditions[c[1:]] if c.startswith("~") else conditions[c]
    return out


def _codes(ids: pd.Series) -> np.ndarray:
    return ids.cat.codes.to_numpy() if isinstance(ids.dtype, pd.CategoricalDtype) else pd.factorize(ids)[0]


def _names(payments: pd.DataFrame, ids: pd.Series) -> pd.DataFrame:
    """``supplier`` and ``lad`` per resolved supplier id of these payments (see ``supplier_names``)."""
    codes, uniques = pd.factorize(ids, sort=False)
    first = {
        c: _min_text(codes, len(uniques), payments[c]) for c in ("register_name", "supplier_name", "lad")
    }
    name = first["register_name"].fillna(first["supplier_name"]).fillna(NO_NAME)
    index = pd.Index(uniques, name="supplier_id")
    frame = pd.DataFrame({"supplier": name.to_numpy(), "lad": first["lad"].to_numpy()}, index=index)
    return frame.astype("string")


def _min_text(codes: np.ndarray, n: int, column: pd.Series) -> pd.Series:
    """The smallest text of ``column`` per group (``codes`` 0..n-1), <NA> where a group has none. A
    categorical is ranked by the categories its rows use, in sort order, so the rows are compared as
    integers (the work follows the rows given, not every category of the dataset)."""
    if not isinstance(column.dtype, pd.CategoricalDtype):
        column = column.astype("string").astype("category")
    row_codes = column.cat.codes.to_numpy()
    present = row_codes >= 0
    used = np.unique(row_codes[present])  # the categories these rows use, by code
    text = np.asarray(column.cat.categories.take(used), dtype=object)
    order = np.argsort(text, kind="stable")  # text order of the used categories
    rank_of = np.empty(len(used), dtype=np.int64)
    rank_of[order] = np.arange(len(used))
    rank = np.full(len(row_codes), len(used), dtype=np.int64)  # a missing text ranks after every text
    rank[present] = rank_of[np.searchsorted(used, row_codes[present])]
    best = np.full(n, len(used), dtype=np.int64)
    np.minimum.at(best, codes, rank)
    return pd.Series(np.append(text[order], None)[best], dtype="string")
