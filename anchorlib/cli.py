"""The ``anchorlib`` command line: summary, validate, sample, serve, tenders, reports and register build
(docs/architecture.md).

Errors reach the user as one line on stderr with exit code 2, never a traceback.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from anchorlib import collector
from anchorlib.errors import AnchorlibError, DatasetError
from anchorlib.formatting import number

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Where anchor institutions' spend goes: local share, leakage, equity gaps, LM3, social value.",
)

DataOpt = Annotated[
    Path | None,
    typer.Option("--data", help="Dataset folder (default: $ANCHORLIB_DATA or the bundled sample)."),
]


def fail(err: Exception) -> None:
    """Print a one-line error and exit 2."""
    typer.echo(f"anchorlib: error: {err}", err=True)
    raise typer.Exit(2)


def json_text(obj: object) -> str:
    """The JSON every ``--json`` prints (indented; dates and paths as text)."""
    return json.dumps(obj, indent=2, default=str)


def emit_json(obj: object) -> None:
    typer.echo(json_text(obj))


@app.command()
def summary(
    data: DataOpt = None,
    anchor: Annotated[
        list[str] | None, typer.Option("--anchor", help="Anchor id (repeatable; default all).")
    ] = None,
    area: Annotated[
        str | None,
        typer.Option("--area", help="home (default), city_hackney, london, uk or an areas.csv id."),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print the summary as JSON (docs/methodology.md defines each figure)."),
    ] = False,
    xlsx: Annotated[
        Path | None,
        typer.Option(
            "--xlsx",
            help="Also write the summary as an Excel workbook: sheets anchors, network, groups, choices.",
        ),
    ] = None,
    pool: Annotated[
        str,
        typer.Option(
            "--pool",
            help="Availability pool: register (suppliers.csv, default) or population (population.csv, "
            "written by `anchorlib register build`).",
        ),
    ] = "register",
    flow: Annotated[
        str,
        typer.Option(
            "--flow",
            help="The money the figures sum: spend (the spend files, default), grant (the 360Giving files "
            "in grants/) or both.",
        ),
    ] = "spend",
    grant_location: Annotated[
        str,
        typer.Option(
            "--grant-location",
            help="What places a grant: recipient (its postcode, else the beneficiary location; default) or "
            "beneficiary (the beneficiary location first).",
        ),
    ] = "recipient",
) -> None:
    """The headline metrics per anchor and for the network."""
    from anchorlib.data.storage import cache, results
    from anchorlib.paths import default_data_dir

    root = Path(data).expanduser().resolve() if data is not None else default_data_dir()
    store = cache.cache_dir(root) if cache.enabled() and root.is_dir() else None
    # a file of the folder that cannot be looked at (a dangling link, no permission): no stored result
    args = {
        "anchor": anchor,
        "area": area,
        **({"pool": pool} if pool != "register" else {}),
        **({"flow": flow} if flow != "spend" else {}),
        **({"grant_location": grant_location} if grant_location != "recipient" else {}),
    }
    try:
        key = results.result_key(root, "summary", args, store) if store else None
    except OSError:
        store = key = None
    hit = results.read_result(store, key) if store else None  # same data, code and arguments: same output
    if hit is None:
        # the garbage collector's passes over what importing pandas, pyarrow and DuckDB creates free next
        # to nothing, so it is paused while they load; frozen after, the collector does not walk it either
        with collector.paused(freeze=True):
            from anchorlib import metrics
            from anchorlib.data.dataset import open_dataset
            from anchorlib.reports.text import summary_table
            from anchorlib.reports.workbook import summary_sheets

            try:
                ds = open_dataset(root)
                result = metrics.summary(
                    ds, anchor or None, area, pool=pool, flow=flow, grant_location=grant_location
                )
            except AnchorlibError as err:
                fail(err)
            except OSError as err:  # the folder changed under the run, or cannot be read
                fail(DatasetError(f"cannot be read ({err.strerror or err})", path=err.filename or root))
            sheets = [s.to_json() for s in summary_sheets(result, str(root))]
            hit = {
                "json": json_text(result),
                "table": summary_table(result),
                "notes": list(ds.notes),
                "sheets": sheets,
            }
        if store:
            results.write_result(store, key, hit)
    for note in hit.get("notes", []):  # what the data could still be used despite (docs/methodology.md)
        typer.echo(f"anchorlib: note: {note}", err=True)
    if xlsx is not None:
        write_workbook(xlsx, hit["sheets"])
    typer.echo(hit["json"] if as_json else hit["table"])
    global _quick_exit
    _quick_exit = True  # all written (cache entries are renamed into place): nothing left to tear down


def write_workbook(path: Path, sheets: list[dict]) -> None:
    """``summary --xlsx``: the sheets (``Sheet.to_json``) as a workbook at ``path``, written whole or not
    at all; a one-line error (exit 2) for a path it cannot be written to."""
    from anchorlib.data.storage import atomic
    from anchorlib.errors import ParameterError
    from anchorlib.export import Sheet, xlsx_bytes

    path = Path(path).expanduser()
    if path.suffix.lower() != ".xlsx":
        fail(ParameterError(f"--xlsx {path}: the workbook's name must end in .xlsx"))
    if not path.parent.is_dir():
        fail(ParameterError(f"--xlsx {path}: there is no folder {path.parent}"))
    try:
        with atomic.replacing(path, durable=False) as tmp:
            tmp.write_bytes(xlsx_bytes([Sheet.from_json(s) for s in sheets], "anchorlib summary"))
    except OSError as err:
        fail(ParameterError(f"--xlsx {path}: cannot write it ({err.strerror or err})"))
    typer.echo(f"anchorlib: wrote {path} (sheets: {', '.join(s['name'] for s in sheets)})", err=True)


@app.command()
def validate(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Spend files (.csv, .xlsx, .xlsm or .ods) or 360Giving grant files (.json, or a CSV or "
            "workbook with the standard's column titles)."
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object per file (a list).")] = False,
) -> None:
    """Load spend files and report what was read: each workbook sheet read or skipped (and why), rows
    loaded, rejected (line and reason) and structure (blank lines, repeated headers, titles, totals),
    totals, reconciliation. A 360Giving grant file: grants loaded, in other currencies (count and amount
    per currency, never added to pounds), rejected (line or index and reason), to individuals (counted)."""
    from anchorlib.data.ingest import load_spend_file
    from anchorlib.data.ingest.grants import load_grant_file, looks_like_grants

    reports = []
    for f in files:
        try:
            _, report = load_grant_file(f) if looks_like_grants(f) else load_spend_file(f)
        except AnchorlibError as err:
            fail(err)
        reports.append(report)
    if as_json:
        emit_json([r.to_json() for r in reports])
        return
    for r in reports:
        typer.echo(r.summary_line())
        if getattr(r, "kind", "") == "grants":
            for rej in r.rejections[:20]:
                typer.echo(f"  {rej.where()}: {rej.reason}")
            if len(r.rejections) > 20:
                typer.echo(f"  ... and {number(len(r.rejections) - 20)} more (use --json for all)")
            continue
        for sheet in r.sheets:
            typer.echo(f"  {sheet.summary()}")
        if r.repairs:
            lines = ", ".join(str(x.line) for x in r.repairs[:10]) + (", ..." if len(r.repairs) > 10 else "")
            typer.echo(
                f"  repaired {number(len(r.repairs))} lines whose fields the export had fused: {lines} "
                "(--json says how)"
            )
        for rej in r.rejections[:20]:
            where = f"sheet '{rej.sheet}' row" if rej.sheet is not None else "line"
            typer.echo(f"  {where} {rej.line}: {rej.reason}")
        if len(r.rejections) > 20:
            typer.echo(f"  ... and {number(len(r.rejections) - 20)} more (use --json for all)")


@app.command()
def sample(
    out: Annotated[Path, typer.Option("--out", help="Folder to write.")] = Path("data/sample"),
    rows: Annotated[
        int, typer.Option("--rows", min=100, help="Approximate number of transactions.")
    ] = 24_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same files).")] = 2024,
) -> None:
    """Write the synthetic City & Hackney sample dataset (any size, for benchmarks)."""
    from anchorlib.sample.generator import write_sample

    path = write_sample(out, rows=rows, seed=seed)
    typer.echo(f"wrote synthetic sample to {path}")


@app.command()
def serve(
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 8866,
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help="Address to listen on: 127.0.0.1 (default) for this machine only; 0.0.0.0 or this "
            "machine's address to serve a room, behind a token printed in the link.",
        ),
    ] = "127.0.0.1",
    pool: Annotated[
        int, typer.Option("--pool", min=0, help="Preheated kernels per notebook (0: start on demand).")
    ] = 1,
    pool_for: Annotated[
        list[str] | None,
        typer.Option(
            "--pool-for",
            help="NOTEBOOK=N: preheated kernels for one notebook, e.g. 10_leakage_explorer=12 (repeatable; "
            "docs/performance.md sizes them for a workshop).",
        ),
    ] = None,
    datasets: Annotated[
        Path | None,
        typer.Option(
            "--datasets",
            help="Folder of dataset folders the apps offer by name (no typed paths); uploads are "
            "based on them.",
        ),
    ] = None,
) -> None:
    """Serve the Voila apps in notebooks/ (the page at / links every app) until Ctrl-C, SIGTERM or SIGHUP,
    which stop Voila and every kernel."""
    from anchorlib.apps.serve import dataset_folders
    from anchorlib.apps.serve import serve as run
    from anchorlib.errors import ParameterError

    try:
        if datasets is not None:
            if not datasets.is_dir():
                raise ParameterError(f"--datasets {datasets}: there is no folder there")
            if not dataset_folders(datasets):
                raise ParameterError(
                    f"--datasets {datasets}: no dataset folder (one holding anchors.csv) in it"
                )
            datasets = datasets.resolve()
        pools = {}
        for item in pool_for or []:
            name, _, n = item.partition("=")
            if not n.strip().isdigit():
                raise ParameterError(f"--pool-for {item}: expected NOTEBOOK=N, e.g. 10_leakage_explorer=12")
            pools[name.strip().removesuffix(".ipynb") + ".ipynb"] = int(n)
        code = run(port=port, pool_size=pool, host=host, datasets=datasets, pools=pools)
    except AnchorlibError as err:
        fail(err)
    raise typer.Exit(code)


@app.command()
def tenders(
    data: DataOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the tenders as JSON.")] = False,
) -> None:
    """Per tender: the winner at 5%, 10% and 20% social value weight, and the tipping weight."""
    from anchorlib.data.dataset import open_dataset
    from anchorlib.social_value import tenders as sv

    try:
        result = sv.tenders_json(sv.load_tenders(open_dataset(data)))
    except AnchorlibError as err:
        fail(err)
    if as_json:
        emit_json(result)
        return
    typer.echo(sv.tenders_text(result))


@app.command()
def reports(
    data: DataOpt = None,
    anchors: Annotated[
        str | None, typer.Option("--anchors", help="Anchor ids joined by ',' (default all).")
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the executed notebooks and HTML reports.")
    ] = Path("build/reports"),
    jobs: Annotated[int, typer.Option("--jobs", help="Notebooks run in parallel.")] = 2,
    kernel: Annotated[
        str | None, typer.Option("--kernel", help="Jupyter kernel (default 'anchorlib', else python3).")
    ] = None,
    financial_year: Annotated[
        str, typer.Option("--financial-year", help="Narrow the anchor reports to one year (default all).")
    ] = "",
    area: Annotated[
        str, typer.Option("--area", help="home (default), city_hackney, london, uk or an areas.csv id.")
    ] = "home",
    continue_on_error: Annotated[
        bool,
        typer.Option(
            "--continue-on-error/--fail-fast",
            help="Run every report even when one fails (default), or cancel those not yet started.",
        ),
    ] = True,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show a progress bar.")] = True,
    pool: Annotated[
        str, typer.Option("--pool", help="Availability pool of the anchor reports: register or population.")
    ] = "register",
) -> None:
    """Run the report notebook per anchor plus the network with papermill; HTML reports and index.html.

    Every report runs even when one fails; the exit code is 1 when any failed.
    """
    from anchorlib.reports import batch as rp

    try:
        wanted = [a.strip() for a in anchors.split(",") if a.strip()] if anchors else None
        if jobs < 1:
            raise rp.ParameterError(f"--jobs must be at least 1, not {jobs}")
        plan = rp.plan(data, out, wanted, financial_year, area, pool)
        kernel_name, note = rp.resolve_kernel(kernel)
    except AnchorlibError as err:
        fail(err)
    if note:
        typer.echo(f"anchorlib: note: {note}", err=True)
    started = time.perf_counter()
    outcomes = rp.run_batch(plan, jobs, kernel_name, progress=progress, continue_on_error=continue_on_error)
    index = rp.write_index(out, plan, outcomes, financial_year or "all years")
    typer.echo(rp.summary_table(outcomes))
    failed = sum(o.status != "ok" for o in outcomes)
    seconds = time.perf_counter() - started
    typer.echo(f"{len(outcomes) - failed} of {len(outcomes)} reports in {seconds:.1f}s; index: {index}")
    if failed:
        raise typer.Exit(1)


register_app = typer.Typer(
    no_args_is_help=True,
    help="The supplier register from the registers' bulk files (Companies House, Charity Commission).",
)
app.add_typer(register_app, name="register")


def _register_files(values: list[Path]) -> list[Path]:
    """Each --companies value as given: a file, a folder (its BasicCompanyData*.csv/.zip) or a glob."""
    import glob

    out: list[Path] = []
    for v in values:
        if v.is_dir():
            out += sorted(
                p
                for p in v.iterdir()
                if p.name.startswith("BasicCompanyData") and p.suffix in (".csv", ".zip")
            )
        elif not v.exists() and any(ch in str(v) for ch in "*?["):
            out += [Path(p) for p in sorted(glob.glob(str(v)))]
        else:
            out.append(v)
    return out


@register_app.command("build")
def register_build(
    data: Annotated[
        Path, typer.Option("--data", help="Dataset folder whose register to build (written in it).")
    ],
    companies: Annotated[
        list[Path] | None,
        typer.Option(
            "--companies",
            help="Companies House BasicCompanyData file(s), .csv or .zip, as published (repeatable; a folder "
            "or a quoted glob such as 'BasicCompanyData-*.zip' takes every part).",
        ),
    ] = None,
    charities: Annotated[
        Path | None,
        typer.Option(
            "--charities", help="Charity Commission publicextract.charity .txt or .json (or its zip)."
        ),
    ] = None,
    population_area: Annotated[
        list[str] | None,
        typer.Option(
            "--population-area",
            help="Area(s) of the local business population (repeatable; default: the anchors' home areas and "
            "areas.csv's).",
        ),
    ] = None,
    population: Annotated[
        bool, typer.Option("--population/--no-population", help="Write population.csv (default) or not.")
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the build report as JSON.")] = False,
) -> None:
    """Match every payee to Companies House and the Charity Commission by name; write suppliers.csv,
    register_matches.csv and the local business population (docs/methodology.md#register-matching)."""
    from anchorlib.data.registers.builder import build_register
    from anchorlib.reports.text import register_text

    try:
        files = _register_files(companies or [])
        result = build_register(
            data, files, charities, population_areas=population_area or None, population=population
        )
    except AnchorlibError as err:
        fail(err)
    if as_json:
        emit_json(result.report)
        return
    typer.echo(register_text(result.report))


_quick_exit = False  # set by a command whose process may end without the interpreter's teardown (see main)


def main() -> None:  # pragma: no cover
    """The console script: the commands, a one-line error for an AnchorlibError that escapes them.

    On the way out every object is frozen out of the garbage collector: the interpreter's last
    collection would otherwise walk all that pandas, pyarrow and DuckDB allocated only for the operating
    system to free the memory anyway. A command that sets ``_quick_exit`` (summary: its output and cache
    entries are written and closed) then ends the process at once, skipping the teardown of pandas,
    pyarrow and NumPy."""
    code = 0
    try:
        app()
    except AnchorlibError as err:
        typer.echo(f"anchorlib: error: {err}", err=True)
        code = 2
    except SystemExit as done:
        code = done.code
    finally:
        gc.freeze()
    if _quick_exit and code == 0:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except OSError:  # e.g. the reader closed the pipe: the output did not all arrive
            os._exit(1)
        os._exit(0)
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    main()
