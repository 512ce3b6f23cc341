"""Names from files are text, never markup: on a dataset whose suppliers, categories, anchors, area,
bidders, measures, a spend file and the folder itself are named with markup (tests/hostile.py), the batch
reports, the analyst notebooks' HTML, the index and every app run no script, add no element, and show
each name as the characters it is, in headless Chromium."""

from __future__ import annotations

import subprocess
import sys
from contextlib import contextmanager

import pytest

from anchorlib.paths import NOTEBOOKS_DIR
from anchorlib.reports import batch as rp
from tests import hostile as h
from tests.voila_server import block_outside, chromium, open_page, voila_server, wait_drawn

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: JavaScript: the text the page shows (every text node outside script and style, SVG text included; the
#: no-break spaces ipywidgets puts in option labels read as spaces)
SHOWN_TEXT_JS = """() => {
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const out = [];
  for (let n = walk.nextNode(); n; n = walk.nextNode())
    if (!n.parentElement.closest('script, style, template')) out.push(n.data);
  return out.join('\\n').replaceAll('\\u00a0', ' ');
}"""
HACKNEY = h.ANCHORS["Hackney Council"]
ELFT = h.ANCHORS["East London NHS Foundation Trust"]
S = h.SUPPLIERS


@pytest.fixture(scope="module")
def hostile_root(tmp_path_factory):
    return h.hostile_dataset(tmp_path_factory.mktemp("hostile"))


def shows_as_text(page, where: str, names: list[str]) -> None:
    """Nothing the markup would do happened on ``page``, and each of ``names`` reads as written (in full,
    or as a chart label cut to its width: the start of the name and '…', its markup characters and all)."""
    assert page.evaluate(h.INJECTED_JS) == [], where
    shown = page.evaluate(SHOWN_TEXT_JS)
    cut = [t[:-1] for t in shown.split("\n") if t.endswith("…") and len(t) > 20]
    missing = [n for n in names if n not in shown and not any(n.startswith(c) for c in cut)]
    assert missing == [], (where, missing)


@pytest.mark.notebook
def test_reports_and_notebooks_show_names_as_text(hostile_root, tmp_path, chromium_path, artifacts):
    out = tmp_path / "reports"
    run = subprocess.run(
        [sys.executable, "-m", "anchorlib.cli", "reports", "--data", str(hostile_root), "--out", str(out)]
        + ["--anchors", "hackney", "--jobs", "2", "--no-progress"],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    # the analyst notebooks, exported as the batch exports its reports
    params = {"data_dir": str(hostile_root), "anchor_id": "hackney", "financial_year": "2021-22"}
    jobs = [
        rp.Job(nb, nb, NOTEBOOKS_DIR / f"{nb}.ipynb", params, out / f"{nb}.ipynb", out / f"{nb}.html")
        for nb in ("01_spend_leakage", "04_equity_and_value")
    ]
    outcomes = rp.run_batch(jobs, 2, rp.resolve_kernel(None)[0], progress=False)
    assert [o.status for o in outcomes] == ["ok", "ok"], [o.error for o in outcomes]
    pages = {
        "index.html": [HACKNEY],
        "anchor-hackney.html": [
            HACKNEY,
            S["Riverside Construction Partners LLP"],
            S["Quay Roofing Holdings Ltd"],
        ]
        + [S["Thames Power Support Ltd"], S["Kingsland Power Works Ltd"]],
        "network.html": [HACKNEY, ELFT, S["Rowan Healthcare Brothers PLC"], S["Pioneer Pharma & Sons LLP"]]
        + [S["Dalston Health Group Limited"], S["Bridge Pharma Holdings Limited"]]
        + [S["Meridian Therapies Collective Ltd"], S["Zenith Therapies Services"]],
        # a DataFrame, as pandas shows it: text past 50 characters is cut
        "01_spend_leakage.html": [h.SPEND_FILE[1][:45], HACKNEY],
        "04_equity_and_value.html": [*h.CATEGORIES.values(), h.UNMAPPED_EXPENSE_TYPE[1]],
    }
    # the reports' workbooks hold each name as the characters it is: not escaped, not a formula
    import openpyxl

    top = openpyxl.load_workbook(out / "anchor-hackney.xlsx")["top suppliers"]
    suppliers = [c.value for c in top["A"][1:]]
    assert (
        S["Riverside Construction Partners LLP"] in suppliers and S["Quay Roofing Holdings Ltd"] in suppliers
    )
    assert all(c.data_type == "s" for c in top["A"][1:])
    with chromium(chromium_path) as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        outside = block_outside(page, ("file://", "data:"))
        for name, names in pages.items():
            page.goto((out / name).as_uri(), wait_until="load")
            shows_as_text(page, name, names)
            page.screenshot(path=str(artifacts / f"hostile_{name.removesuffix('.html')}.png"), full_page=True)
    assert outside == []


@contextmanager
def app(browser, server, notebook: str, ready: str, n_charts: int):
    """A new page of ``notebook`` once ``ready`` and ``n_charts`` charts are drawn; on exit it must have asked
    nothing outside 127.0.0.1 and logged no error. (One page per app: leaving a Voila page posts a kernel
    shutdown without Voila's _xsrf token, which the server refuses with a logged 403.)"""
    page = open_page(browser)
    page.goto(server.url + f"voila/render/{notebook}")
    wait_drawn(page, ready, n_charts)
    assert page.inner_text(".al-status, .sv-status").strip() == "", notebook
    yield page
    assert page.outside == [], (notebook, page.outside)
    assert page.errors == [], (notebook, page.errors)
    assert "Traceback" not in page.inner_text("body")
    page.close()


def test_apps_show_names_as_text(hostile_root, tmp_path, chromium_path, artifacts):
    env = {"ANCHORLIB_DATA": str(hostile_root)}
    with (
        voila_server(NOTEBOOKS_DIR, tmp_path / "voila", env=env) as server,
        chromium(chromium_path) as browser,
    ):
        with app(browser, server, "10_leakage_explorer.ipynb", ".al-share", 3) as page:
            # the pickers, chart titles, the top non-local suppliers and the categories (long labels are cut)
            names = [HACKNEY, ELFT, *h.AREAS.values(), S["Thames Power Support Ltd"], *h.CATEGORIES.values()]
            shows_as_text(page, "leakage", [*names, h.UNMAPPED_EXPENSE_TYPE[1]])
            bars = page.locator(".vega-embed").nth(2).locator(".mark-rect path")
            bars.first.hover()  # the tooltip of the largest leaking supplier
            page.wait_for_selector("#vg-tooltip-element.visible", timeout=10_000)
            assert S["Riverside Construction Partners LLP"] in page.inner_text("#vg-tooltip-element")
            shows_as_text(page, "leakage tooltip", [])
            page.screenshot(path=str(artifacts / "hostile_leakage.png"))
            # the data picker echoes a folder that is not there, then opens the hostile one, listing its files
            page.get_by_text("Use your own data").click()
            missing = str(tmp_path / h.FOLDER / "missing")
            page.locator(".al-data-path input").fill(missing)
            page.locator(".al-data-open").click()
            page.wait_for_function(
                "document.querySelector('.al-data-message').innerText.includes('no folder')"
            )
            shows_as_text(page, "picker error", [missing])
            page.locator(".al-data-path input").fill(str(hostile_root))
            page.locator(".al-data-open").click()
            page.wait_for_function("document.querySelector('.al-data-message').innerText.includes('Opened')")
            wait_drawn(page, ".al-share", 3)
            shows_as_text(page, "picker opened", [str(hostile_root), h.SPEND_FILE[1]])

        with app(browser, server, "11_equity_gaps.ipynb", ".al-di-sme", 2) as page:
            shows_as_text(page, "equity", [HACKNEY, *h.CATEGORIES.values()])

        with app(browser, server, "12_what_if.ipynb", ".al-added", 2) as page:
            shows_as_text(page, "what-if", [HACKNEY, *h.CATEGORIES.values(), h.UNMAPPED_EXPENSE_TYPE[1]])

        with app(browser, server, "13_network_overview.ipynb", ".al-pooled", 2) as page:
            shows_as_text(page, "network", [HACKNEY, ELFT, S["Riverside Construction Partners LLP"]])

        with app(browser, server, "20_social_value.ipynb", ".sv-winner-name", 1) as page:
            shows_as_text(page, "tenders", [S["Aspire Roofing Care Ltd"], S["Victoria Logistics Care Ltd"]])
            page.get_by_role("tab", name="Commitments").click()
            page.wait_for_selector(".sv-totals", state="visible")
            names = [HACKNEY, S["Victoria Logistics Care Ltd"], *h.MEASURES.values()]
            shows_as_text(page, "commitments", names)
            page.get_by_role("button", name="Supplier").click()
            page.wait_for_function(
                "document.querySelector('.sv-totals').innerText.includes('Supplier')", timeout=30_000
            )
            shows_as_text(page, "commitments by supplier", [S["Victoria Logistics Care Ltd"]])
            page.screenshot(path=str(artifacts / "hostile_social_value.png"))
