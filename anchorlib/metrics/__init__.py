"""The metrics core: pure functions over a dataset's payments, following docs/methodology.md.

Local share and leakage by every cut (``leakage``), equity and IMD reach (``equity``), LM3 and shift
scenarios (``multiplier``), the network view (``pooling``) and the summary JSON (``headline``). Every
result names the choices it used (area, addressable rule set, IMD vintage, pooling) in ``choices``
(``df.attrs["choices"]`` for a DataFrame). The sums run on an engine (``engine``: pandas, or DuckDB
from ``ENGINE_MIN_ROWS`` payments; ``$ANCHORLIB_ENGINE`` forces one) with the same results.
"""

from __future__ import annotations

from anchorlib.metrics.definitions import FOUR_FIFTHS, GROUP_LABELS, GROUPS, LocalShare, is_local
from anchorlib.metrics.disparity import equity, imd_distribution
from anchorlib.metrics.engine import ENGINE_MIN_ROWS, engine_for
from anchorlib.metrics.headline import summary
from anchorlib.metrics.leakage import (
    concentration,
    leakage_by,
    local_share,
    local_share_per,
    opportunities,
    shared_suppliers,
    top_leaking,
)
from anchorlib.metrics.multiplier import LM3, Shift, lm3, shift_scenario
from anchorlib.metrics.pooling import network
from anchorlib.metrics.pools import POOLS, pool_frame
from anchorlib.metrics.selection import select

__all__ = [
    "ENGINE_MIN_ROWS",
    "FOUR_FIFTHS",
    "GROUPS",
    "GROUP_LABELS",
    "LM3",
    "LocalShare",
    "POOLS",
    "Shift",
    "concentration",
    "engine_for",
    "equity",
    "imd_distribution",
    "is_local",
    "leakage_by",
    "lm3",
    "local_share",
    "local_share_per",
    "network",
    "opportunities",
    "pool_frame",
    "select",
    "shared_suppliers",
    "shift_scenario",
    "summary",
    "top_leaking",
]
