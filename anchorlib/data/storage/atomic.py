"""Writing a cache file so that every reader sees all of it or none of it (docs/architecture.md, storage).

A file is written under a temporary name of its own in the same folder (``.<name>.<pid>-<random>.tmp``:
two processes, or two threads, never share one), flushed to the disk (``fsync``, for the Parquet and
Arrow files that hold data), then renamed over the final name (``os.replace``, atomic on POSIX). A
process killed mid-write leaves only its temporary file, which no reader opens and ``clean_stale``
removes once it is an hour old; a power cut cannot leave a data file's name pointing at unwritten
blocks. A reader that has a file open or mapped keeps reading the file it opened when another process
replaces or removes it.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: A temporary file this old is a killed writer's: no write of a cache file takes an hour.
STALE_SECONDS = 3600
_cleaned: set[Path] = set()  # folders this process has cleaned of stale temporary files
#: the names ``temp_path`` gives (and those of the writers before it, ``.<name>.<pid>.tmp``)
_TEMP_NAME = re.compile(r"^\..+\.\d+(-[0-9a-f]{8})?\.tmp(\.[A-Za-z0-9]+)?$")


def temp_path(final: Path, suffix: str = "") -> Path:
    """A temporary name beside ``final`` that no other writer uses (``suffix``: for a writer that reads
    the kind of file from its name, e.g. '.ipynb')."""
    return final.with_name(f".{final.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp{suffix}")


def fsync(path: Path) -> None:
    """Flush the file (or folder) at ``path`` to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def replacing(final: Path, durable: bool = True) -> Iterator[Path]:
    """A temporary path to write; when the block ends without an error the file is flushed to the disk
    (``durable``) and renamed to ``final``, else removed."""
    tmp = temp_path(final)
    try:
        yield tmp
        if durable:
            fsync(tmp)
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


def write_text(final: Path, text: str) -> None:
    """``final`` holds ``text`` (UTF-8 JSON or HTML), written whole or not at all. Not flushed to the disk
    first: after a power cut such a file is whole, empty or cut short, and a cut JSON file does not parse,
    so its reader takes it for a miss; the data files it describes were flushed before it was written."""
    with replacing(final, durable=False) as tmp:
        tmp.write_text(text, encoding="utf-8")


def publish_folder(tmp: Path, final: Path) -> bool:
    """Rename the finished folder ``tmp`` to ``final``. False, ``tmp`` left, when ``final`` exists (a folder
    of another writer, or an older one: the caller decides)."""
    try:
        os.rename(tmp, final)  # onto a missing name, or an empty folder; never onto a full one
        return True
    except OSError:
        if final.exists():
            return False
        raise


def clean_stale(directory: Path) -> None:
    """Remove the temporary files and folders of writers killed in ``directory`` (once per process)."""
    if directory in _cleaned:
        return
    _cleaned.add(directory)
    cutoff = time.time() - STALE_SECONDS
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for e in entries:
        if not _TEMP_NAME.match(e.name):
            continue
        try:
            if e.stat(follow_symlinks=False).st_mtime >= cutoff:
                continue
            if e.is_dir(follow_symlinks=False):
                shutil.rmtree(e.path, ignore_errors=True)
            else:
                os.unlink(e.path)
        except OSError:  # removed by another process meanwhile
            continue
