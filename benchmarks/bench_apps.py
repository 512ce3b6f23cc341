"""Workshop apps in the browser: first render and widget-change time per app, on any dataset.

    nice .venv/bin/python benchmarks/bench_apps.py [--data DIR] [--warm 90] [--settle 30]
        [--only 10_...] [--no-warm] [--json]

Starts Voila as ``anchorlib serve`` does (preheated kernels, offline template) with ANCHORLIB_DATA=DIR,
waits ``--warm`` seconds for the pool to run each notebook, then in headless Chromium at 1366x768:

- first render: navigation start until every chart has drawn (the headline tiles are there too);
- widget change: the user's action (a select's change, a click, a key) until the last drawing or tile
  change it caused, once the page has been quiet for 600 ms. Each app makes the changes in ``APPS``
  (other areas, organisations, years, groups, categories, slider steps: choices it has not shown, so
  their figures are computed then), then undoes them in reverse order (choices it has shown, kept per
  choice): ``new_choice_ms`` and ``seen_choice_ms``.

Both are timed on the page's own clock (``CLOCK``); the wall clock of the driving script, which adds
Playwright's round trips, is reported beside them. A preheated kernel computes the other areas and the
slider's neighbours ahead (apps/common.Guarded.warm) unless ``--no-warm``: then every first choice is
computed when it is made. Voila refills an app's pool (running the notebook again) 15 s after its kernel
is taken (serve.FILL_DELAY): ``--settle`` seconds between apps keep that refill out of the next app's
figures. The load average is printed with each app. Results are kept in docs/performance.md.
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

from anchorlib.apps.serve import voila_args
from anchorlib.paths import NOTEBOOKS_DIR, SAMPLE_DIR
from tests.voila_server import CHROMIUM_ARGS, voila_server, wait_drawn

#: notebook -> (its headline tile, charts on the page, the widget changes timed: each a new choice the first
#: time, then the same list backwards, choices the app has shown). A change is (kind, selector, value):
#: "select" a dropdown's label or a multi-select's labels (a list; "@anchors:N" = the first N organisations,
#: "@years:N" the first N years, "@options:N" the first N options), "click" a button by its text, "key"
#: a key on the slider's handle.
APPS = {
    "10_leakage_explorer.ipynb": (
        ".al-share",
        3,
        [
            ("select", ".al-area select", "London"),
            ("select", ".al-area select", "City & Hackney"),
            ("select", ".al-anchors select", "@anchors:2"),
            ("select", ".al-years select", "@years:2"),
            ("click", ".al-scope button", "All spend"),
        ],
    ),
    "11_equity_gaps.ipynb": (
        ".al-di-sme",
        2,
        [
            ("select", ".al-area select", "London"),
            ("select", ".al-group select", "VCSE"),
            ("select", ".al-anchors select", "@anchors:2"),
            ("select", ".al-area select", "City & Hackney"),
        ],
    ),
    "12_what_if.ipynb": (
        ".al-added",
        2,
        [
            ("key", ".al-share-slider .noUi-handle", "ArrowRight"),
            ("key", ".al-share-slider .noUi-handle", "ArrowRight"),
            ("select", ".al-categories select", "@options:2"),
            ("select", ".al-area select", "London"),
            ("select", ".al-anchors select", "@anchors:2"),
        ],
    ),
    "13_network_overview.ipynb": (
        ".al-pooled",
        2,
        [("select", ".al-area select", "London"), ("select", ".al-area select", "City & Hackney")],
    ),
}
BACK = {"ArrowRight": "ArrowLeft"}
#: JS run before the page's own, on the page's clock (performance.now(), 0 = navigation start): the time
#: of the user's action (a change, click or key), each chart's drawings (AppChart counts them in
#: data-al-drawn: static/app_chart.js) and each change to the headline tiles
CLOCK = """
window.__al = {start: null, first: new Map(), last: null};
for (const kind of ['change', 'keydown', 'click']) {
  document.addEventListener(kind, () => {
    if (window.__al.start === null) window.__al.start = performance.now();
  }, true);
}
new MutationObserver(records => {
  const now = performance.now();
  for (const r of records) {
    const el = r.target.nodeType === 1 ? r.target : r.target.parentElement;
    if (r.type === 'attributes') {
      if (!window.__al.first.has(el)) window.__al.first.set(el, now);
      window.__al.last = now;
    } else if (el && el.closest('.al-tiles-box')) {
      window.__al.last = now;
    }
  }
}).observe(document, {subtree: true, childList: true, characterData: true, attributes: true,
                      attributeFilter: ['data-al-drawn']});
"""
#: JS: true once the page has been quiet (no drawing, no tile change) for QUIET ms after the action's updates
QUIET = 600


def load() -> float:
    return round(os.getloadavg()[0], 2)


def _labels(page, selector: str, value):
    """A choice's labels: '@anchors:N' / '@years:N' / '@options:N' = the first N options of the select."""
    if isinstance(value, str) and value.startswith("@"):
        n = int(value.rsplit(":", 1)[1])
        return page.eval_on_selector(selector, f"s => [...s.options].slice(0, {n}).map(o => o.text)")
    return value


def act(page, change: tuple, back: bool = False, before: dict | None = None) -> dict:
    """Do ``change`` (or undo it: ``back`` restores the value ``before`` recorded); returns the state
    undone by it."""
    kind, selector, value = change
    if kind == "key":
        page.locator(selector).press(BACK.get(value, value) if back else value)
        return {}
    if kind == "click":
        if back:
            page.locator(selector, has_text=before["pressed"]).click()
            return {}
        pressed = page.eval_on_selector_all(
            selector, "bs => (bs.find(b => b.classList.contains('mod-active')) || bs[0]).innerText.trim()"
        )
        page.locator(selector, has_text=value).click()
        return {"pressed": pressed}
    selected = page.eval_on_selector(selector, "s => [...s.selectedOptions].map(o => o.text)")
    labels = before["selected"] if back else _labels(page, selector, value)
    multiple = page.eval_on_selector(selector, "s => s.multiple")
    page.select_option(
        selector, label=labels if multiple else (labels[0] if isinstance(labels, list) else labels)
    )
    return {"selected": selected}


def timed_change(
    page, change: tuple, back: bool = False, before: dict | None = None
) -> tuple[float, float, dict]:
    """One widget change: (ms on the page's clock from the action to its last drawing or tile change, wall
    ms of the driving script until the page was quiet, what to undo it)."""
    page.evaluate("window.__al.start = null; window.__al.last = null")
    t = time.perf_counter()
    undo = act(page, change, back, before)
    page.wait_for_function(
        f"window.__al.start !== null && window.__al.last !== null && window.__al.last > "
        f"window.__al.start && performance.now() - window.__al.last > {QUIET}",
        timeout=60_000,
        polling=50,
    )
    wall = 1000 * (time.perf_counter() - t) - QUIET
    ms = page.evaluate("window.__al.last - window.__al.start")
    status = page.inner_text(".al-status").strip()
    if status:
        raise RuntimeError(f"{change}: the app says {status!r}")
    return ms, wall, undo


def measure(page, url: str, tile: str, n_charts: int, changes: list[tuple]) -> dict:
    page.add_init_script(CLOCK)
    t0 = time.perf_counter()
    page.goto(url)
    wait_drawn(page, tile, n_charts, timeout=600_000)
    page.wait_for_function(
        f"document.querySelectorAll('[data-al-drawn]').length >= {n_charts}", timeout=600_000
    )
    first_wall = time.perf_counter() - t0
    # in the page: navigation start until the n_charts-th chart's first drawing
    first = page.evaluate(f"[...window.__al.first.values()].sort((a, b) => a - b)[{n_charts - 1}]") / 1000
    page.wait_for_timeout(500)  # let the page settle (late layout, fonts) before the first change
    new, seen, walls, undo = [], [], [], []
    for change in changes:
        ms, wall, u = timed_change(page, change)
        new.append(ms), walls.append(wall), undo.append(u)
        page.wait_for_timeout(200)
    for change, u in reversed(list(zip(changes, undo))):
        ms, wall, _ = timed_change(page, change, back=True, before=u)
        seen.append(ms), walls.append(wall)
        page.wait_for_timeout(200)
    every = new + seen
    return {
        "first_render_s": round(first, 3),
        "first_change_ms": round(new[0], 1),
        "new_choice_ms": [round(x) for x in new],
        "seen_choice_ms": [round(x) for x in seen],
        "widget_change_median_ms": round(statistics.median(every), 1),
        "widget_change_max_ms": round(max(every), 1),
        "wall_clock": {"first_render_s": round(first_wall, 3), "changes_ms": [round(w) for w in walls]},
        "load_average": load(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(SAMPLE_DIR))
    ap.add_argument(
        "--warm", type=float, default=90, help="seconds to let the preheated kernels run the notebooks"
    )
    ap.add_argument("--settle", type=float, default=30, help="seconds between apps (Voila refills the pool)")
    ap.add_argument(
        "--no-warm",
        action="store_true",
        help="preheated kernels do not compute the other choices ahead (ANCHORLIB_APPS_WARM=0)",
    )
    ap.add_argument("--only", nargs="*", default=list(APPS), choices=list(APPS), help="the apps to time")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    from playwright.sync_api import sync_playwright

    preheat = [
        x
        for x in voila_args(0)
        if any(k in x for k in ("preheat", "kernel_pools", "fill_delay", "classic_tree"))
    ]
    result = {"data": a.data, "warm_choices": not a.no_warm, "apps": {}}
    env = {"ANCHORLIB_DATA": a.data, **({"ANCHORLIB_APPS_WARM": "0"} if a.no_warm else {})}
    with (
        tempfile.TemporaryDirectory() as tmp,
        voila_server(NOTEBOOKS_DIR, Path(tmp), args=preheat, env=env, execute_timeout=900) as server,
        sync_playwright() as p,
    ):
        time.sleep(a.warm)
        browser = p.chromium.launch(executable_path=a.chromium, args=CHROMIUM_ARGS)
        try:
            for i, nb in enumerate(a.only):
                if i:
                    time.sleep(a.settle)
                tile, n, changes = APPS[nb]
                page = browser.new_page(viewport={"width": 1366, "height": 768})
                print(nb, "load average before", load(), flush=True)
                result["apps"][nb] = r = measure(page, f"{server.url}voila/render/{nb}", tile, n, changes)
                print(nb, r, flush=True)
                page.close()
        finally:
            browser.close()
    if a.json:
        print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
