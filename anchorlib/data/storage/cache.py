"""Parquet cache of normalised spend, one entry per source file (docs/performance.md, caching).

A spend file is parsed once; later opens read its normalised rows (``ingest.SPEND_COLUMNS``) from
Parquet and its ``LoadReport`` from JSON. The key is the file's relative path, size and mtime_ns, so
an edited or replaced file is parsed again. The cache lives in ``<dataset>/.anchorlib-cache/``,
or in ``$ANCHORLIB_CACHE_DIR`` (one sub-folder per dataset) when set or when the dataset folder is
read-only. ``ANCHORLIB_CACHE=0`` turns it off.

For datasets over ``PAYMENTS_MIN_ROWS`` payments the joined ``Dataset.payments`` is stored too, as a
memory-mapped Arrow file (anchorlib/mapped.py) that opens without reading or copying its rows.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from anchorlib.paths import PACKAGE_DIR

if TYPE_CHECKING:  # pandas and the loader are imported where used: a cached result needs neither
    import pandas as pd

    from anchorlib.data.ingest import LoadReport

CACHE_DIRNAME = ".anchorlib-cache"
FORMAT = "spend-v4"  # bump when the normalised columns or the loader's output change (v4: every sheet)


def enabled() -> bool:
    return os.environ.get("ANCHORLIB_CACHE", "1") not in ("0", "false", "no", "off")


def _user_dir(root: Path) -> Path:
    base = os.environ.get("ANCHORLIB_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "anchorlib"
    )
    return Path(base) / hashlib.sha1(str(root).encode()).hexdigest()[:16]


def cache_dir(root: Path) -> Path | None:
    """Where the cache of dataset ``root`` lives: beside the data, else a user cache dir; None if neither
    is writable."""
    candidates = [] if os.environ.get("ANCHORLIB_CACHE_DIR") else [root / CACHE_DIRNAME]
    candidates.append(_user_dir(root))
    for d in candidates:
        try:
            d.mkdir(parents=True, exist_ok=True)
            probe = d / ".write-test"
            probe.touch()
            probe.unlink()
            return d
        except OSError:
            continue
    return None


def file_key(path: Path, rel: str) -> str:
    """Cache key of one source file: its relative path, size and mtime_ns (and the cache format)."""
    st = path.stat()
    return hashlib.sha1(f"{FORMAT}|{rel}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()


def _report_to_json(r: LoadReport) -> dict:
    return r.to_json()


def _report_from_json(d: dict) -> LoadReport:
    from anchorlib.data.ingest import LoadReport

    return LoadReport.from_json(d)


def read(directory: Path, key: str) -> tuple[pd.DataFrame, LoadReport] | None:
    """The cached (frame, report) for ``key``, or None when absent or unreadable."""
    pq = directory / f"{key}.parquet"
    report = read_report(directory, key)
    if report is None or not pq.exists():
        return None
    try:
        return read_parquet(pq), report
    except (
        OSError,
        ValueError,
        TypeError,
        KeyError,
    ):  # a torn or foreign file is a cache miss (pyarrow errors are OSError/ValueError)
        return None


def read_parquet(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """A cached frame, memory-mapped and read by pyarrow with its pandas dtypes (categoricals stay
    categoricals, with ``str`` categories even when empty, as ``payments.categorical`` makes them)."""
    import pandas as pd
    import pyarrow.parquet as pq

    df = pq.read_table(path, columns=columns, memory_map=True).to_pandas()
    for col in df.columns:
        dtype = df[col].dtype
        if isinstance(dtype, pd.CategoricalDtype) and dtype.categories.dtype != "str":
            df[col] = df[col].cat.set_categories(pd.Index(dtype.categories, dtype="str"))
    return df


def read_report(directory: Path, key: str) -> LoadReport | None:
    """The cached LoadReport of one source file, or None."""
    js = directory / f"{key}.json"
    try:
        return _report_from_json(json.loads(js.read_text(encoding="utf-8"))) if js.exists() else None
    except (OSError, ValueError, TypeError, KeyError):
        return None


def write(directory: Path, key: str, df: pd.DataFrame, report: LoadReport) -> None:
    """Store one file's normalised frame (Parquet, dictionary-encoded strings) and its load report (JSON)."""
    tmp = directory / f".{key}.{os.getpid()}.tmp"
    try:
        df.to_parquet(tmp, index=False)
        os.replace(tmp, directory / f"{key}.parquet")
        (directory / f"{key}.json").write_text(json.dumps(_report_to_json(report)), encoding="utf-8")
    except OSError:
        tmp.unlink(missing_ok=True)


# --- the enriched payments (Dataset.payments) ----------------------------------------------
# Keyed by every spend file's key, the files the join reads, and the source of the modules that
# build it, so a changed register, geography, rule set or join code rebuilds it.
PAYMENTS_INPUTS = [
    "anchors.csv",
    "suppliers.csv",
    "geography/postcodes.csv",
    "geography/imd.csv",
    "categories.csv",
    "areas.csv",
    "supplier_matches.csv",
]
PAYMENTS_CODE = [
    "data/dataset.py",
    "data/payments.py",
    "data/storage/mapped.py",
    "data/suppliers.py",
    "data/places.py",
    "data/addressable.py",
    "data/ingest/values.py",
]
PAYMENTS_MIN_ROWS = 100_000  # below this building the payments is quicker than caching them


def payments_key(root: Path, spend_keys: list[str]) -> str:
    return inputs_key(f"payments-v1|{'|'.join(sorted(spend_keys))}", root, PAYMENTS_INPUTS, PAYMENTS_CODE)


def inputs_key(prefix: str, root: Path, inputs: list[str], code: list[str]) -> str:
    """A key over ``prefix``, the dataset files ``inputs`` (each one's ``file_key``, or absent) and the
    source of the package modules ``code``."""
    h = hashlib.sha1(prefix.encode())
    for rel in inputs:
        f = root / rel
        h.update(file_key(f, rel).encode() if f.exists() else f"absent:{rel}".encode())
    pkg = PACKAGE_DIR
    for rel in code:
        h.update((pkg / rel).read_bytes())
    return h.hexdigest()


def read_payments(directory: Path, key: str) -> pd.DataFrame | None:
    """The cached payments for ``key`` (memory-mapped, see anchorlib/mapped.py), or None."""
    return read_mapped(directory / f"payments-{key}.arrow")


def read_mapped(path: Path) -> pd.DataFrame | None:
    """The frame stored at ``path`` by ``mapped`` (memory-mapped), or None when absent or unreadable."""
    from anchorlib.data.storage import mapped

    try:
        return mapped.read(path) if path.exists() else None
    except (OSError, ValueError, TypeError, KeyError):  # torn or foreign: a cache miss
        return None


def write_mapped(path: Path, df: pd.DataFrame) -> bool:
    """Store ``df`` at ``path`` with anchorlib/mapped.py; False, and nothing stored, when it cannot be (an
    index other than 0..n-1, a dtype mapped.py does not hold, an unwritable folder)."""
    import pandas as pd

    from anchorlib.data.storage import mapped

    if not df.index.equals(pd.RangeIndex(len(df))):
        return False
    try:
        mapped.write(path, df)
        return True
    except (OSError, TypeError, ValueError):
        return False


def keep_newest(paths, n: int) -> list[Path]:
    """Remove all but the ``n`` newest (by modification time) of ``paths``; returns those kept."""
    entries = sorted(paths, key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for old in entries[n:]:
        old.unlink(missing_ok=True)  # a process that has it mapped keeps reading it
    return entries[:n]


PAYMENTS_KEEP = (
    2  # payments entries kept per dataset: two versions of the code (or of the data) do not evict each other
)


def write_payments(directory: Path, key: str, payments: pd.DataFrame) -> bool:
    """Store the payments, keeping the ``PAYMENTS_KEEP`` newest entries of this dataset (False when not
    stored)."""
    from anchorlib.data.storage import mapped

    try:
        mapped.write(directory / f"payments-{key}.arrow", payments)
        for old in directory.glob("payments-*.parquet"):  # the format before mapped files
            old.unlink(missing_ok=True)
        kept = {
            e.name[len("payments-") : -len(".arrow")]
            for e in keep_newest(directory.glob("payments-*.arrow"), PAYMENTS_KEEP)
        }
        for old in directory.glob("derived-*.arrow"):  # frames made from payments no longer kept
            if old.name.split("-")[1] not in kept:
                old.unlink(missing_ok=True)
        return True
    except (OSError, TypeError):
        return False
