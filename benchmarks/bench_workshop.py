"""A full workshop on one machine: N participants open the workshop apps within a few seconds of each other
on the sample, then each makes five widget changes; `anchorlib serve` as a host runs it for a room.

    .venv/bin/python benchmarks/bench_workshop.py [--participants 20] [--window 10] [--changes 5]
        [--think 2] [--each] [--apps 10_leakage_explorer.ipynb 11_equity_gaps.ipynb]
        [--serve-args "--pool-for 10_leakage_explorer=10 ..."] [--json FILE]

`make bench-workshop` runs it with the serving options the README gives for a workshop (``WORKSHOP``).

1. Starts `anchorlib serve` (the real command) on 127.0.0.1 with those options and Jupyter's files in a
   temporary folder, and waits until every preheated kernel has run its notebook and the server is idle,
   as an organiser starts the server before the room arrives (``--ready-timeout``).
2. Opens one headless Chromium (Debian's) with a browser context per participant (cookies of its own).
   Participant i arrives at i * window / (N - 1) s. By default the participants take the apps in turn
   (participant i opens app i mod 2: half the room in each app); ``--each`` has every participant open
   every app, one tab each, at once.
3. On each page, once its charts have drawn, makes ``--changes`` widget changes (``CHANGES``: other areas,
   organisations, years, groups), ``--think`` seconds apart.

Measured per page, on the page's own clock (``bench_apps.CLOCK``; 0 = the participant's click): the
HTML received (Voila's part), the load event (the browser's: about 6 MB of scripts), the kernel's
websocket opened, first chart (the first chart drawn), ready (every chart drawn), each change (the
action until its last chart drawing or tile change, as bench_apps times it), errors on the page
(console errors, uncaught errors, the app's status line, a traceback, a request outside 127.0.0.1).
For the server: kernels started (before and during the run) and died (Voila's log: a kernel restarted
or culled), memory (the sum of RSS, and of PSS, over `serve`'s process tree, sampled every 0.5 s), CPU
seconds of the server's tree and of the browser's. Everything has a timeout: the run ends within
``--timeout`` s. The targets (``TARGETS``) are checked at the end; docs/performance.md keeps the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_apps import APPS, CLOCK, QUIET

from anchorlib.paths import NOTEBOOKS_DIR
from tests.voila_server import CHROMIUM_ARGS, DRAWN_MARKS, free_port, hermetic_env

#: `anchorlib serve` options for a workshop of 20, ten in the leakage explorer and ten in the equity app
#: (README, "Serving a workshop"): each app's pool is its participants and two spares
WORKSHOP = "--pool 1 --pool-for 10_leakage_explorer=12 --pool-for 11_equity_gaps=12"
#: five changes per app: (kind, selector, value) as bench_apps.APPS (labels, "@anchors:N" = first N)
CHANGES = {
    "10_leakage_explorer.ipynb": APPS["10_leakage_explorer.ipynb"][2],
    "11_equity_gaps.ipynb": [
        *APPS["11_equity_gaps.ipynb"][2],
        ("select", ".al-group select", "Women-led"),
    ],
    "12_what_if.ipynb": APPS["12_what_if.ipynb"][2],
    "13_network_overview.ipynb": [
        *APPS["13_network_overview.ipynb"][2],
        ("select", ".al-area select", "North East London"),
        ("select", ".al-area select", "Inner East London"),
        ("select", ".al-area select", "Home borough(s)"),
    ],
}
#: JS run before the page's own, after bench_apps.CLOCK: when the page opened its kernel's websocket
WEBSOCKET_CLOCK = """
const PageWebSocket = window.WebSocket;
window.WebSocket = class extends PageWebSocket {
  constructor(...args) {
    super(...args);
    if (String(args[0]).includes('/channels') && window.__al.ws === undefined) {
      window.__al.ws = performance.now();
    }
  }
};
"""
TARGETS = {
    "kernels_died": 0,
    "pages_with_errors": 0,
    "first_chart_max_s": 20.0,
    "change_p95_ms": 1000.0,
    "memory_rss_peak_gb": 12.0,
}


def pct(values: list[float], q: float) -> float | None:
    """The q-th percentile by nearest rank (q=50: the median of an odd count)."""
    if not values:
        return None
    xs = sorted(values)
    return xs[max(0, math.ceil(q / 100 * len(xs)) - 1)]


def spread(values: list[float], digits: int = 2) -> dict:
    def r(v):
        return None if v is None else round(v, digits)

    return {
        "n": len(values),
        "p50": r(pct(values, 50)),
        "p95": r(pct(values, 95)),
        "max": r(max(values) if values else None),
    }


# -- the server ------------------------------------------------------------------------------------------


class Server:
    """`anchorlib serve` on a free 127.0.0.1 port with Jupyter's files under ``base``; its output in a log."""

    def __init__(self, base: Path, serve_args: list[str], env: dict[str, str], exe: Path):
        self.port = free_port()
        self.log = base / "serve.log"
        self.url = f"http://127.0.0.1:{self.port}/"
        run_env = hermetic_env(base / "jupyter", env)
        spec = Path(run_env["JUPYTER_DATA_DIR"]) / "kernels" / "anchorlib" / "kernel.json"
        kernel = json.loads(spec.read_text())
        kernel["argv"][0] = str(exe.with_name("python"))  # the kernels run the served anchorlib's Python
        spec.write_text(json.dumps(kernel))
        with self.log.open("w") as fh:
            self.proc = subprocess.Popen(
                [str(exe), "serve", "--port", str(self.port), *serve_args],
                env=run_env,
                stdout=fh,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def preheating(self) -> int | None:
        m = re.search(r"\((\d+) kernels preheating", self.text())
        return int(m.group(1)) if m else None

    def processes(self) -> list:
        import psutil

        try:
            me = psutil.Process(self.proc.pid)
            return [me, *me.children(recursive=True)]
        except psutil.Error:
            return []

    def kernels(self) -> int:
        return sum(1 for p in self.processes() if _cmd(p).count("ipykernel_launcher"))

    def events(self) -> dict:
        text = self.text()
        return {
            "started": len(re.findall(r"Kernel started: ", text)),
            "shutdown": len(re.findall(r"Kernel shutdown: ", text)),
            "died": len(re.findall(r"KernelRestarter: restarting|[Kk]ernel .*died|Kernel restarted", text)),
            "culled": len(re.findall(r"Culling '", text)),
            "disconnected": len(re.findall(r"Starting buffering for ", text)),  # a page's websocket dropped
        }

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _role(p) -> str:
    """What a server process is: serve, voila, or the notebook a kernel was started for."""
    cmd = _cmd(p)
    if "ipykernel_launcher" in cmd:
        return "kernel"
    return "voila" if "voila" in cmd else "serve"


def _cmd(p) -> str:
    try:
        return " ".join(p.cmdline())
    except Exception:
        return ""


class Sampler(threading.Thread):
    """Every ``every`` s: the sum of RSS and PSS of the server's tree, its kernels; the CPU seconds of each
    process of the server's and the browser's trees (kept per process, so ended ones still count)."""

    def __init__(self, server: Server, every: float = 0.5):
        super().__init__(daemon=True)
        self.server, self.every = server, every
        self.samples: list[dict] = []
        self.cpu: dict[str, dict[int, float]] = {"server": {}, "browser": {}}
        self.rss_by_pid: dict[int, tuple[int, str]] = {}  # the largest RSS each server process reached
        self.browser_pid: int | None = None
        self.done = threading.Event()

    def run(self) -> None:
        import psutil

        t0 = time.monotonic()
        while not self.done.is_set():
            rss = pss = 0
            kernels = 0
            for p in self.server.processes():
                try:
                    info = p.memory_full_info()
                    rss += info.rss
                    pss += getattr(info, "pss", info.rss)
                    if info.rss > self.rss_by_pid.get(p.pid, (0, ""))[0]:
                        self.rss_by_pid[p.pid] = (info.rss, _role(p))
                    t = p.cpu_times()
                    self.cpu["server"][p.pid] = t.user + t.system
                    kernels += "ipykernel_launcher" in _cmd(p)
                except psutil.Error:
                    continue
            browser_rss = 0
            if self.browser_pid:
                try:
                    top = psutil.Process(self.browser_pid)
                    for p in [top, *top.children(recursive=True)]:
                        try:
                            t = p.cpu_times()
                            self.cpu["browser"][p.pid] = t.user + t.system
                            browser_rss += p.memory_info().rss
                        except psutil.Error:
                            pass
                except psutil.Error:
                    pass
            self.samples.append(
                {
                    "t": round(time.monotonic() - t0, 2),
                    "rss": rss,
                    "pss": pss,
                    "kernels": kernels,
                    "browser_rss": browser_rss,
                }
            )
            self.done.wait(self.every)

    def cpu_seconds(self, who: str) -> float:
        return sum(self.cpu[who].values())

    def peak(self, key: str, since: float = 0) -> int:
        return max((s[key] for s in self.samples if s["t"] >= since), default=0)


def wait_ready(server: Server, sampler: Sampler, timeout: float) -> float:
    """Wait until every preheated kernel has started and the server's tree is idle (under a tenth of a
    core over 3 s): the room may come in. Returns the seconds it took."""
    t0 = time.monotonic()
    deadline = t0 + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"anchorlib serve ended: {server.text()[-3000:]}")
        want = server.preheating()
        if want is None:  # a serve that does not say how many (before room-sized pools): every pool filled
            filled = len(set(re.findall(r"Kernel pool of (\S+) is filled", server.text())))
            if filled >= len(list(NOTEBOOKS_DIR.glob("*.ipynb"))):
                break
        elif server.events()["started"] >= want and server.kernels() >= want:
            break
        time.sleep(1)
    else:
        raise RuntimeError(f"the pools did not fill within {timeout} s: {server.text()[-3000:]}")
    while time.monotonic() < deadline:
        before = sampler.cpu_seconds("server")
        time.sleep(3)
        if sampler.cpu_seconds("server") - before < 0.3:
            return time.monotonic() - t0
    raise RuntimeError(f"the server did not settle within {timeout} s")


# -- the participants ------------------------------------------------------------------------------------


@dataclass
class PageResult:
    participant: int
    app: str
    arrived_s: float  # since the first participant arrived
    html_s: float | None = None  # the page's HTML received (Voila's part of the first chart)
    loaded_s: float | None = None  # the browser's load event (its scripts run)
    kernel_s: float | None = None  # the page opened its kernel's websocket
    first_chart_s: float | None = None
    ready_s: float | None = None
    changes_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


async def open_app(context, url: str, app: str, result: PageResult, timeout_ms: int):
    """Open ``app`` in a new page of ``context``; fills the first chart and ready times and errors."""
    tile, n_charts, _ = APPS[app]
    page = await context.new_page()
    outside: list[str] = []

    async def route(r):
        if r.request.url.startswith(("http://127.0.0.1", "ws://127.0.0.1")):
            await r.continue_()
        else:
            outside.append(r.request.url)
            await r.abort()

    await page.route("**/*", route)
    page.on("console", lambda m: result.errors.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: result.errors.append(f"page: {e}"))
    page.outside = outside
    await page.add_init_script(CLOCK + WEBSOCKET_CLOCK)
    await page.goto(url + f"voila/render/{app}", timeout=timeout_ms)
    await page.wait_for_selector(tile, timeout=timeout_ms)
    await page.wait_for_function(
        f"[...document.querySelectorAll('.vega-embed')].filter(e => e.querySelector("
        f"{json.dumps(DRAWN_MARKS)})).length >= {n_charts} && "
        f"document.querySelectorAll('[data-al-drawn]').length >= {n_charts}",
        timeout=timeout_ms,
        polling=100,
    )
    times = await page.evaluate("[...window.__al.first.values()].sort((a, b) => a - b)")
    nav = await page.evaluate(
        "(({responseEnd, loadEventEnd}) => [responseEnd, loadEventEnd])"
        "(performance.getEntriesByType('navigation')[0])"
    )
    result.html_s, result.loaded_s = round(nav[0] / 1000, 3), round(nav[1] / 1000, 3)
    ws = await page.evaluate("window.__al.ws")
    result.kernel_s = round(ws / 1000, 3) if ws is not None else None
    result.first_chart_s = round(times[0] / 1000, 3)
    result.ready_s = round(times[n_charts - 1] / 1000, 3)
    return page


async def labels(page, selector: str, value):
    if isinstance(value, str) and value.startswith("@"):
        n = int(value.rsplit(":", 1)[1])
        return await page.eval_on_selector(selector, f"s => [...s.options].slice(0, {n}).map(o => o.text)")
    return value


async def change(page, step: tuple, timeout_ms: int) -> float:
    """One widget change: ms on the page's clock from the action to its last drawing or tile change."""
    kind, selector, value = step
    await page.evaluate("window.__al.start = null; window.__al.last = null")
    if kind == "key":
        await page.locator(selector).press(value)
    elif kind == "click":
        await page.locator(selector, has_text=value).click()
    else:
        chosen = await labels(page, selector, value)
        multiple = await page.eval_on_selector(selector, "s => s.multiple")
        await page.select_option(
            selector, label=chosen if multiple else (chosen[0] if isinstance(chosen, list) else chosen)
        )
    await page.wait_for_function(
        f"window.__al.start !== null && window.__al.last !== null && window.__al.last > "
        f"window.__al.start && performance.now() - window.__al.last > {QUIET}",
        timeout=timeout_ms,
        polling=50,
    )
    return await page.evaluate("window.__al.last - window.__al.start")


async def check_page(page, result: PageResult) -> None:
    status = (await page.inner_text(".al-status")).strip() if await page.query_selector(".al-status") else ""
    if status:
        result.errors.append(f"status: {status}")
    body = await page.inner_text("body")
    for sign in ("Traceback", "There was an error when executing", "Error in cell"):
        if sign in body:
            result.errors.append(f"page shows {sign!r}")
    result.errors += [f"outside: {u}" for u in page.outside]


async def participant(browser, i: int, apps: list[str], a, url: str, t0: float, results: list) -> None:
    delay = i * a.window / max(1, a.participants - 1)
    await asyncio.sleep(max(0.0, t0 + delay - time.monotonic()))
    arrived = round(time.monotonic() - t0, 2)
    context = await browser.new_context(viewport={"width": 1366, "height": 768})
    timeout_ms = int(a.page_timeout * 1000)
    mine = [PageResult(i, app, arrived) for app in apps]
    results.extend(mine)
    try:
        pages = await asyncio.gather(
            *(open_app(context, url, r.app, r, timeout_ms) for r in mine), return_exceptions=True
        )
        for r, page in zip(mine, pages):
            if isinstance(page, BaseException):
                r.errors.append(f"open: {type(page).__name__}: {str(page).splitlines()[0][:200]}")
                continue
            await page.wait_for_timeout(500)
            for step in CHANGES[r.app][: a.changes]:
                try:
                    r.changes_ms.append(round(await change(page, step, timeout_ms), 1))
                except Exception as err:  # a change that never drew: counted, the run goes on
                    r.errors.append(
                        f"change {step[2]!r}: {type(err).__name__}: {str(err).splitlines()[0][:200]}"
                    )
                    break
                await check_page(page, r) if not r.errors else None
                await page.wait_for_timeout(int(a.think * 1000))
            await check_page(page, r)
    except Exception as err:  # the participant's browser failed: counted, the others go on
        mine[0].errors.append(f"participant: {type(err).__name__}: {str(err).splitlines()[0][:200]}")


async def room(a, server: Server, sampler: Sampler) -> tuple[list[PageResult], float, dict]:
    """The participants; their results, the seconds they took and the server's events before any page
    was closed."""
    url = server.url
    from playwright.async_api import async_playwright

    results: list[PageResult] = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=a.chromium, args=CHROMIUM_ARGS)
        sampler.browser_pid = _browser_pid()
        t0 = time.monotonic()
        tasks = []
        for i in range(a.participants):
            apps = a.apps if a.each else [a.apps[i % len(a.apps)]]
            tasks.append(participant(browser, i, apps, a, url, t0 + 1.0, results))
        try:
            await asyncio.wait_for(asyncio.gather(*tasks), timeout=a.timeout)
        except TimeoutError:
            for r in results:
                if r.first_chart_s is None or len(r.changes_ms) < a.changes:
                    r.errors.append(f"unfinished after the run's {a.timeout} s")
        took = time.monotonic() - t0
        await asyncio.sleep(2)
        events = server.events()
        await browser.close()
    return results, took, events


def _browser_pid() -> int | None:
    """The pid of the chromium this process just launched (its newest child running chromium)."""
    import psutil

    kids = [p for p in psutil.Process().children(recursive=True) if "chromium" in _cmd(p)]
    tops = [p for p in kids if p.ppid() not in {k.pid for k in kids}]
    return max(tops, key=lambda p: p.create_time()).pid if tops else None


# -- the run ---------------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--participants", type=int, default=20)
    ap.add_argument("--window", type=float, default=10, help="seconds over which the participants arrive")
    ap.add_argument("--changes", type=int, default=5, help="widget changes per page")
    ap.add_argument("--think", type=float, default=2, help="seconds between one participant's changes")
    ap.add_argument("--apps", nargs="+", default=["10_leakage_explorer.ipynb", "11_equity_gaps.ipynb"])
    ap.add_argument("--each", action="store_true", help="every participant opens every app (else in turn)")
    ap.add_argument("--serve-args", default=WORKSHOP, help=f"anchorlib serve options (default {WORKSHOP!r})")
    ap.add_argument("--data", default="", help="dataset folder (default: the sample)")
    ap.add_argument(
        "--anchorlib",
        default=str(Path(sys.executable).with_name("anchorlib")),
        help="anchorlib command to serve with (another checkout's, to compare; kernels run its Python)",
    )
    ap.add_argument("--ready-timeout", type=float, default=600)
    ap.add_argument("--page-timeout", type=float, default=180, help="seconds a page may take to draw")
    ap.add_argument("--timeout", type=float, default=900, help="seconds the whole room may take")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--json", default="", help="write the results here too")
    a = ap.parse_args()
    for app in a.apps:
        if app not in CHANGES:
            ap.error(f"no changes defined for {app}")
    if a.json:
        Path(a.json).parent.mkdir(parents=True, exist_ok=True)

    env = {"ANCHORLIB_DATA": a.data} if a.data else {}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-workshop-") as tmp:
        server = Server(Path(tmp), shlex.split(a.serve_args), env, Path(a.anchorlib))
        sampler = Sampler(server)
        sampler.start()
        try:
            print(f"serving: anchorlib serve {a.serve_args}; load average {load_before}", flush=True)
            ready = wait_ready(server, sampler, a.ready_timeout)
            before = server.events()
            mem_ready = sampler.samples[-1]
            t_room = sampler.samples[-1]["t"]
            cpu_before = sampler.cpu_seconds("server")
            print(f"ready after {ready:.0f} s: {before['started']} kernels, "
                  f"{mem_ready['rss'] / 1e9:.2f} GB RSS; the room comes in", flush=True)  # fmt: skip
            results, took, after = asyncio.run(room(a, server, sampler))
            log = server.text()
            if a.json:
                Path(a.json).with_suffix(".serve.log").write_text(log)
        finally:
            sampler.done.set()
            server.stop()
        sampler.join(timeout=5)

    firsts = [r.first_chart_s for r in results if r.first_chart_s is not None]
    readies = [r.ready_s for r in results if r.ready_s is not None]
    changes = [c for r in results for c in r.changes_ms]
    pages_with_errors = [r for r in results if r.errors]
    summary = {
        "participants": a.participants,
        "pages": len(results),
        "apps": a.apps,
        "each": a.each,
        "serve_args": a.serve_args,
        "anchorlib": a.anchorlib,
        "window_s": a.window,
        "think_s": a.think,
        "ready_after_s": round(ready, 1),
        "room_took_s": round(took, 1),
        "first_chart_s": spread(firsts),
        "ready_s": spread(readies),
        "html_s": spread([r.html_s for r in results if r.html_s is not None]),
        "loaded_s": spread([r.loaded_s for r in results if r.loaded_s is not None]),
        "kernel_s": spread([r.kernel_s for r in results if r.kernel_s is not None]),
        "first_chart_by_app_s": {
            app: spread([r.first_chart_s for r in results if r.app == app and r.first_chart_s is not None])
            for app in a.apps
        },
        "change_ms": spread(changes, 0),
        "change_mean_ms": round(statistics.mean(changes), 0) if changes else None,
        "pages_with_errors": len(pages_with_errors),
        "errors": [f"{r.participant}/{r.app}: {e}" for r in pages_with_errors for e in r.errors][:40],
        "kernels": {
            "preheated_before_room": before["started"],
            "started_during_room": after["started"] - before["started"],
            "started_total": after["started"],
            "died": after["died"],
            "culled": after["culled"],
            "page_disconnects": after["disconnected"] - before["disconnected"],
            "peak_running": sampler.peak("kernels"),
        },
        "memory_gb": {
            "rss_at_ready": round(mem_ready["rss"] / 1e9, 2),
            "rss_peak": round(sampler.peak("rss") / 1e9, 2),
            "pss_peak": round(sampler.peak("pss") / 1e9, 2),
            "browser_rss_peak": round(sampler.peak("browser_rss", t_room) / 1e9, 2),
            "largest_processes": [
                (role, round(rss / 1e9, 2))
                for rss, role in sorted(sampler.rss_by_pid.values(), reverse=True)[:5]
            ],
            "kernel_rss_median": round(
                statistics.median([r for r, role in sampler.rss_by_pid.values() if role == "kernel"] or [0])
                / 1e9,
                3,
            ),
        },
        "cpu_s": {
            "server_preheating": round(cpu_before, 1),
            "server_during_room": round(sampler.cpu_seconds("server") - cpu_before, 1),
            "browser": round(sampler.cpu_seconds("browser"), 1),
        },
        "load_average": {"before": [round(x, 2) for x in load_before], "after": list(os.getloadavg())},
        "cores": os.cpu_count(),
    }
    verdict = {
        "kernels_died": summary["kernels"]["died"] <= TARGETS["kernels_died"],
        "pages_with_errors": summary["pages_with_errors"] <= TARGETS["pages_with_errors"],
        "first_chart_max_s": bool(firsts) and max(firsts) <= TARGETS["first_chart_max_s"],
        "change_p95_ms": bool(changes) and pct(changes, 95) <= TARGETS["change_p95_ms"],
        "memory_rss_peak_gb": summary["memory_gb"]["rss_peak"] <= TARGETS["memory_rss_peak_gb"],
        "every_page_measured": len(firsts) == len(results) and len(changes) == len(results) * a.changes,
    }
    summary["targets_met"] = verdict
    out = {"summary": summary, "pages": [asdict(r) for r in results], "memory_samples": sampler.samples[::4]}
    alarming = [line for line in log.splitlines() if re.search(r"WARNING|ERROR|Traceback", line)]
    summary["server_log_alarming"] = {line: alarming.count(line) for line in sorted(set(alarming))}
    print(json.dumps(summary, indent=2))
    if a.json:
        Path(a.json).write_text(json.dumps(out, indent=1))
    print(
        "targets:",
        "all met" if all(verdict.values()) else f"missed {[k for k, v in verdict.items() if not v]}",
    )


if __name__ == "__main__":
    main()
