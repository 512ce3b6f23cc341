"""`anchorlib serve`, the real command: stopping it in any usual way (Ctrl-C, SIGTERM, SIGHUP, and even
SIGKILL) ends Voila and every kernel; beyond loopback it lets no one in without the token; its console
keeps quiet when all is well. And the pieces: what counts as loopback, the pools, the config."""

from __future__ import annotations

import http.client
import io
import json
import os
import re
import signal
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from anchorlib.apps import chart_bundle, serve
from anchorlib.errors import ParameterError
from anchorlib.paths import NOTEBOOKS_DIR
from tests.voila_server import ANCHORLIB, Served, kernels, marked

#: the notebook the process tests preheat: the lightest app
APP = "13_network_overview.ipynb"


# -- the pieces -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host, loopback",
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),  # all of 127.0.0.0/8 is this machine's
        ("localhost", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("0.0.0.0", False),  # every interface
        ("", False),
        ("::", False),
        ("192.0.2.10", False),
        ("no-such-host.invalid", False),  # unresolvable: treated as open, so it would need the token
    ],
)
def test_what_counts_as_loopback(host, loopback):
    assert serve.is_loopback(host) is loopback


def test_beyond_loopback_there_is_always_a_token():
    assert serve.access_token("127.0.0.1", {}) is None
    assert serve.access_token("0.0.0.0", {"JUPYTER_TOKEN": "shared-on-the-slides"}) == "shared-on-the-slides"
    a, b = serve.access_token("0.0.0.0", {}), serve.access_token("0.0.0.0", {"JUPYTER_TOKEN": ""})
    assert len(a) >= 32 and len(b) >= 32 and a != b
    with pytest.raises(ParameterError, match="needs a token"):
        serve.voila_config({}, host="0.0.0.0", token=None)
    config = serve.voila_config({APP: 2}, host="0.0.0.0", token="t0k")
    assert config["Voila"]["token"] == "t0k"
    assert "token" not in serve.voila_config({}, host="127.0.0.1")["Voila"]


def test_a_slow_output_is_waited_for_not_dropped():
    args = serve.voila_args(8866, timeout=120)
    assert "--VoilaExecutor.iopub_timeout=120" in args and "--VoilaExecutor.timeout=120" in args
    assert "--KernelManager.transport=ipc" in args and "--Voila.ip=127.0.0.1" in args


def test_every_notebook_gets_its_pool():
    sizes = serve.pool_sizes(NOTEBOOKS_DIR, 1, {"10_leakage_explorer.ipynb": 6})
    assert set(sizes) == {p.name for p in NOTEBOOKS_DIR.glob("*.ipynb")}
    assert sizes["10_leakage_explorer.ipynb"] == 6 and sizes["01_spend_leakage.ipynb"] == 1
    pools = serve.voila_config(sizes)["VoilaKernelManager"]["kernel_pools_config"]
    assert pools["default"] == {"pool_size": 0} and pools["04_equity_and_value.ipynb"] == {"pool_size": 1}
    with pytest.raises(ParameterError, match="no notebook 99_nothing.ipynb"):
        serve.pool_sizes(NOTEBOOKS_DIR, 1, {"99_nothing.ipynb": 1})


def test_a_pool_sized_for_a_room_is_refilled_to_what_the_room_lacks():
    from anchorlib.apps.voila_main import SPARE, refill_target

    assert SPARE == 2
    # a pool of ten: nothing new while the room comes in, then two ready for latecomers
    assert [refill_target(10, n) for n in range(12)] == [10, 9, 8, 7, 6, 5, 4, 3, 2, 2, 2, 2]
    assert [refill_target(1, n) for n in range(3)] == [1, 1, 1]  # a pool of one: as Voila refills it
    assert refill_target(0, 5) == 0 and refill_target(3, 0) == 3


def test_the_console_drops_only_what_says_all_is_well():
    out = io.StringIO()
    serve.quiet_lines(
        [
            b"[Voila] Voil\xc3\xa0 is running at:\n",
            b"http://127.0.0.1:8866/\n",
            b"[Voila] WARNING | Notebook 10_leakage_explorer.ipynb is not trusted\n",
            b"[IPKernelApp] ERROR | KeyboardInterrupt caught in kernel.\n",
            b"The websocket_ping_timeout (90000) cannot be longer than the websocket_ping_interval (30000)."
            b"\n",
            b"Setting websocket_ping_timeout=30000\n",
            b"[Voila] Kernel started: 1234\n",
            b"[Voila] WARNING | Culling 'idle' kernel 'anchorlib' (1234) with 0 connections\n",
            # a kernel shut down while it ran its notebook: its reply had nowhere to go
            b"[IPKernelApp] ERROR | Exception in message handler:\n",
            b"Traceback (most recent call last):\n",
            b'  File "ipykernel/kernelbase.py", line 508, in dispatch_shell\n',
            b"    await result\n",
            b"zmq.error.ZMQError: Socket operation on non-socket\n",
            # any other error in a kernel is shown whole
            b"[IPKernelApp] ERROR | Exception in message handler:\n",
            b"Traceback (most recent call last):\n",
            b'  File "anchorlib/apps/common.py", line 1, in update\n',
            b"ValueError: something real\n",
            b"[Voila] Kernel shutdown: 1234\n",
        ],
        out,
    )
    assert out.getvalue().splitlines() == [
        "[Voila] Kernel started: 1234",
        "[Voila] WARNING | Culling 'idle' kernel 'anchorlib' (1234) with 0 connections",
        "[IPKernelApp] ERROR | Exception in message handler:",
        "Traceback (most recent call last):",
        '  File "anchorlib/apps/common.py", line 1, in update',
        "ValueError: something real",
        "[Voila] Kernel shutdown: 1234",
    ]


# -- the real command -------------------------------------------------------------------------------------


@pytest.fixture
def served(tmp_path):
    made = []

    def start(*args, **kw) -> Served:
        made.append(Served(tmp_path, *args, **kw))
        return made[-1]

    yield start
    for s in made:
        s.cleanup()


#: the longest `serve` may take to stop everything: Voila's grace, then SIGTERM and SIGKILL to the rest
STOP_WITHIN = serve.STOP_GRACE + 2 * serve.KILL_GRACE + 10


@pytest.mark.browser  # a real Voila server, as the browser tests run (not in make test-fast)
@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM", "SIGHUP", "SIGKILL"])
def test_stopping_serve_ends_voila_and_every_kernel(served, how):
    """Ctrl-C (SIGINT to the terminal's process group), SIGTERM and SIGHUP (to serve, as kill, a service
    manager or a test fixture send them) stop the tree within STOP_WITHIN s; even SIGKILL, which serve
    cannot catch, ends Voila (its parent-death signal) and with it the kernels."""
    s = served("--pool", "0", "--pool-for", f"{APP.removesuffix('.ipynb')}=2")
    s.wait_listening()
    status, _, body = s.get(f"/voila/render/{APP}")  # a visitor takes a preheated kernel
    assert status == 200 and "Network overview" in body, body[-500:]
    deadline = time.monotonic() + 120
    while len(kernels(marked(s.marker))) < 2 and time.monotonic() < deadline:
        time.sleep(0.5)
    tree = marked(s.marker)
    assert len(kernels(tree)) >= 2, tree
    assert any("-m anchorlib.apps.voila_main" in cmd for cmd in tree.values()), tree
    if how == "SIGINT":
        os.killpg(s.proc.pid, signal.SIGINT)
    else:
        s.proc.send_signal(getattr(signal, how))
    s.proc.wait(timeout=STOP_WITHIN)
    assert s.proc.returncode == (-signal.SIGKILL if how == "SIGKILL" else 0), s.text()
    deadline = time.monotonic() + (STOP_WITHIN if how == "SIGKILL" else 2)
    while marked(s.marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    survivors = marked(s.marker)
    assert survivors == {}, survivors
    assert not [pid for pid in tree if Path(f"/proc/{pid}").exists() and pid in marked(s.marker)]
    left = [d for d in Path(tempfile.gettempdir()).glob(serve.RUN_PREFIX + "*") if _owner(d) == s.proc.pid]
    if how == "SIGKILL":  # nothing could clean up: the next serve does (its token and uploads go)
        assert len(left) == 1 and serve.sweep_stale_runs() == left and not left[0].exists()
    else:
        assert left == []  # serve removed its own
    text = s.text()
    if how != "SIGKILL":
        assert "stopping the apps and their kernels" in text
    for noise in ("Traceback", "is not trusted", "KeyboardInterrupt", "without encryption", "Deprecat"):
        assert noise not in text, text


def _owner(d: Path) -> int | None:
    try:
        return int((d / serve.OWNER_FILE).read_text())
    except (OSError, ValueError):
        return None


def test_the_next_serve_removes_what_a_killed_one_left_and_nothing_else(tmp_path):
    dead = subprocess.Popen(["true"])
    dead.wait()
    alive = subprocess.Popen(["sleep", "60"])
    try:
        runs = {}
        for name, owner in (("dead", dead.pid), ("alive", alive.pid), ("mine", os.getpid())):
            d = tmp_path / f"{serve.RUN_PREFIX}{name}"
            (d / "uploads").mkdir(parents=True)
            (d / "uploads" / "spend.csv").write_text("a,b\n")
            (d / serve.OWNER_FILE).write_text(str(owner))
            runs[name] = d
        runs["unowned"] = tmp_path / f"{serve.RUN_PREFIX}unowned"  # an older serve's, or not serve's
        runs["unowned"].mkdir()
        (tmp_path / "other-folder").mkdir()
        assert serve.sweep_stale_runs(tmp_path) == [runs["dead"]]
        assert [p.name for p in sorted(tmp_path.iterdir())] == sorted(
            ["other-folder", *(runs[n].name for n in ("alive", "mine", "unowned"))]
        )
    finally:
        alive.kill()
        alive.wait()


@pytest.mark.browser
def test_a_room_sized_pool_starts_only_what_the_room_lacks(served):
    """A pool of three, three visitors: Voila alone would preheat three more; serve refills two."""
    s = served("--pool", "0", "--pool-for", f"{APP.removesuffix('.ipynb')}=3")
    s.wait_listening()
    for _ in range(3):
        status, _, body = s.get(f"/voila/render/{APP}")
        assert status == 200 and "Network overview" in body
    deadline = time.monotonic() + serve.FILL_DELAY + 90
    while len(kernels(marked(s.marker))) < 5 and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(5)
    assert len(kernels(marked(s.marker))) == 5, s.text()
    assert s.text().count("Kernel started: ") == 5
    s.proc.send_signal(signal.SIGTERM)
    s.proc.wait(timeout=STOP_WITHIN)


@pytest.mark.browser
def test_beyond_loopback_nothing_opens_without_the_token(served):
    s = served("--host", "0.0.0.0", "--pool", "0")
    s.wait_listening()
    text = s.text()
    links = re.findall(r"anchorlib apps on (http://(\S+?):(\d+)/\?token=(\S+))", text)
    assert len(links) == 1 and text.count("token=") == 1, text  # printed once
    link, host, port, token = links[0]
    assert int(port) == s.port and host != "0.0.0.0" and len(token) >= 32
    paths = ["/", "/voila/tree", f"/voila/render/{APP}", "/voila/api/contents", "/voila/api/contents/"]
    # refused without the token, with a wrong one, from loopback and from the address shared with the room
    for where in {"127.0.0.1", host}:
        for path in paths:
            for query in ("", "?token=wrong"):
                status, headers, body = s.get(path + query, host=where)
                assert status in (302, 403), (where, path, status)
                assert status == 403 or "/login" in headers["Location"], headers
                assert "10_leakage_explorer" not in body and "al-pooled" not in body
    assert kernels(marked(s.marker)) == []  # no page was rendered: no kernel started
    # with the token: in (the link, then the cookie it sets; or the Authorization header)
    status, _, body = s.get("/?token=" + token, host=host)
    assert status == 200 and "10_leakage_explorer" in body
    status, _, body = s.get("/voila/tree", headers={"Authorization": f"token {token}"})
    assert status == 200 and "11_equity_gaps" in body
    with urllib.request.urlopen(link, timeout=60) as r:
        assert r.status == 200
    # beyond loopback the scripts travel gzipped (a page is about 6 MB of them)
    status, headers, _ = s.get(
        f"/voila/templates/anchorlib/static/{chart_bundle.bundle_name()}",
        headers={"Authorization": f"token {token}", "Accept-Encoding": "gzip"},
    )
    assert status == 200 and headers.get("Content-Encoding") == "gzip", headers
    status, _, body = s.get(f"/voila/render/{APP}?token={token}")
    assert status == 200 and "Network overview" in body
    kernel_id = re.search(r'kernelId["\']?\s*[:=]\s*["\']([0-9a-f-]{36})', body) or re.search(
        r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})", body
    )
    assert kernel_id, body[-2000:]
    # the kernel's websocket: refused without the token
    conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
    conn.request(
        "GET",
        f"/api/kernels/{kernel_id.group(1)}/channels",
        headers={
            "Connection": "Upgrade",
            "Upgrade": "websocket",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        },
    )
    assert conn.getresponse().status == 403
    conn.close()
    assert token not in json.dumps(
        {pid: Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace") for pid in marked(s.marker)}
    )  # never on a command line, where any user of the machine could read it
    s.proc.send_signal(signal.SIGTERM)
    s.proc.wait(timeout=STOP_WITHIN)
    assert s.proc.returncode == 0


def test_a_folder_that_is_not_a_datasets_folder_is_one_line(tmp_path):
    r = subprocess.run(
        [ANCHORLIB, "serve", "--datasets", str(tmp_path / "nowhere")], capture_output=True, text=True
    )
    assert r.returncode == 2 and r.stderr.strip().count("\n") == 0 and "there is no folder" in r.stderr
    r = subprocess.run([ANCHORLIB, "serve", "--datasets", str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 2 and "no dataset folder" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run(
        [ANCHORLIB, "serve", "--pool-for", "10_leakage_explorer"], capture_output=True, text=True
    )
    assert r.returncode == 2 and "expected NOTEBOOK=N" in r.stderr


def test_a_chart_shape_is_compiled_once_per_machine(tmp_path, monkeypatch):
    """A new kernel takes the Vega of each chart shape another kernel compiled (no V8 engine started)."""
    from anchorlib.apps import app_chart, chart_bundle

    monkeypatch.setattr(chart_bundle, "root", lambda: tmp_path)
    calls = []
    real = app_chart.vega_spec
    monkeypatch.setattr(app_chart, "vega_spec", lambda vl: calls.append(vl) or real(vl))
    vl = {"mark": "bar", "data": {"name": "al_data_0"}, "datasets": {"al_data_0": []}, "encoding": {}}
    first = app_chart.compiled(vl)
    assert len(calls) == 1 and first == real(vl) and len(list((tmp_path / "vega").glob("*.json"))) == 1
    assert app_chart.compiled(dict(vl)) == first and len(calls) == 1  # the next kernel: read, not compiled
    app_chart.compiled({**vl, "mark": "line"})  # another shape
    assert len(calls) == 2
