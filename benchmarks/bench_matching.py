"""Supplier matching: share of spend matched exactly, fuzzily and not at all, and the time taken.

    nice .venv/bin/python benchmarks/bench_matching.py [REAL_DIR]

1. The sample dataset (its register, with deliberate spelling variants and unregistered payees).
2. Real spend files (``REAL_DIR/spend``; by default the published files the real-file tests read,
   ``tests/conftest.py``'s ``REAL_DIR``): with no published register, each council's latest file
   serves as the register for its other files (Devon 2024-03 for Devon 2011-01 and 2026-03), and the
   union of a few councils' payees as the register for another's, which measures how consistently
   the same supplier is found across files and anchors.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pandas as pd

from anchorlib import open_dataset
from anchorlib.data.ingest import load_spend_file
from anchorlib.data.suppliers import normalise_name, resolve_names
from anchorlib.paths import PROJECT_DIR, SAMPLE_DIR


def shares(resolved: pd.DataFrame, amount: pd.Series) -> str:
    by = amount.abs().groupby(resolved["match_method"].to_numpy()).sum()
    total = by.sum()
    return ", ".join(f"{m} {100 * by.get(m, 0) / total:.1f}%" for m in ("exact", "fuzzy", "none", "redacted"))


def run(label: str, spend: pd.DataFrame, register_names: pd.Series) -> None:
    keys = normalise_name(register_names.drop_duplicates().reset_index(drop=True))
    t = time.perf_counter()
    r = resolve_names(spend["supplier_name"], spend["redacted"], keys)
    dt = time.perf_counter() - t
    print(
        f"{label}: {len(spend):,} payments, {spend['supplier_name'].nunique():,} payee names, "
        f"{keys.nunique():,} register keys; by |spend|: {shares(r, spend['amount'])}; {dt:.2f} s"
    )


def main(real: Path) -> None:
    ds = open_dataset(SAMPLE_DIR)
    run("sample", ds.spend, ds.suppliers["supplier_name"])
    sp = real / "spend"
    devon = {
        f: load_spend_file(sp / f)[0]
        for f in (
            "devon_DCCSpendingOver500_202403.csv",
            "devon_DCCSpendingOver500_201101.csv",
            "devon_DCCSpendingOver500_202603.csv",
        )
    }
    reg = devon["devon_DCCSpendingOver500_202403.csv"]["supplier_name"].dropna()
    for f in list(devon)[1:]:
        run(f"{f} vs Devon 2024-03 payees", devon[f], reg)
    others = [
        load_spend_file(sp / f)[0]
        for f in ("manchester_2022-05_clean.csv", "calderdale_2022-08_clean.csv", "leeds_raw_2011-09.csv")
    ]
    pool = pd.concat([o["supplier_name"] for o in others]).dropna()
    run(
        "devon 2024-03 vs Manchester+Calderdale+Leeds payees",
        devon["devon_DCCSpendingOver500_202403.csv"],
        pool,
    )
    every = pd.concat(
        [load_spend_file(f)[0] for f in sorted(sp.glob("*.csv")) if "by_supplier" not in f.name],
        ignore_index=True,
    )  # Lambeth's per-supplier pivot is not a payments file
    half = every["supplier_name"].dropna().drop_duplicates().sample(frac=0.5, random_state=1)
    run("scale: every real file vs half of all real payee names", every, half)
    run(
        "tfl 2023-P05 vs GLA 2016-P03 payees",
        load_spend_file(sp / "tfl_2023-P05_clean.csv")[0],
        load_spend_file(sp / "gla_2016-P03_clean.csv")[0]["supplier_name"].dropna(),
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else PROJECT_DIR.parent / "shared" / "real")
