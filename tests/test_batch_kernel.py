"""The batch's kernels: over Unix sockets on POSIX (no TCP ports to race for), and a kernel that dies
before its first reply started again (two reports once failed on CI with 'Address already in use')."""

from __future__ import annotations

import asyncio
import glob
import os

import papermill as pm
import pytest

from anchorlib.paths import SAMPLE_DIR
from anchorlib.reports import batch as rp
from tests.kernels import batch_kernel

posix = pytest.mark.skipif(os.name != "posix", reason="Unix sockets are POSIX's")


@posix
def test_a_batch_kernel_talks_over_short_unix_sockets_it_removes():
    async def run() -> tuple[str, str, list[str], list[str]]:
        async with batch_kernel() as (km, kc):
            reply = await kc.execute_interactive("x = 6 * 7", timeout=60)
            during = glob.glob(km.ip + "-*")
        return km.transport, reply["content"]["status"], during, glob.glob(km.ip + "-*")

    transport, status, during, after = asyncio.run(run())
    assert (transport, status) == ("ipc", "ok")
    assert len(during) == 5 and all(len(p.encode()) < 107 for p in during)  # shell, iopub, stdin, control, hb
    assert after == []


def _one_job(tmp_path):
    return rp.plan(SAMPLE_DIR, tmp_path, ["hackney"])[0]


@pytest.mark.notebook
def test_a_kernel_that_dies_before_replying_is_started_again(tmp_path, monkeypatch):
    real, calls = pm.execute_notebook, []

    def first_kernel_dies(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:  # what nbclient raises when the kernel exits before kernel_info
            raise RuntimeError("Kernel died before replying to kernel_info")
        return real(*args, **kwargs)

    monkeypatch.setattr(pm, "execute_notebook", first_kernel_dies)
    job = _one_job(tmp_path)
    outcome = rp.run_job(job, "python3")
    assert (outcome.status, len(calls)) == ("ok", 2)
    assert job.html.is_file() and outcome.figures


def test_a_kernel_that_keeps_dying_fails_the_job_after_three_starts(tmp_path, monkeypatch):
    calls = []

    def always_dies(*args, **kwargs):
        calls.append(1)
        raise RuntimeError("Kernel died before replying to kernel_info")

    monkeypatch.setattr(pm, "execute_notebook", always_dies)
    outcome = rp.run_job(_one_job(tmp_path), "python3")
    assert (outcome.status, len(calls)) == ("failed", rp.KERNEL_STARTS)
    assert outcome.error == "RuntimeError: Kernel died before replying to kernel_info"


def test_a_notebook_that_fails_is_not_run_again(tmp_path, monkeypatch):
    calls = []

    def cell_fails(*args, **kwargs):
        calls.append(1)
        raise RuntimeError("something else went wrong")

    monkeypatch.setattr(pm, "execute_notebook", cell_fails)
    outcome = rp.run_job(_one_job(tmp_path), "python3")
    assert (outcome.status, len(calls)) == ("failed", 1)
