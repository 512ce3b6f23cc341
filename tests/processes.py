"""Servers the tests start in a process group of their own (`make lab`, an installed `anchorlib serve`):
wait until one listens, stop the whole group as a terminal's Ctrl-C would."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time


def wait_listening(port: int, proc: subprocess.Popen, what: str, timeout: float = 120) -> None:
    """Return once 127.0.0.1:``port`` accepts connections; fail if ``proc`` exits or ``timeout`` s pass
    (``what`` names it in the error)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{what} did not listen on port {port} within {timeout} s")


def stop_group(proc: subprocess.Popen, sig: int = signal.SIGINT, timeout: float = 30) -> None:
    """Send ``sig`` to ``proc``'s process group (started with ``start_new_session=True``), then SIGKILL
    it if it has not ended within ``timeout`` s."""
    os.killpg(proc.pid, sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
