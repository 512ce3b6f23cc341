"""A writer of a dataset's caches that the fault tests kill, or run several at once (tests/test_faults.py).

    python -m tests.fault_writer MODE ROOT [KIND PHASE] [--go FILE]

MODE ``summary`` runs ``anchorlib summary --json`` (its output on stdout); ``open`` opens the dataset and
prints a digest of its payments and a rollup. Payments are cached, and rollups stored, from one row
(``PAYMENTS_MIN_ROWS``, ``rollup.MIN_ROWS``), so every cache is written. With KIND and PHASE the
process kills itself (SIGKILL) at the first file of that kind it is about to publish (``before``: the
temporary file written whole; ``partial``: cut to half first) or has just published (``after``). The
kinds, by the name of the final file: spend-parquet, spend-json, stamp, tables-frame, tables-manifest,
tables-folder, payments, derived, result. With ``--go`` it waits, after its imports, until FILE exists,
so that processes started together write together.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import sys
import time
from pathlib import Path


def kind(dst: Path) -> str:
    name, parent = dst.name, dst.parent.name
    if name.endswith(".parquet"):
        return "spend-parquet"
    if re.fullmatch(r"[0-9a-f]{40}\.json", name):
        return "spend-json"
    for prefix in ("stamp", "payments", "derived", "result"):
        if name.startswith(prefix + "-"):
            return prefix
    if name == "manifest.json":
        return "tables-manifest"
    if name.startswith("tables-"):
        return "tables-folder"
    if parent.startswith(".tables-") and name.endswith(".arrow"):
        return "tables-frame"
    return "other"


def arm(target: str, phase: str) -> None:
    """Kill this process at the first publication of a ``target`` file (``phase``: before, partial, after)."""

    def die():
        sys.stdout.flush()
        os.kill(os.getpid(), signal.SIGKILL)

    def hooked(real):
        def publish(src, dst, *args, **kw):
            hit = kind(Path(dst)) == target
            if hit and phase in ("before", "partial"):
                if phase == "partial" and os.path.isfile(src):
                    os.truncate(src, os.path.getsize(src) // 2)
                die()
            out = real(src, dst, *args, **kw)
            if hit and phase == "after":
                die()
            return out

        return publish

    os.replace, os.rename = hooked(os.replace), hooked(os.rename)


def payments_digest(ds) -> str:
    """A digest of the payments' every value and of a stored rollup (its rows sorted, its sums to the penny:
    DuckDB's parallel sums differ in the last bit from run to run)."""
    import pandas as pd

    p = ds.payments
    h = hashlib.sha1(pd.util.hash_pandas_object(p, index=False).to_numpy().tobytes())
    h.update(str(list(p.columns)).encode())
    r = ds.rollup(["anchor_id", "financial_year", "category"])  # summed by DuckDB: to the penny
    r = r.assign(amount=r["amount"].round(2)).sort_values(list(r.columns[:3]))
    h.update(r.to_csv(index=False).encode())
    return h.hexdigest()


def main(argv: list[str]) -> None:
    go = None
    if "--go" in argv:
        i = argv.index("--go")
        go, argv = Path(argv[i + 1]), argv[:i] + argv[i + 2 :]
    mode, root, *kill = argv
    from anchorlib.data import rollup
    from anchorlib.data.storage import cache

    cache.PAYMENTS_MIN_ROWS = rollup.MIN_ROWS = 1
    if kill:
        arm(*kill)
    if mode == "open":
        import pandas  # noqa: F401 - imported before the start signal: the writers then overlap

        from anchorlib import open_dataset
    else:
        from anchorlib.cli import app
    while go is not None and not go.exists():
        time.sleep(0.01)
    if mode == "open":
        print(payments_digest(open_dataset(root)))
        return
    try:
        app(["summary", "--json", "--data", root])
    except SystemExit as e:
        if e.code:
            raise


if __name__ == "__main__":
    main(sys.argv[1:])
