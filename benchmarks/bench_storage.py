"""What the caches' safety costs (anchorlib/data/storage/): the spend files' keys against the old key of
size and mtime alone and against hashing every file's content, a cached open, and writing the payments
with and without the flush to the disk. Results live in docs/performance.md (caching), with the load.

    python benchmarks/bench_storage.py --rows 10000000 [--data DIR] [--json]

Generates the synthetic sample at ``--rows`` (into --data, default /tmp/anchorlib-bench-<rows>) when
absent, and opens it once to fill its cache (untimed) before the steps: ``keys_s`` (best of 5: every
spend file's ``cache.file_key``), ``stat_keys_s`` (the same from size and mtime alone),
``content_hash_s`` (best and worst of 3: a SHA-1 of every spend file, as a key that read every byte
would cost on every open), ``open_cached_s`` (3 opens), ``payments_write_s`` (the payments written as
a mapped Arrow file, with the fsync and without, in turns, twice each).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def run(rows: int, data: Path) -> dict:
    from anchorlib import open_dataset
    from anchorlib.data.dataset import _spend_files
    from anchorlib.data.storage import atomic, cache, mapped
    from anchorlib.sample.generator import write_sample

    if not (data / "anchors.csv").exists():
        write_sample(data, rows=rows)
    ds = open_dataset(data)  # fills the cache
    store = cache.cache_dir(data)
    files = [f for fs in _spend_files(data, ds.anchors).values() for f in fs]
    rels = [str(f.relative_to(data)) for f in files]

    def stat_keys():
        for f, rel in zip(files, rels):
            st = f.stat()
            hashlib.sha1(f"{cache.FORMAT}|{rel}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()

    def content_hashes():
        for f in files:
            with f.open("rb") as fh:
                hashlib.file_digest(fh, "sha1")

    out = {
        "rows": len(ds.payments),
        "spend_files": len(files),
        "spend_bytes": sum(f.stat().st_size for f in files),
        "keys_s": min(
            timed(lambda: [cache.file_key(f, r, store) for f, r in zip(files, rels)]) for _ in range(5)
        ),
        "stat_keys_s": min(timed(stat_keys) for _ in range(5)),
        "content_hash_s": sorted(timed(content_hashes) for _ in range(3)),
        "open_cached_s": [timed(lambda: open_dataset(data)) for _ in range(3)],
    }
    path = store / "bench-payments.arrow"
    flush, writes = atomic.fsync, {"fsync": [], "no_fsync": []}
    try:
        for _ in range(2):
            for name in writes:
                atomic.fsync = flush if name == "fsync" else (lambda p: None)
                writes[name].append(timed(lambda: mapped.write(path, ds.payments)))
    finally:
        atomic.fsync = flush
        path.unlink(missing_ok=True)
    out["payments_write_s"] = writes
    out["payments_bytes"] = ds.payments.memory_usage(deep=False).sum()
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, required=True)
    ap.add_argument("--data", type=Path, help="dataset folder (generated when absent)")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    result = run(a.rows, a.data or Path(f"/tmp/anchorlib-bench-{a.rows}"))
    print(json.dumps(result, default=int) if a.json else "\n".join(f"{k}: {v}" for k, v in result.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
