"""Parquet cache of normalised spend, one entry per source file (docs/performance.md, caching).

A spend file is parsed once; later opens read its normalised rows (``ingest.SPEND_COLUMNS``) from
Parquet and its ``LoadReport`` from JSON. The key is the file's relative path, size, mtime, ctime and
inode (``file_key``), and its content too while it is new, so an edited or replaced file is parsed
again. Every file is written whole or not at all (``atomic``), the JSON last. The cache lives in
``<dataset>/.anchorlib-cache/``, or in ``$ANCHORLIB_CACHE_DIR`` (one sub-folder per dataset) when set or
when the dataset folder is read-only or inside the installed package (the sample a wheel bundles).
``ANCHORLIB_CACHE=0`` turns it off.

For datasets over ``PAYMENTS_MIN_ROWS`` payments the joined ``Dataset.payments`` is stored too, as a
memory-mapped Arrow file (anchorlib/mapped.py) that opens without reading or copying its rows.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import time
from pathlib import Path
from typing import TYPE_CHECKING

from anchorlib.data.storage import atomic
from anchorlib.paths import PACKAGE_DIR, is_installed

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
    is writable. Never inside an installed package (site-packages is no place for caches)."""
    beside = not os.environ.get("ANCHORLIB_CACHE_DIR") and not is_installed(root)
    candidates = [root / CACHE_DIRNAME] if beside else []
    candidates.append(_user_dir(root))
    for d in candidates:
        try:
            d.mkdir(parents=True, exist_ok=True)
            probe = atomic.temp_path(d / "write-test")  # its own name: opens at once do not collide
            probe.touch()
            probe.unlink()
            return d
        except OSError:
            continue
    return None


#: A file whose last change (mtime or ctime) is this recent when its key is taken is keyed by its content
#: too: file timestamps have a granularity (a kernel tick on Linux, 2 s on FAT), so a second change
#: within it could leave size and times as they were (docs/performance.md, caching).
RACY_SECONDS = 3
STAMPS_KEEP = 1024  # content stamps kept per cache folder (one per file keyed while it was new)


def file_key(path: Path, rel: str, store: Path | None = None) -> str:
    """Cache key of one source file: its relative path, size, mtime_ns, ctime_ns and inode (and the cache
    format).

    Any later write to the file, or a change of its times (``touch``, ``cp -p``, ``tar``), sets its ctime
    to the time then, so it changes the key. Only a change within the timestamps' granularity of the last
    one could keep size and times, so a file changed less than ``RACY_SECONDS`` before its key is taken
    is keyed by a hash of its content as well. With a cache folder ``store`` that hash is kept there as
    the file's stamp (``stamp-<key>.json``): later opens key the file by the same hash, hashing it again
    until its last change is ``RACY_SECONDS`` old and then never (a settled stamp), so the key does not
    change when the file stops being new. The cost falls on files just written; a file that has not
    changed for ``RACY_SECONDS`` and has no stamp costs one ``stat``."""
    now = time.time_ns()  # before the stat: a change after it has a ctime of now or later
    st = path.stat()
    if not stat.S_ISREG(st.st_mode):  # a folder or device where a file belongs: its reader names the problem
        return hashlib.sha1(f"{FORMAT}|{rel}|not-a-file|{st.st_mode}|{st.st_mtime_ns}".encode()).hexdigest()
    base = hashlib.sha1(
        f"{FORMAT}|{rel}|{st.st_size}|{st.st_mtime_ns}|{st.st_ctime_ns}|{st.st_ino}".encode()
    ).hexdigest()
    racy = max(st.st_mtime_ns, st.st_ctime_ns) >= now - RACY_SECONDS * 10**9
    stamp_path = store / f"stamp-{base}.json" if store is not None else None
    stamp = _read_stamp(stamp_path) if stamp_path is not None else None
    if stamp is None and not racy:
        return base
    if stamp is not None and stamp["settled"]:
        digest = stamp["sha1"]
    else:
        try:
            with path.open("rb") as fh:
                digest = hashlib.file_digest(fh, "sha1").hexdigest()
        except PermissionError:  # nothing can be read from it, so nothing is cached from it either
            return f"{base}-unreadable"
        if stamp_path is not None and (stamp is None or stamp["sha1"] != digest or not racy):
            _write_stamp(stamp_path, {"sha1": digest, "settled": not racy})
    return hashlib.sha1(f"{base}|sha1:{digest}".encode()).hexdigest()


def _read_stamp(path: Path) -> dict | None:
    try:
        stamp = json.loads(path.read_text(encoding="utf-8"))
        return (
            stamp if isinstance(stamp.get("sha1"), str) and isinstance(stamp.get("settled"), bool) else None
        )
    except (OSError, ValueError, AttributeError):
        return None


_stamps_trimmed: set[Path] = set()  # cache folders whose stamps this process has trimmed


def _write_stamp(path: Path, stamp: dict) -> None:
    try:
        atomic.write_text(path, json.dumps(stamp))
        if path.parent not in _stamps_trimmed:  # once per process: a fresh dataset writes one per file
            _stamps_trimmed.add(path.parent)
            keep_newest(path.parent.glob("stamp-*.json"), STAMPS_KEEP)
    except OSError:  # not stored: the file is hashed again next time
        pass


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
    """Store one file's normalised frame (Parquet, dictionary-encoded strings) and its load report (JSON),
    each whole or not at all, the JSON last: ``read`` takes an entry only when both are there. Nothing is
    stored when the folder is not writable."""
    atomic.clean_stale(directory)
    try:
        with atomic.replacing(directory / f"{key}.parquet") as tmp:
            df.to_parquet(tmp, index=False)
        atomic.write_text(directory / f"{key}.json", json.dumps(_report_to_json(report)))
    except (OSError, TypeError, ValueError):
        pass


#: The modules whose output a grant file's cache entry holds: a change to them reads the file again.
GRANTS_CODE = ["data/ingest/grants.py", "data/ingest/values.py", "data/ingest/report.py"]


def grants_key(path: Path, rel: str, store: Path | None = None) -> str:
    """Cache key of one 360Giving file: its ``file_key`` and the source of ``GRANTS_CODE``."""
    h = hashlib.sha1(f"grants-v1|{file_key(path, rel, store)}".encode())
    for code in GRANTS_CODE:
        h.update((PACKAGE_DIR / code).read_bytes())
    return h.hexdigest()


def read_grants(directory: Path, key: str):
    """The cached (grants, GrantReport) of one 360Giving file (anchorlib/data/ingest/grants.py), or None."""
    from anchorlib.data.ingest.grants import GrantReport

    try:
        report = GrantReport.from_json(
            json.loads((directory / f"grants-{key}.json").read_text(encoding="utf-8"))
        )
        return read_parquet(directory / f"grants-{key}.parquet"), report
    except (OSError, ValueError, TypeError, KeyError):  # absent, torn or foreign: a miss
        return None


def write_grants(directory: Path, key: str, df: pd.DataFrame, report) -> None:
    """Store one 360Giving file's grants and grant report, each whole or not at all, the report last."""
    atomic.clean_stale(directory)
    try:
        with atomic.replacing(directory / f"grants-{key}.parquet") as tmp:
            df.to_parquet(tmp, index=False)
        atomic.write_text(directory / f"grants-{key}.json", json.dumps(report.to_json()))
    except (OSError, TypeError, ValueError):
        pass


def write_report(directory: Path, key: str, report: LoadReport) -> None:
    """Store one file's load report alone (an out-of-core dataset keeps its rows in its Parquet parts,
    anchorlib/data/storage/parts.py), whole or not at all."""
    try:
        atomic.write_text(directory / f"{key}.json", json.dumps(_report_to_json(report)))
    except OSError:
        pass


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


def payments_inputs(root: Path, store: Path | None = None) -> str:
    """The part of the payments' key that covers the files the join reads besides the spend, and its code.
    Taken before those files are read (``open_dataset``), so that a file changed while the dataset opens
    keys the payments made from it as they were read, never as they became."""
    return inputs_key("payments-inputs-v1", root, PAYMENTS_INPUTS, PAYMENTS_CODE, store)


def payments_key(root: Path, spend_keys: list[str], inputs: str | None = None) -> str:
    """The payments' key: every spend file's key and ``payments_inputs`` (taken now when not given)."""
    inputs = payments_inputs(root) if inputs is None else inputs
    return hashlib.sha1(f"payments-v2|{'|'.join(sorted(spend_keys))}|{inputs}".encode()).hexdigest()


def inputs_key(prefix: str, root: Path, inputs: list[str], code: list[str], store: Path | None = None) -> str:
    """A key over ``prefix``, the dataset files ``inputs`` (each one's ``file_key``, stamped in ``store``, or
    absent) and the source of the package modules ``code``."""
    h = hashlib.sha1(prefix.encode())
    for rel in inputs:
        f = root / rel
        try:
            h.update(file_key(f, rel, store).encode())
        except FileNotFoundError:
            h.update(f"absent:{rel}".encode())
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
    """Remove all but the ``n`` newest (by modification time) of ``paths``; returns those kept. A file
    another process removed meanwhile is passed over; one a process has open or mapped stays readable
    to it, and one it is about to open is a cache miss there (its readers return None)."""
    entries = []
    for p in paths:
        try:
            entries.append((p.stat().st_mtime_ns, p.name, p))
        except FileNotFoundError:
            continue
    entries.sort(reverse=True)
    for _, _, old in entries[n:]:
        old.unlink(missing_ok=True)
    return [p for _, _, p in entries[:n]]


PAYMENTS_KEEP = (
    2  # payments entries kept per dataset: two versions of the code (or of the data) do not evict each other
)


def write_payments(directory: Path, key: str, payments: pd.DataFrame) -> bool:
    """Store the payments, keeping the ``PAYMENTS_KEEP`` newest entries of this dataset (False when not
    stored)."""
    from anchorlib.data.storage import mapped

    atomic.clean_stale(directory)
    try:
        mapped.write(directory / f"payments-{key}.arrow", payments)
    except (OSError, TypeError, ValueError):
        return False
    try:
        for old in directory.glob("payments-*.parquet"):  # the format before mapped files
            old.unlink(missing_ok=True)
        kept = {
            e.name[len("payments-") : -len(".arrow")]
            for e in keep_newest(directory.glob("payments-*.arrow"), PAYMENTS_KEEP)
        }
        for old in directory.glob("derived-*.arrow"):  # frames made from payments no longer kept
            if old.name.split("-")[1] not in kept:
                old.unlink(missing_ok=True)
    except OSError:  # a folder another process is trimming too: what is left goes next time
        pass
    return True
