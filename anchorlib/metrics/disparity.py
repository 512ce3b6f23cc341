"""Equity (docs/methodology.md#disparity-index): utilisation, availability and
the disparity index per group, and the spend distribution across the IMD deciles of supplier location
(#imd-decile-reach). Public through ``anchorlib.metrics``; the sums come from the engine."""

from __future__ import annotations

import numpy as np
import pandas as pd

from anchorlib.data.dataset import Dataset
from anchorlib.data.registers.population import POOL_NAMES
from anchorlib.metrics.definitions import (
    FOUR_FIFTHS,
    availability_counts,
    base_choices,
    equity_frame,
    equity_groups,
    flow_choices,
)
from anchorlib.metrics.engine import Engine, choose
from anchorlib.metrics.leakage import rule_set
from anchorlib.metrics.pools import pool_frame, serving, sic_mapping

IMD_ROWS = [str(d) for d in range(1, 11)] + ["unknown"]


def equity(
    ds: Dataset,
    payments: pd.DataFrame,
    by: str | None = None,
    *,
    pool: pd.DataFrame | str | None = None,
    engine: Engine | str | None = None,
) -> pd.DataFrame:
    """Utilisation, availability and disparity index per group, overall or per ``by`` value (e.g. 'category').

    Utilisation = addressable £ with suppliers in the group / addressable £ whose membership is known;
    availability = share of the availability pool's businesses in the group among those whose membership is
    known; disparity index = 100 x utilisation / availability, ``below_four_fifths`` when under 80. Unknown
    shares sit beside both. ``pool`` (docs/methodology.md#availability-pools): 'register' (the supplier
    register, the default), 'population' (the local business population, population.csv: by category, each
    category's availability counts the businesses whose SIC codes map to it), or a frame from
    ``pools.pool_frame`` (e.g. a pool's businesses in one area) or of the register's rows.
    """
    if pool is None or (isinstance(pool, str) and pool == "register"):  # the register itself: no copy
        frame, name = ds.suppliers, "register"
        described = f"{POOL_NAMES['register']}: {len(frame):,} suppliers"
    else:
        frame = pool_frame(ds, pool) if isinstance(pool, str) else pool
        name = frame.attrs.get("pool", "register")
        described = frame.attrs.get("availability_pool") or f"{len(frame):,} of the register's suppliers"
    groups = equity_groups(ds.suppliers)
    keys = [by] if by else []
    sums = choose(payments, engine).equity_sums(payments, groups, keys)
    per_category = name == "population" and by == "category"
    if per_category:
        df = _by_category(sums, frame, groups)
    else:
        df = equity_frame(sums, availability_counts(frame, groups), keys, groups)
    df.attrs["choices"] = base_choices(
        None,
        ds.ruleset.name,
        **flow_choices(payments),
        imd_vintage=ds.geography.imd_vintage,
        by=by,
        availability_pool=described,
        availability_by_category=(
            "each category's own: the population's businesses whose SIC codes map to it "
            f"({sic_mapping(ds).name}); unknown where none do"
            if per_category
            else ("the same pool for every category" if by == "category" else None)
        ),
        supplier_flags=flag_rules(ds),
        imd_1_2="suppliers located in IMD deciles 1-2; known where the location is",
        four_fifths_threshold=int(FOUR_FIFTHS),
    )
    return df


def flag_rules(ds: Dataset) -> str:
    """How the register's SME and VCSE flags were set: the rule sets ``anchorlib register build`` named in
    suppliers.csv (``register_rules``), else as the analyst gave them."""
    reg = ds.suppliers
    names = sorted(reg["register_rules"].dropna().unique()) if "register_rules" in reg.columns else []
    if not names:
        return "as given in suppliers.csv"
    built = int(reg["register_rules"].notna().sum())
    rules = "; ".join(names)
    return f"{rules} for {built:,} of {len(reg):,} suppliers (blanks only), else as given in suppliers.csv"


def _by_category(sums: pd.DataFrame, frame: pd.DataFrame, groups) -> pd.DataFrame:
    """``equity_frame`` per category, each with the availability of the pool's businesses serving it."""
    parts = []
    for cat in sums["category"].drop_duplicates().tolist():
        rows = (
            sums[sums["category"].astype("object") == cat] if pd.notna(cat) else sums[sums["category"].isna()]
        )
        sub = serving(frame, str(cat)) if pd.notna(cat) else frame.iloc[0:0]
        parts.append(equity_frame(rows, availability_counts(sub, groups), ["category"], groups))
    if not parts:
        return equity_frame(sums, availability_counts(frame.iloc[0:0], groups), ["category"], groups)
    return pd.concat(parts, ignore_index=True).sort_values("category", kind="stable", ignore_index=True)


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


def imd_distribution(
    payments: pd.DataFrame, *, imd_vintage: str | None = None, engine: Engine | str | None = None
) -> pd.DataFrame:
    """Addressable spend by the IMD decile of the supplier's location (1 = most deprived), rows '1'..'10'
    then 'unknown': ``spend``, ``share`` of the spend whose decile is known (NaN for 'unknown') and
    ``n_suppliers`` (resolved suppliers with addressable payments)."""
    spend, n = _per_decile(*choose(payments, engine).decile_spend(payments))
    known = spend[:10].sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        share = spend / known if known != 0 else spend * np.nan
    share[10] = np.nan
    out = pd.DataFrame({"imd_decile": IMD_ROWS, "spend": spend, "share": share, "n_suppliers": n})
    out.attrs["choices"] = base_choices(
        None,
        rule_set(payments),
        **flow_choices(payments),
        imd_vintage=imd_vintage or payments.attrs.get("imd_vintage"),
        location="supplier postcode (register entry, else the spend file)",
        share="of addressable spend whose supplier's IMD decile is known",
    )
    return out
