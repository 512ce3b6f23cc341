"""A worker process of the out-of-core ingest (anchorlib/data/outofcore.py): its spec on stdin, the
dataset's tables from their cache entry, each of its spend files parsed, joined and written as Parquet
parts; a one-line error as JSON on stdout. Started as ``python -m anchorlib.data.outofcore_worker``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from anchorlib.data.dataset import _load_tables
from anchorlib.data.outofcore import ERRORS, ingest
from anchorlib.errors import AnchorlibError, DatasetError


def main() -> int:
    """A worker process: the spec on stdin, ``ingest`` of its jobs; a one-line error as JSON on stdout."""
    spec = json.loads(sys.stdin.read())
    try:
        tables = _load_tables(Path(spec["tables"]))
        if tables is None:
            raise DatasetError("the dataset's stored tables went missing during the ingest")
        ingest(spec["jobs"], tables, Path(spec["folder"]), Path(spec["store"]))
    except AnchorlibError as e:
        kind = type(e).__name__ if type(e).__name__ in ERRORS else "DatasetError"
        print(json.dumps({"kind": kind, "problem": e.problem, "path": e.path, "line": e.line}))
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
