"""One offline chart module for every chart on a Voila page.

An offline JupyterChart carries Vega, Vega-Lite and vega-embed inline (vl-convert's ~0.9 MB bundle) in
each chart widget's state, so a page with three charts receives and evaluates it three times, and each
kernel spends ~4 s building it. Under ``anchorlib serve`` the bundle is written once per Altair and
vl-convert version to a folder on Voila's static path (``voila_env``), and the apps' charts carry a
two-line module that imports it from the page's own server: the browser loads and evaluates it once,
and nothing leaves 127.0.0.1 (PITFALLS.md: Altair charts offline). Elsewhere (JupyterLab, papermill)
charts keep the inline bundle.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

#: Environment variable naming the bundle's file (set by ``voila_env`` for Voila's kernels).
ENV = "ANCHORLIB_CHART_MODULE"
#: The anchorlib Voila template, whose static folder (on every JUPYTER_PATH entry) Voila serves.
TEMPLATE = "anchorlib"


def root() -> Path:
    """The JUPYTER_PATH entry holding the bundle: ``$XDG_CACHE_HOME/anchorlib/voila`` (or ~/.cache)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return Path(base) / "anchorlib" / "voila"


def ensure_bundle(where: Path | None = None) -> str:
    """Write the offline JupyterChart module under ``where`` (default ``root()``) unless this Altair and
    vl-convert version's file is there; returns its file name."""
    import altair as alt
    import vl_convert

    name = f"altair-{alt.__version__}-vlc-{vl_convert.__version__}.js"
    static = (where or root()) / "voila" / "templates" / TEMPLATE / "static"
    path = static / name
    if not path.exists():
        alt.JupyterChart.enable_offline()
        static.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(alt.JupyterChart._esm, encoding="utf-8")  # set by enable_offline: the bundled module
        tmp.replace(path)
    return name


def loader(env: dict[str, str] | None = None) -> str | None:
    """The module an app chart carries under Voila (it imports the served bundle from the page's own
    origin), or None outside Voila or without a bundle (``ENV`` and Voila's ``VOILA_BASE_URL`` unset)."""
    env = os.environ if env is None else env
    name, base = env.get(ENV), env.get("VOILA_BASE_URL")
    if not name or base is None:
        return None
    url = json.dumps(f"{base.rstrip('/')}/voila/templates/{TEMPLATE}/static/{name}")
    return f"const m = await import(new URL({url}, location.origin).href);\nexport default m.default;\n"
