"""Errors that reach users as one line: which file, which line, what is wrong."""

from __future__ import annotations

from pathlib import Path


class AnchorlibError(Exception):
    """Base class. ``str(err)`` is always a single line fit to show a user."""

    def __init__(self, message: str, *, path: str | Path | None = None, line: int | None = None):
        self.path = str(path) if path is not None else None
        self.line = line
        self.problem = " ".join(str(message).split())  # never more than one line
        where = ""
        if self.path is not None:
            where = self.path + (f":{line}" if line is not None else "") + ": "
        super().__init__(where + self.problem)


class DatasetError(AnchorlibError):
    """A dataset folder is missing a file or column, or holds a value it cannot use."""


class SpendFileError(AnchorlibError):
    """A spend file cannot be read at all (as opposed to rows rejected inside it)."""


class ParameterError(AnchorlibError):
    """A notebook, app or CLI parameter names something that does not exist."""


class OutOfCoreError(DatasetError):
    """Something asked for a dataset's payments as a pandas frame where they are out of core (a Parquet
    dataset, queried by DuckDB or Spark, never loaded whole)."""


class GrantFileError(DatasetError):
    """A grant file (360Giving JSON, CSV or XLSX) cannot be read at all (as opposed to grants rejected
    inside it, which its grant report lists)."""
