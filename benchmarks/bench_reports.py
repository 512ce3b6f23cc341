"""Batch reports: wall time of ``anchorlib reports`` (every anchor plus the network) by --jobs.

    nice .venv/bin/python benchmarks/bench_reports.py [--data DIR] [--jobs 1,2] [--repeat 1] [--kernel NAME]

Each run is the whole command in a fresh process (kernel start-up included), output in a temporary
folder. Prints one line per run and a JSON summary (median seconds per --jobs value).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time

from anchorlib.paths import SAMPLE_DIR


def run_once(data: str, jobs: int, kernel: str) -> float:
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        r = subprocess.run(
            [
                sys.executable,
                "-m",
                "anchorlib.cli",
                "reports",
                "--data",
                data,
                "--out",
                out,
                "--jobs",
                str(jobs),
                "--kernel",
                kernel,
                "--no-progress",
            ],
            check=False,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"reports failed (exit {r.returncode}): {r.stderr.strip().splitlines()[-1:]}")
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(SAMPLE_DIR))
    ap.add_argument("--jobs", default="1,2", help="comma-separated --jobs values")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--kernel", default="anchorlib")
    a = ap.parse_args()
    result = {}
    for jobs in [int(j) for j in a.jobs.split(",")]:
        times = [run_once(a.data, jobs, a.kernel) for _ in range(a.repeat)]
        for t in times:
            print(f"--jobs {jobs}: {t:.1f} s", flush=True)
        result[f"jobs_{jobs}_median_s"] = round(statistics.median(times), 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
