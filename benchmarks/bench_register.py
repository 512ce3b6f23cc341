"""Register build at scale: ``anchorlib register build`` for 15,000 payees against a 5.5-million-company
Companies House file in the published layout, in a new process: its wall time and peak memory (max RSS).

    nice .venv/bin/python benchmarks/bench_register.py [--companies 5500000] [--payees 15000] [--json]

The Companies House file (``register_files.write_companies``: the published header, every value quoted,
realistic names, statuses, categories, account categories, SIC codes, previous names and postcodes, 2%
of them at the dataset's postcodes) and the dataset (anchors.csv, the sample's geography, one spend file
of the payees, ~4 payments each, and a register of 500 of them as an analyst keeps one) are written to
``/tmp/anchorlib-register-bench`` once and kept for reruns (generating 2.6 GB takes ~5 minutes). Each run
starts from the dataset's own register (its earlier suppliers.csv and the files a build writes are put
back first). Target (issue #18): under 60 s and 2 GB on this 2-core machine. Results are kept in
docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import register_files  # noqa: E402

ROOT = Path("/tmp/anchorlib-register-bench")
PROJECT = HERE.parent
SAMPLE_GEOGRAPHY = PROJECT / "data" / "sample" / "geography"
SPEND_HEADER = "Body Name,Expenses Type,Service Area,Payment Date,Transaction Number,Net Amount,Supplier Name"
EXPENSES = [
    "Cleaning Services",
    "Building Repairs",
    "Catering Services",
    "Consultancy",
    "Agency Staff",
    "Printing",
]


def companies_file(rows: int) -> Path:
    path = ROOT / str(rows) / "BasicCompanyDataAsOneFile-2024-05-01.csv"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        local = pd.read_csv(SAMPLE_GEOGRAPHY / "postcodes.csv", dtype=str)["pcds"].to_numpy()
        t = time.perf_counter()
        register_files.write_companies(path, rows, local_postcodes=local)
        print(
            f"wrote {path} ({path.stat().st_size / 1e9:.2f} GB) in {time.perf_counter() - t:.0f} s",
            flush=True,
        )
    return path


def dataset(companies: Path, payees: int) -> Path:
    root = ROOT / f"dataset-{payees}-{companies.parent.name}"
    if (root / "suppliers.start.csv").exists():
        return root
    rng = np.random.default_rng(5)
    names = register_files.payee_names(
        [n for n, _ in register_files.sample_names(companies, int(payees * 0.7))], payees
    )
    (root / "spend" / "bench").mkdir(parents=True, exist_ok=True)
    shutil.copytree(SAMPLE_GEOGRAPHY, root / "geography", dirs_exist_ok=True)
    (root / "anchors.csv").write_text(
        "anchor_id,name,kind,home_lads\nbench,Bench Council,council,E09000012\n"
    )
    lines = [SPEND_HEADER]
    k = 0
    for name in names:
        for _ in range(int(rng.integers(1, 8))):
            amount = round(float(rng.lognormal(7, 1.4)), 2)
            day = int(rng.integers(1, 29))
            lines.append(
                f'Bench Council,{EXPENSES[k % len(EXPENSES)]},Area,{day:02d}/05/2023,T{k},{amount},"{name}"'
            )
            k += 1
    (root / "spend" / "bench" / "spend.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    analyst = pd.DataFrame({"supplier_name": names[::30][:500], "postcode": ""})
    analyst["bame_led"] = np.where(np.arange(len(analyst)) % 3 == 0, "yes", "")
    analyst.to_csv(root / "suppliers.start.csv", index=False)
    return root


def run(root: Path, companies: Path) -> dict:
    for f in ("register_matches.csv", "population.csv", "population.json", "supplier_matches.csv"):
        (root / f).unlink(missing_ok=True)
    shutil.copyfile(root / "suppliers.start.csv", root / "suppliers.csv")
    cmd = [
        str(PROJECT / ".venv" / "bin" / "anchorlib"),
        "register",
        "build",
        "--data",
        str(root),
        "--companies",
        str(companies),
        "--json",
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "ANCHORLIB_CACHE": "1"})
    seconds = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        raise SystemExit(f"register build failed: {out.stderr.strip()}")
    report = json.loads(out.stdout)
    return {
        "seconds": round(seconds, 1),
        "cpu_seconds": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1),
        "peak_rss_mb": round(after.ru_maxrss / 1024),
        "payees": report["payees"],
        "companies_read": report["registers_read"]["companies_house"]["rows"],
        "methods": {m: v["payees"] for m, v in report["methods"].items()},
        "spend_share": {m: round(v["spend_share"], 4) for m, v in report["methods"].items()},
        "rows_added": report["register"]["rows_added"],
        "population": (report.get("population") or {}).get("rows"),
        "location_known": report["addressable_spend_location_known_share"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--companies", type=int, default=5_500_000)
    ap.add_argument("--payees", type=int, default=15_000)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    companies = companies_file(args.companies)
    root = dataset(companies, args.payees)
    load = os.getloadavg()
    result = {"companies_file_gb": round(companies.stat().st_size / 1e9, 2), **run(root, companies)}
    result["load_average"] = [round(x, 2) for x in load]
    if args.json:
        print(json.dumps(result, indent=2))
        return
    for k, v in result.items():
        print(f"{k}: {v}")


if __name__ == "__main__":
    main()
