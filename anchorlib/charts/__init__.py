"""Altair chart builders and the one anchorlib theme (data prep + spec builder per chart).

``base`` holds the theme, the renderers (``use_static`` for papermill and HTML reports, ``use_interactive``
for JupyterLab and Voila) and what every chart shares; ``leakage``, ``equity``, ``what_if``, ``network``
and ``social_value`` hold the builders each app and report draws.
"""

from __future__ import annotations

from anchorlib.charts import equity, leakage, network, social_value, what_if
from anchorlib.charts.base import (
    BY_RANK,
    FONT,
    FRAME,
    LOCAL_COLOURS,
    LOCAL_STATUS,
    PALETTE,
    on_frame,
    ranked,
    use_interactive,
    use_static,
)
from anchorlib.charts.leakage import local_by_category_chart, local_by_category_data

__all__ = [
    "BY_RANK",
    "FONT",
    "FRAME",
    "LOCAL_COLOURS",
    "LOCAL_STATUS",
    "PALETTE",
    "equity",
    "leakage",
    "local_by_category_chart",
    "local_by_category_data",
    "network",
    "on_frame",
    "ranked",
    "social_value",
    "use_interactive",
    "use_static",
    "what_if",
]
