"""Payments rolled up: ``amount`` summed per distinct row of the columns a figure reads.

Every metric is a sum of ``amount`` over payments grouped or filtered by other columns
(docs/methodology.md: local share, leakage, utilisation, LM3's R1 and R2). Summing ``amount`` once per
distinct combination of the columns a figure needs gives a frame with the same columns and the same
sums, only far fewer rows: the metrics run on it unchanged and give the same figures. Payment counts
are lost, so nothing that counts payments may use a rollup. A dataset makes each rollup once and
stores it beside its cached payments (``Dataset.rollup``, anchorlib/data/storage/derived.py).
"""

from __future__ import annotations

import functools
import hashlib
import json

import pandas as pd

from anchorlib.data.payments import GROUP_FLAGS
from anchorlib.data.relation import is_relation
from anchorlib.data.storage.derived import Derived
from anchorlib.data.suppliers import supplier_ids
from anchorlib.paths import PACKAGE_DIR

#: What local share and leakage read besides ``amount``: location, the addressable and head-office flags.
SHARE_COLUMNS = ["addressable", "lad", "rgn", "hq_only"]
#: What resolves a payment's supplier (``suppliers.supplier_ids``) and names it.
SUPPLIER_COLUMNS = ["register_row", "supplier_key", "supplier_name", "register_name"]
#: What the equity groups read: the suppliers' group flags and IMD decile (IMD deciles 1-2).
GROUP_COLUMNS = [*(f for f in GROUP_FLAGS if f != "hq_only"), "imd_decile"]
#: The same as SUPPLIER_COLUMNS with the resolved supplier a rollup can carry (``with_supplier_ids``).
RESOLVED_SUPPLIER_COLUMNS = [*SUPPLIER_COLUMNS, "supplier_id"]
#: Frames with fewer rows than this are used as they are (rolling them up gains nothing).
MIN_ROWS = 50_000
#: Columns that identify one payment (or its place in a file): dropped, so the rest can be summed over.
PER_PAYMENT = ("amount", "payment_date", "transaction_id", "source_file", "source_line", "match_score")


def rollup(
    payments: pd.DataFrame, columns: list[str] | None = None, min_rows: int | None = None, run=None
) -> pd.DataFrame:
    """``payments[columns + ['amount']]`` with ``amount`` summed per distinct row of ``columns`` (default:
    every column but PER_PAYMENT; NULLs kept as their own value). Frames under ``min_rows`` rows
    (default MIN_ROWS) come back as they are (nothing to gain). An out-of-core dataset's payments are
    summed in SQL by ``run`` (an engine's, e.g. Spark's), else by DuckDB (``relation_rollup``)."""
    min_rows = MIN_ROWS if min_rows is None else min_rows
    columns = [c for c in payments.columns if c not in PER_PAYMENT] if columns is None else columns
    cols = [c for c in dict.fromkeys(columns) if c in payments.columns and c != "amount"]
    if is_relation(payments):
        return relation_rollup(payments, cols, run)
    if len(payments) < min_rows:
        out = payments[[*cols, "amount"]]
        out.attrs = dict(payments.attrs)
        return out
    from anchorlib.data.sql import query  # DuckDB only for frames worth rolling up

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


def relation_rollup(payments, cols: list[str], run=None) -> pd.DataFrame:
    """``rollup`` of an out-of-core dataset's payments (anchorlib/data/relation.py): DuckDB (or ``run``:
    sql, **tables -> frame, an engine's) sums its Parquet parts, reading only ``cols`` and ``amount``; the
    rows come back with the payments' dtypes."""
    import pyarrow as pa

    from anchorlib.data.payments import from_arrow
    from anchorlib.data.sql import query_arrow

    keys = ", ".join(f'"{c}"' for c in cols)
    sql = (
        f"SELECT {keys}, sum(amount) AS amount FROM p GROUP BY {keys}"
        if cols
        else "SELECT sum(amount) AS amount FROM p"
    )
    table = query_arrow(sql, p=payments) if run is None else pa.Table.from_pandas(run(sql, p=payments))
    out = from_arrow(table)
    out.attrs = dict(payments.attrs)
    return out


def with_supplier_ids(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (payments or a rollup with SUPPLIER_COLUMNS) with each row's resolved supplier in
    ``supplier_id`` (``suppliers.supplier_ids``, as a categorical), so the metrics that group by
    supplier do not resolve the rows again after every choice."""
    out = frame.assign(
        supplier_id=supplier_ids(frame).astype("str").astype("category")
    )  # as mapped.py stores it
    out.attrs = dict(frame.attrs)
    return out


def stored_rollup(
    payments: pd.DataFrame,
    derived: Derived,
    columns: list[str] | None = None,
    min_rows: int | None = None,
    resolved: bool = False,
    run=None,
) -> pd.DataFrame:
    """``rollup(payments, columns, min_rows)``, with ``with_supplier_ids`` when ``resolved``, made once and
    kept in ``derived`` (the store of the dataset whose payments these are): stored beside the cached
    payments, so a new process maps the file instead of rolling millions of payments up again."""
    min_rows = MIN_ROWS if min_rows is None else min_rows
    rolled = is_relation(payments) or len(payments) >= min_rows
    name = f"rollup-{_rollup_name(payments, columns, resolved, rolled)}"

    def build() -> pd.DataFrame:
        out = rollup(payments, columns, min_rows=min_rows, run=run)
        if resolved:
            out = with_supplier_ids(out)
        out.attrs = {}  # the dataset's own payments carry none
        return out

    # a frame under min_rows is a view of the payments: nothing to store
    return derived.from_payments(name, build) if rolled else derived.memo(name, build)


def selected_rollup(ds, columns: list[str], resolved: bool = False) -> pd.DataFrame:
    """``ds.rollup(columns)`` as ``metrics.select`` hands payments over: a shallow copy carrying in ``attrs``
    the dataset's choices (the rule set and IMD vintage the metrics name)."""
    out = ds.rollup(columns, resolved=resolved).copy(deep=False)
    out.attrs = dict(ds.choices)
    return out


def _rollup_name(payments: pd.DataFrame, columns: list[str] | None, resolved: bool, rolled: bool) -> str:
    """A name for a rollup of these columns, changing with the code that makes and stores it."""
    return hashlib.sha1(
        json.dumps([columns, resolved, rolled, list(payments.columns), _code()]).encode()
    ).hexdigest()[:16]


@functools.cache
def _code() -> str:
    parts = ("data/rollup.py", "data/suppliers.py", "data/storage/mapped.py", "data/sql.py")
    return hashlib.sha1(b"".join((PACKAGE_DIR / rel).read_bytes() for rel in parts)).hexdigest()
