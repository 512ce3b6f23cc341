"""Pre-aggregated payments, so an app's widget change stays interactive on millions of rows.

Every metric the apps show is a sum of ``amount`` over payments grouped or filtered by other
columns (DESIGN.md: local share, leakage, utilisation, LM3's R1 and R2). Summing ``amount`` once per
distinct combination of the columns an app needs gives a frame with the same columns and the same
sums, only far fewer rows: the ``metrics`` functions run on it unchanged and give the same figures.
Payment counts are lost, so nothing that counts payments may use a rollup.
"""

from __future__ import annotations

import copy

import pandas as pd

from ..dataset import Dataset
from ..engine_duckdb import query
from ..metrics_base import supplier_ids

#: What local share and leakage read besides ``amount`` (metrics_base.share_sums), and the resolved supplier.
SHARE_COLUMNS = ["addressable", "lad", "rgn", "hq_only"]
SUPPLIER_COLUMNS = ["register_row", "supplier_key", "supplier_name", "register_name"]
#: The same with the resolved supplier a rollup can carry (``with_supplier_ids``).
RESOLVED_SUPPLIER_COLUMNS = [*SUPPLIER_COLUMNS, "supplier_id"]
#: Columns that identify one payment (or its place in a file): dropped, so the rest can be summed over.
PER_PAYMENT = ("amount", "payment_date", "transaction_id", "source_file", "source_line", "match_score")


def rollup(payments: pd.DataFrame, columns: list[str] | None = None, min_rows: int = 50_000) -> pd.DataFrame:
    """``payments[columns + ['amount']]`` with ``amount`` summed per distinct row of ``columns`` (default:
    every column but PER_PAYMENT; NULLs kept as their own value). Frames under ``min_rows`` rows come
    back as they are (nothing to gain)."""
    columns = [c for c in payments.columns if c not in PER_PAYMENT] if columns is None else columns
    cols = [c for c in dict.fromkeys(columns) if c in payments.columns and c != "amount"]
    if len(payments) < min_rows:
        out = payments[[*cols, "amount"]]
        out.attrs = dict(payments.attrs)
        return out
    keys = ", ".join(f'"{c}"' for c in cols)
    # categoricals go in as their integer codes (-1 = missing, a value of its own) and come back through
    # from_codes: DuckDB would otherwise read every category as a Python object, and astype them back
    cats = [c for c in cols if isinstance(payments[c].dtype, pd.CategoricalDtype)]
    frame = payments[[*cols, "amount"]].assign(**{c: payments[c].cat.codes.to_numpy() for c in cats})
    out = query(f"SELECT {keys}, sum(amount) AS amount FROM p GROUP BY {keys}", p=frame)
    for c in cols:  # keep the payments' dtypes (DuckDB hands back object / float for nullable columns)
        out[c] = (pd.Categorical.from_codes(out[c].to_numpy(), dtype=payments[c].dtype) if c in cats
                  else out[c].astype(payments[c].dtype))
    out.attrs = dict(payments.attrs)  # e.g. the rule set and IMD vintage metrics.select records
    return out


def with_supplier_ids(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (payments or a rollup with SUPPLIER_COLUMNS) with each row's resolved supplier in
    ``supplier_id`` (``metrics_base.supplier_ids``, as a categorical), so the metrics that group by
    supplier do not resolve the rows again after every choice."""
    out = frame.assign(supplier_id=supplier_ids(frame).astype("category"))
    out.attrs = dict(frame.attrs)
    return out


def rolled_dataset(ds: Dataset, columns: list[str] | None = None, min_rows: int = 50_000) -> Dataset:
    """A shallow copy of ``ds`` whose ``payments`` are the rollup (of ``columns``, default all but
    PER_PAYMENT), for metrics that take a Dataset (``metrics.network``, ``metrics.shared_suppliers``):
    same figures, a fraction of the rows."""
    out = copy.copy(ds)
    out.__dict__["payments"] = rollup(ds.payments, columns, min_rows=min_rows)  # fills the cached_property
    out.payments.attrs = {}  # the dataset's own payments carry none
    return out
