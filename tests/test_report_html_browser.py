"""The HTML reports in headless Chromium: opened from file://, they ask nothing of the network,
show their SVG charts (each with its ARIA description) and headline table, print on A4, and pass axe
(tests/axe.py), as does their index."""

from __future__ import annotations

import pytest

from anchorlib.paths import SAMPLE_DIR
from anchorlib.reports import batch as rp
from tests.axe import audit, axe_script
from tests.voila_server import block_outside, chromium

pytestmark = [pytest.mark.browser, pytest.mark.notebook, pytest.mark.slow]


def test_reports_render_offline_in_chromium(tmp_path, chromium_path, artifacts):
    axe_script()
    jobs = rp.plan(SAMPLE_DIR, tmp_path, ["hackney"])
    outcomes = rp.run_batch(jobs, n_jobs=2, kernel_name="python3", progress=False)
    assert [o.status for o in outcomes] == ["ok", "ok"], [o.error for o in outcomes]
    rp.write_index(tmp_path, jobs, outcomes, "all years")
    with chromium(chromium_path) as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        outside = block_outside(page, ("file://", "data:"))
        for name, charts, table in [
            ("anchor-hackney.html", 2, "#headline-hackney"),
            ("network.html", 1, "#headline-network"),
        ]:
            page.goto((tmp_path / name).as_uri(), wait_until="load")
            svgs = page.locator(".jp-RenderedSVG svg")
            assert svgs.count() == charts, name
            for i in range(charts):
                box = svgs.nth(i).bounding_box()
                assert box and box["width"] > 200 and box["height"] > 100, (name, box)
                assert svgs.nth(i).locator("path, rect").count() > 3  # marks were drawn
                assert svgs.nth(i).get_attribute("role") == "graphics-document", name
                assert len(svgs.nth(i).get_attribute("aria-label") or "") > 40, (
                    name
                )  # the chart's description
            assert page.locator(table).is_visible()
            assert page.locator(".jp-CodeCell .jp-InputArea").count() == 0  # code hidden
            assert "report_views" not in page.content()
            page.screenshot(path=str(artifacts / f"report_{name.removesuffix('.html')}.png"), full_page=True)
            audit(page, f"report_{name.removesuffix('.html')}", artifacts)
        page.emulate_media(media="print")
        assert page.locator(".jp-RenderedSVG svg").count() == 1
        page.goto((tmp_path / "index.html").as_uri(), wait_until="load")
        assert page.locator('a[href="anchor-hackney.html"]').is_visible()
        audit(page, "report_index", artifacts)
        page.screenshot(path=str(artifacts / "report_index.png"), full_page=True)
        pdf = page.pdf(format="A4")
        assert pdf[:4] == b"%PDF"
    assert outside == []
