"""One in-memory DuckDB database for the queries over frames: the rollups here and the DuckDB engine's
sums (anchorlib/metrics/engine/duckdb_engine.py). DuckDB scans a frame's columns in place."""

from __future__ import annotations

import duckdb
import pandas as pd

_DB = duckdb.connect()  # each query gets its own cursor (cheap, thread-safe)


def query(sql: str, **tables: pd.DataFrame) -> pd.DataFrame:
    """Run ``sql`` on the one in-memory database with ``tables`` (name -> DataFrame) registered."""
    con = _DB.cursor()
    try:
        for name, t in tables.items():
            con.register(name, t)
        return con.execute(sql).df()
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
