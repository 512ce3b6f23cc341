"""Tables out of the apps, in headless Chromium: a download button under a chart saves the table behind
it (CSV or .xlsx, made in the kernel, no outside request), named for what it holds and the choices, and
its numbers are the metric's."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest

from anchorlib import metrics
from anchorlib.paths import NOTEBOOKS_DIR
from tests.voila_server import chromium, open_page, voila_server, wait_drawn

pytestmark = pytest.mark.browser


def download(page, selector: str, tmp_path):
    """Click ``selector`` and return (the suggested file name, the bytes Playwright saved)."""
    with page.expect_download(timeout=60_000) as info:
        page.locator(selector).click()
    d = info.value
    path = tmp_path / d.suggested_filename
    d.save_as(path)
    return d.suggested_filename, path.read_bytes()


def test_leakage_explorer_downloads_the_top_suppliers_as_the_metric_ranks_them(
    tmp_path, chromium_path, sample_ds, artifacts
):
    anchor = sample_ds.anchor_ids[0]
    p = metrics.select(sample_ds, [anchor])
    london = sample_ds.area("london")
    top = metrics.top_leaking(p, london, n=10)
    home = metrics.top_leaking(p, sample_ds.home_area(anchor), n=10)
    with (
        voila_server(NOTEBOOKS_DIR / "10_leakage_explorer.ipynb", tmp_path / "voila") as server,
        chromium(chromium_path) as browser,
    ):
        page = open_page(browser)
        page.goto(server.url)
        wait_drawn(page, ".al-share", 3)
        # the chart's tooltips and the download name places by name; the first choice: the home borough
        name, raw = download(page, ".al-download-suppliers .al-download-csv", tmp_path)
        assert name == f"anchorlib_leakage_top-suppliers_{anchor}_home_2021-22_to_2023-24_addressable.csv"
        got = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig")
        assert got["Supplier"].tolist() == home["supplier"].astype(str).tolist()
        assert got["Non-local spend (£)"].tolist() == pytest.approx(home["leakage"].tolist(), rel=1e-12)
        assert got["LAD code"].tolist() == home["lad"].tolist()
        assert got["Located in"].tolist() == [sample_ds.place_names.name(c) for c in home["lad"]]
        # another choice: the file follows it
        page.select_option(".al-area select", label="London")
        page.wait_for_function(
            "[...document.querySelectorAll('.vega-embed text')].some(t => t.textContent.includes('London'))",
            timeout=30_000,
        )
        name, raw = download(page, ".al-download-suppliers .al-download-xlsx", tmp_path)
        assert name == f"anchorlib_leakage_top-suppliers_{anchor}_london_2021-22_to_2023-24_addressable.xlsx"
        wb = openpyxl.load_workbook(io.BytesIO(raw))
        ws = wb["top suppliers"]
        assert ws.freeze_panes == "A2"
        rows = [[c.value for c in r] for r in ws.iter_rows()]
        frame = pd.DataFrame(rows[1:], columns=rows[0])
        assert frame["Supplier"].tolist() == top["supplier"].astype(str).tolist()
        # the metric's figures (the app sums its rollup: the same pounds, added in another order)
        assert frame["Non-local spend (£)"].tolist() == pytest.approx(top["leakage"].tolist(), rel=1e-12)
        assert ws["D2"].number_format == '"£"#,##0.00' and ws["D2"].data_type == "n"
        choices = {r[0].value: r[1].value for r in wb["choices"].iter_rows(min_row=2)}
        assert choices["local area"] == london.describe() == "London: the region London (E12000007)"
        assert page.outside == [] and page.errors == [], (page.outside, page.errors)
        page.locator(".al-download-suppliers").scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / "leakage_explorer_download.png"))
