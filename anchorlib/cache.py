"""Parquet cache of normalised spend, one entry per source file (DESIGN.md, Contracts: dataset folder).

A spend file is parsed once; later opens read its normalised rows (``ingest.SPEND_COLUMNS``) from
Parquet and its ``LoadReport`` from JSON. The key is the file's relative path, size and mtime_ns, so
an edited or replaced file is parsed again. The cache lives in ``<dataset>/.anchorlib-cache/``,
or in ``$ANCHORLIB_CACHE_DIR`` (one sub-folder per dataset) when set or when the dataset folder is
read-only. ``ANCHORLIB_CACHE=0`` turns it off.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pandas as pd

from .ingest import LoadReport, Rejection

CACHE_DIRNAME = ".anchorlib-cache"
FORMAT = "spend-v1"  # bump when the normalised columns or the loader's output change
# repeated strings stored as dictionaries: a few thousand distinct values over millions of rows
CATEGORICAL = ["supplier_name", "expense_type", "expense_area", "supplier_postcode", "source_file"]


def enabled() -> bool:
    return os.environ.get("ANCHORLIB_CACHE", "1") not in ("0", "false", "no", "off")


def _user_dir(root: Path) -> Path:
    base = os.environ.get("ANCHORLIB_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "anchorlib")
    return Path(base) / hashlib.sha1(str(root).encode()).hexdigest()[:16]


def cache_dir(root: Path) -> Path | None:
    """Where the cache of dataset ``root`` lives: beside the data, else a user cache dir; None if neither is writable."""
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
    d = dict(r.__dict__)
    d["rejections"] = [{"line": x.line, "reason": x.reason} for x in r.rejections]
    return d


def _report_from_json(d: dict) -> LoadReport:
    d = dict(d)
    d["rejections"] = [Rejection(**x) for x in d.get("rejections", [])]
    return LoadReport(**d)


def read(directory: Path, key: str) -> tuple[pd.DataFrame, LoadReport] | None:
    """The cached (frame, report) for ``key``, or None when absent or unreadable."""
    pq, js = directory / f"{key}.parquet", directory / f"{key}.json"
    if not (pq.exists() and js.exists()):
        return None
    try:
        report = _report_from_json(json.loads(js.read_text(encoding="utf-8")))
        df = pd.read_parquet(pq)
    except (OSError, ValueError, TypeError, KeyError):  # a torn or foreign file is a cache miss (pyarrow errors are OSError/ValueError)
        return None
    for col in CATEGORICAL:
        if col in df.columns and isinstance(df[col].dtype, pd.CategoricalDtype):
            df[col] = df[col].astype("string")
    return df, report


def write(directory: Path, key: str, df: pd.DataFrame, report: LoadReport) -> None:
    """Store one file's normalised frame (Parquet, dictionary-encoded strings) and its load report (JSON)."""
    out = df.copy()
    for col in CATEGORICAL:
        if col in out.columns:
            out[col] = out[col].astype("category")
    tmp = directory / f".{key}.{os.getpid()}.tmp"
    try:
        out.to_parquet(tmp, index=False)
        os.replace(tmp, directory / f"{key}.parquet")
        (directory / f"{key}.json").write_text(json.dumps(_report_to_json(report)), encoding="utf-8")
    except OSError:
        tmp.unlink(missing_ok=True)
