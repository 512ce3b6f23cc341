"""The small tables of a dataset folder, stored once beside the spend cache (README, "Performance").

Everything ``open_dataset`` reads besides the spend (anchors, the supplier register after name
normalisation and location, geography, areas, categories, LM3 survey, tenders, commitments,
supplier_matches.csv decisions, notes) is one entry: a folder of mapped Arrow files (anchorlib/mapped.py,
no pickle) and a JSON manifest. Its key is every file of ``INPUTS`` (path, size, mtime_ns, or absent)
and the source of the modules in ``CODE``, so a changed file is read, and checked, again: a bad file
still raises its one-line error (DESIGN.md, Contracts: dataset folder). Small frames computed from these
tables alone (the LM3 survey resolved to suppliers) join the entry when first computed (``derived``).
An unreadable entry is a cache miss.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from anchorlib.data.storage import cache, mapped

FORMAT = "tables-v1"
INPUTS = [
    "anchors.csv",
    "suppliers.csv",
    "supplier_matches.csv",
    "geography/postcodes.csv",
    "geography/imd.csv",
    "areas.csv",
    "categories.csv",
    "lm3_survey.csv",
    "social_value/tenders.csv",
    "social_value/commitments.csv",
]
# the modules that read the tables, and those that derive frames from them (lm3.survey_suppliers)
CODE = [
    "data/dataset.py",
    "data/storage/tables.py",
    "data/tables.py",
    "data/places.py",
    "data/suppliers.py",
    "data/storage/mapped.py",
    "metrics/multiplier.py",
    "metrics/definitions.py",
]
KEEP = 2  # entries kept per dataset, as cache.PAYMENTS_KEEP
_ENTRY = "_tables_entry"  # Dataset.__dict__: (entry folder, the tables as opened)


def key(root: Path) -> str:
    """Key of the tables of dataset ``root``: its INPUTS files, FORMAT and the CODE modules' source."""
    return cache.inputs_key(FORMAT, root, INPUTS, CODE)


def entry(store: Path, root: Path) -> Path:
    """The entry folder for the current files of ``root`` in cache folder ``store``."""
    return store / f"tables-{key(root)}"


def _frame(path: Path) -> pd.DataFrame:
    return mapped.read(path).copy()  # in memory and writable: the tables are small


def read(folder: Path) -> tuple[dict[str, pd.DataFrame], dict] | None:
    """(frames by name, with their ``attrs``; the manifest's ``meta``) of an entry, or None when absent or unreadable."""
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
    0..n-1, a dtype mapped.py does not hold) or the folder is not writable."""
    tmp = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
    try:
        shutil.rmtree(tmp, ignore_errors=True)
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
        (tmp / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
        shutil.rmtree(folder, ignore_errors=True)  # an unreadable entry of the same key
        os.replace(tmp, folder)
        entries = sorted(folder.parent.glob("tables-*"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in entries[KEEP:]:
            shutil.rmtree(old, ignore_errors=True)
        return True
    except (OSError, TypeError, ValueError):
        shutil.rmtree(tmp, ignore_errors=True)
        return False


def attach(ds, folder: Path, names: list[str]) -> None:
    """Tie dataset ``ds`` to its entry ``folder``: ``derived`` frames of the attributes ``names`` go there
    while those attributes are still the objects opened."""
    ds.__dict__[_ENTRY] = (folder, {n: getattr(ds, n) for n in names})


def derived(ds, name: str, inputs: tuple[str, ...], build: Callable[[object], pd.DataFrame]) -> pd.DataFrame:
    """``build(ds)``, a frame computed from the dataset attributes ``inputs`` alone, once: kept on ``ds`` while
    those attributes are the same objects, and in the dataset's entry while they are the tables as opened,
    so a new process reads it instead. What ``build`` raises is raised every time (nothing is stored)."""
    now = tuple(getattr(ds, a) for a in inputs)
    memo = ds.__dict__.get(f"_derived_{name}")
    if memo is not None and all(a is b for a, b in zip(memo[0], now)):
        return memo[1]
    folder, opened = ds.__dict__.get(_ENTRY, (None, {}))
    on_disk = folder is not None and all(a in opened and opened[a] is v for a, v in zip(inputs, now))
    path = folder / f"derived-{name}.arrow" if on_disk else None
    value = cache.read_mapped(path) if path is not None else None
    if value is not None:
        value = value.copy()  # in memory and writable, as the tables are (_frame)
    else:
        value = build(ds)
        if path is not None:
            cache.write_mapped(path, value)
    ds.__dict__[f"_derived_{name}"] = (now, value)
    return value
