"""A dataset out of core (its payments as Parquet parts, anchorlib/data/storage/parts.py) gives every
figure the same dataset gives in memory, never hands its payments to pandas by accident, and ingests
again only the spend files that changed. The sample is made out of core by
``ANCHORLIB_OUT_OF_CORE_ROWS=0``."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from anchorlib import metrics, open_dataset
from anchorlib.data.relation import PaymentsRelation
from anchorlib.errors import OutOfCoreError, SpendFileError
from anchorlib.paths import SAMPLE_DIR
from anchorlib.reports import analyst_views, views


def _copy(tmp_path, name="ds"):
    dest = tmp_path / name
    shutil.copytree(SAMPLE_DIR, dest, ignore=shutil.ignore_patterns(".anchorlib-cache"))
    return dest


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    """(in memory, out of core): the sample, and a copy of it opened out of core."""
    root = _copy(tmp_path_factory.mktemp("ooc"))
    mp = pytest.MonkeyPatch()
    mp.setenv("ANCHORLIB_OUT_OF_CORE_ROWS", "0")
    try:
        ooc = open_dataset(root)
    finally:
        mp.undo()
    return open_dataset(SAMPLE_DIR), ooc


def _json(x):
    return json.loads(json.dumps(x, default=str))


def close(a, b, path=""):
    """Differences between two JSON-like results (floats to 1e-9 relative: DuckDB and pandas add up in
    different orders)."""
    if isinstance(a, dict):
        assert set(a) == set(b), path
        return [d for k in a for d in close(a[k], b[k], f"{path}/{k}")]
    if isinstance(a, list):
        assert len(a) == len(b), path
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in close(x, y, f"{path}[{i}]")]
    if isinstance(a, float) and isinstance(b, float):
        return [] if abs(a - b) <= 1e-9 * max(1.0, abs(a)) else [f"{path}: {a} != {b}"]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def frames(a: pd.DataFrame, b: pd.DataFrame, keys=None):
    if keys:
        a, b = a.sort_values(keys, ignore_index=True), b.sort_values(keys, ignore_index=True)
    a = a.assign(**{c: a[c].astype(str) for c in a.columns if not pd.api.types.is_numeric_dtype(a[c])})
    b = b.assign(**{c: b[c].astype(str) for c in b.columns if not pd.api.types.is_numeric_dtype(b[c])})
    pd.testing.assert_frame_equal(a, b, check_dtype=False, rtol=1e-9)


def test_the_payments_are_parquet_parts_by_anchor_and_year(both):
    mem, ooc = both
    p = ooc.payments
    assert isinstance(p, PaymentsRelation) and len(p) == len(mem.payments) == 24_960
    assert set(p.columns) == set(mem.payments.columns)
    assert p.anchor_ids == sorted(mem.anchor_ids) and ooc.financial_years == mem.financial_years
    assert len(p.parts) == 12 and all(part.path.endswith(".parquet") for part in p.parts)
    one = metrics.select(ooc, ["elft"], ["2022-23"])
    assert len(one) == len(metrics.select(mem, ["elft"], ["2022-23"])) and one.anchor_ids == ["elft"]
    assert one.attrs["addressable_rule_set"] == mem.ruleset.name
    assert ooc.load_report_frame().drop(columns="file").equals(mem.load_report_frame().drop(columns="file"))


def test_pandas_never_gets_the_payments_by_accident(both, monkeypatch):
    _, ooc = both
    with pytest.raises(OutOfCoreError, match="out of core"):
        ooc.payments["amount"]
    with pytest.raises(OutOfCoreError, match="use engine 'duckdb' or 'spark'"):
        metrics.local_share(ooc.payments, ooc.area("london"), engine="pandas")
    monkeypatch.setattr("anchorlib.data.relation.TO_PANDAS_MAX_ROWS", 1000)
    with pytest.raises(OutOfCoreError, match="too many to load into pandas"):
        ooc.payments.to_pandas()


def test_a_small_selection_comes_to_pandas_on_request(both):
    mem, ooc = both
    got = metrics.select(ooc, ["hackney"], ["2021-22"]).to_pandas()
    want = metrics.select(mem, ["hackney"], ["2021-22"])
    assert len(got) == len(want) and got["amount"].sum() == pytest.approx(want["amount"].sum(), rel=1e-12)
    assert isinstance(got["supplier_name"].dtype, pd.CategoricalDtype) and got["is_sme"].dtype == "boolean"
    frames(got, want.reset_index(drop=True), ["source_file", "source_line"])


def test_summary_and_network_are_the_same(both):
    mem, ooc = both
    assert close(_json(metrics.summary(mem)), _json(metrics.summary(ooc))) == []
    assert (
        close(_json(metrics.network(mem, area_id="london")), _json(metrics.network(ooc, area_id="london")))
        == []
    )


def test_every_metric_on_a_selection_is_the_same(both):
    mem, ooc = both
    a, b = metrics.select(mem, ["hackney"]), metrics.select(ooc, ["hackney"])
    area = mem.area(None, "hackney")
    frames(
        metrics.equity(mem, a, by="category"), metrics.equity(ooc, b, by="category"), ["category", "group"]
    )
    frames(metrics.leakage_by(a, area, "supplier"), metrics.leakage_by(b, area, "supplier"), ["supplier_id"])
    frames(metrics.top_leaking(a, area, n=10), metrics.top_leaking(b, area, n=10))
    frames(metrics.opportunities(mem, a, area), metrics.opportunities(ooc, b, area))
    frames(metrics.concentration(a), metrics.concentration(b))
    frames(metrics.imd_distribution(a), metrics.imd_distribution(b))
    assert close(_json(metrics.lm3(mem, a, area).to_dict()), _json(metrics.lm3(ooc, b, area).to_dict())) == []
    cats = ["Facilities management", "Catering"]
    shift = (metrics.shift_scenario(d, p, area, cats, 0.2).to_dict() for d, p in ((mem, a), (ooc, b)))
    assert close(*map(_json, shift)) == []
    per_year = [
        _json({k: v.to_dict() for k, v in metrics.local_share_per(p, area, "financial_year").items()})
        for p in (a, b)
    ]
    assert close(*per_year) == []
    frames(metrics.shared_suppliers(mem), metrics.shared_suppliers(ooc), ["supplier"])
    frames(mem.matches, ooc.matches, ["spend_name", "supplier_key"])


def test_the_reports_views_are_the_same(both):
    mem, ooc = both
    assert (
        close(
            _json(views.anchor_headline(mem, "elft", None).figures),
            _json(views.anchor_headline(ooc, "elft", None).figures),
        )
        == []
    )
    frames(views.local_share_by_year_data(mem, "hackney"), views.local_share_by_year_data(ooc, "hackney"))
    frames(
        views.local_by_category(mem, "hackney", ["2023-24"]).data,
        views.local_by_category(ooc, "hackney", ["2023-24"]).data,
    )
    for fn in (analyst_views.equity_by_category, analyst_views.concentration):
        frames(fn(mem, "hackney", "2023-24").data, fn(ooc, "hackney", "2023-24").data)
    assert analyst_views.scenario_categories(mem, "hackney", "2023-24", "home", "") == (
        analyst_views.scenario_categories(ooc, "hackney", "2023-24", "home", "")
    )


def test_workers_ingest_the_same_and_a_new_file_alone(tmp_path, monkeypatch, both):
    """Two worker processes write the same parts; a month's new file is the only one parsed after."""
    mem, _ = both
    root = _copy(tmp_path)
    monkeypatch.setenv("ANCHORLIB_OUT_OF_CORE_ROWS", "0")
    monkeypatch.setenv("ANCHORLIB_INGEST_WORKERS", "2")
    ds = open_dataset(root)
    assert len(ds.payments) == len(mem.payments)
    assert close(_json(metrics.summary(ds)), _json(metrics.summary(mem))) == []
    stamps = {p.path: (tmp_path / p.path).stat().st_mtime_ns for p in ds.payments.parts}
    extra = root / "spend" / "elft" / "elft_over_25k_2024-25.csv"
    extra.write_text(
        "Department Family,Entity,Date,Expense Type,Expense Area,Supplier,Transaction Number,Amount\n"
        "Department of Health and Social Care,East London NHS Foundation Trust,15-Apr-2024,Drugs,Pharmacy,"
        'New Pharma Ltd,ELF2024000001,"30,000.00"\n',
        encoding="utf-8",
    )
    again = open_dataset(root)
    assert len(again.payments) == len(mem.payments) + 1 and "2024-25" in again.financial_years
    assert {
        p.path: (tmp_path / p.path).stat().st_mtime_ns for p in again.payments.parts if p.path in stamps
    } == stamps
    elft = {a["anchor_id"]: a for a in metrics.summary(again)["anchors"]}["elft"]
    before = {a["anchor_id"]: a for a in metrics.summary(mem)["anchors"]}["elft"]
    assert elft["total_spend"] == pytest.approx(before["total_spend"] + 30_000, abs=0.01)


def test_a_workers_one_line_error_reaches_the_caller(tmp_path, monkeypatch):
    root = _copy(tmp_path)
    (root / "spend" / "hackney" / "broken.csv").write_text("nothing,here\n1,2\n", encoding="utf-8")
    monkeypatch.setenv("ANCHORLIB_OUT_OF_CORE_ROWS", "0")
    monkeypatch.setenv("ANCHORLIB_INGEST_WORKERS", "2")
    with pytest.raises(SpendFileError, match=r"broken\.csv: no header row found"):
        open_dataset(root)
