"""``anchorlib serve``: the Voila apps in notebooks/ on 127.0.0.1, offline, with preheated kernels.

Voila serves the folder as its tree, so the page at / links every app. The "anchorlib" template is
Voila's lab template without CDN stylesheets (offline, they would fail); tracebacks stay hidden; each
app keeps one kernel preheated (the notebook already run) so a page opens without waiting for start-up.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from anchorlib.apps import chart_bundle
from anchorlib.paths import NOTEBOOKS_DIR, PACKAGE_DIR

TEMPLATES_PATH = PACKAGE_DIR / "templates"
FILL_DELAY = 15  # seconds before Voila refills an app's pool of preheated kernels


def voila_args(port: int, pool_size: int = 1, timeout: int = 120) -> list[str]:
    """Voila options for the workshop: loopback only, no tracebacks, offline template, preheated kernels."""
    args = [
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        "--no-browser",
        "--template=anchorlib",
        "--VoilaConfiguration.show_tracebacks=False",
        f"--VoilaExecutor.timeout={timeout}",
        "--VoilaConfiguration.classic_tree=True",
    ]  # a plain list of links; the lab tree logs widget errors
    if pool_size > 0:
        # a used kernel is replaced after FILL_DELAY s, not at once: running the notebook again takes a core
        # for seconds, which the page just opened needs for its first render and first choices
        args += [
            "--VoilaConfiguration.preheat_kernel=True",
            f"--VoilaKernelManager.kernel_pools_config={{'default': {{'pool_size': {pool_size}}}}}",
            f"--VoilaKernelManager.fill_delay={FILL_DELAY}",
        ]
    return args


def voila_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """``env`` (default os.environ) with anchorlib's templates first on JUPYTER_PATH, then the folder of the
    one chart module every chart on a page loads (apps/chart_bundle.py; written on first use), named in
    ``ANCHORLIB_CHART_MODULE`` for the kernels."""
    env = dict(os.environ if env is None else env)
    try:
        env[chart_bundle.ENV] = chart_bundle.ensure_bundle()
    except OSError as err:  # no writable cache folder: each chart carries the bundle inline, as in JupyterLab
        print(f"anchorlib: charts carry their own module ({err})", file=sys.stderr)
    paths = (str(TEMPLATES_PATH), str(chart_bundle.root()), env.get("JUPYTER_PATH", ""))
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in paths if p)
    return env


def serve(port: int = 8866, notebooks: Path = NOTEBOOKS_DIR, pool_size: int = 1) -> int:
    """Run Voila over ``notebooks`` until interrupted; returns its exit code."""
    cmd = [sys.executable, "-m", "voila", str(notebooks), *voila_args(port, pool_size)]
    print(f"anchorlib apps on http://127.0.0.1:{port}/ (Ctrl-C to stop)", flush=True)
    try:
        return subprocess.call(cmd, env=voila_env(), cwd=str(notebooks))
    except KeyboardInterrupt:
        return 0
