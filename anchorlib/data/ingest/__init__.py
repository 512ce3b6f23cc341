"""Spend files in, normalised payments (``SPEND_COLUMNS``) and load reports out.

``load_spend_file`` imports the loader and its parsing modules on first use: opening a cached
dataset needs none of them (docs/performance.md).
"""

from anchorlib.data.ingest.report import (
    SPEND_COLUMNS,
    LoadReport,
    Rejection,
    RepairNote,
    SheetReport,
    StructureLine,
)

__all__ = [
    "SPEND_COLUMNS",
    "LoadReport",
    "Rejection",
    "RepairNote",
    "SheetReport",
    "StructureLine",
    "load_spend_file",
]


def __getattr__(name: str):
    if name == "load_spend_file":
        from anchorlib.data.ingest.loader import load_spend_file

        globals()[name] = load_spend_file
        return load_spend_file
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
