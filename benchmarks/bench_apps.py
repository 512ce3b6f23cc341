"""Workshop apps in the browser: first render and widget-change time per app, on any dataset.

    nice .venv/bin/python benchmarks/bench_apps.py [--data DIR] [--warm 90] [--settle 30] [--only 10_...] [--json]

Starts Voila as ``anchorlib serve`` does (preheated kernels, offline template) with ANCHORLIB_DATA=DIR,
waits ``--warm`` seconds for the pool to run each notebook, then in headless Chromium at 1366x768:
first render = navigation start until every chart has drawn (the headline tiles are there too);
widget change = a choice (the local area: London / home; in the what-if app the slider, one step)
until every chart that the choice changes has drawn anew (a new ``svg.marks`` in that many charts;
the views set their tiles first). Both are timed on the page's own clock (``CLOCK``); the wall clock
of the driving script, which adds Playwright's round trips, is reported beside them. The first change of each app computes its figures; later ones go back to choices the
app has shown (kept per choice), so both are reported; a preheated kernel computes the other areas
and the slider's neighbours ahead (apps/common.Guarded.warm) unless ``--no-warm``. Voila refills an app's pool (running the
notebook again) once its kernel is taken: ``--settle`` seconds between apps keep that refill out
of the next app's figures. The load average is printed with each app.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from anchorlib.paths import NOTEBOOKS_DIR, SAMPLE_DIR
from anchorlib.serve import voila_args
from tests.voila_server import CHROMIUM_ARGS, voila_server, wait_drawn

#: notebook -> (tile that changes, charts on the page, charts a change redraws,
#: how to change a widget: ("area", labels) or ("slider", keys))
APPS = {"10_leakage_explorer.ipynb": (".al-share", 3, 3, ("area", ["London", "Home borough(s)"])),
        "11_equity_gaps.ipynb": (".al-di-sme", 2, 2, ("area", ["London", "Anywhere"])),
        "12_what_if.ipynb": (".al-added", 2, 2, ("slider", ["ArrowRight", "ArrowLeft"])),
        "13_network_overview.ipynb": (".al-pooled", 2, 1, ("area", ["London", "Home borough(s)"]))}
#: JS: the drawing of every chart on the page (Vega's SVG root; the action menu's icon is another svg)
SVGS = "[...document.querySelectorAll('.vega-embed svg.marks')]"
#: JS run before the page's own: the time of the user's action (a select's change, a key pressed) and of
#: each chart drawing added after it, on the page's clock (performance.now(), 0 = navigation start)
CLOCK = """
window.__al = {start: null, drawn: new Map()};
for (const kind of ['change', 'keydown']) {
  document.addEventListener(kind, () => { if (window.__al.start === null) window.__al.start = performance.now(); }, true);
}
new MutationObserver(records => {
  const now = performance.now();
  for (const r of records) for (const n of r.addedNodes) {
    if (n.nodeType !== 1) continue;
    for (const svg of [...(n.matches('svg.marks') ? [n] : []), ...n.querySelectorAll('svg.marks')]) {
      if (!window.__al.drawn.has(svg)) window.__al.drawn.set(svg, now);
    }
  }
}).observe(document, {childList: true, subtree: true});
"""


def load() -> float:
    return round(os.getloadavg()[0], 2)


def measure(page, url: str, tile: str, n_charts: int, n_redrawn: int, how: tuple, repeat: int) -> dict:
    page.add_init_script(CLOCK)
    t0 = time.perf_counter()
    page.goto(url)
    wait_drawn(page, tile, n_charts, timeout=600_000)
    first_wall = time.perf_counter() - t0
    # in the page: navigation start until the last of the first n_charts drawings
    first = page.evaluate(f"[...window.__al.drawn.values()].sort((a, b) => a - b)[{n_charts - 1}]") / 1000
    page.wait_for_timeout(500)  # let the page settle (late layout, fonts) before the first change
    kind, choices = how
    changes, walls = [], []
    for i in range(repeat):
        page.evaluate(f"{SVGS}.forEach(s => s.dataset.old = '1'); window.__al.start = null; window.__al.drawn.clear()")
        t1 = time.perf_counter()
        if kind == "area":
            page.select_option(".al-area select", label=choices[i % 2])
        else:
            page.locator(".al-share-slider .noUi-handle").press(choices[i % 2])
        # the view sets its tiles before its charts, so the charts redrawn means the page is updated
        page.wait_for_function(f"{SVGS}.filter(s => !s.dataset.old).length >= {n_redrawn}", timeout=60_000)
        walls.append(time.perf_counter() - t1)
        # in the page: the action (change / keydown event) until the n_redrawn-th new chart drawing
        changes.append(page.evaluate(f"[...window.__al.drawn.values()].sort((a, b) => a - b)[{n_redrawn - 1}]"
                                     " - window.__al.start") / 1000)
        status = page.inner_text(".al-status").strip()
        if status:
            raise RuntimeError(f"{url}: the app says {status!r}")
        page.wait_for_timeout(200)
    return {"first_render_s": round(first, 3), "first_change_ms": round(1000 * changes[0], 1),
            "widget_change_median_ms": round(1000 * statistics.median(changes), 1),
            "widget_change_max_ms": round(1000 * max(changes), 1),
            "changes_ms": [round(1000 * c) for c in changes],
            "wall_clock": {"first_render_s": round(first_wall, 3), "changes_ms": [round(1000 * w) for w in walls]},
            "load_average": load()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(SAMPLE_DIR))
    ap.add_argument("--warm", type=float, default=90, help="seconds to let the preheated kernels run the notebooks")
    ap.add_argument("--repeat", type=int, default=6, help="widget changes per app")
    ap.add_argument("--settle", type=float, default=30, help="seconds between apps (Voila refills the pool)")
    ap.add_argument("--no-warm", action="store_true",
                    help="preheated kernels do not compute the other choices ahead (ANCHORLIB_APPS_WARM=0)")
    ap.add_argument("--only", nargs="*", default=list(APPS), choices=list(APPS), help="the apps to time")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    from playwright.sync_api import sync_playwright

    preheat = [x for x in voila_args(0) if "preheat" in x or "kernel_pools" in x or "classic_tree" in x]
    result = {"data": a.data, "warm_choices": not a.no_warm, "apps": {}}
    env = {"ANCHORLIB_DATA": a.data, **({"ANCHORLIB_APPS_WARM": "0"} if a.no_warm else {})}
    with tempfile.TemporaryDirectory() as tmp, \
            voila_server(NOTEBOOKS_DIR, Path(tmp), args=preheat, env=env,
                         execute_timeout=900) as server, sync_playwright() as p:
        time.sleep(a.warm)
        browser = p.chromium.launch(executable_path=a.chromium, args=CHROMIUM_ARGS)
        try:
            for i, nb in enumerate(a.only):
                if i:
                    time.sleep(a.settle)
                tile, n, redrawn, how = APPS[nb]
                page = browser.new_page(viewport={"width": 1366, "height": 768})
                print(nb, "load average before", load(), flush=True)
                result["apps"][nb] = r = measure(page, f"{server.url}voila/render/{nb}", tile, n, redrawn, how,
                                                 a.repeat)
                print(nb, r, flush=True)
                page.close()
        finally:
            browser.close()
    if a.json:
        print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
