"""The DuckDB engine (anchorlib/engine_duckdb.py) gives the pandas metrics' numbers on the sample (1e-9 relative)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from anchorlib import engine_duckdb as eng
from anchorlib import metrics

REL = 1e-9


def same_share(a, b):
    for f in ("total_spend", "addressable_spend", "local_spend", "unknown_location_spend", "leakage",
              "known_leakage", "local_spend_excluding_hq_only", "local_share", "local_share_excluding_hq_only"):
        x, y = getattr(a, f), getattr(b, f)
        assert (x is None) == (y is None), f
        if x is not None:
            assert x == pytest.approx(y, rel=REL, abs=1e-6), f
    assert a.choices == b.choices


@pytest.mark.parametrize("area_id", [None, "city_hackney", "london", "uk", "nel"])
def test_local_share_matches_pandas(sample_ds, area_id):
    p = sample_ds.payments
    for a in sample_ds.anchor_ids:
        area = sample_ds.area(area_id, a)
        sub = p[p["anchor_id"] == a]
        same_share(eng.local_share(sub, area, "r"), metrics.local_share(sub, area, "r"))


def test_anchor_local_shares_match_summary(sample_ds):
    ds = sample_ds
    got = eng.anchor_local_shares(ds.payments, {a: ds.area(None, a) for a in ds.anchor_ids}, ds.ruleset.name)
    want = metrics.summary(ds)
    for row in want["anchors"]:
        ls = got[row["anchor_id"]]
        for f in ("total_spend", "addressable_spend", "local_spend", "unknown_location_spend", "leakage"):
            assert round(getattr(ls, f), 2) == pytest.approx(row[f], rel=REL)
        assert ls.local_share == pytest.approx(row["local_share"], rel=REL)


@pytest.mark.parametrize("by", ["category", "financial_year", ["anchor_id", "financial_year"]])
def test_local_share_by_matches_pandas(sample_ds, by):
    ds = sample_ds
    area = ds.area("city_hackney")
    got = eng.local_share_by(ds.payments, area, by)
    keys = [by] if isinstance(by, str) else by
    assert got["leakage"].is_monotonic_decreasing
    groups = ds.payments.groupby(keys, dropna=False)
    assert len(got) == groups.ngroups
    for key, sub in groups:
        key = key if isinstance(key, tuple) else (key,)
        hit = got
        for c, v in zip(keys, key):
            hit = hit[hit[c].isna()] if pd.isna(v) else hit[hit[c] == v]
        want = metrics.local_share(sub, area)
        r = hit.iloc[0]
        for f in ("total_spend", "addressable_spend", "local_spend", "unknown_location_spend", "leakage"):
            assert r[f] == pytest.approx(getattr(want, f), rel=REL, abs=1e-6)
        if want.local_share is None:
            assert pd.isna(r["local_share"])
        else:
            assert r["local_share"] == pytest.approx(want.local_share, rel=REL)


def _pandas_equity(ds, p):
    """DESIGN.md's utilisation and availability, written plainly in pandas (the reference for the SQL)."""
    p = p[p["addressable"].astype(bool)]
    reg = ds.suppliers
    out = {}
    for g, f in eng.GROUP_FLAGS.items():
        if f == "imd_1_2":
            member, avail = p["imd_decile"] <= 2, reg["imd_decile"] <= 2
        else:
            member, avail = p[f], reg[f]
        known = member.notna()
        spend_known = p["amount"][known].sum()
        util = p["amount"][known & member.fillna(False).astype(bool)].sum() / spend_known
        a = avail.dropna().astype(bool)
        out[g] = (util, a.mean(), (p["amount"].sum() - spend_known) / p["amount"].sum(),
                  1 - len(a) / len(reg))
    return out


def test_equity_matches_definitions(sample_ds):
    ds = sample_ds
    got = eng.equity(ds, ds.payments).set_index("group")
    if hasattr(metrics, "equity"):
        want = metrics.equity(ds, ds.payments).set_index("group")
        for c in ("utilisation", "availability", "disparity_index", "spend_in_group", "spend_membership_known"):
            pd.testing.assert_series_equal(got[c].astype(float), want.loc[got.index, c].astype(float), rtol=REL)
    for g, (util, avail, util_unknown, avail_unknown) in _pandas_equity(ds, ds.payments).items():
        r = got.loc[g]
        assert r["utilisation"] == pytest.approx(util, rel=REL)
        assert r["availability"] == pytest.approx(avail, rel=REL)
        assert r["disparity_index"] == pytest.approx(100 * util / avail, rel=REL)
        assert r["below_four_fifths"] == (100 * util / avail < 80)
        assert r["utilisation_unknown_share"] == pytest.approx(util_unknown, rel=REL, abs=1e-12)
        assert r["availability_unknown_share"] == pytest.approx(avail_unknown, rel=REL, abs=1e-12)


def test_equity_by_category_sums_to_overall(sample_ds):
    ds = sample_ds
    overall = eng.equity(ds, ds.payments).set_index("group")
    by = eng.equity(ds, ds.payments, by="category")
    sums = by.groupby("group")[["spend_in_group", "spend_membership_known"]].sum()
    for c in sums.columns:
        pd.testing.assert_series_equal(sums[c], overall.loc[sums.index, c], rtol=REL)


def test_opportunities_are_the_leakiest_addressable_categories(sample_ds):
    ds = sample_ds
    area = ds.area(None, "hackney")
    p = ds.payments[ds.payments["anchor_id"] == "hackney"]
    got = eng.opportunities(ds, p, area, k=3)
    if hasattr(metrics, "opportunities"):
        want = metrics.opportunities(ds, p, area, k=3)
        assert got["category"].tolist() == want["category"].tolist()
        assert got["leakage"].to_numpy() == pytest.approx(want["leakage"].to_numpy(), rel=REL)
    add = p[p["addressable"].astype(bool)]
    leak = {c: metrics.local_share(s, area).leakage for c, s in add.groupby("category")}
    top = sorted(leak, key=leak.get, reverse=True)[:3]
    assert got["category"].tolist() == top
    assert got["leakage"].tolist() == pytest.approx([leak[c] for c in top], rel=REL)
    reg = ds.suppliers
    local_reg = reg[area.contains(reg["lad"], reg["rgn"])]
    for c, n in zip(got["category"], got["local_suppliers_in_register"]):
        listed = local_reg["categories"].fillna("").str.split(";").map(lambda xs, c=c: c in [x.strip() for x in xs])
        assert n == int(listed.sum())
    assert not math.isnan(got["local_share"].iloc[0])
