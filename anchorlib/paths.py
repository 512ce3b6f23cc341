"""Where things live, resolved from the package, never from the working directory."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
SAMPLE_DIR = PROJECT_DIR / "data" / "sample"
NOTEBOOKS_DIR = PROJECT_DIR / "notebooks"


def default_data_dir() -> Path:
    """The dataset used when none is named: ``$ANCHORLIB_DATA`` or the committed sample."""
    env = os.environ.get("ANCHORLIB_DATA")
    return Path(env).expanduser().resolve() if env else SAMPLE_DIR
