"""Stored results of whole commands (``anchorlib summary``), beside a dataset's other caches.

A result is keyed by every file of the dataset folder (``cache.file_key``: path, size, times and inode,
taken before the command reads anything), the command's arguments,
the ``ANCHORLIB_*`` settings and the package's source, so any change to the data or the code computes
it again. Checking the key needs neither pandas nor the data: a repeated ``anchorlib summary`` prints
in start-up time. A result is written whole or not at all (``atomic``).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from anchorlib.data.names import SHIPPED
from anchorlib.data.storage import atomic
from anchorlib.data.storage.cache import file_key, keep_newest
from anchorlib.paths import PACKAGE_DIR

RESULT_KEEP = 16  # result entries kept per dataset (oldest removed first)


def result_key(root: Path, command: str, args: object, store: Path | None = None) -> str:
    """Key of a command's output: its arguments, the ANCHORLIB_* settings (e.g. ANCHORLIB_ENGINE, named in
    the output), every file of the dataset folder (stamped in the cache folder ``store``,
    ``cache.file_key``) and the package source."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k.startswith("ANCHORLIB_") and k not in ("ANCHORLIB_CACHE", "ANCHORLIB_CACHE_DIR")
    }
    h = hashlib.sha1(f"result-v1|{command}|{json.dumps([args, env], sort_keys=True, default=str)}".encode())
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith("."):
                f = Path(dirpath) / name
                try:
                    h.update(file_key(f, str(f.relative_to(root)), store).encode())
                except FileNotFoundError:  # removed since the folder was listed
                    continue
    for f in [*sorted(PACKAGE_DIR.rglob("*.py")), SHIPPED]:  # the code, and the place names it shows
        h.update(f.read_bytes())
    return h.hexdigest()


def read_result(directory: Path, key: str) -> dict | None:
    """A command's stored outputs for ``key`` (e.g. {"json": ..., "table": ...}), or None."""
    try:
        return json.loads((directory / f"result-{key}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_result(directory: Path, key: str, outputs: dict) -> None:
    """Store a command's outputs (text), keeping the ``RESULT_KEEP`` newest entries. ``key`` must have been
    taken before the command read the dataset (``result_key``)."""
    atomic.clean_stale(directory)
    try:
        atomic.write_text(directory / f"result-{key}.json", json.dumps(outputs))
        keep_newest(directory.glob("result-*.json"), RESULT_KEEP)
    except OSError:
        pass
