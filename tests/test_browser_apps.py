"""The workshop apps in headless Chromium: they draw offline, ask nothing outside 127.0.0.1, and a
widget change shows the figures the metrics core computes."""

from __future__ import annotations

import json
import time

import pytest

from anchorlib import metrics
from anchorlib.apps.common import money, pct
from anchorlib.paths import NOTEBOOKS_DIR
from tests.voila_server import voila_server

pytestmark = pytest.mark.browser
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def open_page(browser):
    """A 1366x768 page that records console errors and refuses any request off the loopback."""
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.outside, page.errors = [], []

    def only_loopback(route):
        if route.request.url.startswith(("http://127.0.0.1", "ws://127.0.0.1")):
            route.continue_()
        else:
            page.outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_loopback)
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    return page


def text_is(page, selector: str, value: str, timeout: int = 30_000) -> None:
    page.wait_for_function(f"(document.querySelector({json.dumps(selector)}) || {{}}).innerText === {json.dumps(value)}",
                           timeout=timeout)


def test_leakage_explorer_in_chromium(tmp_path, chromium_path, artifacts, sample_ds):
    from playwright.sync_api import sync_playwright

    anchor = sample_ds.anchor_ids[0]
    home = metrics.local_share(metrics.select(sample_ds, [anchor]), sample_ds.home_area(anchor), sample_ds.ruleset.name)
    london = metrics.local_share(metrics.select(sample_ds, [anchor]), sample_ds.area("london"), sample_ds.ruleset.name)
    assert home.local_share != london.local_share
    timings = {}
    t0 = time.monotonic()
    with voila_server(NOTEBOOKS_DIR / "10_leakage_explorer.ipynb", tmp_path / "voila") as server, \
            sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            page = open_page(browser)
            page.goto(server.url)
            page.wait_for_selector(".al-share", timeout=120_000)
            page.wait_for_function("document.querySelectorAll('.vega-embed svg .mark-rect path, .vega-embed canvas')"
                                   ".length >= 2", timeout=60_000)
            timings["first_render_s"] = time.monotonic() - t0
            assert page.inner_text(".al-status").strip() == ""
            assert page.inner_text(".al-share") == pct(home.local_share)
            assert page.inner_text(".al-leakage") == money(home.leakage)
            assert page.inner_text(".al-unknown") == money(home.unknown_location_spend)
            page.screenshot(path=str(artifacts / "leakage_explorer.png"))

            t1 = time.monotonic()
            page.select_option(".al-area select", label="London")
            text_is(page, ".al-share", pct(london.local_share))
            timings["area_change_s"] = time.monotonic() - t1
            assert page.inner_text(".al-local") == money(london.local_spend)
            assert page.inner_text(".al-leakage") == money(london.leakage)
            page.wait_for_function("[...document.querySelectorAll('.vega-embed text')]"
                                   ".some(t => t.textContent.startsWith('London'))", timeout=30_000)

            page.locator(".al-years select").select_option([])  # no year: a plain message, no traceback
            page.wait_for_function("document.querySelector('.al-status').innerText.includes('financial year')",
                                   timeout=30_000)
            assert "Traceback" not in page.inner_text("body")
            page.screenshot(path=str(artifacts / "leakage_explorer_london.png"))
            assert page.outside == [], page.outside
            assert page.errors == [], page.errors
        finally:
            browser.close()
    (artifacts / "leakage_browser_timings.json").write_text(json.dumps(timings, indent=2))
    print(timings)


def test_served_tree_links_apps_and_preheated_app_opens_fast(tmp_path, chromium_path, artifacts):
    """What `anchorlib serve` runs: the tree at / links every app offline; a preheated app opens fast."""
    from playwright.sync_api import sync_playwright

    from anchorlib.serve import voila_args

    preheat = [a for a in voila_args(0) if "preheat" in a or "kernel_pools" in a or "classic_tree" in a]
    timings = {}
    with voila_server(NOTEBOOKS_DIR, tmp_path / "voila", args=preheat) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            page = open_page(browser)
            page.goto(server.url)
            page.wait_for_selector("a[href*='10_leakage_explorer']", timeout=60_000)
            links = page.inner_text("body")
            assert "10_leakage_explorer" in links and "20_social_value" in links
            page.screenshot(path=str(artifacts / "apps_tree.png"))
            assert page.errors == [], page.errors
            page.wait_for_timeout(20_000)  # let the pool run the notebooks (server-side, before anyone asks)
            t0 = time.monotonic()
            page.goto(server.url + "voila/render/10_leakage_explorer.ipynb")
            page.wait_for_selector(".al-share", timeout=60_000)
            page.wait_for_function("document.querySelectorAll('.vega-embed svg .mark-rect path, .vega-embed canvas')"
                                   ".length >= 2", timeout=60_000)
            timings["leakage_preheated_first_render_s"] = time.monotonic() - t0
            assert page.outside == [], page.outside
            assert page.errors == [], page.errors
        finally:
            browser.close()
    (artifacts / "tree_browser_timings.json").write_text(json.dumps(timings, indent=2))
    print(timings)


def test_network_overview_in_chromium(tmp_path, chromium_path, artifacts, sample_ds):
    from playwright.sync_api import sync_playwright

    home = metrics.summary(sample_ds, None, "home")["network"]
    london = metrics.summary(sample_ds, None, "london")["network"]
    timings = {}
    t0 = time.monotonic()
    with voila_server(NOTEBOOKS_DIR / "13_network_overview.ipynb", tmp_path / "voila") as server, \
            sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            page = open_page(browser)
            page.goto(server.url)
            page.wait_for_selector(".al-pooled", timeout=120_000)
            page.wait_for_selector(".vega-embed svg .mark-rect path, .vega-embed canvas", timeout=60_000)
            timings["first_render_s"] = time.monotonic() - t0
            assert page.inner_text(".al-pooled") == pct(home["local_share"])
            assert page.inner_text(".al-mean") == pct(home["mean_anchor_local_share"])
            page.screenshot(path=str(artifacts / "network_overview.png"))
            t1 = time.monotonic()
            page.select_option(".al-area select", label="London")
            text_is(page, ".al-pooled", pct(london["local_share"]))
            timings["area_change_s"] = time.monotonic() - t1
            assert page.inner_text(".al-mean") == pct(london["mean_anchor_local_share"])
            assert page.inner_text(".al-local") == money(london["local_spend"])
            page.wait_for_function("[...document.querySelectorAll('.vega-embed text')]"
                                   ".some(t => t.textContent === 'Area: London')", timeout=30_000)
            page.screenshot(path=str(artifacts / "network_overview_london.png"))
            assert page.outside == [], page.outside
            assert page.errors == [], page.errors
        finally:
            browser.close()
    (artifacts / "network_browser_timings.json").write_text(json.dumps(timings, indent=2))
    print(timings)
