"""Ingest speed: ``load_spend_file`` against pyarrow's plain ``pyarrow.csv.read_csv`` of the same file.

    nice .venv/bin/python benchmarks/bench_ingest.py [--rows 1000000] [--file F.csv] [--json]

Without ``--file`` it writes an LGTC spend-over-£500 CSV of ``--rows`` payments to /tmp (kept for
reruns): three title lines, '£1,234.50' / '1234.50' / '(12.00)' / '-£12.00' amounts, quoted fields
with commas, redacted payees, a header repeated mid-file and a Total row. Each reader runs in its own
process, taking turns (best of 3), so each peak memory (max RSS) is its own. The reference is
pyarrow's read with its default type inference, skipping the title lines (it cannot read them).
Target (issue #3): anchorlib no more than 3x the reference. CPU time (all threads) is printed too: on
a shared machine it moves far less than wall time. Results are kept in docs/performance.md.

``--workbook N`` writes the same payments as an .xlsx of N monthly sheets behind a notes sheet
(``--workbook 1``: one sheet, no notes) and compares ``load_spend_file`` with python-calamine reading
every sheet's cells (``to_python``), the reference that reading every sheet cannot beat.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HEADER = "Body Name,Body,Service Area,Expenses Type,Payment Date,Transaction Number,Net Amount,Supplier Name"
PREAMBLE = ["London Borough of Hackney", "Payments to suppliers over £500, 2023-24", ""]


def write_file(path: Path, rows: int, seed: int = 3) -> float:
    """Write the benchmark CSV; return the sum of its amounts (what the loader must reproduce)."""
    rng = np.random.default_rng(seed)
    v = np.round(rng.lognormal(7, 1.5, rows), 2)
    v[rng.random(rows) < 0.02] *= -1
    u = rng.random(rows)
    day, month = rng.integers(1, 29, rows), rng.integers(1, 13, rows)
    suppliers = [f"Supplier {i} Ltd" for i in range(5000)] + ["REDACTED PERSONAL DATA"]
    who = rng.integers(0, len(suppliers), rows)
    areas = ['"Adults, Health and Integration"', "Children and Education", '"Climate, Homes and Economy"']
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("\r\n".join(PREAMBLE) + "\r\n" + HEADER + "\r\n")
        for i in range(rows):
            x = v[i]
            if x < 0:
                m = f'"({-x:,.2f})"' if u[i] < 0.5 else f'"-£{-x:,.2f}"'
            else:
                m = f'"£{x:,.2f}"' if u[i] < 0.7 else f"{x:.2f}"
            f.write(
                f"Hackney Council,E09000012,{areas[i % 3]},Home Care Services,"
                f"{day[i]:02d}/{month[i]:02d}/2023,"
                f"HAC{i:09d},{m},{suppliers[who[i]]}\r\n"
            )
            if i == rows // 2:
                f.write(HEADER + "\r\n")
        f.write(f'Total,,,,,,"£{v.sum():,.2f}",\r\n')
    return float(v.sum())


def write_workbook(path: Path, rows: int, sheets: int, seed: int = 3) -> float:
    """The benchmark's payments as an .xlsx: ``sheets`` monthly sheets (a title line above each header),
    behind a notes sheet when there are several. Returns the sum of the amounts."""
    import datetime as dt

    import openpyxl

    rng = np.random.default_rng(seed)
    v = np.round(rng.lognormal(7, 1.5, rows), 2)
    day = rng.integers(1, 29, rows)
    who = rng.integers(0, 5000, rows)
    wb = openpyxl.Workbook(write_only=True)
    if sheets > 1:
        notes = wb.create_sheet("Notes")
        notes.append(["Payments to suppliers over £500, 2023-24"])
        notes.append(["One sheet per month. Amounts exclude VAT."])
    header = HEADER.split(",")
    for k, part in enumerate(np.array_split(np.arange(rows), sheets)):
        month = 4 + k % 12
        ws = wb.create_sheet(dt.date(2023 + (month > 12), (month - 1) % 12 + 1, 1).strftime("%b %Y"))
        ws.append([f"Payments over £500, sheet {k + 1}"])
        ws.append(header)
        for i in part:
            when = dt.datetime(2023 + (month > 12), (month - 1) % 12 + 1, int(day[i]))
            ws.append(
                [
                    "Hackney Council",
                    "E09000012",
                    "Children and Education",
                    "Home Care Services",
                    when,
                    f"HAC{i:09d}",
                    float(v[i]),
                    f"Supplier {who[i]} Ltd",
                ]
            )
    wb.save(path)
    return float(v.sum())


def worker(which: str, path: str) -> dict:
    """One read of ``path`` in this (fresh) process: its time and the process's peak RSS."""
    import pyarrow.csv as pacsv

    from anchorlib.data.ingest import load_spend_file

    cpu = resource.getrusage(resource.RUSAGE_SELF)
    t = time.perf_counter()
    if which == "pyarrow":
        table = pacsv.read_csv(path, read_options=pacsv.ReadOptions(skip_rows=len(PREAMBLE)))
        info = {"rows": table.num_rows}
    elif which == "calamine":
        from python_calamine import CalamineWorkbook

        wb = CalamineWorkbook.from_path(path)
        info = {"rows": sum(len(wb.get_sheet_by_name(n).to_python()) for n in wb.sheet_names)}
    else:
        df, report = load_spend_file(path)
        info = {
            "rows": len(df),
            "rejected": report.rows_rejected,
            "net_total": report.net_total,
            "declared_total": report.declared_total,
            "reconciled": report.reconciled,
        }
    seconds = time.perf_counter() - t
    end = resource.getrusage(resource.RUSAGE_SELF)
    info["cpu_s"] = round(end.ru_utime - cpu.ru_utime + end.ru_stime - cpu.ru_stime, 3)  # all threads
    return {
        "seconds": seconds,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        **info,
    }


def compare(path: Path, rounds: int = 3, reference: str = "pyarrow") -> dict:
    """Best of ``rounds`` per reader, the two readers taking turns so that load on a shared machine
    falls on both alike."""
    runs: dict[str, list[dict]] = {reference: [], "anchorlib": []}
    for _ in range(rounds):
        for which, done in runs.items():
            res = subprocess.run(
                [sys.executable, __file__, "--worker", which, str(path)],
                capture_output=True,
                text=True,
                check=True,
            )
            done.append(json.loads(res.stdout))
    out = {}
    for which, rs in runs.items():
        best = min(rs, key=lambda r: r["seconds"])
        out[which] = {
            **best,
            "best_s": round(best["seconds"], 3),
            "times_s": [round(r["seconds"], 3) for r in rs],
            "peak_rss_mb": max(r["peak_rss_mb"] for r in rs),
        }
        del out[which]["seconds"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument(
        "--file", type=Path, help="an existing spend CSV with the same layout (default: generate)"
    )
    ap.add_argument("--workbook", type=int, metavar="SHEETS", help="an .xlsx of SHEETS monthly sheets")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--worker", nargs=2, metavar=("WHICH", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(*args.worker)))
        return
    reference = "calamine" if args.workbook else "pyarrow"
    name = f"{args.rows}-{args.workbook}-sheets.xlsx" if args.workbook else f"{args.rows}.csv"
    path = args.file or Path(f"/tmp/anchorlib-bench-ingest-{name}")
    expected = None
    if args.file is None and not path.exists():
        t = time.perf_counter()
        expected = (
            write_workbook(path, args.rows, args.workbook) if args.workbook else write_file(path, args.rows)
        )
        print(
            f"wrote {path} ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.0f} s",
            file=sys.stderr,
        )
    out = {"file": str(path), "size_mb": round(path.stat().st_size / 1e6, 1)}
    out.update(compare(path, reference=reference))
    out["ratio"] = round(out["anchorlib"]["best_s"] / out[reference]["best_s"], 2)
    out["cpu_ratio"] = round(out["anchorlib"]["cpu_s"] / out[reference]["cpu_s"], 2)
    if expected is not None:
        out["expected_net_total"] = round(expected, 2)
    if args.json:
        print(json.dumps(out, indent=2))
        return
    a, p = out["anchorlib"], out[reference]
    declared = "none" if a["declared_total"] is None else f"£{a['declared_total']:,.2f}"
    print(
        f"{path} ({out['size_mb']} MB, {a['rows']:,} payments loaded, {a['rejected']} rejected; "
        f"declared {declared}, reconciled {a['reconciled']})"
    )
    label = "calamine to_python" if args.workbook else "pyarrow.csv.read_csv"
    print(f"{label:<22}best {p['best_s']:.2f} s (CPU {p['cpu_s']:.2f} s)  peak RSS {p['peak_rss_mb']:.0f} MB")
    print(
        f"load_spend_file       best {a['best_s']:.2f} s (CPU {a['cpu_s']:.2f} s)  "
        f"peak RSS {a['peak_rss_mb']:.0f} MB"
    )
    print(f"ratio {out['ratio']:.2f}x wall (target <= 3x), {out['cpu_ratio']:.2f}x CPU time")


if __name__ == "__main__":
    main()
