"""The one home of what a ``Dataset`` computes from its tables and keeps: ``Derived``.

A dataset's tables are read once and never change (``Dataset`` is frozen; ``Dataset.replace`` makes a
new one with a store of its own), so a derived frame is valid for as long as the dataset is: it is kept
here by name. Two kinds are also stored on disk, so that a new process maps them instead of computing
them again:

- frames made from the payments alone (rollups), beside the cached payments, as
  ``derived-<payments key>-<name>.arrow``; they go when that payments entry goes;
- frames made from the small tables alone (the LM3 survey resolved to suppliers), in the tables' cache
  entry (``storage/tables.py``), as ``derived-<name>.arrow``.

A dataset whose payments or tables are not the cached ones (no cache, or a replaced table) keeps its
derived frames in memory only. What a build raises is raised every time: nothing is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from anchorlib.data.storage import cache

if TYPE_CHECKING:
    import pandas as pd

DERIVED_KEEP = 12  # frames kept per payments entry, newest first: the apps' and summary's rollups, and spare


class Derived:
    """Derived frames of one dataset, by name: in memory, and on disk where the inputs are the cached ones.

    ``payments_dir``/``payments_key``: the cache folder and key of the payments as opened (None: the
    payments are not cached); ``tables_entry``: the tables' cache entry folder (None: not cached)."""

    def __init__(
        self,
        payments_dir: Path | None = None,
        payments_key: str | None = None,
        tables_entry: Path | None = None,
    ):
        self.payments_dir = payments_dir
        self.payments_key = payments_key
        self.tables_entry = tables_entry
        self._memo: dict[str, object] = {}

    def __repr__(self) -> str:
        return f"Derived({sorted(self._memo)})"

    def __contains__(self, name: str) -> bool:
        """Whether ``name`` is held (made, or mapped from the cache) already."""
        return name in self._memo

    def items(self):
        """(name, value) of what is held: rollups are named 'payments:rollup-...', the survey
        'tables:lm3_survey_suppliers'."""
        return self._memo.items()

    def payments_cached(self, directory: Path, key: str, payments: pd.DataFrame | None = None) -> None:
        """The dataset's payments are the ones cached as ``key`` in ``directory`` (``payments``: as mapped
        from there): frames made from them are stored beside them from now on."""
        self.payments_dir, self.payments_key = directory, key
        if payments is not None:
            self._memo["payments"] = payments

    def memo(self, name: str, build: Callable[[], object]) -> object:
        """``build()`` once per dataset, kept in memory only."""
        if name not in self._memo:
            self._memo[name] = build()
        return self._memo[name]

    def from_payments(self, name: str, build: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        """A frame made from the payments alone (``name`` changes with its inputs and code)."""
        path = None
        if self.payments_dir is not None and self.payments_key is not None:
            path = self.payments_dir / f"derived-{self.payments_key}-{name}.arrow"
        # mapped as it is (read-only, no copy): a rollup of ten million payments opens in milliseconds
        return self.memo(f"payments:{name}", lambda: _stored(path, build, _trim_payments_derived, copy=False))

    def from_tables(self, name: str, build: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        """A frame made from the small tables alone."""
        path = self.tables_entry / f"derived-{name}.arrow" if self.tables_entry is not None else None
        return self.memo(f"tables:{name}", lambda: _stored(path, build, None, copy=True))


def _stored(path: Path | None, build, after_write, copy: bool) -> pd.DataFrame:
    """The frame stored at ``path`` (``copy``: in memory and writable), else ``build()``, stored there when
    possible."""
    if path is not None:
        hit = cache.read_mapped(path)
        if hit is not None:
            return hit.copy() if copy else hit
    value = build()
    if path is not None and cache.write_mapped(path, value) and after_write is not None:
        after_write(path)
    return value


def _trim_payments_derived(path: Path) -> None:
    """Keep the ``DERIVED_KEEP`` newest frames of the same payments (those of older code go)."""
    try:
        cache.keep_newest(path.parent.glob("-".join(path.name.split("-")[:2]) + "-*.arrow"), DERIVED_KEEP)
    except OSError:
        pass
