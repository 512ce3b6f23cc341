"""Where things live, resolved from the package, never from the working directory.

Two layouts, one answer each:

- a checkout (the repository, installed editable by ``make setup``): the notebooks and the sample are
  the repository's top-level ``notebooks/`` and ``data/sample/``, beside the package;
- an installed wheel (``pip install anchorlib``): setup.py maps both into the package at build time,
  as ``anchorlib/notebooks/`` and ``anchorlib/sample/bundled/`` (the same files, byte for byte).

The bundled sample is read where it is installed; its caches go to the user cache folder, never into
site-packages (data/storage/cache.py asks :func:`is_installed`).
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
#: True for an installed wheel, which carries the notebooks inside the package; False in a checkout
INSTALLED = (PACKAGE_DIR / "notebooks").is_dir()
#: the repository around the package (meaningful in a checkout only: an installed package's parent is
#: site-packages)
PROJECT_DIR = PACKAGE_DIR.parent
NOTEBOOKS_DIR = PACKAGE_DIR / "notebooks" if INSTALLED else PROJECT_DIR / "notebooks"
SAMPLE_DIR = PACKAGE_DIR / "sample" / "bundled" if INSTALLED else PROJECT_DIR / "data" / "sample"


def default_data_dir() -> Path:
    """The dataset used when none is named: ``$ANCHORLIB_DATA`` or the bundled sample."""
    env = os.environ.get("ANCHORLIB_DATA")
    return Path(env).expanduser().resolve() if env else SAMPLE_DIR


def is_installed(path: Path) -> bool:
    """Whether ``path`` is inside the installed package (the bundled sample of a wheel install): a
    place to read from, not to write caches into."""
    return INSTALLED and Path(path).resolve().is_relative_to(PACKAGE_DIR)
