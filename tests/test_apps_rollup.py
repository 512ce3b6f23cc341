"""A rollup (payments summed per distinct row of the other columns) gives the metrics' figures unchanged."""

from __future__ import annotations

import pandas as pd
import pytest

from anchorlib import metrics
from anchorlib.apps.rollup import rolled_dataset, rollup


def test_rollup_sums_amount_per_distinct_row_and_keeps_nulls():
    p = pd.DataFrame({"a": ["x", "x", "y", None], "b": pd.array([True, True, None, None], dtype="boolean"),
                      "amount": [1.5, 2.0, 4.0, 8.0], "transaction_id": ["1", "2", "3", "4"]})
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
    assert eq_r["disparity_index"].to_numpy() == pytest.approx(eq_p["disparity_index"].to_numpy(), nan_ok=True)
    imd_p, imd_r = metrics.imd_distribution(p), metrics.imd_distribution(r)
    assert imd_r["spend"].tolist() == pytest.approx(imd_p["spend"].tolist())
    assert imd_r["n_suppliers"].tolist() == imd_p["n_suppliers"].tolist()
    s_p = metrics.shift_scenario(sample_ds, p, area, ["ICT and software"], 0.25)
    s_r = metrics.shift_scenario(sample_ds, r, area, ["ICT and software"], 0.25)
    assert s_r.added_local_value == pytest.approx(s_p.added_local_value)


def test_rolled_dataset_gives_the_same_summary_and_shared_suppliers(sample_ds):
    rolled = rolled_dataset(sample_ds, min_rows=0)
    assert len(rolled.payments) < len(sample_ds.payments) and rolled.anchors is sample_ds.anchors
    a, b = metrics.summary(sample_ds, None, "london")["network"], metrics.summary(rolled, None, "london")["network"]
    assert b == pytest.approx(a)
    sa, sb = metrics.shared_suppliers(sample_ds), metrics.shared_suppliers(rolled)
    assert sb["supplier"].tolist() == sa["supplier"].tolist()
    assert sb["combined_spend"].tolist() == pytest.approx(sa["combined_spend"].tolist())


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
