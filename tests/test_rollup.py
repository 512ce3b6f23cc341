"""A rollup (payments summed per distinct row of the other columns) gives the metrics' figures unchanged."""

from __future__ import annotations

import pandas as pd
import pytest

from anchorlib import metrics, open_dataset
from anchorlib.data.rollup import rollup
from anchorlib.data.suppliers import supplier_ids
from anchorlib.metrics.headline import SUMMARY_COLUMNS


def test_rollup_sums_amount_per_distinct_row_and_keeps_nulls():
    p = pd.DataFrame(
        {
            "a": ["x", "x", "y", None],
            "b": pd.array([True, True, None, None], dtype="boolean"),
            "amount": [1.5, 2.0, 4.0, 8.0],
            "transaction_id": ["1", "2", "3", "4"],
        }
    )
    r = rollup(p, min_rows=0).sort_values("amount", ignore_index=True)
    assert list(r.columns) == ["a", "b", "amount"] and r["amount"].tolist() == [3.5, 4.0, 8.0]
    assert r["b"].dtype == p["b"].dtype and r["a"].isna().sum() == 1


def test_metrics_on_the_rollup_equal_metrics_on_the_payments(sample_ds):
    p = metrics.select(sample_ds, ["hackney"])
    r = rollup(p, min_rows=0)
    assert len(r) < len(p) / 1.5
    area = sample_ds.area("city_hackney")
    a, b = metrics.local_share(p, area).to_dict(), metrics.local_share(r, area).to_dict()
    assert b.pop("choices") == a.pop("choices") and b == pytest.approx(a)
    assert r.attrs["addressable_rule_set"] == sample_ds.ruleset.name
    top_p, top_r = metrics.top_leaking(p, area, n=10), metrics.top_leaking(r, area, n=10)
    assert top_r["supplier"].tolist() == top_p["supplier"].tolist()
    assert top_r["leakage"].to_numpy() == pytest.approx(top_p["leakage"].to_numpy())
    eq_p, eq_r = metrics.equity(sample_ds, p, by="category"), metrics.equity(sample_ds, r, by="category")
    assert eq_r["disparity_index"].to_numpy() == pytest.approx(
        eq_p["disparity_index"].to_numpy(), nan_ok=True
    )
    imd_p, imd_r = metrics.imd_distribution(p), metrics.imd_distribution(r)
    assert imd_r["spend"].tolist() == pytest.approx(imd_p["spend"].tolist())
    assert imd_r["n_suppliers"].tolist() == imd_p["n_suppliers"].tolist()
    s_p = metrics.shift_scenario(sample_ds, p, area, ["ICT and software"], 0.25)
    s_r = metrics.shift_scenario(sample_ds, r, area, ["ICT and software"], 0.25)
    assert s_r.added_local_value == pytest.approx(s_p.added_local_value)


def _approx(x):
    """``x`` (JSON-like) with every float compared to 1e-9 relative: sums in another order."""
    if isinstance(x, dict):
        return {k: _approx(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_approx(v) for v in x]
    return pytest.approx(x, rel=1e-9) if isinstance(x, float) else x


@pytest.mark.parametrize("area", [None, "london"])
def test_summary_over_its_rollup_equals_summary_over_every_payment(sample_ds, monkeypatch, area):
    """metrics.summary sums a rollup of what it reads; on the payments themselves (a rollup of none) every
    figure is the same: local shares, leakage, LM3 and its R1-R3, every group's utilisation and index."""
    monkeypatch.setattr("anchorlib.data.rollup.MIN_ROWS", 10**9)  # the payments as they are
    want = metrics.summary(sample_ds, None, area)
    monkeypatch.setattr("anchorlib.data.rollup.MIN_ROWS", 0)
    ds = sample_ds.replace()  # a store of its own: the rollup made with MIN_ROWS 0
    assert len(ds.rollup(SUMMARY_COLUMNS, resolved=True)) < len(sample_ds.payments) / 2
    got = metrics.summary(ds, None, area)
    assert got == _approx(want)
    assert got["anchors"][0]["lm3_detail"]["surveyed_suppliers"] > 0  # LM3 per supplier survived the rollup


def test_shared_suppliers_over_a_rollup_equal_those_over_every_payment(sample_ds, monkeypatch):
    monkeypatch.setattr("anchorlib.data.rollup.MIN_ROWS", 10**9)  # the payments as they are
    want = metrics.shared_suppliers(sample_ds.replace())
    monkeypatch.setattr("anchorlib.data.rollup.MIN_ROWS", 0)
    ds = sample_ds.replace()
    got = metrics.shared_suppliers(ds)
    (rolled,) = [v for k, v in ds.derived.items() if k.startswith("payments:rollup-")]
    assert len(rolled) < len(sample_ds.payments) / 2
    assert got["supplier"].tolist() == want["supplier"].tolist() and len(got) > 5
    assert got["combined_spend"].tolist() == pytest.approx(want["combined_spend"].tolist())


def test_rollup_keeps_dtypes_missing_values_and_sums(sample_ds):
    """Categoricals go through DuckDB as codes: each column keeps its dtype (categories and all), a
    missing value stays its own group, and every group's £ equals the payments'."""
    p = sample_ds.payments
    cols = ["anchor_id", "supplier_name", "lad", "hq_only", "category"]
    r = rollup(p, cols, min_rows=0)
    assert r.dtypes.drop("amount").equals(p[cols].dtypes)
    assert r["lad"].isna().any() and len(r) == len(p.groupby(cols, dropna=False, observed=True))
    want = p.groupby(cols, dropna=False, observed=True)["amount"].sum()
    got = r.set_index(cols)["amount"]
    assert got.sort_index().to_numpy() == pytest.approx(want.sort_index().to_numpy(), rel=1e-12)


@pytest.fixture()
def cached_copy(tmp_path, monkeypatch):
    """A copy of the sample whose payments are cached (as a large dataset's are)."""
    import shutil

    from anchorlib.data.storage.cache import CACHE_DIRNAME
    from anchorlib.paths import SAMPLE_DIR

    dst = tmp_path / "ds"
    shutil.copytree(SAMPLE_DIR, dst, ignore=shutil.ignore_patterns(CACHE_DIRNAME))
    monkeypatch.setattr("anchorlib.data.storage.cache.PAYMENTS_MIN_ROWS", 1)
    monkeypatch.setattr("anchorlib.data.rollup.MIN_ROWS", 0)
    monkeypatch.setenv("ANCHORLIB_CACHE", "1")
    open_dataset(dst)  # builds and stores the payments
    return dst


def test_a_rollup_of_cached_payments_is_stored_beside_them_and_goes_with_them(cached_copy):
    from anchorlib.data.storage.cache import CACHE_DIRNAME

    store = cached_copy / CACHE_DIRNAME
    ds = open_dataset(cached_copy)
    made = ds.rollup(SUMMARY_COLUMNS, resolved=True)
    assert ds.rollup(SUMMARY_COLUMNS, resolved=True) is made  # once per dataset
    (stored,) = store.glob("derived-*.arrow")
    (payments,) = store.glob("payments-*.arrow")
    assert stored.name.split("-")[1] == payments.name[len("payments-") : -len(".arrow")]
    again = open_dataset(cached_copy).rollup(SUMMARY_COLUMNS, resolved=True)  # a new open maps the file
    pd.testing.assert_frame_equal(again, made)
    assert again["supplier_id"].nunique() == ds.payments.pipe(supplier_ids).nunique()
    assert again["amount"].sum() == pytest.approx(ds.payments["amount"].sum(), rel=1e-12)
    # a dataset with a table replaced has a store of its own, in memory: rolled up again, nothing stored
    other = ds.replace(spend=ds.spend.assign(amount=ds.spend["amount"] * 2))
    doubled = other.rollup(SUMMARY_COLUMNS, resolved=True)
    assert doubled["amount"].sum() == pytest.approx(2 * made["amount"].sum())
    assert len(list(store.glob("derived-*.arrow"))) == 1
    # two newer versions of the payments evict the old entry and its rollup
    for name in ("Brand New Local Ltd", "Another New Local Ltd"):
        reg = cached_copy / "suppliers.csv"
        reg.write_text(reg.read_text(encoding="utf-8") + f"{name},E8 1AA,,,Yes,,,,,,\n", encoding="utf-8")
        open_dataset(cached_copy).rollup(SUMMARY_COLUMNS, resolved=True)
    assert not payments.exists() and not stored.exists()
    assert len(list(store.glob("derived-*.arrow"))) == 2


def test_a_torn_stored_rollup_is_made_again(cached_copy):
    from anchorlib.data.storage.cache import CACHE_DIRNAME

    made = open_dataset(cached_copy).rollup(SUMMARY_COLUMNS)
    (stored,) = (cached_copy / CACHE_DIRNAME).glob("derived-*.arrow")
    stored.write_bytes(stored.read_bytes()[:100])
    again = open_dataset(cached_copy).rollup(SUMMARY_COLUMNS)

    def rows(df):  # a rollup's rows come in no particular order
        keys = [c for c in df.columns if c != "amount"]
        return df.sort_values(keys, ignore_index=True, na_position="first")

    pd.testing.assert_frame_equal(rows(again), rows(made))
    assert stored.stat().st_size > 100  # stored again
