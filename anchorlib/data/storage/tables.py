"""The small tables of a dataset folder, stored once beside the spend cache (docs/performance.md).

Everything ``open_dataset`` reads besides the spend (anchors, the supplier register after name
normalisation and location, geography, areas, categories, LM3 survey, tenders, commitments,
supplier_matches.csv decisions, notes) is one entry: a folder of mapped Arrow files (anchorlib/mapped.py,
no pickle) and a JSON manifest. Its key is every file of ``INPUTS`` (path, size, mtime_ns, or absent)
and the source of the modules in ``CODE``, so a changed file is read, and checked, again: a bad file
still raises its one-line error (the folder contract). Small frames computed from these
tables alone (the LM3 survey resolved to suppliers) join the entry when first computed (``derived.py``).
An unreadable entry is a cache miss. An entry is renamed into place whole (``write``), so a reader sees
all of it or none.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd

from anchorlib.data.storage import atomic, cache, mapped

FORMAT = "tables-v1"
INPUTS = [
    "anchors.csv",
    "suppliers.csv",
    "supplier_matches.csv",
    "geography/postcodes.csv",
    "geography/imd.csv",
    "geography/names.csv",
    "geography/wards.csv",
    "areas.csv",
    "categories.csv",
    "lm3_survey.csv",
    "social_value/tenders.csv",
    "social_value/commitments.csv",
]
# the modules that read the tables, and those that derive frames from them (survey.resolve_survey)
CODE = [
    "data/dataset.py",
    "data/storage/tables.py",
    "data/tables.py",
    "data/places.py",
    "data/names.py",
    "data/suppliers.py",
    "data/storage/mapped.py",
    "data/survey.py",
]
KEEP = 2  # entries kept per dataset, as cache.PAYMENTS_KEEP


def key(root: Path, store: Path | None = None) -> str:
    """Key of the tables of dataset ``root``: its INPUTS files (stamped in the cache folder ``store``,
    ``cache.file_key``), FORMAT and the CODE modules' source."""
    return cache.inputs_key(FORMAT, root, INPUTS, CODE, store)


def entry(store: Path, root: Path) -> Path:
    """The entry folder for the current files of ``root`` in cache folder ``store``."""
    return store / f"tables-{key(root, store)}"


def _frame(path: Path) -> pd.DataFrame:
    return mapped.read(path).copy()  # in memory and writable: the tables are small


def read(folder: Path) -> tuple[dict[str, pd.DataFrame], dict] | None:
    """(frames by name, with their ``attrs``; the manifest's ``meta``) of an entry, or None when absent or
    unreadable."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT:
            return None
        frames = {}
        for name, attrs in manifest["frames"].items():
            frames[name] = _frame(folder / f"{name}.arrow")
            frames[name].attrs.update(attrs)
        return frames, manifest["meta"]
    except (OSError, ValueError, TypeError, KeyError):  # torn, foreign or an older format: a miss
        return None


def write(folder: Path, frames: dict[str, pd.DataFrame | None], meta: dict) -> bool:
    """Store ``frames`` (None ones left out) and the JSON-able ``meta`` as the entry ``folder``, keeping the
    ``KEEP`` newest entries. False, and nothing stored, when a frame cannot be (an index other than
    0..n-1, a dtype mapped.py does not hold) or the folder is not writable.

    The entry is built in a temporary folder, its manifest last, and renamed into place whole. An entry of
    the same key that another process stored meanwhile is kept (it holds the same tables); an unreadable
    one is moved aside and replaced."""
    atomic.clean_stale(folder.parent)
    tmp = atomic.temp_path(folder)
    try:
        tmp.mkdir()
        stored = {}
        for name, df in frames.items():
            if df is None:
                continue
            if not df.index.equals(pd.RangeIndex(len(df))):
                raise TypeError(f"{name}: index is not 0..n-1")
            mapped.write(tmp / f"{name}.arrow", df)
            stored[name] = dict(df.attrs)
        manifest = {"format": FORMAT, "frames": stored, "meta": meta}
        atomic.write_text(tmp / "manifest.json", json.dumps(manifest))
        if not atomic.publish_folder(tmp, folder) and read(folder) is None:
            aside = atomic.temp_path(folder)  # a torn or foreign entry of this key: replaced
            try:
                os.rename(folder, aside)
            except FileNotFoundError:  # another writer moved it first
                pass
            shutil.rmtree(aside, ignore_errors=True)
            if not atomic.publish_folder(tmp, folder) and read(folder) is None:
                return False
        _trim(folder.parent)
        return True
    except (OSError, TypeError, ValueError):
        return False
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _trim(store: Path) -> None:
    """Keep the ``KEEP`` newest entries (by modification time); entries other processes removed meanwhile
    are passed over."""
    entries = []
    for p in store.glob("tables-*"):
        try:
            entries.append((p.stat().st_mtime_ns, p.name, p))
        except FileNotFoundError:
            continue
    for _, _, old in sorted(entries, reverse=True)[KEEP:]:
        shutil.rmtree(old, ignore_errors=True)
