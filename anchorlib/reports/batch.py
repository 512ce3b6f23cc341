"""The papermill batch behind ``anchorlib reports``: one report per anchor plus the network.

Each job runs a report notebook with papermill (kernel named explicitly) in its own process, then
exports static HTML (code hidden, SVG charts, no CDN) and a workbook of the report's figures beside it
(``reports/workbook.py``; the HTML links it). A failing job is recorded, never fatal to the others;
``index.html`` links every report and workbook with its headline figures. Every output file is written
whole or not at all (``data.storage.atomic``): a run killed part-way, or two runs into one folder, leave
complete reports or none. What a notebook wrote to stderr (a warning from a cell) is kept with the job's
outcome and shown under the summary table. Kernels run encrypted and are not interrupted when they are
shut down (reports/kernel.py), so a batch that went well prints nothing alarming.
"""

from __future__ import annotations

import html
import json
import os
import re
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from anchorlib.data.dataset import open_dataset
from anchorlib.data.storage import atomic
from anchorlib.errors import ParameterError
from anchorlib.formatting import exact, figure
from anchorlib.paths import NOTEBOOKS_DIR, PACKAGE_DIR

ANCHOR_NOTEBOOK = NOTEBOOKS_DIR / "02_anchor_report.ipynb"
NETWORK_NOTEBOOK = NOTEBOOKS_DIR / "03_network_report.ipynb"
TEMPLATES_DIR = PACKAGE_DIR / "templates" / "nbconvert"
DEFAULT_KERNEL = "anchorlib"
_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_WARNING = re.compile(r"^\S.*?:\d+: (\w*Warning: .*)$")  # how warnings.showwarning starts a warning


@dataclass
class Job:
    """One notebook to run: ``name`` is an anchor id or 'network'; outputs are named from it. ``workbook``:
    which figures to write beside the HTML ('anchor', 'network'; '' for none)."""

    name: str
    title: str
    notebook: Path
    parameters: dict
    ipynb: Path
    html: Path
    workbook: str = ""

    @property
    def xlsx(self) -> Path:
        """The workbook of the report's figures, beside its HTML."""
        return self.html.with_suffix(".xlsx")


@dataclass
class Outcome:
    name: str
    status: str  # "ok", "failed" or "skipped"
    seconds: float
    error: str = ""
    figures: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # lines the notebook's cells wrote to stderr


def anchor_parameters(
    data_dir: Path, anchor_id: str, financial_year: str = "", area: str = "home", pool: str = "register"
) -> dict:
    """The parameters the batch passes to the anchor notebook (a test checks them against papermill's
    inspect)."""
    return {
        "data_dir": str(data_dir),
        "anchor_id": anchor_id,
        "financial_year": financial_year,
        "area": area,
        "availability_pool": pool,
    }


def network_parameters(data_dir: Path, area: str = "home") -> dict:
    """The parameters the batch passes to the network notebook."""
    return {"data_dir": str(data_dir), "area": area}


def plan(
    data_dir: str | Path | None,
    out_dir: str | Path,
    anchors: list[str] | None = None,
    financial_year: str = "",
    area: str = "home",
    pool: str = "register",
) -> list[Job]:
    """The jobs for a batch: chosen anchors (default all) checked against the dataset, then the network.
    ``pool``: the anchor reports' availability pool (register or population).

    Raises ParameterError for an unknown anchor, area, year or pool, or an anchor id unfit for a file name.
    """
    from anchorlib.metrics.pools import pool_frame

    ds = open_dataset(data_dir)
    pool_frame(ds, pool)  # an unknown pool, or population without population.csv: one line, before any run
    if financial_year:
        from anchorlib.reports.views import check_financial_year

        check_financial_year(ds, financial_year)
    data = Path(ds.root).resolve()
    known = ds.anchor_ids
    chosen = anchors or known
    unknown = [a for a in chosen if a not in known]
    if unknown:
        raise ParameterError(
            f"unknown anchor {', '.join(repr(a) for a in unknown)}; this dataset has {', '.join(known)}"
        )
    out = Path(out_dir).resolve()
    jobs = []
    for a in dict.fromkeys(chosen):
        if not _SLUG.match(a):
            raise ParameterError(
                f"anchor id {a!r} cannot name a report file (letters, digits, '_' and '-' only)"
            )
        ds.area(area, a)
        jobs.append(
            Job(
                a,
                str(ds.anchor(a)["name"]),
                ANCHOR_NOTEBOOK,
                anchor_parameters(data, a, financial_year, area, pool),
                out / f"anchor-{a}.ipynb",
                out / f"anchor-{a}.html",
                "anchor",
            )
        )
    jobs.append(
        Job(
            "network",
            "Network of anchors",
            NETWORK_NOTEBOOK,
            network_parameters(data, area),
            out / "network.ipynb",
            out / "network.html",
            "network",
        )
    )
    return jobs


def resolve_kernel(kernel_name: str | None) -> tuple[str, str]:
    """(kernel to use, a note). The default 'anchorlib' falls back to 'python3' with a note when it is
    not registered; a kernel named by the user must exist."""
    from jupyter_client.kernelspec import KernelSpecManager

    have = KernelSpecManager().find_kernel_specs()
    name = kernel_name or DEFAULT_KERNEL
    if name in have:
        return name, ""
    if kernel_name is None and "python3" in have:
        return "python3", (
            f"kernel '{DEFAULT_KERNEL}' is not registered (make setup registers it); using 'python3'"
        )
    raise ParameterError(f"no Jupyter kernel named '{name}'; registered: {', '.join(sorted(have)) or 'none'}")


def export_html(ipynb: Path, out: Path, workbook: str = "") -> None:
    """Executed notebook -> static HTML: inputs and prompts hidden, the CDN-free anchorlib template, and a
    link to ``workbook`` (a file name beside it) when given."""
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="anchorlib_report",
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    body, _ = exporter.from_notebook_node(
        nbformat.read(ipynb, as_version=4), resources={"anchorlib_workbook": workbook}
    )
    atomic.write_text(out, body)


def write_workbook(job: Job) -> None:
    """The report's figures as a workbook beside its HTML (``workbook.anchor_sheets`` or
    ``workbook.network_sheets``, computed as the notebook computes them), written whole or not at all."""
    from anchorlib.export import xlsx_bytes
    from anchorlib.reports import workbook

    p = job.parameters
    ds = open_dataset(p["data_dir"])
    if job.workbook == "anchor":
        years = [p["financial_year"]] if p["financial_year"] else None
        sheets = workbook.anchor_sheets(ds, p["anchor_id"], years, p["area"], p["availability_pool"])
    else:
        sheets = workbook.network_sheets(ds, p["area"])
    with atomic.replacing(job.xlsx) as tmp:
        tmp.write_bytes(xlsx_bytes(sheets, job.title))


def notebook_figures(ipynb: Path) -> dict:
    """The headline figures a report recorded in its output metadata (key 'anchorlib')."""
    nb = json.loads(ipynb.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        for o in cell.get("outputs", []):
            meta = o.get("metadata", {}).get("anchorlib")
            if meta:
                return meta["figures"]
    return {}


def notebook_warnings(ipynb: Path, limit: int = 20) -> list[str]:
    """The distinct non-blank lines an executed notebook's cells wrote to stderr, in order, at most
    ``limit``. A Python warning (``<file>:<line>: UserWarning: text`` and the source line under it)
    reads as ``UserWarning: text``."""
    nb = json.loads(ipynb.read_text(encoding="utf-8"))
    lines: dict[str, None] = {}
    for cell in nb["cells"]:
        for o in cell.get("outputs", []):
            if o.get("output_type") != "stream" or o.get("name") != "stderr":
                continue
            text = o.get("text", "")
            source_line = False  # the line after a warning's first is its source line, indented
            for line in ("".join(text) if isinstance(text, list) else text).splitlines():
                if source_line and line.startswith("  "):
                    source_line = False
                    continue
                m = _WARNING.match(line)
                source_line = m is not None
                if line.strip():
                    lines[m.group(1) if m else line.rstrip()] = None
    return list(lines)[:limit]


def _error_line(err: BaseException) -> str:
    ename, evalue = getattr(err, "ename", None), getattr(err, "evalue", None)
    text = f"{ename}: {evalue}" if ename else f"{type(err).__name__}: {err}"
    return " ".join(text.split())[:300]


#: How many kernels a job starts before it gives up on one that dies before replying (reports/kernel.py)
KERNEL_STARTS = 3
_KERNEL_DIED_AT_START = "Kernel died before replying to kernel_info"


def run_job(job: Job, kernel_name: str, execution_timeout: int = 300) -> Outcome:
    """Run one report notebook and export its HTML; failures come back as an Outcome, not raised."""
    import papermill as pm

    from anchorlib.reports.kernel import BatchKernelManager

    start = time.perf_counter()
    try:
        # papermill writes the notebook as it runs: under a name of its own, renamed once it is done (a
        # failed one too: it holds the traceback)
        ipynb = atomic.temp_path(job.ipynb, ".ipynb")
        try:
            for attempt in range(KERNEL_STARTS):
                try:
                    pm.execute_notebook(
                        str(job.notebook),
                        str(ipynb),
                        parameters=job.parameters,
                        kernel_name=kernel_name,
                        progress_bar=False,
                        log_output=False,
                        execution_timeout=execution_timeout,
                        cwd=str(job.ipynb.parent),
                        kernel_manager_class=BatchKernelManager,
                    )
                    break
                except RuntimeError as err:
                    # a kernel that died before its first reply ran none of the notebook: start another
                    if _KERNEL_DIED_AT_START not in str(err) or attempt == KERNEL_STARTS - 1:
                        raise
        finally:
            if ipynb.exists():
                os.replace(ipynb, job.ipynb)
        if job.workbook:
            write_workbook(job)
        export_html(job.ipynb, job.html, job.xlsx.name if job.workbook else "")
    except Exception as err:  # noqa: BLE001 - the driver's job: record any failure, run the rest
        warned = notebook_warnings(job.ipynb) if job.ipynb.is_file() else []
        return Outcome(job.name, "failed", time.perf_counter() - start, _error_line(err), warnings=warned)
    return Outcome(
        job.name,
        "ok",
        time.perf_counter() - start,
        figures=notebook_figures(job.ipynb),
        warnings=notebook_warnings(job.ipynb),
    )


def run_batch(
    jobs: list[Job],
    n_jobs: int = 2,
    kernel_name: str = DEFAULT_KERNEL,
    progress: bool = True,
    execution_timeout: int = 300,
    continue_on_error: bool = True,
) -> list[Outcome]:
    """Run the jobs in up to ``n_jobs`` processes; outcomes in the jobs' order.

    A failed job never stops running ones; with ``continue_on_error=False`` jobs not yet started
    are cancelled and reported as 'skipped'.
    """
    if n_jobs < 1:
        raise ParameterError(f"--jobs must be at least 1, not {n_jobs}")
    from tqdm import tqdm

    for job in jobs:
        job.ipynb.parent.mkdir(parents=True, exist_ok=True)
        atomic.clean_stale(job.ipynb.parent)  # what a killed run left
        for stale in (job.ipynb, job.html, job.xlsx):
            stale.unlink(missing_ok=True)
    results: dict[str, Outcome] = {}
    queue = list(jobs)
    stop = False
    with (
        ProcessPoolExecutor(max_workers=min(n_jobs, len(jobs))) as pool,
        tqdm(total=len(jobs), desc="reports", unit="report", disable=not progress) as bar,
    ):
        running = set()
        while queue or running:
            # at most n_jobs in flight, so that fail-fast can stop the rest
            while queue and not stop and len(running) < n_jobs:
                running.add(pool.submit(run_job, queue.pop(0), kernel_name, execution_timeout))
            if not running:
                break
            done, running = wait(running, return_when=FIRST_COMPLETED)
            for fut in done:
                out = fut.result()
                results[out.name] = out
                stop = stop or (out.status == "failed" and not continue_on_error)
                bar.set_postfix_str(f"{out.name} {out.status}")
                bar.update()
    return [
        results.get(j.name) or Outcome(j.name, "skipped", 0.0, "not run: an earlier report failed")
        for j in jobs
    ]


def summary_table(outcomes: list[Outcome]) -> str:
    """Plain-text table: anchor, status, time, error line; then what each notebook wrote to stderr."""
    w = max([len("report")] + [len(o.name) for o in outcomes])
    lines = [f"{'report':<{w}}  {'status':<6}  {'time':>6}  error", "-" * (w + 24)]
    lines += [f"{o.name:<{w}}  {o.status:<6}  {o.seconds:5.1f}s  {o.error}" for o in outcomes]
    lines += [f"{o.name}: stderr: {line}" for o in outcomes for line in o.warnings]
    return "\n".join(lines)


def write_index(out_dir: str | Path, jobs: list[Job], outcomes: list[Outcome], period: str) -> Path:
    """index.html: a link to every report with its headline figures (no scripts, no outside requests)."""
    cols = [
        ("total_spend", "Total spend"),
        ("addressable_spend", "Addressable"),
        ("local_spend", "Local spend"),
        ("local_share", "Local share"),
        ("leakage", "Leakage"),
    ]
    head = "".join(f'<th scope="col">{h}</th>' for _, h in cols)
    rows = []
    for job, o in zip(jobs, outcomes):
        name = html.escape(job.title)
        link = f'<a href="{html.escape(job.html.name)}">{name}</a>' if o.status == "ok" else name
        cells = "".join(
            f'<td data-key="{k}" data-value="{exact(o.figures.get(k))}">'
            f"{figure(k, o.figures[k]) if k in o.figures else ''}</td>"
            for k, _ in cols
        )
        status = "ok" if o.status == "ok" else f"{o.status}: {html.escape(o.error)}"
        book = html.escape(job.xlsx.name)
        figures = f'<a href="{book}" download>{book}</a>' if o.status == "ok" and job.workbook else ""
        rows.append(
            f'<tr id="report-{html.escape(o.name)}"><td>{link}</td>{cells}'
            f'<td class="workbook">{figures}</td><td>{status}</td></tr>'
        )
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>anchorlib reports</title>
<style>body{{font-family:sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem}}
table{{border-collapse:collapse}}th,td{{padding:.3rem .6rem;border-bottom:1px solid #ccc}}
td[data-key]{{text-align:right;font-variant-numeric:tabular-nums}}
@media print{{a{{color:inherit}}}}</style></head>
<body><main><h1>Anchor reports</h1><p>Period: {html.escape(period)}. Local share = local addressable spend
/ addressable spend with known location; the network row pools the anchors (ratio of the sums). Each
report's figures are in an Excel workbook beside it (last but one column).</p>
<table id="reports"><thead><tr><th scope="col">Report</th>{head}<th scope="col">Figures (Excel)</th>
<th scope="col">Status</th></tr></thead><tbody>
{chr(10).join(rows)}
</tbody></table></main></body></html>
"""
    path = Path(out_dir) / "index.html"
    atomic.write_text(path, page)
    return path
