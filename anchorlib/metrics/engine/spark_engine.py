"""The metrics' sums on Apache Spark (``engine="spark"`` or ``ANCHORLIB_ENGINE=spark``): the DuckDB
engine's SQL, written once in DuckDB's dialect (anchorlib/metrics/engine/duckdb_engine.py), transpiled to
Spark SQL by sqlglot and run by a Spark session. Nothing here restates a sum.

Inputs become Spark temporary views: an out-of-core dataset's payments (a ``PaymentsRelation``) as
Spark's own read of its Parquet parts, so the cluster reads the files where they are; a pandas frame (a
rollup, a small table) through Arrow. The session is the active one, else one built from
``$ANCHORLIB_SPARK_MASTER`` (default ``local[2]``) with ``$ANCHORLIB_SPARK_SHUFFLE_PARTITIONS`` shuffle
partitions (default 4: the sums' results are small). Needs the ``spark`` extra (pyspark, sqlglot) and
Java 17 or later.
"""

from __future__ import annotations

import functools
import os
import shutil
import threading

import pandas as pd

from anchorlib.data.relation import is_relation
from anchorlib.errors import ParameterError
from anchorlib.metrics.engine.duckdb_engine import DuckDBEngine

DEFAULT_MASTER = "local[2]"
DEFAULT_SHUFFLE_PARTITIONS = "4"


@functools.lru_cache(maxsize=256)
def to_spark(sql: str) -> str:
    """``sql`` (DuckDB's dialect) as Spark SQL."""
    import sqlglot

    return sqlglot.transpile(sql, read="duckdb", write="spark")[0]


def _arrow_table(frame: pd.DataFrame):
    """A frame as an Arrow table Spark takes: categoricals and large strings as plain strings."""
    import pyarrow as pa

    table = pa.Table.from_pandas(frame, preserve_index=False)
    fields = []
    for f in table.schema:
        t = f.type
        if pa.types.is_dictionary(t):
            t = t.value_type
        if pa.types.is_large_string(t):
            t = pa.string()
        fields.append(pa.field(f.name, t))
    return table.cast(pa.schema(fields))


class SparkEngine(DuckDBEngine):
    """The DuckDB engine's sums, run on Spark."""

    name = "spark"

    def __init__(self, session):
        self.spark = session
        self._lock = threading.Lock()  # temporary views are the session's: one query at a time

    def run(self, sql: str, **tables) -> pd.DataFrame:
        text = to_spark(sql)
        with self._lock:
            for name, t in tables.items():
                self._view(name, t)
            try:
                return self.spark.sql(text).toPandas()
            finally:
                for name in tables:
                    self.spark.catalog.dropTempView(name)

    def _view(self, name: str, t) -> None:
        if is_relation(t):
            if t.parts:
                df = self.spark.read.parquet(*t.paths).select(*[f"`{c}`" for c in t.columns])
            else:
                from anchorlib.data.relation import empty_sql

                df = self.spark.sql(to_spark(f"SELECT * FROM ({empty_sql(t.columns)}) WHERE false"))
        else:
            df = self.spark.createDataFrame(_arrow_table(t))
        df.createOrReplaceTempView(name)


def session():
    """The active Spark session, else a new one (see the module docstring); ParameterError naming what is
    missing when pyspark or Java is not installed."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise ParameterError(
            "the spark engine needs pyspark and sqlglot: pip install 'anchorlib[spark]'"
        ) from None
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        raise ParameterError("the spark engine needs Java 17 or later (java not found; set JAVA_HOME)")
    return (
        SparkSession.builder.master(os.environ.get("ANCHORLIB_SPARK_MASTER") or DEFAULT_MASTER)
        .appName("anchorlib")
        .config(
            "spark.sql.shuffle.partitions",
            os.environ.get("ANCHORLIB_SPARK_SHUFFLE_PARTITIONS") or DEFAULT_SHUFFLE_PARTITIONS,
        )
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )


_ENGINE: SparkEngine | None = None


def spark_engine() -> SparkEngine:
    """The one Spark engine of this process, on ``session()``."""
    global _ENGINE
    s = session()
    if _ENGINE is None or _ENGINE.spark is not s:
        _ENGINE = SparkEngine(s)
    return _ENGINE
