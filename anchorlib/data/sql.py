"""One in-memory DuckDB database for the queries over frames and over an out-of-core dataset's Parquet
parts: the rollups here and the DuckDB engine's sums (anchorlib/metrics/engine/duckdb_engine.py).
DuckDB scans a frame's columns in place; a ``PaymentsRelation`` (anchorlib/data/relation.py) is a view
over its Parquet files, read a row group at a time, never whole.

Its memory is capped (``$ANCHORLIB_DUCKDB_MEMORY``, default 4GB) and it spills to a folder under the
system's temporary directory, so an aggregation over a hundred million payments stays within a few GB.
"""

from __future__ import annotations

import os
import tempfile

import duckdb
import pandas as pd

from anchorlib.data.relation import is_relation

MEMORY_LIMIT = "4GB"


def _connect() -> duckdb.DuckDBPyConnection:
    db = duckdb.connect()
    db.execute(f"SET memory_limit = '{os.environ.get('ANCHORLIB_DUCKDB_MEMORY') or MEMORY_LIMIT}'")
    db.execute("SET preserve_insertion_order = false")  # no order is relied on: less memory, more speed
    spill = os.path.join(tempfile.gettempdir(), f"anchorlib-duckdb-{os.getpid()}")
    db.execute(f"SET temp_directory = '{spill}'")
    return db


_DB = _connect()  # each query gets its own cursor (cheap, thread-safe)


def _cursor(tables: dict) -> duckdb.DuckDBPyConnection:
    con = _DB.cursor()
    for name, t in tables.items():
        if is_relation(t):  # a view over the Parquet parts, local to this cursor
            con.execute(f'CREATE TEMP VIEW "{name}" AS {t.sql()}')
        else:
            con.register(name, t)
    return con


def query(sql: str, **tables) -> pd.DataFrame:
    """Run ``sql`` on the one in-memory database with ``tables`` (name -> DataFrame or PaymentsRelation)."""
    con = _cursor(tables)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def query_arrow(sql: str, **tables):
    """``query``, the result as a pyarrow Table."""
    con = _cursor(tables)
    try:
        return con.sql(sql).to_arrow_table()
    finally:
        con.close()


def arrow_frame(table) -> pd.DataFrame:
    """A query result as a frame with the payments' dtypes (anchorlib/data/payments.py): text as sorted
    categoricals, the group flags as nullable booleans, register rows and IMD deciles as Int64."""
    import pyarrow as pa

    from anchorlib.data.payments import GROUP_FLAGS, compact

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
        elif pa.types.is_integer(t) and (name in ("register_row", "imd_decile") or col.null_count):
            cols[name] = pd.array(col.to_pandas(), dtype="Int64")
        elif name == "match_score":
            cols[name] = pd.array(col.to_pandas(), dtype="Float64")
        else:
            cols[name] = col.to_pandas()
    return pd.DataFrame(cols, index=pd.RangeIndex(table.num_rows))


def literal(value) -> str:
    """A SQL literal for a text or boolean value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "'" + str(value).replace("'", "''") + "'"


def columns(names) -> str:
    """Quoted, comma-separated column names."""
    return ", ".join(f'"{c}"' for c in names)
