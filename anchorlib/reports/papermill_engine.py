"""``papermill --engine anchorlib``: papermill's nbclient engine with the batch's kernel manager
(reports/kernel.py: encrypted kernels, no SIGINT on shutdown), so a notebook run from the command line
is as quiet as ``anchorlib reports``.

papermill imports this module through the ``papermill.engine`` entry point (pyproject.toml) while it
imports ``papermill.engines``; importing it before papermill would import it again half-made, so the
package itself uses reports/kernel.py directly.
"""

from __future__ import annotations

from papermill.engines import NBClientEngine

from anchorlib.reports.kernel import BatchKernelManager


class QuietEngine(NBClientEngine):
    """papermill's nbclient engine with :class:`BatchKernelManager`."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
        kwargs.setdefault("kernel_manager_class", BatchKernelManager)
        return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)
