"""The social value Voila app in headless Chromium: it draws offline, asks nothing of the internet,
the slider changes the winner to what ``social_value`` computes, and both tabs pass axe (tests/axe.py)."""

from __future__ import annotations

import json
import time

import pytest

from anchorlib.paths import NOTEBOOKS_DIR
from anchorlib.social_value import tenders as sv
from tests.axe import audit, axe_script, described_charts, keyboard_reach
from tests.voila_server import chromium, open_page, voila_server

pytestmark = pytest.mark.browser
TENDER = "T2023-024"  # changes hands between 5% and 10% in the sample


def test_social_value_app_in_chromium(tmp_path, chromium_path, artifacts, sample_ds):
    bids = sv.load_tenders(sample_ds)
    bids = bids[bids["tender_id"] == TENDER]
    before, after = sv.winner_at(bids, 0.05), sv.winner_at(bids, 0.10)
    assert before != after
    timings = {}
    axe_script()
    t0 = time.monotonic()
    with voila_server(NOTEBOOKS_DIR / "20_social_value.ipynb", tmp_path / "voila") as server:
        timings["server_listening_s"] = time.monotonic() - t0
        with chromium(chromium_path) as browser:
            page = open_page(browser)
            outside, errors = page.outside, page.errors
            page.goto(server.url)
            page.wait_for_selector(".sv-winner-name", timeout=120_000)
            page.wait_for_selector(".vega-embed svg .mark-line path, .vega-embed canvas", timeout=60_000)
            timings["first_chart_s"] = time.monotonic() - t0
            assert page.locator(".sv-status").inner_text().strip() == ""
            described_charts(page, 1)
            audit(page, "20_social_value", artifacts)
            keyboard_reach(page)

            page.select_option(".sv-tender select", label=f"{TENDER} ({len(bids)} bids)")
            page.wait_for_function(f"document.querySelector('.sv-winner').innerText.includes('{TENDER}')")
            assert page.inner_text(".sv-winner-name") == before

            handle = page.locator(".sv-weight .noUi-handle")
            handle.focus()
            t1 = time.monotonic()
            for _ in range(10):  # 10 steps of 0.5 points: 5% -> 10%
                handle.press("ArrowRight")
            page.wait_for_function(
                "document.querySelector('.sv-winner-name').innerText === " + json.dumps(after), timeout=30_000
            )
            page.wait_for_function(
                "[...document.querySelectorAll('.vega-embed text')]"
                ".some(t => t.textContent === 'slider 10.0%')",
                timeout=30_000,
            )
            timings["slider_to_new_winner_and_chart_s"] = time.monotonic() - t1
            assert page.inner_text(".sv-weight .widget-readout").strip() == "10.0"
            assert "at 10.0%" in page.inner_text(".sv-winner")
            page.wait_for_timeout(300)
            page.screenshot(path=str(artifacts / "social_value_app.png"))

            page.get_by_role("tab", name="Commitments").click()
            page.wait_for_selector(".sv-by", state="visible")
            page.wait_for_function(
                "[...document.querySelectorAll('.vega-embed text')]"
                ".some(t => t.textContent === 'inadequate')",
                timeout=30_000,
            )
            assert "East London NHS Foundation Trust" in page.inner_text(".sv-totals")
            described_charts(page, 2)
            audit(page, "20_social_value_commitments", artifacts)
            assert any("Apprenticeships" in c or c.startswith("input") for c in keyboard_reach(page))
            page.screenshot(path=str(artifacts / "social_value_commitments.png"))
            box = page.locator(".widget-text:has(label:text-is('Apprenticeships')) input")
            box.fill("250")
            box.press("Enter")
            page.wait_for_function(
                "document.querySelector('.sv-money').innerText.includes('£')", timeout=30_000
            )
            page.locator(".sv-money").scroll_into_view_if_needed()
            page.screenshot(path=str(artifacts / "social_value_proxies.png"))
            assert outside == [], outside
            assert errors == [], errors
    (artifacts / "social_value_browser_timings.json").write_text(json.dumps(timings, indent=2))
    print(timings)
