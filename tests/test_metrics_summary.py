"""``metrics.summary`` / ``anchorlib summary --json`` against its JSON contract, and the readable table."""

from __future__ import annotations

import pytest

from anchorlib import metrics, open_dataset
from anchorlib.formatting import NO_KNOWN_MEMBERSHIP
from anchorlib.reports.text import summary_table
from tests.metrics_case import network_case

ANCHOR_KEYS = {
    "anchor_id",
    "total_spend",
    "addressable_spend",
    "local_spend",
    "unknown_location_spend",
    "local_share",
    "leakage",
    "lm3",
    "groups",
}
GROUP_KEYS = {
    "utilisation",
    "availability",
    "disparity_index",
    "utilisation_unknown_share",
    "availability_unknown_share",
}


def test_summary_contract_on_the_sample(sample_ds, engine):
    """Every key of the contract present and, on the sample (which has a survey and every flag), non-null."""
    s = metrics.summary(sample_ds)
    assert s["choices"]["engine"] == engine
    for a in s["anchors"]:
        assert ANCHOR_KEYS <= set(a)
        assert all(a[k] is not None for k in ANCHOR_KEYS), a["anchor_id"]
        assert 1 < a["lm3"] < 3
        assert {"sme", "vcse", "bame_led", "women_led", "imd_1_2"} <= set(a["groups"])
        for g, v in a["groups"].items():
            assert GROUP_KEYS <= set(v) and all(
                v[k] is not None for k in ("utilisation", "availability", "disparity_index")
            ), g
    assert {"total_spend", "local_spend", "local_share", "mean_anchor_local_share"} <= set(s["network"])
    assert all(
        s["network"][k] is not None
        for k in ("total_spend", "local_spend", "local_share", "mean_anchor_local_share")
    )
    assert {"area", "addressable_rule_set", "imd_vintage", "pooling", "lm3"} <= set(s["choices"])


def test_summary_hand_worked(tmp_path, engine):
    """tests/metrics_case.py: a1 local share 0.2734375, LM3 18,200 / 13,800, SME DI 58.59; the network's
    pooled share 4,200 / 13,800 and mean (0.2734375 + 0.7) / 2."""
    s = metrics.summary(open_dataset(network_case(tmp_path)))
    assert s["choices"]["engine"] == engine
    a1 = s["anchors"][0]
    assert a1["local_share"] == pytest.approx(0.2734375) and a1["lm3"] == pytest.approx(18200 / 13800)
    assert a1["groups"]["sme"]["disparity_index"] == pytest.approx(58.59375)
    assert "youth_led" not in a1["groups"]
    assert s["network"]["local_share"] == pytest.approx(4200 / 13800)
    assert s["network"]["mean_anchor_local_share"] == pytest.approx((0.2734375 + 0.7) / 2)
    text = summary_table(s)
    assert "27.3%" in text and "1.32" in text and "59*" in text
    assert "30.4% pooled (ratio of sums); 48.7% mean of the anchors' shares" in text
    assert "unsurveyed local suppliers counted with R3 = 0 (conservative)" in text
    assert f"availability pool: {s['choices']['availability_pool']}" in text.splitlines()
    assert "disparity n/a" not in text  # every index shown has a value


def test_the_summary_table_says_why_a_disparity_index_is_missing(tmp_path):
    s = metrics.summary(open_dataset(network_case(tmp_path)))
    groups = s["anchors"][0]["groups"]
    groups["sme"].update(availability=None, disparity_index=None, below_four_fifths=None)
    groups["vcse"].update(availability=0.0, disparity_index=None, below_four_fifths=None)
    lines = summary_table(s).splitlines()
    assert f"disparity n/a where {NO_KNOWN_MEMBERSHIP}" in lines
    assert (
        "disparity n/a where no business in the availability pool is in the group (availability 0)" in lines
    )


@pytest.mark.parametrize("shuffled", [False, True])
def test_select_keeps_exactly_the_chosen_rows(sample_ds, shuffled):
    """One anchor's year is one run of rows in a dataset's payments (select hands back a view) or,
    shuffled, scattered rows (a copy): the same rows either way, and writing to the selection leaves the
    dataset alone."""
    import pandas as pd

    from anchorlib.metrics.selection import subset

    ds = sample_ds
    p = sample_ds.payments.sample(frac=1, random_state=1) if shuffled else sample_ds.payments
    for anchors, years in [
        (["hackney"], None),
        (["hackney"], ["2023-24"]),
        (["elft", "hackney"], ["2022-23", "2023-24"]),
        (None, ["2021-22"]),
        (None, None),
    ]:
        want = p
        if anchors:
            want = want[want["anchor_id"].isin(anchors)]
        if years:
            want = want[want["financial_year"].isin(years)]
        got = subset(ds, p, anchors, years) if shuffled else metrics.select(ds, anchors, years)
        pd.testing.assert_frame_equal(got, want, check_exact=True)  # the same rows: nothing approximate
        assert got.attrs["addressable_rule_set"] == ds.ruleset.name
    before = p["amount"].sum()
    got = subset(ds, p, ["hackney"], ["2023-24"])
    got.loc[got.index[0], "amount"] = 1e12
    assert p["amount"].sum() == before and p.attrs == {}
