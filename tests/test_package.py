"""An installable package: the sdist and wheel `python -m build` makes from this checkout carry what an
installed anchorlib needs (every module, the notebooks, the templates and static files, the sample, the
kernelspec, the entry points), and, installed into a clean venv, the wheel runs `anchorlib summary`,
`reports` and `serve` from outside any checkout (`make test-install`; docs/performance.md has its times).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import tarfile
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from anchorlib import paths
from anchorlib.paths import PROJECT_DIR
from tests.processes import stop_group
from tests.voila_server import free_port

pytestmark = pytest.mark.slow
KERNELSPEC = "anchorlib-0.1.0.data/data/share/jupyter/kernels/anchorlib/kernel.json"


def tracked(*under: str) -> list[str]:
    """The checkout's files (tracked, or new and not ignored) under ``under``, as git lists them."""
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", *under],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return sorted(f for f in out.splitlines() if (PROJECT_DIR / f).is_file())


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    """sdist and wheel built by `python -m build` (sdist first, the wheel from it) from a copy of the
    checkout's files, with a sample cache planted in the copy (it must not reach either)."""
    src = tmp_path_factory.mktemp("src")
    for f in tracked():
        (src / f).parent.mkdir(parents=True, exist_ok=True)
        (src / f).write_bytes((PROJECT_DIR / f).read_bytes())
    planted = src / "data" / "sample" / ".anchorlib-cache" / "stale.parquet"
    planted.parent.mkdir()
    planted.write_bytes(b"not data")
    out = tmp_path_factory.mktemp("dist")
    r = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(src)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "BuildBackendWarning" not in r.stderr, r.stderr[-3000:]  # e.g. a data folder not packaged
    return out


def wheel_path(dist: Path) -> Path:
    [whl] = dist.glob("anchorlib-*.whl")
    return whl


def test_wheel_carries_every_module_notebook_template_and_the_sample(dist):
    with zipfile.ZipFile(wheel_path(dist)) as z:
        names = set(z.namelist())
        content = {n: digest(z.read(n)) for n in names}
    expected = {f: f for f in tracked("anchorlib") if "__pycache__" not in f}
    expected |= {f"anchorlib/notebooks/{Path(f).name}": f for f in tracked("notebooks")}
    expected |= {
        "anchorlib/sample/bundled/" + f.removeprefix("data/sample/"): f for f in tracked("data/sample")
    }
    assert (
        len([n for n in expected if n.endswith(".ipynb")]) == 10
    )  # 01-05 analyst and report notebooks, 10-13 and 20 the apps
    assert {
        "anchorlib/static/app_chart.js",
        "anchorlib/templates/voila/templates/anchorlib/index.html.j2",
    } <= set(expected)
    assert "anchorlib/templates/nbconvert/anchorlib_report/index.html.j2" in expected
    assert "anchorlib/sample/bundled/spend/hackney/hackney_payments_over_500_2023-24.csv" in expected
    missing = sorted(set(expected) - names)
    assert not missing, missing
    changed = [n for n, f in expected.items() if content[n] != digest((PROJECT_DIR / f).read_bytes())]
    assert not changed, changed
    extra = sorted(n for n in names - set(expected) if not n.startswith("anchorlib-0.1.0.dist-info/"))
    assert extra == [KERNELSPEC], extra  # nothing else: no cache, no bytecode, no tests or docs
    with zipfile.ZipFile(wheel_path(dist)) as z:
        spec = json.loads(z.read(KERNELSPEC))
        entry_points = z.read("anchorlib-0.1.0.dist-info/entry_points.txt").decode()
    # "python" is the Python that launches the kernel (jupyter_client's rule, as for ipykernel's python3)
    assert spec["argv"][0] == "python" and spec["argv"][-3:] == [
        "ipykernel_launcher",
        "-f",
        "{connection_file}",
    ]
    assert "curve" in spec["metadata"]["supported_encryption"]  # reports/kernel.py's encryption needs it
    assert "anchorlib = anchorlib.cli:main" in entry_points
    assert "anchorlib = anchorlib.reports.papermill_engine:QuietEngine" in entry_points


def test_sdist_carries_the_notebooks_and_the_sample_a_wheel_is_built_from(dist):
    [sdist] = dist.glob("anchorlib-*.tar.gz")
    with tarfile.open(sdist) as t:
        names = {n.split("/", 1)[1] for n in t.getnames() if "/" in n}
    wanted = {"setup.py", "pyproject.toml", "share/jupyter/kernels/anchorlib/kernel.json"}
    wanted |= set(tracked("notebooks", "data/sample", "anchorlib"))
    assert not sorted(wanted - names), sorted(wanted - names)
    assert not [n for n in names if ".anchorlib-cache" in n]


def test_checkout_layout_resolves_to_the_repository():
    """Here (a checkout, installed editable) the notebooks and sample are the repository's own."""
    assert not paths.INSTALLED
    assert (
        paths.NOTEBOOKS_DIR == PROJECT_DIR / "notebooks"
        and paths.SAMPLE_DIR == PROJECT_DIR / "data" / "sample"
    )
    assert not paths.is_installed(paths.SAMPLE_DIR)


# --- the wheel installed into a clean venv (minutes: pip resolves and installs every dependency) --------

INSTALL = os.environ.get("ANCHORLIB_TEST_INSTALL") == "1"


def run(
    cmd: list[str], cwd: Path, env: dict, timeout: int = 900
) -> tuple[subprocess.CompletedProcess, float]:
    t0 = time.perf_counter()
    r = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    return r, time.perf_counter() - t0


@pytest.mark.notebook
@pytest.mark.skipif(not INSTALL, reason="installs every dependency into a new venv: make test-install")
def test_installed_wheel_runs_summary_reports_and_serve_outside_a_checkout(dist, tmp_path, artifacts):
    venv, work, home = tmp_path / "venv", tmp_path / "work", tmp_path / "home"
    work.mkdir()
    home.mkdir()
    times = {}
    # no trace of this checkout or its venv: a user's shell with a new HOME
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("JUPYTER", "IPYTHON", "VIRTUAL_ENV", "PYTHON"))
    }
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"), XDG_DATA_HOME=str(home / ".local/share"))
    env["PATH"] = os.pathsep.join(
        p for p in env["PATH"].split(os.pathsep) if not p.startswith(str(PROJECT_DIR))
    )
    env["PIP_CACHE_DIR"] = os.environ.get(
        "PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip")
    )  # reuse downloads
    r, times["venv_s"] = run([sys.executable, "-m", "venv", str(venv)], work, env)
    assert r.returncode == 0, r.stderr
    bin_ = venv / "bin"
    r, times["pip_install_s"] = run(
        [str(bin_ / "python"), "-m", "pip", "install", "--quiet", str(wheel_path(dist))], work, env
    )
    assert r.returncode == 0, r.stderr[-3000:]
    site = Path(
        subprocess.check_output(
            [str(bin_ / "python"), "-c", "import anchorlib; print(anchorlib.__file__)"],
            env=env,
            cwd=work,
            text=True,
        ).strip()
    ).parent
    assert (
        not site.is_relative_to(PROJECT_DIR) and (site / "notebooks" / "10_leakage_explorer.ipynb").is_file()
    )

    r, times["summary_first_s"] = run([str(bin_ / "anchorlib"), "summary", "--json"], work, env)
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    here = json.loads(
        subprocess.run(
            [sys.executable, "-m", "anchorlib.cli", "summary", "--json", "--data", str(paths.SAMPLE_DIR)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    assert (
        got["network"] == here["network"] and got["anchors"] == here["anchors"]
    )  # the bundled sample is this one
    r, times["summary_repeat_s"] = run([str(bin_ / "anchorlib"), "summary"], work, env)
    assert r.returncode == 0 and "network local share:" in r.stdout
    assert not (
        site / "sample" / "bundled" / ".anchorlib-cache"
    ).exists()  # caches in the user's cache folder
    assert any((home / ".cache" / "anchorlib").iterdir())

    r, times["reports_s"] = run(
        [str(bin_ / "anchorlib"), "reports", "--out", "reports", "--no-progress"], work, env
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "5 of 5 reports" in r.stdout and (work / "reports" / "anchor-hackney.html").is_file()
    assert "note:" not in r.stderr  # the wheel's own 'anchorlib' kernel was found, no fallback to python3
    assert not re.search(r"WARNING|ERROR|Traceback|DeprecationWarning", r.stdout + r.stderr), r.stderr

    port = free_port()
    t0 = time.perf_counter()
    serve = subprocess.Popen(
        [str(bin_ / "anchorlib"), "serve", "--port", str(port), "--pool", "0"],
        cwd=work,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: stopped below as Ctrl-C stops it in a terminal
    )
    try:
        tree = fetch(f"http://127.0.0.1:{port}/", 120)
        times["serve_ready_s"] = time.perf_counter() - t0
        assert tree.count("voila/render/") >= 9 and "10_leakage_explorer.ipynb" in tree
        t1 = time.perf_counter()
        app = fetch(f"http://127.0.0.1:{port}/voila/render/13_network_overview.ipynb", 300)
        times["serve_first_app_s"] = time.perf_counter() - t1
        assert "NetworkView(" in app and '"output_type": "error"' not in app and "Traceback" not in app
    finally:
        stop_group(serve)  # SIGINT, as Ctrl-C in a terminal
    (artifacts / "package_install_timings.json").write_text(
        json.dumps({k: round(v, 2) for k, v in times.items()}, indent=2)
    )
    print("install timings", times)


def fetch(url: str, timeout: float) -> str:
    """The body at ``url``, retrying until the server answers (at most ``timeout`` s)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as resp:
                return resp.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
