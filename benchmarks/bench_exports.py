"""What taking tables to Excel costs (anchorlib/export.py, the apps' downloads, `summary --xlsx`, the batch
reports' workbooks). Results live in docs/performance.md (Tables to Excel), with the load.

    python benchmarks/bench_exports.py [--json]

On the committed sample: ``summary_s`` and ``summary_xlsx_s`` (median of 9 runs of the command, its result
stored), ``export`` (``xlsx_bytes`` and ``csv_bytes`` of 1,000, 10,000 and 100,000 rows of five columns),
``downloads`` (median of 5 ``Download.file`` calls per app table and format, in ms) and ``report_workbooks``
(``batch.write_workbook`` per report job in one process: the first imports the report views).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def median(fn, n: int = 5) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def run() -> dict:
    from anchorlib.export import Sheet, csv_bytes, xlsx_bytes

    out: dict = {"load": os.getloadavg()}
    cli = [str(Path(sys.executable).with_name("anchorlib"))]
    book = Path(tempfile.mkdtemp()) / "summary.xlsx"

    def command(*args):
        subprocess.run([*cli, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)

    command("summary", "--xlsx", str(book))  # stores the result
    out["summary_s"] = median(lambda: command("summary"), 9)
    out["summary_xlsx_s"] = median(lambda: command("summary", "--xlsx", str(book)), 9)
    out["export"] = {}
    for n in (1_000, 10_000, 100_000):
        rows = [[f"Supplier {i}", random.random() * 1e6, random.random(), i, f"E09{i:06d}"] for i in range(n)]
        sheet = Sheet(
            "t", ["Supplier", "Spend", "Share", "n", "LAD"], ["text", "money", "pct", "count", "text"], rows
        )
        k = 3 if n < 100_000 else 1
        out["export"][n] = {
            "xlsx_s": median(lambda s=sheet: xlsx_bytes([s]), k),
            "xlsx_mb": len(xlsx_bytes([sheet])) / 1e6,
            "csv_s": median(lambda s=sheet: csv_bytes(s), k),
        }
    from anchorlib import open_dataset
    from anchorlib.apps.leakage_explorer import LeakageModel, LeakageView
    from anchorlib.apps.network_overview import NetworkModel, NetworkView
    from anchorlib.apps.social_value import social_value_app

    ds = open_dataset()
    leakage, network, social = (
        LeakageView(LeakageModel(ds)),
        NetworkView(NetworkModel(ds)),
        social_value_app(),
    )
    tables = {
        "leakage top suppliers": leakage.downloads["suppliers"],
        "leakage by category": leakage.downloads["categories"],
        "network shared suppliers": network.downloads["shared"],
        "social value outcomes": social.outcomes_download,
    }
    out["downloads"] = {
        name: {
            "rows": len(d.make().sheet.rows),
            **{f"{f}_ms": 1000 * median(lambda d=d, f=f: d.file(f)) for f in ("csv", "xlsx")},
        }
        for name, d in tables.items()
    }
    from anchorlib.reports import batch

    jobs = batch.plan(None, tempfile.mkdtemp())
    out["report_workbooks"] = {}
    for job in jobs:
        t = time.perf_counter()
        batch.write_workbook(job)
        out["report_workbooks"][job.name] = time.perf_counter() - t
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true")
    result = run()
    print(json.dumps(result, indent=2) if ap.parse_args().json else result)


if __name__ == "__main__":
    main()
