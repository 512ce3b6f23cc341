"""How the batch starts and stops kernels: encrypted, and not interrupted on the way out.

Two lines reached the console from every kernel papermill ran, though nothing was wrong:

- ``[IPKernelApp] WARNING | Kernel is running over TCP without encryption``: ipykernel (7.x) logs it when
  the connection file carries no CurveZMQ keys. jupyter_client (8.10+) provisions them when the kernel
  manager's ``transport_encryption`` is "auto" and the kernelspec declares ``supported_encryption``
  (ipykernel's do); its default is "disabled". :class:`BatchKernelManager` asks for "auto" when pyzmq
  has CurveZMQ, so the batch's kernels talk over encrypted sockets and the warning has no cause.
- ``[IPKernelApp] ERROR | KeyboardInterrupt caught in kernel.``, in about one run in three:
  jupyter_client's ``shutdown_kernel`` sends SIGINT before the shutdown request, and papermill shuts the
  kernel down straight after its last ``kernel_info`` reply, so the signal can land while the kernel is
  still inside that handler. A batch shuts a kernel down when its notebook has ended (or failed, or timed
  out): there is nothing to interrupt, so :class:`BatchKernelManager` sends the shutdown request alone
  (a kernel still busy is stopped, as before, by SIGTERM then SIGKILL after ``shutdown_wait_time``).
  An interrupt asked for explicitly (``interrupt_kernel()``) still goes through.

- ``zmq.error.ZMQError: Address already in use`` then ``Kernel died before replying to kernel_info``, now
  and then (two reports failed so on CI): over TCP, jupyter_client picks a kernel's five ports by binding
  port 0 and closing the socket, then the kernel binds them; in between, the other batch process's kernel,
  or any client connection's ephemeral port, may take one. On POSIX :class:`BatchKernelManager` uses the
  ``ipc`` transport instead (Unix sockets under one short, unique path per kernel in the temporary folder,
  removed when the kernel stops): no ports to race for. A kernel that still dies before its first reply
  is started again by the batch (reports/batch.py), at most twice.

Everything else a kernel or papermill logs (an unknown parameter, a failing cell, a kernel that died)
still shows. ``papermill --engine anchorlib`` runs a notebook the same way from the command line
(reports/papermill_engine.py).
"""

from __future__ import annotations

import os
import tempfile
import uuid

import zmq
from jupyter_client.manager import AsyncKernelManager
from traitlets import default


class BatchKernelManager(AsyncKernelManager):
    """The kernel manager for notebooks run to the end without a person watching (papermill, the batch)."""

    if "transport_encryption" in AsyncKernelManager.class_trait_names():  # jupyter_client 8.10+

        @default("transport_encryption")
        def _encrypt_when_possible(self) -> str:
            return "auto" if zmq.has("curve") else "disabled"

    if os.name == "posix":

        @default("transport")
        def _ipc_on_posix(self) -> str:
            return "ipc"

        @default("ip")
        def _short_ipc_path(self) -> str:
            # a Unix socket's path must fit in 107 bytes: the runtime folder under a long home may not
            return os.path.join(tempfile.gettempdir(), f"anchorlib-kernel-{uuid.uuid4().hex[:12]}")

    async def _async_interrupt_kernel(self) -> None:
        # called by shutdown_kernel (after it sets shutting_down) and by interrupt_kernel; the public
        # interrupt_kernel is bound to the base class's method, so only the shutdown's own SIGINT is dropped
        if self.shutting_down:
            return
        await super()._async_interrupt_kernel()
