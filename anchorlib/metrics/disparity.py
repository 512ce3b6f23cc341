"""Equity (DESIGN.md, Definitions: Utilisation, Availability, Disparity index) and the spend
distribution across IMD deciles of supplier location. Public through ``anchorlib.metrics``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from anchorlib.metrics.definitions import (
    SUPPLIER,
    availability_counts,
    base_choices,
    engine_for,
    equity_frame,
    equity_groups,
    supplier_ids,
)
from anchorlib.metrics.leakage import ANY_LOCATION, rule_set, sums

IMD_ROWS = [str(d) for d in range(1, 11)] + ["unknown"]


def equity_sums(payments: pd.DataFrame, groups: list[tuple[str, str]], keys: list[str]) -> pd.DataFrame:
    """Per ``keys`` value, over addressable payments: addressable_spend and each group's £ in the group
    (``in_g``) and £ whose membership is known (``known_g``; for IMD 1-2: whose IMD decile is known)."""
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


def equity(ds, payments: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Utilisation, availability and disparity index per group, overall or per ``by`` value (e.g. 'category').

    Utilisation = addressable £ with suppliers in the group / addressable £ whose membership is known;
    availability = share of register suppliers in the group among those whose membership is known (the
    whole register is the availability pool, for every ``by`` value); disparity index = 100 x
    utilisation / availability, ``below_four_fifths`` when under 80. Unknown shares sit beside both.
    """
    groups = equity_groups(ds.suppliers)
    keys = [by] if by else []
    if engine_for(payments) == "duckdb":
        from anchorlib.metrics.engine import duckdb_engine as engine_duckdb

        df = engine_duckdb.equity(ds, payments, by)
    else:
        df = equity_frame(
            equity_sums(payments, groups, keys), availability_counts(ds.suppliers, groups), keys, groups
        )
    df.attrs["choices"] = base_choices(
        None,
        ds.ruleset.name,
        imd_vintage=ds.geography.imd_vintage,
        by=by,
        availability_pool="the supplier register (suppliers.csv)",
        imd_1_2="suppliers located in IMD deciles 1-2; known where the location is",
        four_fifths_threshold=80,
    )
    return df


def _per_decile(decile: pd.Series, amount: np.ndarray, supplier: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(£, distinct ``supplier`` codes) per IMD_ROWS row of payments with these deciles: deciles 1-10 (a
    fraction truncated, as int() does; others counted nowhere), then the missing ones as 'unknown'."""
    d = pd.to_numeric(decile, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    row = np.full(len(d), 10, dtype=np.int64)
    known = ~np.isnan(d)
    t = np.trunc(d[known])
    row[known] = np.where((t >= 1) & (t <= 10), t - 1, -1)
    keep = row >= 0
    row, amount, supplier = (
        row[keep],
        amount[keep],
        supplier[keep].astype(np.int64) + 1,
    )  # code -1 (none) is one too
    spend = np.bincount(row, weights=amount, minlength=len(IMD_ROWS)).astype(float)
    width = int(supplier.max(initial=0)) + 1  # (row, supplier) pairs as one integer each
    pairs = np.unique(row * width + supplier)
    n = np.bincount(pairs // width, minlength=len(IMD_ROWS)).astype("int64")
    return spend, n


def imd_distribution(payments: pd.DataFrame, *, imd_vintage: str | None = None) -> pd.DataFrame:
    """Addressable spend by the IMD decile of the supplier's location (1 = most deprived), rows '1'..'10'
    then 'unknown': ``spend``, ``share`` of the spend whose decile is known (NaN for 'unknown') and
    ``n_suppliers`` (resolved suppliers with addressable payments)."""
    if engine_for(payments) == "duckdb":
        s = sums(payments, ANY_LOCATION, ["imd_decile", SUPPLIER])
        s = s[s["addressable_payments"] > 0]
        spend, n = _per_decile(
            s["imd_decile"], s["addressable_spend"].to_numpy(dtype=float), np.arange(len(s))
        )  # one row per (decile, supplier)
    else:
        add = payments["addressable"].astype(bool).to_numpy()
        ids = payments["supplier_id"] if "supplier_id" in payments.columns else supplier_ids(payments)
        codes = (
            ids.cat.codes.to_numpy() if isinstance(ids.dtype, pd.CategoricalDtype) else pd.factorize(ids)[0]
        )
        spend, n = _per_decile(
            payments["imd_decile"][add], payments["amount"].to_numpy(dtype=float)[add], codes[add]
        )
    known = spend[:10].sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        share = spend / known if known != 0 else spend * np.nan
    share[10] = np.nan
    out = pd.DataFrame({"imd_decile": IMD_ROWS, "spend": spend, "share": share, "n_suppliers": n})
    out.attrs["choices"] = base_choices(
        None,
        rule_set(payments),
        imd_vintage=imd_vintage or payments.attrs.get("imd_vintage"),
        location="supplier postcode (register entry, else the spend file)",
        share="of addressable spend whose supplier's IMD decile is known",
    )
    return out
