"""The engines: the sums every metric is made of, computed in pandas or in DuckDB SQL.

A metric (anchorlib/metrics/leakage.py, disparity.py, multiplier.py, pooling.py, headline.py) defines a
figure once, in terms of the sums below, and is handed an engine that computes them; the two engines
differ only in how they sum (same columns, same numbers: tests/test_engine_duckdb.py). An engine
imports the definitions (anchorlib/metrics/definitions.py) and the data layer, never a metric.

``Engine``, the sums a metric may ask for:

- ``share_sums(payments, area, keys, names=True, filters=None)``: per value of ``keys`` (columns, or
  ``SUPPLIER`` for the resolved supplier), the ``SHARE_SUMS`` columns (total, addressable, local and
  unknown-location spend, ...); ``area`` an ``Area``, or anchor_id -> Area (then per anchor, each anchor's
  payments local to its own area); ``filters`` {column: [values]} keeps matching rows.
- ``supplier_names(payments, ids)``: display name and LAD of the resolved suppliers ``ids``.
- ``equity_sums(payments, groups, keys)``: per ``keys`` value, addressable spend and each group's £ in
  the group and £ whose membership is known.
- ``decile_spend(payments)``: addressable £ by IMD decile and resolved supplier, for the IMD reach.
- ``resolve(payments)``: the payments ready for several supplier sums (pandas resolves the suppliers
  once; DuckDB resolves them in SQL).

``choose(payments, engine)`` picks one: the given engine (an ``Engine`` or its name), else
``$ANCHORLIB_ENGINE``, else DuckDB from ``ENGINE_MIN_ROWS`` payments and pandas below.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Protocol

from anchorlib.data.relation import PaymentsRelation, is_relation
from anchorlib.errors import OutOfCoreError, ParameterError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from anchorlib.data.places import Area

ENGINE_MIN_ROWS = 200_000  # from this many payments the metrics run on DuckDB ($ANCHORLIB_ENGINE overrides)
ENGINES = ("pandas", "duckdb", "spark")


class Engine(Protocol):
    name: str

    def share_sums(
        self,
        payments: pd.DataFrame,
        area: Area | dict[str, Area],
        keys: list[str],
        *,
        names: bool = True,
        filters: dict[str, list] | None = None,
    ) -> pd.DataFrame: ...

    def supplier_names(self, payments: pd.DataFrame, ids: list[str]) -> pd.DataFrame: ...

    def equity_sums(
        self, payments: pd.DataFrame, groups: list[tuple[str, str]], keys: list[str]
    ) -> pd.DataFrame: ...

    def decile_spend(self, payments: pd.DataFrame) -> tuple[pd.Series, np.ndarray, np.ndarray]: ...

    def resolve(self, payments: pd.DataFrame) -> pd.DataFrame: ...


def engine_for(payments: pd.DataFrame | PaymentsRelation) -> str:
    """The name of the engine ``choose`` picks for ``payments``: ``$ANCHORLIB_ENGINE`` when set, else
    'duckdb' for ``ENGINE_MIN_ROWS`` payments or more, or for an out-of-core dataset's payments (a
    ``PaymentsRelation``), and 'pandas' below."""
    forced = os.environ.get("ANCHORLIB_ENGINE", "").strip().lower()
    if forced:
        return _known(forced, "ANCHORLIB_ENGINE")
    return "duckdb" if is_relation(payments) or len(payments) >= ENGINE_MIN_ROWS else "pandas"


def choose(payments: pd.DataFrame | PaymentsRelation, engine: Engine | str | None = None) -> Engine:
    """The engine for ``payments``: ``engine`` when given (an Engine, or 'pandas' / 'duckdb' / 'spark'),
    else ``engine_for``'s choice. The pandas engine sums frames in memory: given an out-of-core dataset's
    payments it raises OutOfCoreError rather than load them."""
    if engine is not None and not isinstance(engine, str):
        chosen = engine
    else:
        chosen = get(_known(engine.strip().lower(), "engine") if engine else engine_for(payments))
    if chosen.name == "pandas" and is_relation(payments):
        raise OutOfCoreError(
            f"the pandas engine sums payments in memory, and these {len(payments):,} are out of core "
            "(a Parquet dataset): use engine 'duckdb' or 'spark' (or unset ANCHORLIB_ENGINE)"
        )
    return chosen


def rollup_runner(payments, engine: Engine | str | None = None):
    """What sums an out-of-core dataset's rollups (``Dataset.rollup(run=...)``) for a metric asked to run
    on ``engine``: the SQL engine's ``run`` when it is one other than DuckDB (Spark: the scan of the
    Parquet parts happens on the cluster), else None (DuckDB, the data layer's own)."""
    if not is_relation(payments):
        return None
    name = engine if isinstance(engine, str) or engine is None else engine.name
    name = (name or os.environ.get("ANCHORLIB_ENGINE", "")).strip().lower()
    if name in ("", "duckdb", "pandas"):
        return None
    return choose(payments, engine).run


def get(name: str) -> Engine:
    """The engine called ``name`` (one instance per process)."""
    if name == "duckdb":
        from anchorlib.metrics.engine.duckdb_engine import DUCKDB  # DuckDB imported only when used

        return DUCKDB
    if name == "spark":
        from anchorlib.metrics.engine.spark_engine import spark_engine  # pyspark imported only when used

        return spark_engine()
    from anchorlib.metrics.engine.pandas_engine import PANDAS

    return PANDAS


def _known(name: str, what: str) -> str:
    if name not in ENGINES:
        raise ParameterError(f"{what} must be 'pandas', 'duckdb' or 'spark', not '{name}'")
    return name
