"""Scale benchmark: each step's time with anchorlib, a hand-written DuckDB query doing the same work,
their ratio and the process's peak memory during the step. Results, the machine and the load they
were taken at are kept in docs/performance.md, not here.

    python benchmarks/run.py --rows 1000000 [--data DIR] [--json] [--keep-cache]

Generates the synthetic sample at ``--rows`` (into --data, default /tmp/anchorlib-bench-<rows>) when
absent. Steps: sample (generation, when run), ingest (first open: parse + cache + payments; skipped
with --keep-cache, which brings a stale cache up to date untimed), open_cached (best of 3 opens),
summary, equity_by_category, opportunities, app_update (the public ``anchorlib.metrics`` functions,
which run on DuckDB for large data; app_update is the leakage explorer's model, on its rollup, with
``app_start_s`` the time to build it), cli_summary (the whole ``anchorlib summary --json`` in a new
process, computing) and cli_summary_cached (the same command again: its output cached). summary is
timed from scratch (its stored rollup removed before each run), with ``stored_rollup_s`` the same on
a new open that maps the rollup a first run stored. ``pandas_s`` is the same step (summary: from
scratch too) with ``ANCHORLIB_ENGINE=pandas``, up to ``PANDAS_MAX_ROWS`` payments.
``project_peak_mb`` is the highest resident memory during anchorlib's steps, ``peak_mb`` the
process's over the whole run (references included: open_cached's reference, run last, holds the
payments twice).
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

from anchorlib.data.relation import is_relation

PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20


def _pid_rss_mb(pid: str) -> float:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * PAGE_MB
    except (OSError, IndexError, ValueError):
        return 0.0


def _children(pid: str) -> list[str]:
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out.extend(f.read().split())
    except OSError:
        pass
    return out


def _rss_mb() -> float:
    """Resident memory of this process and every process it started (the ingest's workers), summed."""
    total, todo = 0.0, [str(os.getpid())]
    while todo:
        pid = todo.pop()
        total += _pid_rss_mb(pid)
        todo.extend(_children(pid))
    return total


class Peak:
    """Highest resident memory of this process and its children while the block runs (sampled every
    5 ms)."""

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


def timed(fn, repeat: int = 1, setup=None):
    """(best seconds over ``repeat`` runs, peak MB, last result); with ``setup``, each run first calls it,
    untimed, and ``fn`` takes what it returns. ``timed.cpu`` is then the CPU seconds (every thread of
    this process and its finished children) of the fastest run: on a shared machine wall time follows
    the other jobs, CPU time much less."""
    best, peak, out, cpu = float("inf"), 0.0, None, 0.0
    for _ in range(repeat):
        arg = setup() if setup is not None else None
        with Peak() as p:
            c = _cpu_s()
            t = time.perf_counter()
            out = fn(arg) if setup is not None else fn()
            took = time.perf_counter() - t
            if took < best:
                best, cpu = took, _cpu_s() - c
        peak = max(peak, p.peak)
    timed.cpu = cpu
    return best, peak, out


# --- the hand-written DuckDB references: the same work, written directly against the payments ---


def _in(values) -> str:
    return "(" + ", ".join("'" + str(v).replace("'", "''") + "'" for v in sorted(values)) + ")"


def _local_case(ds) -> str:
    return (
        "CASE anchor_id "
        + " ".join(
            f"WHEN '{a}' THEN coalesce(lad IN {_in(ds.home_area(a).lads)}, false)" for a in ds.anchor_ids
        )
        + " END"
    )


FLAGS = [
    ("sme", "is_sme"),
    ("vcse", "is_vcse"),
    ("bame_led", "bame_led"),
    ("women_led", "women_led"),
    ("youth_led", "youth_led"),
    ("imd_1_2", "imd_decile <= 2"),
]


def _equity_sql(keys: str) -> str:
    """Utilisation sums per group side by side over addressable payments, grouped by ``keys``."""
    sums = ", ".join(
        f"sum(amount) FILTER ({e}) in_{g}, sum(amount) FILTER (({e}) IS NOT NULL) known_{g}" for g, e in FLAGS
    )
    return f"SELECT {keys}, sum(amount) addressable, {sums} FROM p WHERE addressable GROUP BY {keys}"


def _availability(con):
    return con.execute(
        "SELECT "
        + ", ".join(
            f"count(*) FILTER ({e}) n_{g}, count(*) FILTER (({e}) IS NOT NULL) k_{g}" for g, e in FLAGS
        )
        + ", count(*) FROM r"
    ).fetchall()


def ref_summary(con, ds):
    """Per anchor: local share and leakage, the equity groups, LM3's R1, R2 and R3 (survey joined on the
    register name): what ``metrics.summary`` computes."""
    local = _local_case(ds)
    shares = con.execute(f"""
        SELECT anchor_id, sum(amount) total, sum(amount) FILTER (addressable) addressable,
               sum(amount) FILTER (addressable AND {local}) local,
               sum(amount) FILTER (addressable AND lad IS NULL) unknown,
               sum(amount) FILTER (addressable AND lad IS NOT NULL) known,
               sum(amount) FILTER (addressable AND {local} AND NOT coalesce(hq_only, false))
                 local_ex_hq,
               sum(amount) FILTER (addressable AND lad IS NOT NULL AND NOT coalesce(hq_only, false))
                 known_ex_hq,
               sum(amount * (s.local_staff_share + s.local_supplier_share)) FILTER (addressable AND {local})
                 r3
        FROM p LEFT JOIN s ON p.register_name = s.supplier_name GROUP BY anchor_id""").fetchall()
    return shares, con.execute(_equity_sql("anchor_id")).fetchall(), _availability(con)


def ref_equity_by_category(con, ds):
    return con.execute(_equity_sql("category")).fetchall(), _availability(con)


def ref_opportunities(con, ds, anchor_id, min_local_suppliers=3):
    lads = _in(ds.home_area(anchor_id).lads)
    return con.execute(f"""
        WITH leak AS (SELECT category, sum(amount) addressable, sum(amount) FILTER (lad IN {lads}) local,
                             sum(amount) - coalesce(sum(amount) FILTER (lad IN {lads}), 0) leakage
                      FROM p WHERE addressable AND anchor_id = '{anchor_id}' AND category IS NOT NULL
                      GROUP BY category),
             reg AS (SELECT trim(unnest(string_split(coalesce(categories, ''), ';'))) category
                     FROM r WHERE lad IN {lads}),
             n AS (SELECT category, count(*) n FROM reg GROUP BY category)
        SELECT leak.*, n.n FROM leak JOIN n USING (category)
        WHERE leakage > 0 AND n.n >= {int(min_local_suppliers)} ORDER BY leakage DESC""").fetchall()


def ref_app_update(con, ds, anchor_id, year):
    lads = _in(ds.home_area(anchor_id).lads)
    where = f"anchor_id = '{anchor_id}' AND financial_year = '{year}'"
    head = con.execute(f"""SELECT sum(amount), sum(amount) FILTER (addressable),
                           sum(amount) FILTER (addressable AND lad IN {lads}),
                           sum(amount) FILTER (addressable AND lad IS NOT NULL)
                           FROM p WHERE {where}""").fetchall()
    cats = con.execute(f"""SELECT category, sum(amount) FILTER (addressable AND lad IN {lads}) local,
                           sum(amount) FILTER (addressable)
                             - coalesce(sum(amount) FILTER (addressable AND lad IN {lads}), 0) leakage
                           FROM p WHERE {where} GROUP BY category ORDER BY leakage DESC""").fetchall()
    top = con.execute(f"""SELECT coalesce(register_name, supplier_key) supplier, any_value(lad),
                          sum(amount) leakage FROM p
                          WHERE {where} AND addressable AND lad IS NOT NULL
                            AND NOT coalesce(lad IN {lads}, false)
                          GROUP BY 1 ORDER BY leakage DESC LIMIT 10""").fetchall()
    return head, cats, top


# --- the project's side ---------------------------------------------------------------------

PANDAS_MAX_ROWS = 2_000_000  # above this the pandas path is not timed (minutes at 10M)


class AppChange:
    """A leakage-explorer widget change: the model (anchorlib/apps/leakage_explorer.py, built once on a
    rollup of the payments) switched to one anchor and the next financial year, then what its view
    shows: the headline local share, the trend, the top leaking suppliers and local share by category."""

    def __init__(self, ds, anchor_id):
        from anchorlib.apps.leakage_explorer import LeakageModel

        self.model, self.anchor_id = LeakageModel(ds, anchor_ids=[anchor_id]), anchor_id
        self.years, self.turn = self.model.all_years, 0

    def __call__(self):
        m = self.model
        self.turn += 1
        m.years = [self.years[self.turn % len(self.years)]]
        return m.headline(), m.trend(), m.top_suppliers(10), m.by_category()


def project_opportunities(ds, anchor_id):
    from anchorlib import metrics

    return metrics.opportunities(
        ds, metrics.select(ds, [anchor_id]), ds.area(None, anchor_id), min_local_suppliers=3
    )


def on_pandas(fn, setup=None):
    """``fn`` timed (as ``timed``, once) with the metrics forced onto pandas (ANCHORLIB_ENGINE=pandas)."""
    old = os.environ.get("ANCHORLIB_ENGINE")
    os.environ["ANCHORLIB_ENGINE"] = "pandas"
    try:
        return round(timed(fn, setup=setup)[0], 4)
    finally:
        if old is None:
            del os.environ["ANCHORLIB_ENGINE"]
        else:
            os.environ["ANCHORLIB_ENGINE"] = old


def _cli_summary(data: Path) -> float:
    exe = Path(sys.executable).with_name("anchorlib")
    t = time.perf_counter()
    subprocess.run([str(exe), "summary", "--data", str(data), "--json"], check=True, capture_output=True)
    return time.perf_counter() - t


def _cpu_s() -> float:
    """CPU seconds (user + system) of this process and its finished children (the ingest's workers)."""
    import resource

    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def pyarrow_read(ds) -> tuple[float, int]:
    """(seconds, rows): pyarrow's own multi-threaded ``read_csv`` of every CSV spend file of ``ds``, one
    after another, with its default type inference, skipping the title lines above each header (it cannot
    read them): the floor of any CSV ingest on this machine. ``pyarrow_read.cpu``: its CPU seconds."""
    import pyarrow.csv as pacsv

    rows, t, cpu = 0, time.perf_counter(), _cpu_s()
    for reports in ds.load_reports.values():
        for r in reports:
            path = ds.root / r.file
            if path.suffix.lower() == ".csv":
                skip = (r.header_line or 1) - 1
                rows += pacsv.read_csv(path, read_options=pacsv.ReadOptions(skip_rows=skip)).num_rows
    pyarrow_read.cpu = _cpu_s() - cpu
    return time.perf_counter() - t, rows


def _payments_view(con, p) -> None:
    """The references' table ``p``: the payments frame, or out of core, a view over the same Parquet parts
    anchorlib queries (never an in-memory copy)."""
    if is_relation(p):
        con.execute(f"CREATE VIEW p AS {p.sql()}")
    else:
        con.register("p", p)


def run(rows: int, data: Path, fresh: bool = True) -> dict:
    import resource

    from anchorlib import metrics, open_dataset
    from anchorlib.data.storage.cache import CACHE_DIRNAME
    from anchorlib.sample.generator import write_sample

    steps: dict[str, dict] = {}

    def record(name, project_s, peak, reference_s=None, cpu=None, **extra):
        steps[name] = {
            "project_s": round(project_s, 4),
            "reference_s": None if reference_s is None else round(reference_s, 4),
            "ratio": None if not reference_s else round(project_s / reference_s, 2),
            "peak_mb": None if peak is None else round(peak),
            **extra,
        }
        if cpu is not None:  # (anchorlib's CPU seconds, the reference's)
            steps[name].update(
                project_cpu_s=round(cpu[0], 3),
                reference_cpu_s=round(cpu[1], 3),
                cpu_ratio=round(cpu[0] / cpu[1], 2) if cpu[1] else None,
            )

    if not (data / "anchors.csv").exists():
        s, peak, _ = timed(lambda: write_sample(data, rows=rows))
        record("sample", s, peak)
    if fresh:
        shutil.rmtree(data / CACHE_DIRNAME, ignore_errors=True)
        cpu = _cpu_s()
        s, peak, ds = timed(lambda: open_dataset(data).payments)
        cpu = _cpu_s() - cpu
        n = len(ds)
        del ds
        read_s, read_rows = pyarrow_read(open_dataset(data))
        record(
            "ingest",
            s,
            peak,
            rows_per_s=round(n / s),
            pyarrow_read_s=round(read_s, 4),
            pyarrow_rows=read_rows,
            ratio_to_pyarrow=round(s / read_s, 2),
            cpu_s=round(cpu, 1),
            pyarrow_cpu_s=round(pyarrow_read.cpu, 1),
            cpu_ratio_to_pyarrow=round(cpu / pyarrow_read.cpu, 2),
        )
    else:  # a kept cache may be stale (other code or files): refreshed here, untimed, so open_cached
        # opens a cache
        len(open_dataset(data).payments)
    s, peak, ds = timed(lambda: open_dataset(data), 3)
    p = ds.payments  # served by the cache for large data (timed above) or built here for small data
    out_of_core = is_relation(p)
    record("open_cached", s, peak, out_of_core=out_of_core)
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    _payments_view(con, p)
    con.register("r", ds.suppliers)
    con.register(
        "s",
        ds.lm3_survey
        if ds.lm3_survey is not None
        else duckdb.sql(
            "SELECT ''::VARCHAR supplier_name, 0.0 local_staff_share, 0.0 local_supplier_share"
        ).df(),
    )
    with_pandas = not out_of_core and len(p) <= PANDAS_MAX_ROWS

    # metrics.summary sums a rollup of the payments (anchorlib/data/rollup.py), stored beside the cached
    # payments: timed from scratch (no stored rollup, a new open each time) against the reference, and,
    # beside it, as a later run finds it (``stored_rollup_s``: a new open maps the stored rollup)
    def from_scratch():
        for f in (data / CACHE_DIRNAME).glob("derived-*.arrow"):
            f.unlink()
        return open_dataset(data)

    repeat = 1 if out_of_core else 3  # out of core each run reads the Parquet again: one run each
    s, peak, _ = timed(metrics.summary, repeat, setup=from_scratch)
    pc = timed.cpu
    stored, _, _ = timed(metrics.summary, 3, setup=lambda: open_dataset(data))
    ref, _, _ = timed(lambda: ref_summary(con, ds), repeat)
    record(
        "summary",
        s,
        peak,
        ref,
        (pc, timed.cpu),
        stored_rollup_s=round(stored, 4),
        **({"pandas_s": on_pandas(metrics.summary, setup=from_scratch)} if with_pandas else {}),
    )

    s, peak, _ = timed(lambda: metrics.equity(ds, p, by="category"), repeat)
    pc = timed.cpu
    ref, _, _ = timed(lambda: ref_equity_by_category(con, ds), repeat)
    record(
        "equity_by_category",
        s,
        peak,
        ref,
        (pc, timed.cpu),
        **({"pandas_s": on_pandas(lambda: metrics.equity(ds, p, by="category"))} if with_pandas else {}),
    )

    anchor = ds.anchor_ids[0]
    s, peak, _ = timed(lambda: project_opportunities(ds, anchor), repeat)
    pc = timed.cpu
    ref, _, _ = timed(lambda: ref_opportunities(con, ds, anchor), repeat)
    record(
        "opportunities",
        s,
        peak,
        ref,
        (pc, timed.cpu),
        **({"pandas_s": on_pandas(lambda: project_opportunities(ds, anchor))} if with_pandas else {}),
    )

    years = p.financial_years if out_of_core else [str(y) for y in p["financial_year"].dropna().unique()]
    year = max(years)
    start, start_peak, change = timed(lambda: AppChange(ds, anchor))
    s, peak, _ = timed(change, 3)
    pc = timed.cpu
    ref, _, _ = timed(lambda: ref_app_update(con, ds, anchor, year), 3)
    record("app_update", s, max(peak, start_peak), ref, (pc, timed.cpu), app_start_s=round(start, 4))
    # open_cached's reference last, so that its memory does not count in the steps above: DuckDB reading
    # the payments from Parquet; out of core, DuckDB opening the same parts (their footers: a count)
    if out_of_core:
        ref, ref_peak, _ = timed(lambda: con.sql("SELECT count(*) FROM p").fetchall())
    else:
        export = data / CACHE_DIRNAME / "bench-payments.parquet"  # the reference's own copy (not timed)
        p.to_parquet(export, index=False)
        ref, ref_peak, _ = timed(lambda: con.sql(f"SELECT * FROM read_parquet('{export}')").to_arrow_table())
        export.unlink()
    steps["open_cached"].update(
        reference_s=round(ref, 4),
        ratio=round(steps["open_cached"]["project_s"] / ref, 2),
        reference_peak_mb=round(ref_peak),
    )
    con.close()

    for old in (data / CACHE_DIRNAME).glob("result-*.json"):  # the first run computes...
        old.unlink()
    record("cli_summary", _cli_summary(data), None)
    record("cli_summary_cached", _cli_summary(data), None)  # ...the second prints the cached output
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    project_peak = max(v["peak_mb"] for v in steps.values() if v["peak_mb"] is not None)
    return {
        "rows": rows,
        "payments": len(p),
        "out_of_core": out_of_core,
        "peak_mb": round(max(peak_mb, project_peak)),
        "project_peak_mb": project_peak,
        "load": os.getloadavg()[0],
        "steps": steps,
    }


def table(result: dict) -> str:
    lines = [
        (
            f"rows={result['rows']:,} (payments {result['payments']:,}; "
            f"peak {result['project_peak_mb']:,} MB in "
            f"anchorlib's steps, {result['peak_mb']:,} MB with the references; "
            f"load average {result['load']:.1f})"
        ),
        f"{'step':<20}{'project_s':>11}{'reference_s':>13}{'ratio':>8}{'cpu_ratio':>10}{'peak_mb':>9}"
        f"{'pandas_s':>10}",
    ]
    ingest = result["steps"].get("ingest")
    if ingest:
        lines.insert(
            1,
            f"ingest: {ingest['rows_per_s']:,} rows/s of wall time ({ingest['cpu_s']:,} s of CPU); "
            f"pyarrow's read_csv of the same files {ingest['pyarrow_read_s']:.1f} s "
            f"({ingest['pyarrow_cpu_s']:,} s of CPU): ratio {ingest['ratio_to_pyarrow']:.2f} "
            f"(CPU {ingest['cpu_ratio_to_pyarrow']:.2f}); out of core: {result['out_of_core']}",
        )
    for name, s in result["steps"].items():

        def f(v, w, fmt):
            return f"{'-' if v is None else format(v, fmt):>{w}}"

        lines.append(
            f"{name:<20}{f(s['project_s'], 11, '.3f')}{f(s['reference_s'], 13, '.3f')}"
            f"{f(s['ratio'], 8, '.2f')}{f(s.get('cpu_ratio'), 10, '.2f')}{f(s['peak_mb'], 9, 'd')}"
            f"{f(s.get('pandas_s'), 10, '.3f')}"
        )
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
