"""A hermetic Voila server for browser tests: start it on a free 127.0.0.1 port, wait until it
listens, stop it. Jupyter's config, data and runtime files go to a temporary folder, where the
notebooks' "anchorlib" kernelspec is registered to run this Python (make setup registers it).

    with voila_server(NOTEBOOKS_DIR / "20_social_value.ipynb", tmp_path) as server:
        page.goto(server.url)

``Served`` runs the real `anchorlib serve` the same way (its tree marked so that a test can find every
process of it: ``marked``).
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from anchorlib.apps.serve import voila_env
from anchorlib.paths import PACKAGE_DIR

#: anchorlib's Voila template (lab without CDN stylesheets) lives under this JUPYTER_PATH entry.
TEMPLATES_PATH = PACKAGE_DIR / "templates"
#: Debian's chromium under Playwright (never `playwright install`). Chromium 156 renders the address bar's
#: suggestion popup as a WebUI page in a renderer of its own for every new window, hidden or not: on 2 cores
#: that renderer took 1.1-1.4 s of CPU during each app's first render (a browser in use has it running
#: before the page opens), so it is turned off.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup,WebUIOmniboxFullPopup",
]
LOOPBACK = ("http://127.0.0.1", "ws://127.0.0.1")
#: inside a .vega-embed, what a drawn chart holds: SVG marks or a canvas
DRAWN_MARKS = ".mark-rect path, .mark-line path, .mark-rule line, .mark-rule path, .mark-symbol path, canvas"


@dataclass
class VoilaServer:
    url: str
    port: int
    process: subprocess.Popen
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def hermetic_env(base: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment with JUPYTER_*/IPYTHONDIR under ``base`` and an 'anchorlib' kernelspec for this Python."""
    env = dict(os.environ)
    for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        env[var] = str(base / var.lower())
        Path(env[var]).mkdir(parents=True, exist_ok=True)
    spec = Path(env["JUPYTER_DATA_DIR"]) / "kernels" / "anchorlib"
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Python (anchorlib)",
                "language": "python",
            }
        )
    )
    env = voila_env(env)  # anchorlib's template and the one chart module, as `anchorlib serve` runs
    env.update(extra or {})
    return env


def start_voila(
    notebook: Path,
    base: Path,
    *,
    timeout: float = 60,
    execute_timeout: int = 120,
    template: str = "anchorlib",
    args: list[str] = (),
    env: dict[str, str] | None = None,
) -> VoilaServer:
    """Start ``voila notebook`` on a free port and wait (up to ``timeout`` s) until it accepts connections.

    ``template`` "anchorlib" is Voila's lab template without CDN stylesheets; tracebacks stay hidden.
    """
    base.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = base / "voila.log"
    cmd = [
        sys.executable,
        "-m",
        "voila",
        str(notebook),
        "--no-browser",
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        f"--VoilaExecutor.timeout={execute_timeout}",
        "--VoilaConfiguration.show_tracebacks=False",
        f"--template={template}",
        *args,
    ]
    with log.open("w") as fh:
        proc = subprocess.Popen(
            cmd, stdout=fh, stderr=subprocess.STDOUT, env=hermetic_env(base, env), cwd=str(notebook.parent)
        )
    server = VoilaServer(f"http://127.0.0.1:{port}/", port, proc, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"voila exited with {proc.returncode}: {server.log_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.2)
    stop_voila(server)
    raise RuntimeError(f"voila did not listen on port {port} within {timeout} s: {server.log_text()[-2000:]}")


def stop_voila(server: VoilaServer) -> None:
    """Stop the server (and with it the kernels it started)."""
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=5)


def block_outside(page, prefixes: tuple[str, ...] = LOOPBACK) -> list[str]:
    """Abort every request of ``page`` whose URL starts with none of ``prefixes``; returns the list the
    aborted URLs are appended to (a test asserts it stays empty)."""
    outside: list[str] = []

    def route(r):
        if r.request.url.startswith(tuple(prefixes)):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    return outside


def console_errors(page) -> list[str]:
    """The console errors and uncaught page errors of ``page``, collected as they happen."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def open_page(browser, prefixes: tuple[str, ...] = LOOPBACK, viewport=(1366, 768)):
    """A page of ``viewport`` size that refuses requests outside ``prefixes`` (``page.outside``) and
    records console errors (``page.errors``)."""
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    page.outside, page.errors = block_outside(page, prefixes), console_errors(page)
    return page


def wait_drawn(page, ready: str, n_charts: int = 1, timeout: int = 120_000) -> None:
    """Wait until ``ready`` (a selector) is on the page and at least ``n_charts`` Vega charts drew marks."""
    page.wait_for_selector(ready, timeout=timeout)
    page.wait_for_function(
        f"[...document.querySelectorAll('.vega-embed')].filter(e => e.querySelector("
        f"{json.dumps(DRAWN_MARKS)})).length >= {n_charts}",
        timeout=timeout,
    )


@contextmanager
def chromium(path: str):
    """Headless Debian chromium through Playwright; closed on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def voila_server(notebook: Path, base: Path, **kw):
    server = start_voila(notebook, base, **kw)
    try:
        yield server
    finally:
        stop_voila(server)


# -- `anchorlib serve`, the real command -------------------------------------------------------------------

#: the `anchorlib` console script beside this Python
ANCHORLIB = str(Path(sys.executable).with_name("anchorlib"))


def marked(marker: str) -> dict[int, str]:
    """pid -> command line of every process whose environment carries ``ANCHORLIB_TEST_RUN=marker``
    (each process of one `anchorlib serve` tree: it, Voila, every kernel), zombies left out."""
    found = {}
    needle = f"ANCHORLIB_TEST_RUN={marker}".encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if needle not in Path(f"/proc/{entry}/environ").read_bytes().split(b"\0"):
                continue
            stat = Path(f"/proc/{entry}/stat").read_text()
            if stat[stat.rindex(")") + 2] == "Z":
                continue
            found[int(entry)] = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
    return found


def kernels(procs: dict[int, str]) -> list[int]:
    return [pid for pid, cmd in procs.items() if "ipykernel_launcher" in cmd]


class Served:
    """`anchorlib serve ...args` started in a session of its own (as a terminal runs a command), with
    Jupyter's files in ``base``; its output in ``log``."""

    def __init__(self, base: Path, *args: str, env: dict[str, str] | None = None):
        self.marker = uuid.uuid4().hex
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = base / "serve.log"
        extra = {"ANCHORLIB_TEST_RUN": self.marker, **(env or {})}
        run_env = hermetic_env(base / "jupyter", extra)
        run_env.pop("JUPYTER_TOKEN", None)
        with self.log.open("w") as fh:
            self.proc = subprocess.Popen(
                [ANCHORLIB, "serve", "--port", str(self.port), *args],
                env={**run_env, **(env or {})},
                stdout=fh,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_listening(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.text()
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"not listening after {timeout} s: {self.text()}")

    def get(self, path: str, host: str = "127.0.0.1", headers: dict | None = None, timeout: float = 180):
        """(status, headers, body) of a GET, redirects not followed."""
        conn = http.client.HTTPConnection(host, self.port, timeout=timeout)
        try:
            conn.request("GET", path, headers=headers or {})
            r = conn.getresponse()
            return r.status, dict(r.getheaders()), r.read().decode("utf-8", "replace")
        finally:
            conn.close()

    def cleanup(self) -> None:
        """Whatever a failed test left of the tree: killed (each process by pid, never by name)."""
        for pid in marked(self.marker):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
