"""The workshop apps in headless Chromium: they draw offline, ask nothing outside 127.0.0.1, and a
widget change shows the figures the metrics core computes; axe finds no serious or critical
accessibility violation in any of them (tests/axe.py), every chart carries its description, and the
network overview works by keyboard alone. Screenshots (1366x768 viewport, whole page) go to
test-artifacts/."""

from __future__ import annotations

import json
import time
from contextlib import contextmanager

import pytest

from anchorlib import metrics
from anchorlib.formatting import disparity, money, number, pct
from anchorlib.paths import NOTEBOOKS_DIR
from tests.axe import audit, axe_script, described_charts, keyboard_reach
from tests.voila_server import chromium, open_page, voila_server, wait_drawn

pytestmark = pytest.mark.browser


@contextmanager
def app_page(
    notebook: str, tmp_path, chromium_path, artifacts, ready: str, n_charts: int, timings: dict, args=()
):
    """Serve ``notebook``, open it, wait for ``ready`` and ``n_charts`` drawn charts (first render time
    into ``timings``), check its accessibility (axe, each chart's ARIA description, Tab reaching every
    control); on exit the page must have made no outside request and logged no error."""
    axe_script()
    t0 = time.monotonic()
    with (
        voila_server(NOTEBOOKS_DIR / notebook, tmp_path / "voila", args=list(args)) as server,
        chromium(chromium_path) as browser,
    ):
        page = open_page(browser)
        modules = []  # the offline chart module (anchorlib/apps/chart_bundle.py): one request for every chart
        page.on("request", lambda r: modules.append(r.url) if "/static/anchorlib-chart-" in r.url else None)
        page.goto(server.url)
        wait_drawn(page, ready, n_charts)
        timings["first_render_s"] = round(time.monotonic() - t0, 2)
        assert page.inner_text(".al-status").strip() == ""
        assert len(modules) == 1, modules
        # fetched while the page loads: the template's head preloads it (chart_bundle.PRELOAD)
        assert page.evaluate("document.querySelector('link[rel=modulepreload]').href") == modules[0]
        described_charts(page, n_charts)
        audit(page, notebook.removesuffix(".ipynb"), artifacts)
        t1 = time.monotonic()
        timings["tab_stops"] = len(keyboard_reach(page))  # every control is in the tab order
        timings["tab_round_s"] = round(time.monotonic() - t1, 2)
        yield page
        assert page.outside == [], page.outside
        assert page.errors == [], page.errors
        assert "Traceback" not in page.inner_text("body")


def text_is(page, selector: str, value: str, timeout: int = 30_000) -> None:
    page.wait_for_function(
        f"(document.querySelector({json.dumps(selector)}) || {{}}).innerText === {json.dumps(value)}",
        timeout=timeout,
    )


def chart_text(page, text: str, timeout: int = 30_000) -> None:
    """Wait until some chart draws ``text`` (a title, subtitle or label) starting with the given words."""
    page.wait_for_function(
        f"[...document.querySelectorAll('.vega-embed text')].some(t => t.textContent.startsWith("
        f"{json.dumps(text)}))",
        timeout=timeout,
    )


def shot(page, artifacts, name: str, scroll_to: str | None = None) -> None:
    """A 1366x768 screenshot; ``scroll_to`` (a selector) first scrolls Voila's page to that element."""
    if scroll_to:
        page.locator(scroll_to).scroll_into_view_if_needed()
    else:
        page.evaluate("document.querySelectorAll('*').forEach(e => { if (e.scrollTop) e.scrollTop = 0; })")
    page.wait_for_timeout(300)
    page.screenshot(path=str(artifacts / f"{name}.png"))


def save(artifacts, name: str, timings: dict) -> None:
    (artifacts / f"{name}_browser_timings.json").write_text(json.dumps(timings, indent=2))
    print(name, timings)


def test_leakage_explorer_in_chromium(tmp_path, chromium_path, artifacts, sample_ds):
    anchor = sample_ds.anchor_ids[0]
    p = metrics.select(sample_ds, [anchor])
    home = metrics.local_share(p, sample_ds.home_area(anchor), sample_ds.ruleset.name)
    london = metrics.local_share(p, sample_ds.area("london"), sample_ds.ruleset.name)
    top_london = metrics.top_leaking(p, sample_ds.area("london"), n=10)
    assert home.local_share != london.local_share
    timings = {}
    with app_page(
        "10_leakage_explorer.ipynb", tmp_path, chromium_path, artifacts, ".al-share", 3, timings
    ) as page:
        assert page.inner_text(".al-share") == pct(home.local_share)
        assert page.inner_text(".al-leakage") == money(home.leakage)
        assert page.inner_text(".al-unknown") == money(home.unknown_location_spend)
        assert page.inner_text(".al-hq") == pct(home.local_share_excluding_hq_only)
        chart_text(page, "Without head-office-only suppliers")
        # the chosen scope is told by more than its shade: pressed, bold, in a group named by its label
        scope = page.get_by_role("group", name="Spend")
        assert scope.get_by_role("button", name="Addressable only", pressed=True).count() == 1
        assert scope.get_by_role("button", name="All spend", pressed=False).count() == 1
        assert (
            page.evaluate("getComputedStyle(document.querySelector('.al-scope .mod-active')).fontWeight")
            == "700"
        )
        shot(page, artifacts, "leakage_explorer")

        t1 = time.monotonic()
        page.select_option(".al-area select", label="London")
        text_is(page, ".al-share", pct(london.local_share))
        timings["area_change_s"] = round(time.monotonic() - t1, 3)
        assert page.inner_text(".al-local") == money(london.local_spend)
        assert page.inner_text(".al-leakage") == money(london.leakage)
        chart_text(page, "London")
        chart_text(page, str(top_london["supplier"].iloc[0]))  # the top non-local supplier, by name
        shot(page, artifacts, "leakage_explorer_london")
        shot(page, artifacts, "leakage_explorer_london_suppliers", ".al-footnote")

        page.locator(".al-years select").select_option([])  # no year: a plain message, no traceback
        page.wait_for_function(
            "document.querySelector('.al-status').innerText.includes('financial year')", timeout=30_000
        )
        assert "Traceback" not in page.inner_text("body")
        page.locator(".al-years select").select_option(sample_ds.payments["financial_year"].unique().tolist())
        page.wait_for_function("document.querySelector('.al-status').innerText.trim() === ''", timeout=30_000)
    save(artifacts, "leakage", timings)


def test_equity_gaps_in_chromium(tmp_path, chromium_path, artifacts, sample_ds):
    anchor = sample_ds.anchor_ids[0]
    p = metrics.select(sample_ds, [anchor])
    anywhere = metrics.equity(sample_ds, p).set_index("group")
    area = sample_ds.area("london")
    pool = sample_ds.suppliers[metrics.is_local(sample_ds.suppliers, area).to_numpy()]
    london = metrics.equity(sample_ds, p[metrics.is_local(p, area).to_numpy()], pool=pool).set_index("group")
    assert round(london.loc["sme", "disparity_index"]) != round(anywhere.loc["sme", "disparity_index"])
    timings = {}
    with app_page(
        "11_equity_gaps.ipynb", tmp_path, chromium_path, artifacts, ".al-di-sme", 2, timings
    ) as page:
        for g in ("sme", "vcse", "bame_led", "women_led", "imd_1_2"):
            assert page.inner_text(f".al-di-{g}") == disparity(anywhere.loc[g, "disparity_index"]), g
        chart_text(page, "SME: disparity index by category")
        shot(page, artifacts, "equity_gaps")

        t1 = time.monotonic()
        page.select_option(".al-area select", label="London")
        text_is(page, ".al-di-sme", disparity(london.loc["sme", "disparity_index"]))
        timings["area_change_s"] = round(time.monotonic() - t1, 3)
        assert page.inner_text(".al-di-vcse") == disparity(london.loc["vcse", "disparity_index"])
        page.select_option(".al-group select", label="VCSE")
        chart_text(page, "VCSE: disparity index by category")
        chart_text(page, "suppliers in London")
        shot(page, artifacts, "equity_gaps_london_vcse")
        shot(page, artifacts, "equity_gaps_london_deciles", ".al-footnote")
    save(artifacts, "equity", timings)


def test_what_if_in_chromium(tmp_path, chromium_path, artifacts, sample_ds):
    anchor = sample_ds.anchor_ids[0]
    p, area = metrics.select(sample_ds, [anchor]), sample_ds.home_area(anchor)
    by = metrics.leakage_by(p, area, "category")
    cats = by.loc[by["leakage"] > 0, "category"].astype(str).tolist()[:3]
    at10, at15 = (metrics.shift_scenario(sample_ds, p, area, cats, s) for s in (0.10, 0.15))
    timings = {}
    with app_page("12_what_if.ipynb", tmp_path, chromium_path, artifacts, ".al-added", 2, timings) as page:
        assert page.inner_text(".al-added") == money(at10.added_local_spend)
        assert page.inner_text(".al-after") == pct(at10.local_share_after)
        assert page.inner_text(".al-lm3-value") == money(at10.added_local_value)
        assert "R3 = 0" in page.inner_text(".al-lm3-note")
        shot(page, artifacts, "what_if")

        handle = page.locator(".al-share-slider .noUi-handle")
        handle.focus()
        t1 = time.monotonic()
        handle.press("ArrowRight")  # one step: 10% -> 15%
        text_is(page, ".al-added", money(at15.added_local_spend))
        timings["slider_change_s"] = round(time.monotonic() - t1, 3)
        assert page.inner_text(".al-after") == pct(at15.local_share_after)
        assert page.inner_text(".al-lm3-value") == money(at15.added_local_value)
        chart_text(page, "Home borough(s) of Hackney Council: Hackney (E09000012); 15% of the leakage moved")

        page.locator(".al-categories select").select_option([])  # no category: a plain message
        page.wait_for_function(
            "document.querySelector('.al-status').innerText.includes('pick at least one category')",
            timeout=30_000,
        )
        shot(page, artifacts, "what_if_no_category")
    save(artifacts, "what_if", timings)


def test_network_overview_in_chromium(tmp_path, chromium_path, artifacts, sample_ds):
    home = metrics.summary(sample_ds, None, "home")["network"]
    london = metrics.summary(sample_ds, None, "london")["network"]
    city = metrics.summary(sample_ds, None, "city_hackney")["network"]
    assert pct(city["local_share"]) not in (pct(home["local_share"]), pct(london["local_share"]))
    shared = metrics.shared_suppliers(sample_ds)
    timings = {}
    with app_page(
        "13_network_overview.ipynb", tmp_path, chromium_path, artifacts, ".al-pooled", 2, timings
    ) as page:
        assert page.inner_text(".al-pooled") == pct(home["local_share"])
        assert page.inner_text(".al-mean") == pct(home["mean_anchor_local_share"])
        assert page.inner_text(".al-shared") == number(len(shared))
        chart_text(page, str(shared["supplier"].iloc[0]))
        shot(page, artifacts, "network_overview")
        shot(page, artifacts, "network_overview_shared", ".al-shared-chart")
        t1 = time.monotonic()
        page.select_option(".al-area select", label="London")
        text_is(page, ".al-pooled", pct(london["local_share"]))
        timings["area_change_s"] = round(time.monotonic() - t1, 3)
        assert page.inner_text(".al-mean") == pct(london["mean_anchor_local_share"])
        assert page.inner_text(".al-local") == money(london["local_spend"])
        chart_text(page, "Area: London")
        shot(page, artifacts, "network_overview_london")

        # by keyboard alone: Tab reaches every control (the data picker's header, the downloads, the chart
        # menus); Tab to the area and ArrowUp picks City & Hackney: the tiles and the chart follow
        t1 = time.monotonic()
        order = keyboard_reach(page)
        assert any("Use your own data" in c for c in order) and any(c.startswith("select") for c in order), (
            order
        )
        for _ in range(2 * len(order) + 2):  # on from the last control, round to the first
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.closest('.al-area') !== null"):
                break
        else:
            raise AssertionError(f"Tab never reached the area: {order}")
        page.keyboard.press("ArrowUp")
        text_is(page, ".al-pooled", pct(city["local_share"]))
        assert page.inner_text(".al-mean") == pct(city["mean_anchor_local_share"])
        chart_text(page, "Area: City & Hackney")
        # Enter opens the data picker (an Accordion, opened by a click alone in ipywidgets: the template's
        # script makes its header a button); its controls are in the tab order, and pass axe too
        header = ".jupyter-widget-Collapse-header"
        for _ in range(2 * len(order) + 2):
            page.keyboard.press("Tab")
            if page.evaluate(f"document.activeElement.matches('{header}')"):
                break
        assert page.get_attribute(header, "aria-expanded") == "false"
        page.keyboard.press("Enter")
        page.wait_for_function(f"document.querySelector('{header}').ariaExpanded === 'true'", timeout=10_000)
        opened = keyboard_reach(page)
        assert len(opened) > len(order), opened
        timings["keyboard_s"] = round(time.monotonic() - t1, 2)
        shot(page, artifacts, "network_overview_picker", header)
        audit(page, "13_network_overview_picker_open", artifacts)
    save(artifacts, "network", timings)


def test_served_tree_links_apps_and_preheated_app_opens_first(tmp_path, chromium_path, artifacts):
    """What `anchorlib serve` runs: the tree at / links every app offline; a preheated app (the leakage
    explorer, three charts) draws before a cold one does (the network overview, two charts, whose kernel
    starts and runs the notebook when the page asks): the bound holds however busy the machine is."""
    from anchorlib.apps.serve import voila_args

    # as `anchorlib serve` runs, but only the leakage explorer preheated, so its kernel is ready in the wait
    pools = (
        "--VoilaKernelManager.kernel_pools_config={'10_leakage_explorer.ipynb': {'pool_size': 1}, "
        "'default': {'pool_size': 0}}"
    )
    preheat = [a for a in voila_args(0) if "preheat" in a or "classic_tree" in a] + [pools]
    timings = {}
    with (
        voila_server(NOTEBOOKS_DIR, tmp_path / "voila", args=preheat) as server,
        chromium(chromium_path) as browser,
    ):
        page = open_page(browser)
        page.goto(server.url)
        page.wait_for_selector("a[href*='10_leakage_explorer']", timeout=60_000)
        links = page.inner_text("body")
        for nb in (
            "10_leakage_explorer",
            "11_equity_gaps",
            "12_what_if",
            "13_network_overview",
            "20_social_value",
        ):
            assert nb in links, nb
        page.screenshot(path=str(artifacts / "apps_tree.png"))
        assert page.errors == [], page.errors
        audit(page, "apps_tree", artifacts)
        page.wait_for_timeout(30_000)  # let the pool run the notebooks (server-side, before anyone asks)
        t0 = time.monotonic()
        page.goto(server.url + "voila/render/10_leakage_explorer.ipynb")
        wait_drawn(page, ".al-share", 3, timeout=60_000)
        timings["leakage_preheated_first_render_s"] = round(time.monotonic() - t0, 2)
        assert page.outside == [], page.outside
        assert page.errors == [], page.errors
        t0 = time.monotonic()
        page.goto(server.url + "voila/render/13_network_overview.ipynb")
        wait_drawn(page, ".al-pooled", 2, timeout=120_000)
        timings["network_cold_first_render_s"] = round(time.monotonic() - t0, 2)
        assert page.outside == [], page.outside
        assert page.errors == [], page.errors
    save(artifacts, "tree", timings)
    assert timings["leakage_preheated_first_render_s"] < timings["network_cold_first_render_s"], timings
