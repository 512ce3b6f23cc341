"""Grants beside spend in headless Chromium, on the sample (which has 360Giving files for its four
anchors): the leakage explorer's grants tiles and its Money choice, the equity app's VCSE share of spend
and grants, and the anchor report's table of grants beside spend, each the figure the metrics compute.
Screenshots go to test-artifacts/."""

from __future__ import annotations

import json

import pytest

from anchorlib import metrics
from anchorlib.formatting import disparity, money, pct
from anchorlib.paths import SAMPLE_DIR
from anchorlib.reports import batch as rp
from tests.test_browser_apps import app_page, save, shot, text_is
from tests.voila_server import block_outside, chromium

pytestmark = pytest.mark.browser


def contains(page, selector: str, text: str, timeout: int = 30_000) -> None:
    """Wait until ``selector``'s text holds ``text`` (a widget's update reaches the page after another's)."""
    page.wait_for_function(
        f"(document.querySelector({json.dumps(selector)}) || {{innerText: ''}}).innerText.includes("
        f"{json.dumps(text)})",
        timeout=timeout,
    )


def _share(ds, anchor, flow):
    p = metrics.select(ds, [anchor], flow=flow)
    return metrics.local_share(p, ds.home_area(anchor), ds.ruleset.name)


def test_leakage_explorer_shows_grants_beside_spend(tmp_path, chromium_path, artifacts, sample_ds):
    anchor = sample_ds.anchor_ids[0]
    spend, grants, both = (_share(sample_ds, anchor, f) for f in ("spend", "grant", "both"))
    assert grants.addressable_spend > 0 and both.local_share != spend.local_share
    timings = {}
    with app_page(
        "10_leakage_explorer.ipynb", tmp_path, chromium_path, artifacts, ".al-share", 3, timings
    ) as page:
        assert page.inner_text(".al-share") == pct(spend.local_share)  # spend alone by default
        assert page.inner_text(".al-grants") == money(grants.addressable_spend)
        assert page.inner_text(".al-spend-only") == money(spend.addressable_spend)
        assert f"local share {pct(grants.local_share)}" in page.inner_text(".al-tiles-box")
        shot(page, artifacts, "leakage_explorer_grants_beside_spend")
        page.select_option(".al-flow select", label="Spend and grants")
        text_is(page, ".al-share", pct(both.local_share))
        assert page.inner_text(".al-local") == money(both.local_spend)
        contains(page, ".al-footnote", "Money: spend and 360Giving grants")
        page.select_option(".al-flow select", label="Grants")
        text_is(page, ".al-share", pct(grants.local_share))
        assert page.inner_text(".al-total") == money(grants.addressable_spend)
        shot(page, artifacts, "leakage_explorer_grants_only")
    save(artifacts, "leakage_grants", timings)


def test_equity_gaps_shows_the_vcse_share_of_spend_and_grants(tmp_path, chromium_path, artifacts, sample_ds):
    anchor = sample_ds.anchor_ids[0]

    def equity(flow):
        p = metrics.select(sample_ds, [anchor], flow=flow)
        return metrics.equity(sample_ds.with_flow(flow), p).set_index("group")

    spend, grants, both = equity("spend"), equity("grant"), equity("both")
    assert both.loc["vcse", "utilisation"] > spend.loc["vcse", "utilisation"]
    timings = {}
    with app_page(
        "11_equity_gaps.ipynb", tmp_path, chromium_path, artifacts, ".al-di-sme", 2, timings
    ) as page:
        assert page.inner_text(".al-vcse-reach") == pct(both.loc["vcse", "utilisation"])
        assert f"spend only {pct(spend.loc['vcse', 'utilisation'])}" in page.inner_text(".al-tiles-box")
        assert page.inner_text(".al-di-vcse") == disparity(spend.loc["vcse", "disparity_index"])
        shot(page, artifacts, "equity_gaps_vcse_reach")
        page.select_option(".al-flow select", label="Grants")
        text_is(page, ".al-di-sme", disparity(grants.loc["sme", "disparity_index"]))
        assert page.inner_text(".al-di-imd_1_2") == disparity(grants.loc["imd_1_2", "disparity_index"])
        contains(page, ".al-footnote", "Money: 360Giving grants only")
        page.select_option(".al-flow select", label="Spend and grants")
        text_is(page, ".al-di-vcse", disparity(both.loc["vcse", "disparity_index"]))
        shot(page, artifacts, "equity_gaps_spend_and_grants")
    save(artifacts, "equity_grants", timings)


def test_network_overview_sums_spend_and_grants(tmp_path, chromium_path, artifacts, sample_ds):
    both = metrics.summary(sample_ds, flow="both")["network"]
    spend = metrics.summary(sample_ds)["network"]
    assert both["local_share"] != spend["local_share"]
    timings = {}
    with app_page(
        "13_network_overview.ipynb", tmp_path, chromium_path, artifacts, ".al-pooled", 2, timings
    ) as page:
        assert page.inner_text(".al-pooled") == pct(spend["local_share"])
        page.select_option(".al-flow select", label="Spend and grants")
        text_is(page, ".al-pooled", pct(both["local_share"]))
        assert page.inner_text(".al-mean") == pct(both["mean_anchor_local_share"])
        contains(page, ".al-shared-spend + .al-note", "(spend and grants)")
        shot(page, artifacts, "network_overview_spend_and_grants")
    save(artifacts, "network_grants", timings)


@pytest.mark.notebook
@pytest.mark.slow
def test_the_anchor_and_network_reports_show_grants_beside_spend(
    tmp_path, chromium_path, artifacts, sample_ds
):
    from anchorlib.reports import views

    anchor = "city_of_london"
    t = views.grants_frame(sample_ds, anchor, None).frame.set_index("Money")
    net = views.network_grants_frame(metrics.summary(sample_ds)).frame.set_index("Anchor")
    jobs = rp.plan(SAMPLE_DIR, tmp_path, [anchor])
    outcomes = rp.run_batch(jobs, n_jobs=2, kernel_name="python3", progress=False)
    assert [o.status for o in outcomes] == ["ok", "ok"], [o.error for o in outcomes]
    with chromium(chromium_path) as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        outside = block_outside(page, ("file://", "data:"))
        page.goto((tmp_path / f"anchor-{anchor}.html").as_uri(), wait_until="load")
        table = page.locator("table", has_text="Grants beside spend")
        assert table.count() == 1 and table.is_visible()
        text = table.inner_text()
        for money_row in ("Spend", "Grants (360Giving)", "Spend and grants"):
            assert money_row in text
        assert pct(t.loc["Spend and grants", "VCSE share"]) in text
        assert pct(t.loc["Grants (360Giving)", "Local share"]) in text
        assert "EUR 25,000.00 (1 grant)" in text  # reported apart, never in the pounds
        table.scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / "report_anchor_grants.png"), full_page=True)
        page.goto((tmp_path / "network.html").as_uri(), wait_until="load")
        table = page.locator("table", has_text="Grants beside spend")
        assert table.count() == 1 and table.is_visible()
        text = table.inner_text()
        for (
            name,
            row,
        ) in net.iterrows():  # every anchor's VCSE share of spend and grants, as the summary has it
            assert name in text and pct(row["VCSE share of spend and grants"]) in text
        page.screenshot(path=str(artifacts / "report_network_grants.png"), full_page=True)
    assert outside == []
