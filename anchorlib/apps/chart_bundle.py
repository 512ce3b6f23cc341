"""One offline chart module for every chart on a Voila page.

The apps' chart widget (apps/app_chart.py, its browser side ``static/app_chart.js``) needs Vega and
vega-embed: ``bundle()`` is that script bundled with them by vl-convert (about 0.9 MB, no import left
to fetch). Carried inline in each chart widget's state, a page with three charts would receive and
evaluate it three times, and each kernel would spend seconds building it. Under ``anchorlib serve`` the
bundle is written once per script, Altair and vl-convert version to a folder on Voila's static path
(``voila_env``), and the apps' charts carry a small module (``loader``) that imports it from the page's
own server: the browser loads and evaluates it once, and nothing leaves 127.0.0.1 (Altair's default
renderer would fetch Vega from a CDN, which fails offline). Elsewhere (JupyterLab, papermill) charts
carry the bundle inline.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path

from anchorlib.paths import PACKAGE_DIR

#: The chart widget's browser side (apps/app_chart.py), bundled with Vega by ``bundle``.
JS_SOURCE = PACKAGE_DIR / "static" / "app_chart.js"
#: Environment variable naming the bundle's file (set by ``voila_env`` for Voila's kernels).
ENV = "ANCHORLIB_CHART_MODULE"
#: The anchorlib Voila template, whose static folder (on every JUPYTER_PATH entry) Voila serves.
TEMPLATE = "anchorlib"


def root() -> Path:
    """The JUPYTER_PATH entry holding the bundle: ``$XDG_CACHE_HOME/anchorlib/voila`` (or ~/.cache)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return Path(base) / "anchorlib" / "voila"


@functools.cache
def bundle() -> str:
    """The apps' chart script (static/app_chart.js) bundled with Vega, Vega-Lite and vega-embed by
    vl-convert, for the Vega-Lite version the apps compile to (a few seconds, once per process)."""
    import vl_convert
    from altair.utils._importers import vl_version_for_vl_convert

    return vl_convert.javascript_bundle(
        JS_SOURCE.read_text(encoding="utf-8"), vl_version=vl_version_for_vl_convert()
    )


def bundle_name() -> str:
    """The bundle's file name: the script's hash and the Altair and vl-convert versions."""
    import altair as alt
    import vl_convert

    digest = hashlib.sha1(JS_SOURCE.read_bytes()).hexdigest()[:10]
    return f"anchorlib-chart-{digest}-altair-{alt.__version__}-vlc-{vl_convert.__version__}.js"


#: The template snippet (beside the bundle, included by the anchorlib template's page head) that has the
#: browser fetch and compile the bundle while the page loads, not when the first chart draws.
PRELOAD = "anchorlib_chart_preload.html"


def ensure_bundle(where: Path | None = None) -> str:
    """Write ``bundle()`` under ``where`` (default ``root()``) unless its file (``bundle_name()``) is
    there, and the ``PRELOAD`` snippet naming it; returns the file name."""
    name = bundle_name()
    template = (where or root()) / "voila" / "templates" / TEMPLATE
    path = template / "static" / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        _write(path, bundle())
    href = f"{{{{ resources.base_url }}}}voila/templates/{TEMPLATE}/static/{name}"
    preload = f'<link rel="modulepreload" href="{href}">\n'
    if not (template / PRELOAD).exists() or (template / PRELOAD).read_text(encoding="utf-8") != preload:
        _write(template / PRELOAD, preload)
    return name


def _write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole (a reader never sees half a file)."""
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def loader(env: dict[str, str] | None = None) -> str | None:
    """The module an app chart carries under Voila (it imports the served bundle from the page's own
    origin), or None outside Voila or without a bundle (``ENV`` and Voila's ``VOILA_BASE_URL`` unset).
    The bundle is imported when the first chart draws, not when the module loads: anywidget gives a
    widget's module 2 s to load, too little for a busy machine to fetch and evaluate the bundle, and a
    module that misses it leaves its chart blank; drawing has no such limit, and the page's charts
    share the one import."""
    env = os.environ if env is None else env
    name, base = env.get(ENV), env.get("VOILA_BASE_URL")
    if not name or base is None:
        return None
    url = json.dumps(f"{base.rstrip('/')}/voila/templates/{TEMPLATE}/static/{name}")
    return (
        f"let chart;\nexport default {{ async render(ctx) {{\n"
        f"  chart ??= import(new URL({url}, location.origin).href);\n"
        f"  return (await chart).default.render(ctx);\n}} }};\n"
    )


def module() -> str:
    """The chart widget's browser module here: under Voila the loader of the served bundle, else the
    bundle itself."""
    return loader() or bundle()
