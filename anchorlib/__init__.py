"""anchorlib: where anchor institutions' procurement spend goes, and how fairly it reaches people.

Start with ``open_dataset(path)`` (a dataset folder: docs/methodology.md and the README) or
``open_anchor(path, anchor_id)``; the figures are in ``anchorlib.metrics``, the apps in
``anchorlib.apps``. docs/architecture.md shows how the package is laid out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from anchorlib.errors import AnchorlibError, DatasetError, ParameterError, SpendFileError
from anchorlib.paths import SAMPLE_DIR

if TYPE_CHECKING:
    from anchorlib.data.dataset import Dataset, open_anchor, open_dataset

__version__ = "0.1.0"
__all__ = [
    "SAMPLE_DIR",
    "AnchorlibError",
    "Dataset",
    "DatasetError",
    "ParameterError",
    "SpendFileError",
    "open_anchor",
    "open_dataset",
]


def __getattr__(name: str):
    """``Dataset``, ``open_dataset`` and ``open_anchor`` are imported on first use, so that
    ``import anchorlib``
    (and the ``anchorlib`` command's start-up) does not pay for pandas until data is read."""
    if name in ("Dataset", "open_dataset", "open_anchor"):
        from anchorlib.data import dataset

        return getattr(dataset, name)
    raise AttributeError(f"module 'anchorlib' has no attribute {name!r}")
