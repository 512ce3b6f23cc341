"""``anchorlib serve``: the Voila apps in notebooks/ with preheated kernels, offline; on 127.0.0.1, or to a
room behind a token.

Voila serves the folder as its tree, so the page at / links every app. The "anchorlib" template is
Voila's lab template without CDN stylesheets (offline, they would fail); tracebacks stay hidden; every
notebook keeps preheated kernels (the notebook already run) so a page opens without waiting for start-up.

- **Where it listens.** 127.0.0.1 by default: only this machine reaches it. Any other ``--host`` (0.0.0.0,
  the machine's address, a name that resolves to one) is *not loopback* (``is_loopback``): then Voila
  requires a token (Jupyter server's IdentityProvider token, ``Voila.token``), a new random one unless
  ``$JUPYTER_TOKEN`` is set, printed once in the link to share with the room; without a token it does
  not start. The token travels in Voila's config file (``voila_config``), not on a command line.
- **Which data.** ``--datasets DIR`` names a folder whose dataset folders the apps' data picker offers
  by name (``dataset_folders``); served beyond loopback the picker never takes a typed path
  (apps/data_picker.py). Files uploaded in the browser go to a per-kernel folder under this run's own
  temporary folder (``UPLOADS_ENV``), removed when the kernel ends and again when ``serve`` stops (or, when
  ``serve`` was killed, by the next ``serve``: ``sweep_stale_runs``).
- **Stopping stops everything.** Voila runs in a session of its own (a terminal's Ctrl-C reaches
  ``serve`` alone, which stops the tree in order) and is sent SIGTERM by the kernel if ``serve`` dies
  (Linux's parent-death signal); every process of the tree carries this run's id in its environment
  (``RUN_ENV``), so a kernel whose parent has gone is still found. On Ctrl-C, SIGTERM or SIGHUP, Voila
  gets SIGTERM and shuts its kernels down; what of the run still runs after ``STOP_GRACE`` seconds
  (Voila, kernels, their process groups) gets SIGTERM, and SIGKILL ``KILL_GRACE`` seconds later
  (``stop_tree``).
- **A quiet console.** Kernels talk to Voila over Unix sockets in Voila's private connection folder
  (no TCP port, no "running over TCP without encryption" warning); the pools go in the config file
  (the command-line form of a nested dict is deprecated by traitlets); the lines in ``QUIET`` (said
  when all is well) are dropped from Voila's output, and every other line is passed on.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO

from anchorlib.apps import chart_bundle
from anchorlib.errors import ParameterError
from anchorlib.paths import NOTEBOOKS_DIR, PACKAGE_DIR

TEMPLATES_PATH = PACKAGE_DIR / "templates"
LOOPBACK = "127.0.0.1"
FILL_DELAY = 15  # seconds before Voila refills an app's pool of preheated kernels
STOP_GRACE = 10  # seconds Voila has, after SIGTERM, to shut its kernels down
KILL_GRACE = 3  # seconds between SIGTERM and SIGKILL for what is left of the tree
CULL_IDLE = 900  # seconds a kernel no page is connected to may stay idle before Voila shuts it down
CULL_INTERVAL = 60
#: the largest message a page may send its kernel (tornado's default is 10 MiB): an upload of several
#: spend files arrives in one message; the picker's own limits (per file, per session) are lower
WEBSOCKET_MAX_BYTES = 160 * 1024**2
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)

#: For the apps' kernels (set by ``serve``): the datasets root the picker offers by name, "names" when the
#: picker must not take a typed path (served beyond loopback, or with a datasets root), and the folder
#: under which uploads go.
DATASETS_ENV = "ANCHORLIB_DATASETS"
PICKER_ENV = "ANCHORLIB_PICKER"
UPLOADS_ENV = "ANCHORLIB_UPLOADS"

#: Lines of Voila's and its kernels' output that say nothing is wrong, and why they are dropped.
QUIET = {
    # Voila runs every notebook it serves; trust only decides whether JupyterLab shows saved outputs
    # (the project's notebooks are committed without any)
    re.compile(r"Notebook .* is not trusted"): "trust does not apply to Voila",
    # jupyter_client interrupts a kernel before shutting it down (a closed page, Voila stopping): the
    # kernel logs the interrupt it was sent on purpose
    re.compile(r"KeyboardInterrupt caught in kernel"): "a kernel shut down on purpose",
    # jupyter_server pings a page every 30 s and gives it 90 s to answer (in ms); tornado >= 6.5 reads the
    # two as its own settings (in s, which it does not use here) and says, once, that the second is too
    # long. Making them equal would drop a page that misses one ping: on a busy machine, pages a minute
    # into loading did, and had to reconnect (bench_workshop.py, docs/performance.md)
    re.compile(r"^The websocket_ping_timeout \(\d+\) cannot be longer than the websocket_ping_interval"): (
        "jupyter_server's ping settings, read by tornado in other units"
    ),
    re.compile(r"^Setting websocket_ping_timeout=\d+$"): "the second line of the one before",
    # `serve` prints the link itself (with the token, and the address to share rather than 0.0.0.0)
    re.compile(r"Voil. is running at:$"): "the link is printed by serve",
}


def is_loopback(host: str) -> bool:
    """Whether ``host`` reaches this machine only: every address it resolves to is a loopback address
    (127.0.0.0/8, ::1, or IPv4-mapped 127.x). 0.0.0.0, "", "::" and anything unresolvable are not."""
    if host.strip() in ("", "0.0.0.0", "::", "*"):
        return False
    try:
        infos = socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError):
        return False
    addresses = {info[4][0].split("%")[0] for info in infos}
    for text in addresses:
        address = ipaddress.ip_address(text)
        mapped = getattr(address, "ipv4_mapped", None)
        if not (mapped or address).is_loopback:
            return False
    return bool(addresses)


def share_host(host: str) -> str:
    """The address to put in the link for ``host``: for 0.0.0.0 / "" / "::" this machine's outward
    address (the one a route to another network would use; no packet is sent), else ``host``."""
    if host.strip() not in ("", "0.0.0.0", "::", "*"):
        return f"[{host}]" if ":" in host else host
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1: connect() on UDP only picks the route
            return s.getsockname()[0]
        except OSError:
            return socket.gethostname()


def dataset_folders(root: Path) -> dict[str, Path]:
    """The dataset folders under ``root`` the apps offer, by name: each subfolder holding anchors.csv,
    not hidden, whose real path (symlinks resolved) is inside ``root``'s real path."""
    base = Path(root).resolve()
    out = {}
    try:
        children = sorted(base.iterdir())
    except OSError:
        return out
    for child in children:
        real = child.resolve()
        if child.name.startswith(".") or not real.is_relative_to(base) or real == base:
            continue
        if real.is_dir() and (real / "anchors.csv").is_file():
            out[child.name] = real
    return out


def dataset_folder(root: Path, name: str) -> Path:
    """The folder of the dataset ``name`` under ``root`` (one ``dataset_folders`` offers); ParameterError
    for anything else: a path, '..', a hidden folder, a symlink leading out of ``root``."""
    folders = dataset_folders(root)
    if name not in folders:
        offered = ", ".join(folders) or "none"
        raise ParameterError(f"there is no dataset '{name}' in the datasets folder (offered: {offered})")
    return folders[name]


def pool_sizes(notebooks: Path, pool_size: int = 1, pools: dict[str, int] | None = None) -> dict[str, int]:
    """Preheated kernels per notebook of ``notebooks`` (its .ipynb files, as Voila names them): ``pools``
    where it names one, else ``pool_size``; 0 everywhere when ``pool_size`` is 0 and ``pools`` is empty."""
    names = sorted(str(p.relative_to(notebooks)) for p in Path(notebooks).rglob("*.ipynb"))
    names = [n for n in names if ".ipynb_checkpoints" not in n]
    pools = pools or {}
    unknown = sorted(set(pools) - set(names))
    if unknown:
        raise ParameterError(f"no notebook {', '.join(unknown)} in {notebooks}")
    return {n: max(0, int(pools.get(n, pool_size))) for n in names}


def access_token(host: str, env: dict[str, str] | None = None) -> str | None:
    """The token for ``host``: None on loopback; else ``$JUPYTER_TOKEN`` when set, or a new random one."""
    if is_loopback(host):
        return None
    env = os.environ if env is None else env
    return env.get("JUPYTER_TOKEN") or secrets.token_urlsafe(24)


def voila_config(
    pools: dict[str, int], *, host: str = LOOPBACK, token: str | None = None, fill_delay: float = FILL_DELAY
) -> dict:
    """Voila's traitlets config (written as voila.json): the pool of each notebook, the refill delay,
    culling kernels no page is connected to, the largest message a page may send, and the token, which a
    host beyond loopback must have (ParameterError without)."""
    if not is_loopback(host) and not token:
        raise ParameterError(f"--host {host} can be reached from other machines: it needs a token")
    config = {
        "VoilaKernelManager": {
            "kernel_pools_config": {
                "default": {"pool_size": 0},
                **{nb: {"pool_size": n} for nb, n in pools.items()},
            },
            "fill_delay": fill_delay,
        },
        "MappingKernelManager": {
            "cull_idle_timeout": CULL_IDLE,
            "cull_interval": CULL_INTERVAL,
            "cull_connected": False,
        },
        "Voila": {
            "tornado_settings": {
                "websocket_max_message_size": WEBSOCKET_MAX_BYTES,
            }
        },
    }
    if token:
        config["Voila"]["token"] = token
    if not is_loopback(host):
        # a page is about 6 MB of scripts (Voila's and the chart bundle): 1.9 MB gzipped for 0.15 s of CPU,
        # which over a room's shared Wi-Fi is the difference between seconds and tens of seconds
        config["Voila"]["tornado_settings"]["compress_response"] = True
    return config


def voila_args(
    port: int,
    pool_size: int = 1,
    timeout: int = 120,
    *,
    host: str = LOOPBACK,
    config_dir: Path | None = None,
) -> list[str]:
    """Voila options for the workshop: where it listens, no tracebacks, offline template, preheated kernels
    (``pool_size`` per notebook, or the pools of the voila.json in ``config_dir``), kernels on Unix
    sockets."""
    args = [
        f"--port={port}",
        f"--Voila.ip={host}",
        "--Voila.port_retries=0",  # the port asked for, or a one-line failure: never another one
        "--no-browser",
        "--template=anchorlib",
        "--VoilaConfiguration.show_tracebacks=False",
        f"--VoilaExecutor.timeout={timeout}",
        # nbclient waits 4 s for a cell's output after the cell has run, then drops what has not come: with
        # 31 kernels preheating on 2 cores, a kernel's app came later, and the visitor it went to got a
        # blank page (bench_workshop.py)
        f"--VoilaExecutor.iopub_timeout={timeout}",
        "--VoilaConfiguration.classic_tree=True",  # a plain list of links; the lab tree logs widget errors
        "--KernelManager.transport=ipc",
    ]
    if config_dir is not None:
        args.append(f"--Voila.config_file_paths={config_dir}")
    if pool_size > 0 or config_dir is not None:
        # a used kernel is replaced after FILL_DELAY s, not at once: running the notebook again takes a core
        # for seconds, which the page just opened needs for its first render and first choices
        args += [
            "--VoilaConfiguration.preheat_kernel=True",
            f"--VoilaConfiguration.default_pool_size={max(pool_size, 0)}",
            f"--VoilaKernelManager.fill_delay={FILL_DELAY}",
        ]
    return args


def voila_env(
    env: dict[str, str] | None = None,
    *,
    datasets: Path | None = None,
    names_only: bool = False,
    uploads: Path | None = None,
) -> dict[str, str]:
    """``env`` (default os.environ) with anchorlib's templates first on JUPYTER_PATH, then the folder of the
    one chart module every chart on a page loads (apps/chart_bundle.py; written on first use), named in
    ``ANCHORLIB_CHART_MODULE`` for the kernels; and what the data picker may offer (``DATASETS_ENV``,
    ``PICKER_ENV``, ``UPLOADS_ENV``)."""
    env = dict(os.environ if env is None else env)
    try:
        env[chart_bundle.ENV] = chart_bundle.ensure_bundle()
    except OSError as err:  # no writable cache folder: each chart carries the bundle inline, as in JupyterLab
        print(f"anchorlib: charts carry their own module ({err})", file=sys.stderr)
    paths = (str(TEMPLATES_PATH), str(chart_bundle.root()), env.get("JUPYTER_PATH", ""))
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in paths if p)
    for var, value in (
        (DATASETS_ENV, datasets),
        (PICKER_ENV, "names" if names_only or datasets is not None else None),
        (UPLOADS_ENV, uploads),
    ):
        if value is None:
            env.pop(var, None)
        else:
            env[var] = str(value)
    return env


# -- the process tree -------------------------------------------------------------------------------------

#: Set in Voila's environment (so in every kernel's) to this run's own id: how ``stop_tree`` finds a process
#: of the tree whose parent has gone.
RUN_ENV = "ANCHORLIB_SERVE_RUN"
PR_SET_PDEATHSIG = 1


def _child_setup(parent: int):
    """For Popen's preexec_fn: on Linux, SIGTERM to the child when ``serve`` dies, even by SIGKILL."""

    def setup() -> None:
        if sys.platform.startswith("linux"):
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # serve died before the line above
            os._exit(1)

    return setup


def run_processes(run_id: str, pid: int | None = None) -> list:
    """The running processes of one ``serve`` run: ``pid``'s descendants and any process whose environment
    carries ``RUN_ENV=run_id`` (a kernel whose parent has gone); psutil processes, zombies left out."""
    import psutil

    found = {}
    if pid is not None:
        try:
            found = {p.pid: p for p in psutil.Process(pid).children(recursive=True)}
        except psutil.Error:
            pass
    for p in psutil.process_iter():
        if p.pid in found or p.pid == os.getpid():
            continue
        try:
            if p.environ().get(RUN_ENV) == run_id:
                found[p.pid] = p
        except psutil.Error:
            pass
    return _alive(list(found.values()))


def _alive(procs: list) -> list:
    import psutil

    out = []
    for p in procs:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                out.append(p)
        except psutil.Error:
            pass
    return out


def _signal_groups(procs: list, sig: int) -> None:
    """``sig`` to each process, and to its process group when it leads one (each kernel leads its own)."""
    import psutil

    for p in procs:
        try:
            if os.getpgid(p.pid) == p.pid:
                os.killpg(p.pid, sig)
            else:
                p.send_signal(sig)
        except (ProcessLookupError, PermissionError, psutil.Error):
            pass


def _wait_gone(procs: list, timeout: float, hurry: threading.Event | None = None) -> list:
    """Wait up to ``timeout`` s (no longer once ``hurry`` is set) until none of ``procs`` runs; those that
    still do."""
    deadline = time.monotonic() + timeout
    left = _alive(procs)
    while left and time.monotonic() < deadline and not (hurry is not None and hurry.is_set()):
        time.sleep(0.1)
        left = _alive(left)
    return left


def stop_tree(
    proc: subprocess.Popen,
    run_id: str,
    grace: float = STOP_GRACE,
    kill_grace: float = KILL_GRACE,
    hurry: threading.Event | None = None,
) -> None:
    """Stop Voila (``proc``) and every process of the run ``run_id``: SIGTERM to Voila, which shuts its
    kernels down; after up to ``grace`` s, SIGTERM to whatever of the run still runs (each process group),
    and SIGKILL ``kill_grace`` s later. The tree is taken before Voila is told (a kernel started while Voila
    stops is found by its environment)."""
    import psutil

    before = run_processes(run_id, proc.pid)
    if proc.poll() is None:
        try:
            proc.send_signal(signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + grace
        while proc.poll() is None and time.monotonic() < deadline and not (hurry and hurry.is_set()):
            time.sleep(0.1)
    left = _alive(before + run_processes(run_id, proc.pid))
    if proc.poll() is None:
        left.append(psutil.Process(proc.pid))
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if not left:
            break
        _signal_groups(left, sig)
        left = _wait_gone(left, kill_grace, hurry if sig == signal.SIGTERM else None)
    proc.wait()


# -- the console -----------------------------------------------------------------------------------------


#: The last line of a kernel's traceback that says only that it was shut down while it worked (preheating a
#: notebook when Voila stopped it): its reply had no socket left to go to.
QUIET_TRACEBACKS = (re.compile(r"^zmq\.error\.ZMQError: Socket operation on non-socket"),)
_HANDLER_ERROR = re.compile(r"Exception in message handler:$")


def quiet_lines(lines, out: IO[str]) -> None:
    """Copy ``lines`` (bytes or text, from Voila's output) to ``out``, without the lines of ``QUIET`` (and
    the link that follows Voila's "running at", which ``serve`` prints itself) and without a kernel's
    "Exception in message handler" traceback that ends in one of ``QUIET_TRACEBACKS``."""
    skip_next = False
    held: list[str] = []  # a kernel's traceback, until its last line says whether it matters

    def write(text: str) -> None:
        try:
            out.write(text + "\n")
            out.flush()
        except (OSError, ValueError):
            pass

    for raw in lines:
        line = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        text = line.rstrip("\n")
        if held:
            held.append(text)
            if text.startswith((" ", "\t", "Traceback (most recent call last):")):
                continue
            if not any(p.search(text) for p in QUIET_TRACEBACKS):
                for t in held:
                    write(t)
            held = []
            continue
        if _HANDLER_ERROR.search(text):
            held = [text]
            continue
        if skip_next:
            skip_next = False
            if text.startswith(("http://", "https://")):
                continue
        matched = next((p for p in QUIET if p.search(text)), None)
        if matched is not None:
            skip_next = "running at" in matched.pattern
            continue
        write(text)
    for t in held:
        write(t)


# -- serve ----------------------------------------------------------------------------------------------


#: Each run's temporary folder (its Voila config with the token, the uploads): removed when serve ends;
#: one a killed serve (SIGKILL, a power cut) left behind is removed by the next (``sweep_stale_runs``).
RUN_PREFIX = "anchorlib-serve-"
OWNER_FILE = "serve.pid"


def sweep_stale_runs(tmp: Path | None = None) -> list[Path]:
    """Remove the run folders of ``serve`` processes that no longer run (they hold a room's uploads and a
    token); a folder whose owner still runs, or that names no owner, is left. Returns those removed."""
    removed = []
    for d in Path(tmp or tempfile.gettempdir()).glob(RUN_PREFIX + "*"):
        try:
            pid = int((d / OWNER_FILE).read_text().strip())
        except (OSError, ValueError):
            continue  # not ours to judge: no owner named (or not readable)
        if pid == os.getpid() or running(pid):
            continue
        shutil.rmtree(d, ignore_errors=True)
        removed.append(d)
    return removed


def running(pid: int) -> bool:
    """Whether process ``pid`` runs (another user's counts as running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: alive
    return True


def serve(
    port: int = 8866,
    notebooks: Path = NOTEBOOKS_DIR,
    pool_size: int = 1,
    *,
    host: str = LOOPBACK,
    datasets: Path | None = None,
    pools: dict[str, int] | None = None,
    out: IO[str] | None = None,
) -> int:
    """Run Voila over ``notebooks`` until it ends or ``serve`` is stopped (Ctrl-C, SIGTERM, SIGHUP); returns
    Voila's exit code, 0 when stopped. ParameterError for a host that needs a token it cannot have."""
    out = out or sys.stderr
    notebooks = Path(notebooks).resolve()
    local, token = is_loopback(host), access_token(host)
    sizes = pool_sizes(notebooks, pool_size, pools)
    config = voila_config(sizes, host=host, token=token)
    sweep_stale_runs()
    run_dir = Path(tempfile.mkdtemp(prefix=RUN_PREFIX))
    try:
        (run_dir / OWNER_FILE).write_text(str(os.getpid()))
        (run_dir / "voila.json").write_text(json.dumps(config, indent=1))
        os.chmod(run_dir / "voila.json", 0o600)
        (run_dir / "uploads").mkdir()
        env = voila_env(datasets=datasets, names_only=not local, uploads=run_dir / "uploads")
        env.pop("JUPYTER_TOKEN", None)  # the token is in voila.json; the kernels have no use for it
        env[RUN_ENV] = run_dir.name
        cmd = [
            sys.executable,
            "-m",
            "anchorlib.apps.voila_main",  # Voila, its pools sized for a room
            str(notebooks),
            *voila_args(port, pool_size, host=host, config_dir=run_dir),
        ]
        link = f"http://{share_host(host) if not local else host}:{port}/"
        print(
            f"anchorlib apps on {link}{f'?token={token}' if token else ''} "
            f"({sum(sizes.values())} kernels preheating; Ctrl-C to stop)",
            file=out,
            flush=True,
        )
        if not local:
            print("anchorlib: share this link with the room: the token in it is the only way in", file=out)
        return _run(cmd, env, notebooks, out, run_dir.name)
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


def _run(cmd: list[str], env: dict[str, str], cwd: Path, out: IO[str], run_id: str) -> int:
    """Run Voila (``cmd``) in its own session, relay its output through ``quiet_lines``, and stop the whole
    tree when Voila ends or on Ctrl-C, SIGTERM or SIGHUP (``stop_tree``; a second signal hurries it)."""
    stopping, hurry = threading.Event(), threading.Event()

    def on_signal(signum, frame):
        (hurry if stopping.is_set() else stopping).set()

    previous = {s: signal.signal(s, on_signal) for s in STOP_SIGNALS}
    try:
        proc = subprocess.Popen(
            cmd,
            env=env,
            cwd=str(cwd),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_child_setup(os.getpid()),
        )
        relay = threading.Thread(target=quiet_lines, args=(proc.stdout, out), daemon=True)
        relay.start()
        while proc.poll() is None and not stopping.is_set():
            stopping.wait(0.2)
        if stopping.is_set():
            print("anchorlib: stopping the apps and their kernels", file=out, flush=True)
        stop_tree(proc, run_id, hurry=hurry)
        relay.join(timeout=2)
        return 0 if stopping.is_set() else proc.returncode
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
