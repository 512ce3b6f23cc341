"""The payments of an out-of-core dataset as Parquet parts: one file per spend file and financial year.

Layout, in the dataset's cache folder (anchorlib/data/storage/cache.py)::

    parts-<join key>/<anchor_id>/<financial year, or 'undated'>/<spend file key>.parquet
    parts-<join key>/<spend file key>.json      the file's parts and their rows (written last)

The join key covers the tables the join reads (register, geography, rule set, matches: ``cache``'s
``PAYMENTS_INPUTS``) and the code that joins, not the spend files: each spend file's parts are keyed by
that file (its path, size and modification time), so a folder that gains a month's file parses and
joins that file alone. Each part holds the joined payments (anchorlib/data/payments.py) with text as
dictionary-encoded columns; a part's anchor and year are columns of it too, so any Parquet reader
(DuckDB, Spark) can read the files as they are. Every file is written as anchorlib/data/storage/atomic.py
writes (a temporary name of its own in the same folder, flushed, renamed into place); a spend file's
parts count only once its manifest is there.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from anchorlib.data.relation import Part
from anchorlib.data.storage import atomic, cache
from anchorlib.paths import PACKAGE_DIR

if TYPE_CHECKING:
    import pandas as pd

FORMAT = "parts-v1"
UNDATED = "undated"  # the folder of payments without a date (no financial year)
CODE = ["data/storage/parts.py", "data/relation.py"]  # beside cache.PAYMENTS_CODE, in payments_inputs
#: The columns whose min and max each part records, for readers that filter on them (DuckDB and Spark
#: skip a part whose range excludes the filter).
STATISTICS = ["anchor_id", "financial_year", "payment_date", "category", "lad"]


def join_key(payments_inputs: str) -> str:
    """The key of the join's inputs and code (not of the spend files): ``cache.payments_inputs`` (taken
    before the tables are read) and the source of this module and the relation's."""
    h = hashlib.sha1(f"{FORMAT}|{payments_inputs}".encode())
    for rel in CODE:
        h.update((PACKAGE_DIR / rel).read_bytes())
    return h.hexdigest()


def directory(store: Path, key: str) -> Path:
    return store / f"parts-{key}"


def read_manifest(folder: Path, file_key: str) -> tuple[list[Part], list[str]] | None:
    """(parts, columns) of one spend file, or None when absent, unreadable or a part is missing."""
    try:
        meta = json.loads((folder / f"{file_key}.json").read_text(encoding="utf-8"))
        parts = [
            Part(str(folder / p["path"]), p["anchor_id"], p["financial_year"], int(p["rows"]))
            for p in meta["parts"]
        ]
        if all(os.path.exists(p.path) for p in parts):
            return parts, list(meta["columns"])
    except (OSError, ValueError, TypeError, KeyError):
        pass
    return None


def write(
    folder: Path, file_key: str, anchor_id: str, payments: pd.DataFrame
) -> tuple[list[Part], list[str]]:
    """Write one spend file's joined payments as a part per financial year, then its manifest (each file
    written whole or not at all: anchorlib/data/storage/atomic.py)."""
    atomic.clean_stale(folder)
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    fy = payments["financial_year"]
    codes = fy.cat.codes.to_numpy()
    entries = []
    for code in np.unique(codes):
        year = None if code < 0 else str(fy.cat.categories[code])
        rows = payments[codes == code] if len(np.unique(codes)) > 1 else payments
        rel = Path(anchor_id) / (year or UNDATED) / f"{file_key}.parquet"
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pandas(rows, preserve_index=False)
        with atomic.replacing(path) as tmp:  # flushed, then renamed into place
            # microsecond timestamps: what every Parquet reader (Spark included) takes
            pq.write_table(
                table,
                tmp,
                coerce_timestamps="us",
                allow_truncated_timestamps=True,
                # a dictionary for every column but the one of unique texts (it would fall back to plain)
                use_dictionary=[c for c in table.column_names if c != "transaction_id"],
                # statistics where a reader filters (the rest cost a third of the write's time)
                write_statistics=[c for c in STATISTICS if c in table.column_names],
            )
        entries.append({"path": str(rel), "anchor_id": anchor_id, "financial_year": year, "rows": len(rows)})
    columns = [str(c) for c in payments.columns]
    atomic.write_text(folder / f"{file_key}.json", json.dumps({"parts": entries, "columns": columns}))
    return [
        Part(str(folder / e["path"]), anchor_id, e["financial_year"], e["rows"]) for e in entries
    ], columns


def tidy(store: Path, folder: Path, file_keys: set[str]) -> None:
    """Remove the parts of spend files no longer in the dataset (an edited or removed file) from
    ``folder``, and all but the ``cache.PAYMENTS_KEEP`` newest parts folders of ``store``."""
    try:
        for manifest in folder.glob("*.json"):
            if manifest.stem not in file_keys:
                meta = read_manifest(folder, manifest.stem)
                for part in meta[0] if meta else []:
                    Path(part.path).unlink(missing_ok=True)
                manifest.unlink(missing_ok=True)
        folders = sorted(store.glob("parts-*"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in folders[cache.PAYMENTS_KEEP :]:
            if old != folder:
                shutil.rmtree(old, ignore_errors=True)
        os.utime(folder)  # the folder in use is the newest
    except OSError:
        pass
