"""A quiet, honest console: `make demo`'s steps print progress and results and nothing alarming, and
what is really wrong (a cell that warns, a parameter the notebook does not declare, a failing report)
still shows. The kernels the batch starts are encrypted and can still be interrupted on purpose."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from anchorlib.data.storage.cache import CACHE_DIRNAME
from anchorlib.paths import PROJECT_DIR, SAMPLE_DIR
from anchorlib.reports import batch as rp
from tests.kernels import batch_kernel

ALARMING = re.compile(r"WARNING|ERROR|Traceback|DeprecationWarning")
#: lines the project prints on purpose that match ALARMING, each as a pattern (none today)
ON_PURPOSE: tuple[re.Pattern, ...] = ()
STAMP = PROJECT_DIR / ".venv" / ".anchorlib-installed"


def console_lines(text: str) -> list[str]:
    """Lines as a terminal shows them: progress bars redraw with carriage returns."""
    return [line for line in re.split(r"[\r\n]+", text) if line.strip()]


def alarming(text: str) -> list[str]:
    return [
        line
        for line in console_lines(text)
        if ALARMING.search(line) and not any(p.search(line) for p in ON_PURPOSE)
    ]


def test_alarming_lines_are_found_among_progress_bars():
    text = (
        "reports:  20%|##   | 1/5\r[IPKernelApp] WARNING | Kernel is running over TCP\n"
        "report  status\nhackney ok\nDeprecationWarning: x\n"
    )
    assert alarming(text) == ["[IPKernelApp] WARNING | Kernel is running over TCP", "DeprecationWarning: x"]


def notebook(path: Path, *cells: str) -> Path:
    """A notebook: a tagged parameters cell (``x = 1``), then ``cells``."""
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("x = 1")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, *(nbformat.v4.new_code_cell(c) for c in cells)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


@pytest.mark.notebook
@pytest.mark.slow
def test_make_demo_steps_print_nothing_alarming(tmp_path):
    """`make demo` up to the serve, as its recipe runs it (the Makefile's demo-steps), on a copy of the
    sample: every step succeeds and no line of stdout or stderr is alarming."""
    data = tmp_path / "sample"
    shutil.copytree(SAMPLE_DIR, data, ignore=shutil.ignore_patterns(CACHE_DIRNAME))
    build = tmp_path / "build"
    r = subprocess.run(
        # -o: an out-of-date venv is not rebuilt here (make setup's own run is not under test)
        ["make", "-C", str(PROJECT_DIR), "-o", str(STAMP), "demo-steps", f"DATA={data}", f"BUILD={build}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=600,
        check=False,
    )
    assert r.returncode == 0, r.stdout[-3000:]
    out = r.stdout
    assert "network local share:" in out  # anchorlib summary
    assert "5 of 5 reports" in out and (build / "reports" / "index.html").is_file()
    assert (build / "01_spend_leakage.ipynb").is_file() and "Output Notebook:" in out
    assert alarming(out) == [], "\n".join(alarming(out))


@pytest.mark.notebook
def test_papermill_engine_keeps_papermills_own_warnings(tmp_path):
    """`papermill --engine anchorlib` (the demo's notebook step) is quiet about kernels, but papermill's
    warning for a parameter the notebook does not declare still shows, and a failing cell still fails
    with its error on the console."""
    nb = notebook(tmp_path / "in.ipynb", "print(x)")
    pm = [
        sys.executable,
        "-m",
        "papermill",
        "--log-level",
        "WARNING",
        "--engine",
        "anchorlib",
        "-k",
        "python3",
    ]
    r = subprocess.run(
        [*pm, "-p", "rates", "1", str(nb), str(tmp_path / "out.ipynb")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    assert "Passed unknown parameter: rates" in console_lines(r.stderr)  # papermill logs the bare message
    assert alarming(r.stdout + r.stderr) == []
    bad = notebook(tmp_path / "bad.ipynb", "raise ValueError('rates file is stale')")
    r = subprocess.run(
        [*pm, str(bad), str(tmp_path / "bad-out.ipynb")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert r.returncode == 1 and "ValueError: rates file is stale" in r.stderr


@pytest.mark.notebook
def test_a_warning_a_report_notebook_prints_reaches_the_summary(tmp_path):
    """A cell that warns: the run succeeds, and its warning is under the batch's summary table."""
    nb = notebook(tmp_path / "warns.ipynb", "import warnings\nwarnings.warn('rates are stale')")
    job = rp.Job("hackney", "Hackney", nb, {"x": 2}, tmp_path / "out.ipynb", tmp_path / "out.html")
    [outcome] = rp.run_batch([job], n_jobs=1, kernel_name="python3", progress=False)
    assert outcome.status == "ok" and outcome.warnings == ["UserWarning: rates are stale"]
    assert rp.summary_table([outcome]).splitlines()[-1] == "hackney: stderr: UserWarning: rates are stale"


def test_batch_kernels_are_encrypted_and_an_interrupt_on_purpose_still_interrupts():
    """The batch's kernel gets CurveZMQ keys; ``interrupt_kernel()`` stops a busy cell, while the
    shutdown after it sends no SIGINT of its own."""

    async def run():
        async with batch_kernel() as (km, kc):
            assert km.transport_encryption == "auto" and km.get_connection_info().get("curve_publickey")
            msg_id = kc.execute("import time; time.sleep(60)")
            await asyncio.sleep(1)
            await km.interrupt_kernel()
            reply = await kc.get_shell_msg(timeout=30)
            while reply["parent_header"]["msg_id"] != msg_id:  # a late reply to wait_for_ready's requests
                assert reply["msg_type"] == "kernel_info_reply", reply["msg_type"]
                reply = await kc.get_shell_msg(timeout=30)
            assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "KeyboardInterrupt"
            signals = []
            send_signal = km.provisioner.send_signal
            km.provisioner.send_signal = lambda s: signals.append(s) or send_signal(s)
        assert signals == [] and not await km.is_alive()

    asyncio.run(run())
