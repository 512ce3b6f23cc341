"""Analysts' JupyterLab, as `make lab` starts it, in headless Chromium at 1400 px wide: the notebooks open
with the 'anchorlib' kernel, no "Jupyter news" prompt appears and nothing is fetched from outside, and
each app, run in the notebook, fits Lab's main area (file browser open): every chart's right edge is
inside it. Screenshots go to test-artifacts/lab_<notebook>_<chart>.png."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from anchorlib.paths import NOTEBOOKS_DIR, PROJECT_DIR
from tests.processes import stop_group, wait_listening
from tests.voila_server import DRAWN_MARKS, chromium, free_port, open_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]
STAMP = PROJECT_DIR / ".venv" / ".anchorlib-installed"
TOKEN = "anchorlib-test"
WIDTH, HEIGHT = 1400, 900
#: the apps and how many charts each draws when its notebook runs
APPS = {
    "10_leakage_explorer.ipynb": 3,
    "11_equity_gaps.ipynb": 2,
    "12_what_if.ipynb": 2,
    "13_network_overview.ipynb": 2,
    "20_social_value.ipynb": 1,
}


@dataclass
class Lab:
    url: str
    root: Path
    log: Path


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """`make lab` on a copy of notebooks/ (Lab saves what it opens), settings and workspaces in a
    temporary LAB_DIR."""
    base = tmp_path_factory.mktemp("lab")
    root = base / "notebooks"
    shutil.copytree(NOTEBOOKS_DIR, root)
    port = free_port()
    log = base / "lab.log"
    args = f"--no-browser --port={port} --ServerApp.ip=127.0.0.1 --IdentityProvider.token={TOKEN}"
    with log.open("w") as fh:
        proc = subprocess.Popen(
            # -o: an out-of-date venv is not rebuilt here
            ["make", "-C", str(PROJECT_DIR), "-o", str(STAMP), "lab"]
            + [f"LAB_DIR={base / 'config'}", f"LAB_ROOT={root}", f"LAB_ARGS={args}"],
            stdout=fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # make, Lab and its kernels: one process group, stopped together
        )
    try:
        try:
            wait_listening(port, proc, "make lab")
        except RuntimeError as err:
            raise RuntimeError(f"{err}: {log.read_text()[-2000:]}") from None
        yield Lab(f"http://127.0.0.1:{port}", root, log)
    finally:
        stop_group(proc, signal.SIGTERM)


GEOMETRY = """() => {
  const box = e => { const b = e.getBoundingClientRect(); return {left: b.left, right: b.right}; };
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer')
    || document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook');
  return {
    main: box(document.querySelector('#jp-main-dock-panel')),
    notebook: {...box(panel), scrollWidth: panel.scrollWidth, clientWidth: panel.clientWidth},
    charts: [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .vega-embed')].map(e => {
      const drawn = e.querySelector('svg, canvas') || e;
      const title = e.querySelector('.role-title-text, text');
      return {title: title ? title.textContent : '', ...box(drawn)};
    }),
  };
}"""


@pytest.mark.parametrize("notebook", list(APPS))
def test_app_fits_jupyterlab_main_area_at_1400px(lab, notebook, chromium_path, artifacts):
    with chromium(chromium_path) as browser:
        page = open_page(browser, viewport=(WIDTH, HEIGHT))
        page.goto(f"{lab.url}/lab/tree/{notebook}?reset&token={TOKEN}")  # reset: only this notebook open
        page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=120_000)
        # the notebook's own kernelspec, started without a chooser ("No Kernel" until it has started)
        page.wait_for_function(
            "[...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-KernelName')]"
            ".some(e => e.innerText.trim() === 'Python (anchorlib)')",
            timeout=120_000,
        )
        page.wait_for_selector(
            ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator[data-status='idle']",
            timeout=120_000,
        )
        page.click("li.lm-MenuBar-item:has-text('Run')")
        page.click("li.lm-Menu-item:has-text('Run All Cells')")
        page.wait_for_function(
            f"[...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .vega-embed')]"
            f".filter(e => e.querySelector({json.dumps(DRAWN_MARKS)})).length >= {APPS[notebook]}",
            timeout=180_000,
        )
        page.wait_for_timeout(1000)  # the last layout pass after the charts drew
        g = page.evaluate(GEOMETRY)
        charts = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .vega-embed >> visible=true")
        for i in range(
            charts.count()
        ):  # one screenshot per chart shown (not in a hidden tab), scrolled into view
            charts.nth(i).scroll_into_view_if_needed()
            page.wait_for_timeout(200)
            page.screenshot(path=str(artifacts / f"lab_{Path(notebook).stem}_{i + 1}.png"))
        right = min(g["main"]["right"], g["notebook"]["right"])
        assert g["main"]["right"] - g["main"]["left"] < 1100  # the file browser is open: Lab's narrow case
        outside = [c for c in g["charts"] if c["right"] > right + 0.5]
        assert not outside, f"charts past the main area's right edge ({right:.0f} px): {outside}"
        assert g["notebook"]["scrollWidth"] <= g["notebook"]["clientWidth"], g[
            "notebook"
        ]  # no sideways scroll
        assert "Jupyter news" not in page.inner_text("body")  # the news prompt is a toast
        assert page.outside == [], page.outside  # no news feed, no update check, no CDN
        assert not page.locator(".jp-Dialog").count()  # no kernel chooser
    assert (lab.root / notebook).is_file()
