"""Ingest of a dataset too large to hold in memory: each spend file parsed, joined and written as
Parquet parts (anchorlib/data/storage/parts.py), in two worker processes, so no process ever holds more
than a file's payments. ``open_dataset`` calls ``open_parts`` first; it returns None for a dataset that
stays in memory (fewer than ``relation.out_of_core_rows()`` payments).

A file is parsed once: a later open finds its parts and its load report in the cache and reads
neither. The payments' count decides: each cached file's rows loaded, else an estimate from the
file's size (``BYTES_PER_ROW``), so the choice is made before anything is parsed. A dataset whose parts
exist for the current join stays out of core.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from anchorlib.data.relation import PaymentsRelation, out_of_core_rows
from anchorlib.data.storage import cache, parts
from anchorlib.errors import AnchorlibError, DatasetError, ParameterError, SpendFileError

#: Bytes of a spend file per payment, to estimate the payments before parsing (published CSVs hold
#: 90-130 bytes a row; an .xlsx about a third of that, compressed).
BYTES_PER_ROW = {".csv": 100, ".xlsx": 35, ".xlsm": 35}
WORKERS = 2  # processes parsing and joining spend files at once (the machine's cores)
PARALLEL_MIN_ROWS = 2_000_000  # below this the workers' start-up (about 2 s) is not worth it


def _estimate(path: Path, report) -> int:
    if report is not None:
        return int(report.rows_loaded)
    return path.stat().st_size // BYTES_PER_ROW.get(path.suffix.lower(), 100)


def open_parts(
    root: Path,
    files: dict[str, list[Path]],
    keys: dict[Path, str],
    store: Path,
    tables: dict,
    tables_entry: Path | None,
    payments_inputs: str,
):
    """(relation, load reports per anchor, payments key) of an out-of-core dataset, ingesting the files
    not yet in its parts; None when the dataset stays in memory. ``payments_inputs``:
    ``cache.payments_inputs``, taken before the tables were read."""
    folder = parts.directory(store, parts.join_key(payments_inputs))
    reports = {f: cache.read_report(store, keys[f]) for fs in files.values() for f in fs}
    done = {f: parts.read_manifest(folder, keys[f]) for f in reports}
    rows = sum(_estimate(f, reports[f]) for f in reports)
    if rows < out_of_core_rows() and not (any(done.values()) and all(done.values())):
        return None
    todo = [(a, f) for a, fs in files.items() for f in fs if done[f] is None or reports[f] is None]
    if todo:
        folder.mkdir(parents=True, exist_ok=True)
        jobs = [(a, str(f), str(f.relative_to(root)), keys[f]) for a, f in todo]
        workers = _workers(sum(_estimate(f, reports[f]) for _, f in todo))
        if tables_entry is not None and len(todo) >= 2 and workers >= 2:
            _in_workers(jobs, tables_entry, folder, store, workers)
        else:
            ingest(jobs, tables, folder, store)
        for _, f in todo:
            reports[f] = cache.read_report(store, keys[f])
            done[f] = parts.read_manifest(folder, keys[f])
            if reports[f] is None or done[f] is None:
                raise DatasetError("could not store its payments in the cache", path=f.relative_to(root))
    parts.tidy(store, folder, set(keys.values()))
    every = [p for f in reports for p in done[f][0]]
    columns = next(iter(done.values()))[1]
    for f, r in reports.items():
        r.file = str(f.relative_to(root))
    by_anchor = {a: [reports[f] for f in fs] for a, fs in files.items()}
    return (
        PaymentsRelation(tuple(every), tuple(columns)),
        by_anchor,
        cache.payments_key(root, list(keys.values()), payments_inputs),
    )


def _workers(rows: int) -> int:
    """Worker processes for an ingest of about ``rows`` payments: ``$ANCHORLIB_INGEST_WORKERS`` when set
    (0 or 1: parse in this process), else ``WORKERS`` from ``PARALLEL_MIN_ROWS`` and 1 below."""
    value = os.environ.get("ANCHORLIB_INGEST_WORKERS", "").strip()
    if value:
        if not value.isdigit():
            raise ParameterError(f"ANCHORLIB_INGEST_WORKERS must be a whole number, not '{value}'")
        return int(value)
    return WORKERS if rows >= PARALLEL_MIN_ROWS else 1


def ingest(jobs, tables: dict, folder: Path, store: Path) -> None:
    """Parse, join and write each (anchor, path, relative path, key) of ``jobs``."""
    from anchorlib.data.addressable import ruleset_from_categories
    from anchorlib.data.ingest import load_spend_file
    from anchorlib.data.payments import Joiner, spend_frame

    joiner = Joiner(
        tables["suppliers"],
        tables["geography"],
        ruleset_from_categories(tables["categories"]),
        tables["supplier_overrides"],
    )
    for anchor_id, path, rel, key in jobs:
        try:
            df, report = load_spend_file(Path(path))
        except OSError as exc:  # unreadable (permissions, a file gone since it was listed), as in memory
            raise SpendFileError(f"cannot be read ({exc.strerror or exc})", path=rel) from None
        report.file = rel
        payments = joiner.join(spend_frame(df, anchor_id, rel))
        del df
        parts.write(folder, key, anchor_id, payments)
        cache.write_report(store, key, report)


def _in_workers(jobs, tables_entry: Path, folder: Path, store: Path, workers: int) -> None:
    """``ingest`` of ``jobs`` split between ``workers`` processes (largest files first, each to the
    worker with the fewest bytes so far). A worker's one-line error is raised here as it was there."""
    loads = [[] for _ in range(workers)]
    size = [0] * workers
    for job in sorted(jobs, key=lambda j: -os.path.getsize(j[1])):
        w = size.index(min(size))
        loads[w].append(job)
        size[w] += os.path.getsize(job[1])
    procs = []
    for load in loads:
        if not load:
            continue
        spec = json.dumps(
            {"tables": str(tables_entry), "folder": str(folder), "store": str(store), "jobs": load}
        )
        p = subprocess.Popen(
            [sys.executable, "-m", "anchorlib.data.outofcore_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        p.stdin.write(spec)
        p.stdin.close()
        procs.append(p)
    errors = []
    for p in procs:
        out, err = p.stdout.read(), p.stderr.read()
        p.wait()
        if p.returncode != 0:
            errors.append(_error(out, err))
    if errors:
        raise errors[0]


ERRORS = {"SpendFileError": SpendFileError, "DatasetError": DatasetError, "ParameterError": ParameterError}


def _error(out: str, err: str) -> AnchorlibError:
    try:
        e = json.loads(out.strip().splitlines()[-1])
        return ERRORS.get(e["kind"], DatasetError)(e["problem"], path=e["path"], line=e["line"])
    except (ValueError, KeyError, IndexError):
        last = (err.strip().splitlines() or ["no output"])[-1]
        return DatasetError(f"a spend-file worker failed: {last}")
