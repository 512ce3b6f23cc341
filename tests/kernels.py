"""A kernel started by the batch's kernel manager, with a client ready (tests of reports/kernel.py)."""

from __future__ import annotations

import contextlib

from anchorlib.reports.kernel import BatchKernelManager


@contextlib.asynccontextmanager
async def batch_kernel():
    """``(manager, client)`` of a python3 kernel started as the batch starts it, ready to execute; the
    client's channels stopped and the kernel shut down on the way out."""
    km = BatchKernelManager(kernel_name="python3")
    await km.start_kernel()
    kc = km.client()
    kc.start_channels()
    try:
        await kc.wait_for_ready(timeout=60)
        yield km, kc
    finally:
        kc.stop_channels()
        await km.shutdown_kernel()
