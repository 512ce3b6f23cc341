"""Scale benchmark: each step's time with anchorlib, a hand-written DuckDB query doing the same work,
their ratio and the process's peak memory during the step (README, "Performance").

    python benchmarks/run.py --rows 1000000 [--data DIR] [--json]

Generates the synthetic sample at ``--rows`` (into --data, default /tmp/anchorlib-bench-<rows>) when
absent. Steps: sample (generation, when run), ingest (first open: parse + cache + payments),
open_cached, summary, equity_by_category, opportunities, app_update, cli_summary (the whole
``anchorlib summary`` in a fresh process). The metrics steps time ``anchorlib.engine_duckdb`` (the
path for large data) and also report ``pandas_s`` (``anchorlib.metrics``) where it exists.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb

PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE_MB


class Peak:
    """Highest resident memory of this process while the block runs (sampled every 5 ms)."""

    def __enter__(self):
        self.peak, self._stop = _rss_mb(), threading.Event()
        self._t = threading.Thread(target=self._watch, daemon=True)
        self._t.start()
        return self

    def _watch(self):
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, _rss_mb())

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, _rss_mb())


def timed(fn, repeat: int = 1):
    """(best seconds over ``repeat`` runs, peak MB, last result)."""
    best, peak, out = float("inf"), 0.0, None
    for _ in range(repeat):
        with Peak() as p:
            t = time.perf_counter()
            out = fn()
            best = min(best, time.perf_counter() - t)
        peak = max(peak, p.peak)
    return best, peak, out


# --- the hand-written DuckDB references: the same work, written directly against the payments ---

def _in(values) -> str:
    return "(" + ", ".join("'" + str(v).replace("'", "''") + "'" for v in sorted(values)) + ")"


def ref_summary(con, ds):
    local = "CASE anchor_id " + " ".join(
        f"WHEN '{a}' THEN lad IN {_in(ds.home_area(a).lads)}" for a in ds.anchor_ids) + " END"
    return con.execute(f"""
        SELECT anchor_id, sum(amount) total, sum(amount) FILTER (addressable) addressable,
               sum(amount) FILTER (addressable AND {local}) local,
               sum(amount) FILTER (addressable AND lad IS NULL) unknown,
               sum(amount) FILTER (addressable AND lad IS NOT NULL) known,
               sum(amount) FILTER (addressable AND {local} AND NOT coalesce(hq_only, false)) local_ex_hq,
               sum(amount) FILTER (addressable AND lad IS NOT NULL AND NOT coalesce(hq_only, false)) known_ex_hq
        FROM p GROUP BY anchor_id""").fetchall()


def ref_equity_by_category(con, ds):
    flags = [("sme", "is_sme"), ("vcse", "is_vcse"), ("bame_led", "bame_led"), ("women_led", "women_led"),
             ("youth_led", "youth_led"), ("imd_1_2", "imd_decile <= 2")]
    util = " UNION ALL ".join(f"""SELECT category, '{g}' g, sum(amount) FILTER ({e}) s_in,
        sum(amount) FILTER (({e}) IS NOT NULL) s_known, sum(amount) s_all FROM p WHERE addressable GROUP BY category"""
                              for g, e in flags)
    avail = " UNION ALL ".join(f"""SELECT '{g}' g, count(*) FILTER ({e}) n_in, count(*) FILTER (({e}) IS NOT NULL) n_known,
        count(*) n_all FROM r""" for g, e in flags)
    return con.execute(f"""SELECT category, g, s_in / s_known util, n_in / n_known avail,
        100 * (s_in / s_known) / (n_in / n_known) di FROM ({util}) JOIN ({avail}) USING (g)""").fetchall()


def ref_opportunities(con, ds, anchor_id, k=3):
    """Categories whose addressable spend leaks although at least k register suppliers located in the area list
    them (suppliers.csv ``categories``, ';'-joined, each supplier once per category)."""
    lads = _in(ds.home_area(anchor_id).lads)
    return con.execute(f"""
        WITH leak AS (SELECT category, sum(amount) addressable, sum(amount) FILTER (lad IN {lads}) local,
                             sum(amount) - coalesce(sum(amount) FILTER (lad IN {lads}), 0) leakage
                      FROM p WHERE addressable AND anchor_id = '{anchor_id}' AND category IS NOT NULL
                      GROUP BY category),
             reg AS (SELECT unnest(list_distinct(list_transform(string_split(categories, ';'), lambda c: trim(c)))) category
                     FROM r WHERE lad IN {lads}),
             n AS (SELECT category, count(*) n FROM reg WHERE category <> '' GROUP BY category)
        SELECT leak.*, n.n FROM leak JOIN n USING (category) WHERE leakage > 0 AND n.n >= {int(k)}
        ORDER BY leakage DESC, category""").fetchall()


def ref_app_update(con, ds, anchor_id, year):
    lads = _in(ds.home_area(anchor_id).lads)
    where = f"anchor_id = '{anchor_id}' AND financial_year = '{year}' AND addressable"
    head = con.execute(f"""SELECT sum(amount) FILTER (lad IN {lads}), sum(amount) FILTER (lad IS NOT NULL)
                           FROM p WHERE {where}""").fetchall()
    cats = con.execute(f"""SELECT category, sum(amount) FILTER (lad IN {lads}) local, sum(amount) - coalesce(sum(amount)
                           FILTER (lad IN {lads}), 0) leakage FROM p WHERE {where} GROUP BY category""").fetchall()
    top = con.execute(f"""SELECT supplier_key, sum(amount) leakage FROM p WHERE {where} AND NOT coalesce(lad IN {lads}, false)
                          GROUP BY supplier_key ORDER BY leakage DESC LIMIT 10""").fetchall()
    return head, cats, top


# --- the project's side ---------------------------------------------------------------------

def project_app_update(ds, anchor_id, year):
    """What a widget change triggers in the leakage explorer: one anchor + year, local share by category,
    the top leaking suppliers."""
    from anchorlib import engine_duckdb as eng

    area = ds.area(None, anchor_id)
    chosen = {"anchor_id": [anchor_id], "financial_year": [year], "addressable": [True]}
    head = eng.local_share(ds.payments, area, ds.ruleset.name, filters=chosen)
    cats = eng.local_share_by(ds.payments, area, "category", filters=chosen)
    top = eng.local_share_by(ds.payments, area, "supplier_key", filters=chosen, limit=10)
    return head, cats, top


def run(rows: int, data: Path, fresh: bool = True) -> dict:
    from anchorlib import engine_duckdb as eng
    from anchorlib import metrics, open_dataset
    from anchorlib.cache import CACHE_DIRNAME
    from anchorlib.sample import write_sample

    steps: dict[str, dict] = {}

    def record(name, project_s, peak, reference_s=None, **extra):
        steps[name] = {"project_s": round(project_s, 4), "reference_s": None if reference_s is None else round(reference_s, 4),
                       "ratio": None if not reference_s else round(project_s / reference_s, 2), "peak_mb": round(peak), **extra}

    if not (data / "anchors.csv").exists():
        s, peak, _ = timed(lambda: write_sample(data, rows=rows))
        record("sample", s, peak)
    if fresh:
        shutil.rmtree(data / CACHE_DIRNAME, ignore_errors=True)
    s, peak, ds = timed(lambda: open_dataset(data).payments)
    record("ingest", s, peak)
    del ds
    s, peak, ds = timed(lambda: open_dataset(data))
    p = ds.payments  # served by the cache for large data (timed above) or built here for small data
    con = duckdb.connect()
    con.register("p", p)
    con.register("r", ds.suppliers)
    cached = sorted((data / CACHE_DIRNAME).glob("payments-*.parquet"))
    ref = timed(lambda: con.sql(f"SELECT * FROM read_parquet('{cached[0]}')").to_arrow_table())[0] if cached else None
    record("open_cached", s, peak, ref)

    areas = {a: ds.area(None, a) for a in ds.anchor_ids}
    s, peak, _ = timed(lambda: eng.anchor_local_shares(p, areas, ds.ruleset.name), 3)
    ref, _, _ = timed(lambda: ref_summary(con, ds), 3)
    pandas_s, _, _ = timed(lambda: metrics.summary(ds))
    record("summary", s, peak, ref, pandas_s=round(pandas_s, 4))

    s, peak, _ = timed(lambda: eng.equity(ds, p, by="category"), 3)
    ref, _, _ = timed(lambda: ref_equity_by_category(con, ds), 3)
    extra = {}
    if hasattr(metrics, "equity"):
        extra["pandas_s"] = round(timed(lambda: metrics.equity(ds, p, by="category"))[0], 4)
    record("equity_by_category", s, peak, ref, **extra)

    anchor = ds.anchor_ids[0]
    anchor_p = p[p["anchor_id"] == anchor]
    s, peak, _ = timed(lambda: eng.opportunities(ds, p, ds.area(None, anchor), min_local_suppliers=3,
                                                       filters={"anchor_id": [anchor]}), 3)
    ref, _, _ = timed(lambda: ref_opportunities(con, ds, anchor), 3)
    extra = {}
    if hasattr(metrics, "opportunities"):
        extra["pandas_s"] = round(timed(lambda: metrics.opportunities(ds, anchor_p, ds.area(None, anchor),
                                                                           min_local_suppliers=3))[0], 4)
    record("opportunities", s, peak, ref, **extra)

    year = max(p["financial_year"].dropna().unique())
    s, peak, _ = timed(lambda: project_app_update(ds, anchor, year), 3)
    ref, _, _ = timed(lambda: ref_app_update(con, ds, anchor, year), 3)
    record("app_update", s, peak, ref)
    con.close()

    exe = Path(sys.executable).with_name("anchorlib")
    t = time.perf_counter()
    subprocess.run([str(exe), "summary", "--data", str(data), "--json"], check=True, capture_output=True)
    record("cli_summary", time.perf_counter() - t, 0)
    steps["cli_summary"]["peak_mb"] = None  # a separate process
    return {"rows": rows, "payments": len(p), "steps": steps}


def table(result: dict) -> str:
    lines = [f"rows={result['rows']:,} (payments {result['payments']:,})",
             f"{'step':<20}{'project_s':>11}{'reference_s':>13}{'ratio':>8}{'peak_mb':>9}{'pandas_s':>10}"]
    for name, s in result["steps"].items():
        def f(v, w, fmt):
            return f"{'-' if v is None else format(v, fmt):>{w}}"
        lines.append(f"{name:<20}{f(s['project_s'], 11, '.3f')}{f(s['reference_s'], 13, '.3f')}"
                     f"{f(s['ratio'], 8, '.2f')}{f(s['peak_mb'], 9, 'd')}{f(s.get('pandas_s'), 10, '.3f')}")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, required=True)
    ap.add_argument("--data", type=Path, help="dataset folder (generated when absent)")
    ap.add_argument("--keep-cache", action="store_true", help="do not clear the cache before the ingest step")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    data = a.data or Path(f"/tmp/anchorlib-bench-{a.rows}")
    result = run(a.rows, data, fresh=not a.keep_cache)
    print(json.dumps(result) if a.json else table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
