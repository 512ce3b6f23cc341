"""Pre-aggregated payments, so an app's widget change stays interactive on millions of rows.

Every metric the apps show is a sum of ``amount`` over payments grouped or filtered by other
columns (DESIGN.md: local share, leakage, utilisation, LM3's R1 and R2). Summing ``amount`` once per
distinct combination of the columns an app needs gives a frame with the same columns and the same
sums, only far fewer rows: the ``metrics`` functions run on it unchanged and give the same figures.
Payment counts are lost, so nothing that counts payments may use a rollup.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json

import pandas as pd

from anchorlib.data.dataset import Dataset
from anchorlib.data.storage import cache
from anchorlib.metrics.definitions import GROUPS, payments_attrs, supplier_ids
from anchorlib.paths import PACKAGE_DIR

#: What local share and leakage read besides ``amount`` (metrics_base.share_sums), and the resolved supplier.
SHARE_COLUMNS = ["addressable", "lad", "rgn", "hq_only"]
SUPPLIER_COLUMNS = ["register_row", "supplier_key", "supplier_name", "register_name"]
#: What the equity groups read (metrics_base.GROUPS' flags; IMD deciles 1-2 from ``imd_decile``).
GROUP_COLUMNS = [*(f for f in GROUPS.values() if f != "imd_1_2"), "imd_decile"]
#: What ``metrics.summary`` reads: local share, LM3 per supplier and the equity groups, per anchor.
SUMMARY_COLUMNS = ["anchor_id", *SHARE_COLUMNS, *SUPPLIER_COLUMNS, *GROUP_COLUMNS]
#: The same with the resolved supplier a rollup can carry (``with_supplier_ids``).
RESOLVED_SUPPLIER_COLUMNS = [*SUPPLIER_COLUMNS, "supplier_id"]
#: Frames with fewer rows than this are used as they are (rolling them up gains nothing).
MIN_ROWS = 50_000
#: Columns that identify one payment (or its place in a file): dropped, so the rest can be summed over.
PER_PAYMENT = ("amount", "payment_date", "transaction_id", "source_file", "source_line", "match_score")


def rollup(
    payments: pd.DataFrame, columns: list[str] | None = None, min_rows: int | None = None
) -> pd.DataFrame:
    """``payments[columns + ['amount']]`` with ``amount`` summed per distinct row of ``columns`` (default:
    every column but PER_PAYMENT; NULLs kept as their own value). Frames under ``min_rows`` rows
    (default MIN_ROWS) come back as they are (nothing to gain)."""
    min_rows = MIN_ROWS if min_rows is None else min_rows
    columns = [c for c in payments.columns if c not in PER_PAYMENT] if columns is None else columns
    cols = [c for c in dict.fromkeys(columns) if c in payments.columns and c != "amount"]
    if len(payments) < min_rows:
        out = payments[[*cols, "amount"]]
        out.attrs = dict(payments.attrs)
        return out
    from anchorlib.metrics.engine.duckdb_engine import query  # DuckDB only for frames worth rolling up

    keys = ", ".join(f'"{c}"' for c in cols)
    # categoricals go in as their integer codes (-1 = missing, a value of its own) and come back through
    # from_codes: DuckDB would otherwise read every category as a Python object, and astype them back
    cats = [c for c in cols if isinstance(payments[c].dtype, pd.CategoricalDtype)]
    frame = payments[[*cols, "amount"]].assign(**{c: payments[c].cat.codes.to_numpy() for c in cats})
    out = query(f"SELECT {keys}, sum(amount) AS amount FROM p GROUP BY {keys}", p=frame)
    for c in cols:  # keep the payments' dtypes (DuckDB hands back object / float for nullable columns)
        out[c] = (
            pd.Categorical.from_codes(out[c].to_numpy(), dtype=payments[c].dtype)
            if c in cats
            else out[c].astype(payments[c].dtype)
        )
    out.attrs = dict(payments.attrs)  # e.g. the rule set and IMD vintage metrics.select records
    return out


def with_supplier_ids(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (payments or a rollup with SUPPLIER_COLUMNS) with each row's resolved supplier in
    ``supplier_id`` (``metrics_base.supplier_ids``, as a categorical), so the metrics that group by
    supplier do not resolve the rows again after every choice."""
    out = frame.assign(
        supplier_id=supplier_ids(frame).astype("str").astype("category")
    )  # as mapped.py stores it
    out.attrs = dict(frame.attrs)
    return out


def rolled_dataset(
    ds: Dataset, columns: list[str] | None = None, min_rows: int | None = None, resolved: bool = False
) -> Dataset:
    """A shallow copy of ``ds`` whose ``payments`` are ``cached_rollup(ds, columns, min_rows, resolved)``,
    for metrics that take a Dataset (``metrics.summary``, ``metrics.network``, ``metrics.shared_suppliers``):
    same figures, a fraction of the rows."""
    out = copy.copy(ds)
    out.__dict__["payments"] = cached_rollup(ds, columns, min_rows, resolved)  # fills the cached_property
    return out


def cached_rollup(
    ds: Dataset, columns: list[str] | None = None, min_rows: int | None = None, resolved: bool = False
) -> pd.DataFrame:
    """``rollup(ds.payments, columns, min_rows)``, with ``with_supplier_ids`` when ``resolved``, made once per
    dataset: kept on ``ds`` while its payments are the same object, and, when they are the payments
    cached beside the dataset (anchorlib/cache.py), stored next to them so that a new process maps the
    file instead of rolling a million payments up again (the file goes when the payments entry does)."""
    p, min_rows = ds.payments, MIN_ROWS if min_rows is None else min_rows
    name = _rollup_name(p, columns, resolved, len(p) >= min_rows)
    memo = ds.__dict__.get(f"_rollup_{name}")
    if memo is not None and memo[0] is p:
        return memo[1]
    path = cache.payments_derived(ds, f"rollup-{name}") if len(p) >= min_rows else None
    out = cache.read_mapped(path) if path is not None else None
    if out is None:
        out = rollup(p, columns, min_rows=min_rows)
        if resolved:
            out = with_supplier_ids(out)
        if path is not None:
            cache.write_derived(path, out)
    out.attrs = {}  # the dataset's own payments carry none
    ds.__dict__[f"_rollup_{name}"] = (p, out)
    return out


def selected_rollup(ds: Dataset, columns: list[str], resolved: bool = False) -> pd.DataFrame:
    """``rollup(metrics.select(ds), columns)`` by way of ``cached_rollup``: a shallow copy that carries the
    attrs ``metrics.select`` gives (the rule set and IMD vintage the metrics name)."""
    out = cached_rollup(ds, columns, resolved=resolved).copy(deep=False)
    out.attrs = payments_attrs(ds)
    return out


def _rollup_name(payments: pd.DataFrame, columns: list[str] | None, resolved: bool, rolled: bool) -> str:
    """A name for a rollup of these columns, changing with the code that makes and stores it."""
    return hashlib.sha1(
        json.dumps([columns, resolved, rolled, list(payments.columns), _code()]).encode()
    ).hexdigest()[:16]


@functools.cache
def _code() -> str:
    parts = ("data/rollup.py", "metrics/definitions.py", "data/storage/mapped.py")
    return hashlib.sha1(b"".join((PACKAGE_DIR / rel).read_bytes() for rel in parts)).hexdigest()
