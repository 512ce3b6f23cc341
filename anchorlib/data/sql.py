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
        if isinstance(t, pd.DataFrame):
            con.register(name, t)
        else:  # a PaymentsRelation: a view over its Parquet parts, local to this cursor
            con.execute(f'CREATE TEMP VIEW "{name}" AS {t.sql()}')
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


def literal(value) -> str:
    """A SQL literal for a text or boolean value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "'" + str(value).replace("'", "''") + "'"


def columns(names) -> str:
    """Quoted, comma-separated column names."""
    return ", ".join(f'"{c}"' for c in names)
