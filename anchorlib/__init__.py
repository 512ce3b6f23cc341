"""anchorlib: where anchor institutions' procurement spend goes, and how fairly it reaches people.

Start with ``open_dataset(path)`` (a dataset folder, see DESIGN.md) or ``open_anchor(path, anchor_id)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from anchorlib.errors import AnchorlibError, DatasetError, ParameterError, SpendFileError
from anchorlib.paths import SAMPLE_DIR

if TYPE_CHECKING:
    from anchorlib.data.dataset import Dataset, open_dataset

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


def open_anchor(data_dir, anchor_id: str) -> tuple[Dataset, str]:
    """Open a dataset and check ``anchor_id`` is in it (raises ParameterError listing the known ids).

    Notebooks call this straight after papermill injects parameters.
    """
    from anchorlib.data.dataset import open_dataset

    ds = open_dataset(data_dir)
    ds.anchor(anchor_id)
    return ds, anchor_id


def __getattr__(name: str):
    """``Dataset`` and ``open_dataset`` are imported on first use, so that ``import anchorlib``
    (and the ``anchorlib`` command's start-up) does not pay for pandas until data is read."""
    if name in ("Dataset", "open_dataset"):
        from anchorlib.data import dataset

        return getattr(dataset, name)
    raise AttributeError(f"module 'anchorlib' has no attribute {name!r}")
