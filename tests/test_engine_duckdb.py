"""The two engines (anchorlib/metrics/engine/) give the same numbers on the sample (1e-9 relative), the
DuckDB engine's equal the definitions written plainly in pandas, and a metric sums only on the engine it is
handed."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from anchorlib import metrics
from anchorlib.metrics import pooling
from anchorlib.metrics.definitions import GROUPS, SHARE_COLUMNS, SUPPLIER
from anchorlib.metrics.engine.duckdb_engine import DUCKDB
from anchorlib.metrics.engine.pandas_engine import PANDAS, PandasEngine

REL = 1e-9


def same_share(a, b):
    for f in (
        "total_spend",
        "addressable_spend",
        "local_spend",
        "unknown_location_spend",
        "leakage",
        "known_leakage",
        "local_spend_excluding_hq_only",
        "local_share",
        "local_share_excluding_hq_only",
    ):
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
        same_share(
            metrics.local_share(sub, area, "r", engine="duckdb"),
            metrics.local_share(sub, area, "r", engine=PANDAS),
        )


def test_anchor_local_shares_match_summary(sample_ds):
    ds = sample_ds
    got = pooling.anchor_shares(ds, engine="duckdb")
    want = metrics.summary(ds, engine="pandas")
    for row in want["anchors"]:
        ls = got[row["anchor_id"]]
        for f in ("total_spend", "addressable_spend", "local_spend", "unknown_location_spend", "leakage"):
            assert round(getattr(ls, f), 2) == pytest.approx(row[f], rel=REL)
        assert ls.local_share == pytest.approx(row["local_share"], rel=REL)


@pytest.mark.parametrize("by", ["category", "financial_year", ["anchor_id", "financial_year"]])
def test_local_share_by_matches_pandas(sample_ds, by):
    ds = sample_ds
    area = ds.area("city_hackney")
    got = metrics.leakage_by(ds.payments, area, by, engine=DUCKDB)
    keys = [by] if isinstance(by, str) else by
    assert got["leakage"].is_monotonic_decreasing
    groups = ds.payments.groupby(keys, dropna=False)
    assert len(got) == groups.ngroups
    for key, sub in groups:
        key = key if isinstance(key, tuple) else (key,)
        hit = got
        for c, v in zip(keys, key):
            hit = hit[hit[c].isna()] if pd.isna(v) else hit[hit[c] == v]
        want = metrics.local_share(sub, area, engine="pandas")
        r = hit.iloc[0]
        for f in ("total_spend", "addressable_spend", "local_spend", "unknown_location_spend", "leakage"):
            assert r[f] == pytest.approx(getattr(want, f), rel=REL, abs=1e-6)
        if want.local_share is None:
            assert pd.isna(r["local_share"])
        else:
            assert r["local_share"] == pytest.approx(want.local_share, rel=REL)


def _pandas_equity(ds, p):
    """Utilisation and availability (docs/methodology.md), written plainly in pandas (the reference for
    the SQL)."""
    p = p[p["addressable"].astype(bool)]
    reg = ds.suppliers
    out = {}
    for g, f in GROUPS.items():
        if f == "imd_1_2":
            member, avail = p["imd_decile"] <= 2, reg["imd_decile"] <= 2
        else:
            member, avail = p[f], reg[f]
        known = member.notna()
        spend_known = p["amount"][known].sum()
        util = p["amount"][known & member.fillna(False).astype(bool)].sum() / spend_known
        a = avail.dropna().astype(bool)
        out[g] = (
            util,
            a.mean(),
            (p["amount"].sum() - spend_known) / p["amount"].sum(),
            1 - len(a) / len(reg),
        )
    return out


def test_equity_matches_definitions(sample_ds):
    ds = sample_ds
    got = metrics.equity(ds, ds.payments, engine="duckdb").set_index("group")
    want = metrics.equity(ds, ds.payments, engine="pandas").set_index("group")
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
    overall = metrics.equity(ds, ds.payments, engine="duckdb").set_index("group")
    by = metrics.equity(ds, ds.payments, by="category", engine="duckdb")
    sums = by.groupby("group")[["spend_in_group", "spend_membership_known"]].sum()
    for c in sums.columns:
        pd.testing.assert_series_equal(sums[c], overall.loc[sums.index, c], rtol=REL)


def test_opportunities_need_k_local_suppliers(sample_ds):
    ds = sample_ds
    area = ds.area(None, "hackney")
    p = ds.payments[ds.payments["anchor_id"] == "hackney"]
    got = metrics.opportunities(ds, p, area, min_local_suppliers=3, engine="duckdb")
    add = p[p["addressable"].astype(bool)]
    leak = {c: metrics.local_share(s, area, engine="pandas").leakage for c, s in add.groupby("category")}
    reg = ds.suppliers
    local_reg = reg[area.contains(reg["lad"], reg["rgn"])]
    listed = {
        c: int(
            local_reg["categories"]
            .fillna("")
            .str.split(";")
            .map(lambda xs, c=c: c in [x.strip() for x in xs])
            .sum()
        )
        for c in leak
    }
    want = sorted((c for c in leak if leak[c] > 0 and listed[c] >= 3), key=lambda c: -leak[c])
    assert got["category"].tolist() == want and want
    assert got["leakage"].tolist() == pytest.approx([leak[c] for c in want], rel=REL)
    assert got["local_suppliers_in_register"].tolist() == [listed[c] for c in want]
    assert not math.isnan(got["local_share"].iloc[0])


# --- every public metric gives the same numbers on both engines (metrics dispatches by size) ----------


def _both(monkeypatch, fn):
    monkeypatch.setenv("ANCHORLIB_ENGINE", "pandas")
    a = fn()
    monkeypatch.setenv("ANCHORLIB_ENGINE", "duckdb")
    b = fn()
    monkeypatch.delenv("ANCHORLIB_ENGINE")
    return a, b


def same_frame(a: pd.DataFrame, b: pd.DataFrame, keys: list[str]):
    assert list(a.columns) == list(b.columns)
    assert len(a) == len(b)
    a = a.sort_values(keys, ignore_index=True)
    b = b.sort_values(keys, ignore_index=True)
    for c in a.columns:
        x, y = a[c], b[c]
        if pd.api.types.is_numeric_dtype(x) and not pd.api.types.is_bool_dtype(x):
            assert x.astype(float).to_numpy() == pytest.approx(
                y.astype(float).to_numpy(), rel=REL, abs=1e-6, nan_ok=True
            ), c
        else:
            assert (
                x.astype(object).where(x.notna(), None).tolist()
                == y.astype(object).where(y.notna(), None).tolist()
            ), c
    assert a.attrs.get("choices") == b.attrs.get("choices")


@pytest.fixture(scope="module")
def hackney(sample_ds):
    from anchorlib.metrics import select

    return select(sample_ds, ["hackney"]), sample_ds.area(None, "hackney")


@pytest.mark.parametrize(
    "by", ["supplier", "category", "financial_year", "expense_area", ["financial_year", "category"]]
)
def test_leakage_by_same_on_both_engines(monkeypatch, hackney, by):
    a, b = _both(monkeypatch, lambda: metrics.leakage_by(*hackney, by))
    keys = ["supplier_id"] if by == "supplier" else ([by] if isinstance(by, str) else by)
    same_frame(a, b, keys)
    assert a["leakage"].is_monotonic_decreasing and b["leakage"].is_monotonic_decreasing


def test_top_leaking_same_on_both_engines(monkeypatch, hackney):
    a, b = _both(monkeypatch, lambda: metrics.top_leaking(*hackney, n=10))
    assert a["supplier_id"].tolist() == b["supplier_id"].tolist() and len(a) == 10
    same_frame(a, b, ["supplier_id"])


@pytest.mark.parametrize("by", [None, "category", "anchor_id"])
def test_equity_same_on_both_engines(monkeypatch, sample_ds, by):
    a, b = _both(monkeypatch, lambda: metrics.equity(sample_ds, sample_ds.payments, by))
    same_frame(a, b, [*([by] if by else []), "group"])


def test_imd_concentration_opportunities_same_on_both_engines(monkeypatch, sample_ds, hackney):
    p, area = hackney
    same_frame(*_both(monkeypatch, lambda: metrics.imd_distribution(p)), ["imd_decile"])
    same_frame(*_both(monkeypatch, lambda: metrics.concentration(p, n=5)), ["category"])
    same_frame(*_both(monkeypatch, lambda: metrics.opportunities(sample_ds, p, area, 2)), ["category"])
    same_frame(*_both(monkeypatch, lambda: metrics.shared_suppliers(sample_ds)), ["supplier", "anchors"])


def test_lm3_shift_network_summary_same_on_both_engines(monkeypatch, sample_ds, hackney):
    p, area = hackney
    a, b = _both(monkeypatch, lambda: metrics.lm3(sample_ds, p, area))
    for f in ("r1", "r2", "r3", "lm3", "surveyed_local_spend", "unsurveyed_local_spend"):
        assert getattr(a, f) == pytest.approx(getattr(b, f), rel=REL), f
    assert a.surveyed_suppliers == b.surveyed_suppliers and a.choices == b.choices
    cats = metrics.leakage_by(p, area, "category")["category"].head(2).tolist()
    a, b = _both(monkeypatch, lambda: metrics.shift_scenario(sample_ds, p, area, cats, 0.25))
    for f in (
        "leakage_in_scope",
        "added_local_spend",
        "local_share_before",
        "local_share_after",
        "added_local_value",
    ):
        assert getattr(a, f) == pytest.approx(getattr(b, f), rel=REL), f
    a, b = _both(monkeypatch, lambda: metrics.summary(sample_ds, area_id="city_hackney"))
    for k, v in a["network"].items():
        assert (
            (v == pytest.approx(b["network"][k], rel=REL)) if isinstance(v, float) else v == b["network"][k]
        ), k
    for x, y in zip(a["anchors"], b["anchors"]):
        for k in (
            "total_spend",
            "addressable_spend",
            "local_spend",
            "unknown_location_spend",
            "local_share",
            "leakage",
            "lm3",
        ):
            assert x[k] == pytest.approx(y[k], rel=REL), k
        for g, vals in x["groups"].items():
            for k, v in vals.items():
                assert (
                    (v == pytest.approx(y["groups"][g][k], rel=REL))
                    if isinstance(v, float)
                    else v == y["groups"][g][k]
                )


def test_engine_choice_by_size(monkeypatch, sample_ds):
    from anchorlib.errors import ParameterError
    from anchorlib.metrics.engine import ENGINE_MIN_ROWS, choose, engine_for

    monkeypatch.delenv("ANCHORLIB_ENGINE", raising=False)
    assert len(sample_ds.payments) < ENGINE_MIN_ROWS and engine_for(sample_ds.payments) == "pandas"
    assert choose(sample_ds.payments) is PANDAS and choose(sample_ds.payments, "duckdb") is DUCKDB
    monkeypatch.setattr("anchorlib.metrics.engine.ENGINE_MIN_ROWS", 10)
    assert engine_for(sample_ds.payments) == "duckdb" and choose(sample_ds.payments) is DUCKDB
    assert choose(sample_ds.payments, PANDAS) is PANDAS  # a given engine wins over the size
    with pytest.raises(ParameterError, match="engine must be 'pandas', 'duckdb' or 'spark', not 'polars'"):
        choose(sample_ds.payments, "polars")
    monkeypatch.setenv("ANCHORLIB_ENGINE", "polars")
    with pytest.raises(ParameterError, match="ANCHORLIB_ENGINE must be 'pandas', 'duckdb' or 'spark'"):
        engine_for(sample_ds.payments)


# --- the shapes the speed work relies on (benchmarks/run.py times them; these change no number) ---


def _by_supplier(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    out = df.assign(**{k: df[k].astype(str) for k in keys}).sort_values(keys, ignore_index=True)
    return out[[*keys, "supplier", "lad", *SHARE_COLUMNS]]


def test_supplier_sums_same_with_payee_names_as_plain_text(sample_ds):
    """The engine scans categorical payee columns as integer codes; plain text columns give the same rows."""
    p, area = sample_ds.payments, sample_ds.area(None, "hackney")
    plain = p.assign(**{c: p[c].astype("string") for c in ("supplier_key", "supplier_name", "register_name")})
    want = _by_supplier(PANDAS.share_sums(p, area, [SUPPLIER]), ["supplier_id"])
    for got in (DUCKDB.share_sums(p, area, [SUPPLIER]), DUCKDB.share_sums(plain, area, [SUPPLIER])):
        got = _by_supplier(got, ["supplier_id"])
        assert got["supplier_id"].tolist() == want["supplier_id"].tolist()
        assert got["supplier"].astype(str).tolist() == want["supplier"].astype(str).tolist()
        assert (
            got["lad"].astype(object).where(got["lad"].notna(), None).tolist()
            == want["lad"].astype(object).where(want["lad"].notna(), None).tolist()
        )
        for c in SHARE_COLUMNS:
            assert got[c].to_numpy(float) == pytest.approx(want[c].to_numpy(float), rel=REL, abs=1e-6), c


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_every_anchors_sums_in_one_go_equal_each_anchor_alone(monkeypatch, sample_ds, engine):
    """share_sums(payments, {anchor: area}, keys): each anchor's payments local to its own area, as one
    anchor at a time."""
    eng = {"pandas": PANDAS, "duckdb": DUCKDB}[engine]
    ds, p = sample_ds, sample_ds.payments
    areas = {a: ds.area(None, a) for a in ds.anchor_ids}
    both = eng.share_sums(p, areas, [SUPPLIER])
    assert set(both["anchor_id"].astype(str)) == set(ds.anchor_ids)
    for a, area in areas.items():
        got = both[both["anchor_id"].astype(str) == a].sort_values("supplier_id", ignore_index=True)
        want = PANDAS.share_sums(p[p["anchor_id"] == a], area, [SUPPLIER]).sort_values(
            "supplier_id", ignore_index=True
        )
        assert got["supplier_id"].tolist() == want["supplier_id"].tolist()
        for c in SHARE_COLUMNS:
            assert got[c].to_numpy(float) == pytest.approx(want[c].to_numpy(float), rel=REL, abs=1e-6), (a, c)
    shares = pooling.anchor_shares(ds, engine=eng)
    for a, area in areas.items():
        got = shares[a]
        want = metrics.local_share(p[p["anchor_id"] == a], area, ds.ruleset.name, engine="pandas")
        same_share(got, want)


def test_supplier_names_same_on_both_engines(sample_ds):
    p = sample_ds.payments
    ids = sorted(PANDAS.share_sums(p, sample_ds.area("uk"), [SUPPLIER], names=False)["supplier_id"])[::7]
    a, b = PANDAS.supplier_names(p, ids).sort_index(), DUCKDB.supplier_names(p, ids).sort_index()
    assert a.index.tolist() == b.index.tolist() == sorted(ids)
    pd.testing.assert_frame_equal(a, b)


class Recording(PandasEngine):
    """The pandas engine, recording which sums a metric asks it for."""

    def __init__(self):
        self.calls = []

    def share_sums(self, payments, area, keys, **kw):
        self.calls.append(("share_sums", len(payments), tuple(keys)))
        return super().share_sums(payments, area, keys, **kw)

    def equity_sums(self, payments, groups, keys):
        self.calls.append(("equity_sums", len(payments), tuple(keys)))
        return super().equity_sums(payments, groups, keys)


def test_summary_reads_the_rollup_once_and_sums_on_the_engine_it_is_handed(sample_ds):
    """The summary reads two rollups from the data layer and asks the engine it is given for two sums, per
    anchor and supplier and per anchor and group; it names that engine in its choices."""
    rec = Recording()
    got = metrics.summary(sample_ds, engine=rec)
    shares = len(sample_ds.rollup(metrics.headline.SUMMARY_SHARE_COLUMNS, resolved=True))
    groups = len(sample_ds.rollup(metrics.headline.SUMMARY_GROUP_COLUMNS))
    assert rec.calls[:2] == [("share_sums", shares, (SUPPLIER,)), ("equity_sums", groups, ("anchor_id",))]
    # the sample has grants: the same two sums again for the grant flow, then for spend and grants
    for k, flow in enumerate(("grant", "both")):
        view = sample_ds.with_flow(flow)
        shares = len(view.rollup(metrics.headline.SUMMARY_SHARE_COLUMNS, resolved=True))
        groups = len(view.rollup(metrics.headline.SUMMARY_GROUP_COLUMNS))
        assert rec.calls[2 + 2 * k : 4 + 2 * k] == [
            ("share_sums", shares, (SUPPLIER,)),
            ("equity_sums", groups, ("anchor_id",)),
        ]
    assert len(rec.calls) == 6
    assert got["choices"]["engine"] == "pandas"
    assert got == metrics.summary(sample_ds, engine="pandas")
