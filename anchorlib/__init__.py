"""anchorlib: where anchor institutions' procurement spend goes, and how fairly it reaches people.

Start with ``open_dataset(path)`` (a dataset folder, see DESIGN.md) or ``open_anchor(path, anchor_id)``.
"""

from __future__ import annotations

from .dataset import Dataset, open_dataset
from .errors import AnchorlibError, DatasetError, ParameterError, SpendFileError
from .paths import SAMPLE_DIR

__version__ = "0.1.0"
__all__ = ["AnchorlibError", "Dataset", "DatasetError", "ParameterError", "SAMPLE_DIR", "SpendFileError",
           "open_anchor", "open_dataset"]


def open_anchor(data_dir, anchor_id: str) -> tuple[Dataset, str]:
    """Open a dataset and check ``anchor_id`` is in it (raises ParameterError listing the known ids).

    Notebooks call this straight after papermill injects parameters.
    """
    ds = open_dataset(data_dir)
    ds.anchor(anchor_id)
    return ds, anchor_id
