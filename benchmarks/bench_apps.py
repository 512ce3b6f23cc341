"""Workshop apps in the browser: first render and widget-change time per app, on any dataset.

    nice .venv/bin/python benchmarks/bench_apps.py [--data DIR] [--warm 90] [--json]

Starts Voila as ``anchorlib serve`` does (preheated kernels, offline template) with ANCHORLIB_DATA=DIR,
waits ``--warm`` seconds for the pool to run each notebook, then in headless Chromium at 1366x768:
first render = page request until the headline tiles and every chart have drawn; widget change =
a choice (the local area: London / home; in the what-if app the slider, one step) until every chart
has redrawn (the views set their tiles first).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from anchorlib.paths import NOTEBOOKS_DIR, SAMPLE_DIR
from anchorlib.serve import voila_args
from tests.voila_server import CHROMIUM_ARGS, voila_server, wait_drawn

#: notebook -> (tile that changes, number of charts, how to change a widget: ("area", labels) or ("slider", keys))
APPS = {"10_leakage_explorer.ipynb": (".al-share", 3, ("area", ["London", "Home borough(s)"])),
        "11_equity_gaps.ipynb": (".al-di-sme", 3, ("area", ["London", "Anywhere"])),
        "12_what_if.ipynb": (".al-added", 2, ("slider", ["ArrowRight", "ArrowLeft"])),
        "13_network_overview.ipynb": (".al-pooled", 2, ("area", ["London", "Home borough(s)"]))}
#: JS: the SVG of every chart on the page, to tell when all have redrawn
SVGS = "[...document.querySelectorAll('.vega-embed svg')]"


def measure(page, url: str, tile: str, n_charts: int, how: tuple, repeat: int) -> dict:
    t0 = time.perf_counter()
    page.goto(url)
    wait_drawn(page, tile, n_charts, timeout=600_000)
    first = time.perf_counter() - t0
    kind, choices = how
    changes = []
    for i in range(repeat):
        page.evaluate(f"{SVGS}.forEach(s => s.dataset.old = '1')")  # a redrawn chart is a new <svg>
        t1 = time.perf_counter()
        if kind == "area":
            page.select_option(".al-area select", label=choices[i % 2])
        else:
            page.locator(".al-share-slider .noUi-handle").press(choices[i % 2])
        # the view sets its tiles before its charts, so every chart redrawn means the page is updated
        page.wait_for_function(f"{SVGS}.filter(s => !s.dataset.old).length >= {n_charts}", timeout=60_000)
        changes.append(time.perf_counter() - t1)
    return {"first_render_s": round(first, 3), "widget_change_median_ms": round(1000 * statistics.median(changes), 1),
            "widget_change_max_ms": round(1000 * max(changes), 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(SAMPLE_DIR))
    ap.add_argument("--warm", type=float, default=90, help="seconds to let the preheated kernels run the notebooks")
    ap.add_argument("--repeat", type=int, default=6, help="widget changes per app")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    from playwright.sync_api import sync_playwright

    preheat = [x for x in voila_args(0) if "preheat" in x or "kernel_pools" in x or "classic_tree" in x]
    result = {"data": a.data, "apps": {}}
    with tempfile.TemporaryDirectory() as tmp, \
            voila_server(NOTEBOOKS_DIR, Path(tmp), args=preheat, env={"ANCHORLIB_DATA": a.data},
                         execute_timeout=900) as server, sync_playwright() as p:
        time.sleep(a.warm)
        browser = p.chromium.launch(executable_path=a.chromium, args=CHROMIUM_ARGS)
        try:
            for nb, (tile, n, how) in APPS.items():
                page = browser.new_page(viewport={"width": 1366, "height": 768})
                result["apps"][nb] = r = measure(page, f"{server.url}voila/render/{nb}", tile, n, how, a.repeat)
                print(nb, r, flush=True)
                page.close()
        finally:
            browser.close()
    if a.json:
        print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
