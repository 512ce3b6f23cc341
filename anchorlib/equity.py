"""Equity (DESIGN.md, Definitions: Utilisation, Availability, Disparity index) and the spend
distribution across IMD deciles of supplier location. Public through ``anchorlib.metrics``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .leakage import ANY_LOCATION, rule_set, sums
from .metrics_base import (
    SUPPLIER,
    availability_counts,
    base_choices,
    engine_for,
    equity_frame,
    equity_groups,
)

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
        from . import engine_duckdb

        df = engine_duckdb.equity(ds, payments, by)
    else:
        df = equity_frame(equity_sums(payments, groups, keys), availability_counts(ds.suppliers, groups), keys, groups)
    df.attrs["choices"] = base_choices(None, ds.ruleset.name, imd_vintage=ds.geography.imd_vintage, by=by,
                                       availability_pool="the supplier register (suppliers.csv)",
                                       imd_1_2="suppliers located in IMD deciles 1-2; known where the location is",
                                       four_fifths_threshold=80)
    return df


def imd_distribution(payments: pd.DataFrame, *, imd_vintage: str | None = None) -> pd.DataFrame:
    """Addressable spend by the IMD decile of the supplier's location (1 = most deprived), rows '1'..'10'
    then 'unknown': ``spend``, ``share`` of the spend whose decile is known (NaN for 'unknown') and
    ``n_suppliers`` (resolved suppliers with addressable payments)."""
    s = sums(payments, ANY_LOCATION, ["imd_decile", SUPPLIER])
    s = s[s["addressable_payments"] > 0]
    dec = pd.to_numeric(s["imd_decile"], errors="coerce")
    label = dec.map(lambda d: "unknown" if pd.isna(d) else str(int(d)))
    g = s.assign(imd_decile=label).groupby("imd_decile")
    spend = g["addressable_spend"].sum().reindex(IMD_ROWS, fill_value=0.0)
    n = g.size().reindex(IMD_ROWS, fill_value=0).astype("int64")
    known = spend.drop("unknown").sum()
    share = (spend / known if known != 0 else spend * float("nan")).astype(float)
    share["unknown"] = float("nan")
    out = pd.DataFrame({"imd_decile": IMD_ROWS, "spend": spend.to_numpy(dtype=float), "share": share.to_numpy(),
                        "n_suppliers": n.to_numpy()})
    out.attrs["choices"] = base_choices(None, rule_set(payments),
                                        imd_vintage=imd_vintage or payments.attrs.get("imd_vintage"),
                                        location="supplier postcode (register entry, else the spend file)",
                                        share="of addressable spend whose supplier's IMD decile is known")
    return out
