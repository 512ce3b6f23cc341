"""The Parquet spend cache (anchorlib/cache.py): same tables as a fresh parse, invalidated on change."""

from __future__ import annotations

import json
import os
import shutil

import pandas as pd
import pytest

from anchorlib import open_dataset
from anchorlib.data.storage.cache import CACHE_DIRNAME
from anchorlib.paths import SAMPLE_DIR


@pytest.fixture()
def copy(tmp_path):
    dst = tmp_path / "ds"
    shutil.copytree(SAMPLE_DIR, dst, ignore=shutil.ignore_patterns(CACHE_DIRNAME))
    return dst


def test_cached_open_equals_fresh_parse(copy, monkeypatch):
    monkeypatch.setenv("ANCHORLIB_CACHE", "0")
    fresh = open_dataset(copy)
    assert not (copy / CACHE_DIRNAME).exists()
    monkeypatch.setenv("ANCHORLIB_CACHE", "1")
    first = open_dataset(copy)  # fills the cache
    parquet = [p.name for p in (copy / CACHE_DIRNAME).glob("*.parquet")]
    grants = [n for n in parquet if n.startswith("grants-")]  # each 360Giving file's grants, kept too
    assert len(parquet) - len(grants) == sum(len(r) for r in fresh.load_reports.values())
    assert len(grants) == sum(len(r) for r in fresh.grant_reports.values()) == 4
    second = open_dataset(copy)  # reads it
    for ds in (first, second):
        pd.testing.assert_frame_equal(ds.spend, fresh.spend)
        pd.testing.assert_frame_equal(ds.grants, fresh.grants)  # the grants as read, from their cache entry
        assert [r.to_json() for rs in ds.grant_reports.values() for r in rs] == [
            r.to_json() for rs in fresh.grant_reports.values() for r in rs
        ]
        assert ds.load_report_frame().equals(fresh.load_report_frame())
        assert [r.rejections for r in ds.load_reports["hackney"]] == [
            r.rejections for r in fresh.load_reports["hackney"]
        ]
    pd.testing.assert_frame_equal(second.payments, fresh.payments)


def test_changed_file_is_parsed_again(copy):
    open_dataset(copy)
    f = min((copy / "spend" / "hackney").glob("*.csv"))
    text = f.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    data_line = next(i for i, line in enumerate(lines) if line.count(",") >= 7 and "£" in line and i > 5)
    del lines[data_line]
    f.write_text("".join(lines), encoding="utf-8")
    st = f.stat()
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    ds = open_dataset(copy)
    rep = next(r for r in ds.load_reports["hackney"] if r.file.endswith(f.name))
    fresh_rows = len(ds.spend[ds.spend["source_file"].str.endswith(f.name)])
    assert rep.rows_loaded == fresh_rows
    os.environ["ANCHORLIB_CACHE"] = "0"
    try:
        assert open_dataset(copy).spend.shape == ds.spend.shape
    finally:
        del os.environ["ANCHORLIB_CACHE"]


def test_read_only_dataset_falls_back_to_user_cache(copy, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("ANCHORLIB_CACHE_DIR", raising=False)
    os.chmod(copy, 0o555)
    try:
        if os.access(copy, os.W_OK):
            pytest.skip("running as root: a read-only folder is still writable")
        ds = open_dataset(copy)
        assert list((tmp_path / "xdg" / "anchorlib").rglob("*.parquet"))
        assert len(ds.spend) > 0
    finally:
        os.chmod(copy, 0o755)


def test_cache_dir_override(copy, tmp_path, monkeypatch):
    monkeypatch.setenv("ANCHORLIB_CACHE_DIR", str(tmp_path / "elsewhere"))
    open_dataset(copy)
    assert not (copy / CACHE_DIRNAME).exists()
    assert list((tmp_path / "elsewhere").rglob("*.parquet"))


def test_large_dataset_payments_come_from_the_cache(copy, monkeypatch):
    monkeypatch.setattr("anchorlib.data.storage.cache.PAYMENTS_MIN_ROWS", 1)
    monkeypatch.setenv("ANCHORLIB_CACHE", "0")
    fresh = open_dataset(copy)
    monkeypatch.setenv("ANCHORLIB_CACHE", "1")
    open_dataset(copy)  # builds and stores the payments
    (before,) = (copy / CACHE_DIRNAME).glob("payments-*.arrow")
    ds = open_dataset(copy)
    assert "payments" in ds.derived and ds.derived.payments_key  # mapped from the cache, not rebuilt
    pd.testing.assert_frame_equal(ds.payments, fresh.payments)
    pd.testing.assert_frame_equal(ds.spend, fresh.spend)
    assert ds.load_report_frame().equals(fresh.load_report_frame())
    # a changed register invalidates the cached payments
    reg = copy / "suppliers.csv"
    reg.write_text(
        reg.read_text(encoding="utf-8") + "Brand New Local Ltd,E8 1AA,,,Yes,,,,,,\n", encoding="utf-8"
    )
    open_dataset(copy)
    entries = sorted((copy / CACHE_DIRNAME).glob("payments-*.arrow"), key=lambda p: p.stat().st_mtime_ns)
    assert [p.name for p in entries] == [before.name, entries[1].name]  # the older version is kept too
    reg.write_text(
        reg.read_text(encoding="utf-8") + "Another New Local Ltd,E8 1AA,,,Yes,,,,,,\n", encoding="utf-8"
    )
    open_dataset(copy)
    assert before.name not in [
        p.name for p in (copy / CACHE_DIRNAME).glob("payments-*.arrow")
    ]  # two kept at most


_RUN_CLI = """import sys
from anchorlib.cli import app
try:
    app(sys.argv[1:])
except SystemExit as e:
    assert not e.code, e.code
print("pandas" in sys.modules, file=sys.stderr)
"""


def _summary(data, *args):
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", _RUN_CLI, "summary", "--data", str(data), *args],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout, out.stderr.strip().splitlines()[-1] == "True"


def test_summary_output_is_cached_without_pandas_and_recomputed_on_change(copy, monkeypatch):
    from anchorlib import metrics

    first, computed = _summary(copy, "--json")
    assert computed
    assert json.loads(first) == json.loads(json.dumps(metrics.summary(open_dataset(copy)), default=str))
    again, computed = _summary(copy, "--json")
    assert again == first and not computed  # served from the cache: pandas never imported
    table, computed = _summary(copy)
    assert not computed and table.startswith("anchor ")  # the table is stored beside the JSON
    with monkeypatch.context() as m:
        m.setenv("ANCHORLIB_ENGINE", "duckdb")  # a setting the output names: computed again
        forced, computed = _summary(copy, "--json")
    assert computed and json.loads(forced)["choices"]["engine"] == "duckdb"
    area, computed = _summary(copy, "--json", "--area", "london")
    assert computed and json.loads(area)["choices"]["area"] == "london"
    f = min((copy / "spend" / "hackney").glob("*.csv"))
    st = f.stat()
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # a touched spend file: computed again
    _, computed = _summary(copy, "--json")
    assert computed


def test_mapped_frame_round_trips_every_payments_dtype_without_copying(tmp_path):
    import numpy as np

    from anchorlib.data.payments import categorical
    from anchorlib.data.storage import mapped

    df = pd.DataFrame(
        {
            "cat": categorical(np.array([1, -1, 0], dtype=np.int8), ["a", "b"]),
            "empty_cat": categorical(np.array([-1, -1, -1], dtype=np.int8), []),
            "i": pd.array([1, None, 3], dtype="Int64"),
            "f": pd.array([0.5, None, 2.0], dtype="Float64"),
            "b": pd.array([True, None, False], dtype="boolean"),
            "flag": [True, False, True],
            "amount": [1.25, -2.5, 3.0],
            "line": np.array([7, 8, 9], dtype="int64"),
            "date": pd.to_datetime(["2023-04-01", None, "2024-03-31"]).astype("datetime64[ns]"),
            "txn": pd.array(["x1", None, "x3"], dtype="string"),
            "s": pd.Series(["p", "q", None], dtype="str"),
        }
    )
    mapped.write(tmp_path / "f.arrow", df)
    back = mapped.read(tmp_path / "f.arrow")
    pd.testing.assert_frame_equal(back, df)
    assert not back["amount"].to_numpy().flags.writeable  # a view of the mapped file, not a copy
    with pytest.raises(TypeError, match="column 'o'"):
        mapped.write(tmp_path / "g.arrow", pd.DataFrame({"o": pd.Series([{"a": 1}], dtype=object)}))
