"""The metrics on Apache Spark (pyspark ``local[2]``): the DuckDB engine's SQL, transpiled by sqlglot, gives
every figure DuckDB gives, on the sample in memory and on the sample out of core (Spark reading its
Parquet parts). One Spark session for the module; skipped, with the reason, where Java or pyspark is
absent (``make setup`` installs the ``spark`` extra)."""

from __future__ import annotations

import math
import os
import shutil

import pytest

from anchorlib.paths import SAMPLE_DIR

pytestmark = [pytest.mark.spark, pytest.mark.slow]


@pytest.fixture(scope="module")
def spark():
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        pytest.skip("Spark needs Java 17 or later, and java is not installed")
    try:
        import pyspark  # noqa: F401
        import sqlglot  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("pyspark is missing under CI: make setup installs the spark extra")
        pytest.skip("pyspark is not installed (make setup installs the spark extra)")
    from pyspark.sql import SparkSession

    s = (
        SparkSession.builder.master("local[2]")
        .appName("anchorlib-tests")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    s.sparkContext.setLogLevel("ERROR")
    yield s
    s.stop()


def same(a, b, path="") -> list[str]:
    """Where two results differ: text, integers, booleans and None exactly; floats to 1e-12 relative (the
    engines add up in different orders)."""
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return [f"{path}: keys {sorted(set(a) ^ set(b))}"]
        return [d for k in a for d in same(a[k], b[k], f"{path}/{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} != {len(b)} items"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in same(x, y, f"{path}[{i}]")]
    if isinstance(a, float) and isinstance(b, float):
        return [] if math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-9) else [f"{path}: {a!r} != {b!r}"]
    return [] if (a == b and type(a) is type(b)) else [f"{path}: {a!r} != {b!r}"]


def frames_equal(a, b, keys):
    import pandas as pd

    a = a.sort_values(keys, ignore_index=True)
    b = b.sort_values(keys, ignore_index=True)
    pd.testing.assert_frame_equal(a, b, check_dtype=False, check_exact=False, rtol=1e-12, atol=1e-9)


def test_summary_on_spark_equals_duckdb(spark, sample_ds):
    from anchorlib import metrics

    duck = metrics.summary(sample_ds, engine="duckdb")
    on_spark = metrics.summary(sample_ds, engine="spark")
    assert on_spark["choices"].pop("engine") == "spark" and duck["choices"].pop("engine") == "duckdb"
    assert len(duck["anchors"]) == 4 and duck["anchors"][0]["local_share"] is not None
    assert same(duck, on_spark) == []


def test_metrics_on_spark_read_the_parquet_parts(spark, tmp_path, monkeypatch):
    """Out of core, Spark reads the payments' Parquet parts itself: the summary's rollup (the one scan of
    the payments), equity by category, leakage by supplier (names resolved in SQL) and the IMD reach
    equal DuckDB's over the same parts, and so does the whole summary."""
    from anchorlib import metrics, open_dataset
    from anchorlib.data.rollup import rollup
    from anchorlib.metrics.engine import get
    from anchorlib.metrics.headline import SUMMARY_COLUMNS

    shutil.copytree(SAMPLE_DIR, tmp_path / "ds", ignore=shutil.ignore_patterns(".anchorlib-cache"))
    monkeypatch.setenv("ANCHORLIB_OUT_OF_CORE_ROWS", "0")
    ds = open_dataset(tmp_path / "ds")
    p = metrics.select(ds, ["hackney"], ["2023-24"])
    assert type(p).__name__ == "PaymentsRelation" and len(p) > 0
    by_spark = rollup(ds.payments, SUMMARY_COLUMNS, run=get("spark").run)
    by_duckdb = rollup(ds.payments, SUMMARY_COLUMNS)
    assert len(by_spark) == len(by_duckdb) > 1000
    assert by_spark.dtypes.astype(str).to_dict() == by_duckdb.dtypes.astype(str).to_dict()
    keys = list(SUMMARY_COLUMNS)
    frames_equal(*(r.assign(**{c: r[c].astype(str) for c in keys}) for r in (by_spark, by_duckdb)), keys)
    on_spark, duck = metrics.summary(ds, engine="spark"), metrics.summary(ds, engine="duckdb")
    on_spark["choices"].pop("engine"), duck["choices"].pop("engine")
    assert same(duck, on_spark) == []
    frames_equal(
        metrics.equity(ds, p, by="category", engine="duckdb"),
        metrics.equity(ds, p, by="category", engine="spark"),
        ["category", "group"],
    )
    area = ds.area(None, "hackney")
    frames_equal(
        metrics.leakage_by(p, area, "supplier", engine="duckdb"),
        metrics.leakage_by(p, area, "supplier", engine="spark"),
        ["supplier_id"],
    )
    frames_equal(
        metrics.imd_distribution(p, engine="duckdb"),
        metrics.imd_distribution(p, engine="spark"),
        ["imd_decile"],
    )
