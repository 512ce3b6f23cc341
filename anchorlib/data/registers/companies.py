"""Companies House's Free Company Data Product ("Basic Company Data") read as published, streamed.

One file ``BasicCompanyDataAsOneFile-YYYY-MM-DD.csv`` (about 5.5 million live companies, 2.5 GB) or its
``BasicCompanyData-YYYY-MM-DD-partN_M.csv`` parts, each plain or zipped: comma-separated, every value
quoted, UTF-8, header names some of which start with a space (``" CompanyNumber"``). Company numbers are
text (``00849633``, ``SC123456``), dates dd/mm/yyyy, SIC codes "code - description".

``scan`` streams the files through Arrow's CSV reader in blocks, reading only the columns anchorlib uses,
and keeps the rows a caller's filter selects: no file is ever held whole. A row the CSV reader cannot
split into the header's fields is skipped and reported (file, line, reason), never silently dropped.
"""

from __future__ import annotations

import contextlib
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from queue import Queue

import pyarrow as pa
import pyarrow.csv as pacsv

from anchorlib.errors import DatasetError

#: The published header names anchorlib reads (trimmed) -> its own column names.
FIELDS = {
    "CompanyName": "name",
    "CompanyNumber": "company_number",
    "RegAddress.PostCode": "postcode",
    "CompanyCategory": "company_category",
    "CompanyStatus": "company_status",
    "Accounts.AccountCategory": "account_category",
    "IncorporationDate": "incorporated",
    **{f"SICCode.SicText_{i}": f"sic_{i}" for i in range(1, 5)},
    **{f"PreviousName_{i}.CompanyName": f"previous_name_{i}" for i in range(1, 11)},
}
REQUIRED = [
    "CompanyName",
    "CompanyNumber",
    "RegAddress.PostCode",
    "CompanyCategory",
    "CompanyStatus",
    "Accounts.AccountCategory",
    "SICCode.SicText_1",
]
PREVIOUS_NAMES = [f"previous_name_{i}" for i in range(1, 11)]
SIC_COLUMNS = [f"sic_{i}" for i in range(1, 5)]
BLOCK_BYTES = 4 << 20  # each block the reader parses (~9,000 companies): 4 MB blocks read a 2.5 GB file
# fastest here and hold ~0.3 GB; 64 MB blocks took three times as long and 2.3 GB (docs/performance.md)
SELECT_ROWS = 400_000  # blocks are filtered this many rows at a time: fewer, longer calls into Arrow


@dataclass
class Skipped:
    file: str
    line: int | None
    reason: str


@dataclass
class ScanReport:
    """What the scan read: rows per file, and every row it skipped with its line and reason."""

    rows: dict[str, int] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.rows.values())

    def to_json(self) -> dict:
        return {
            "files": [{"file": f, "rows": n} for f, n in self.rows.items()],
            "rows": self.total,
            "rows_skipped": len(self.skipped),
            "skipped": [{"file": s.file, "line": s.line, "reason": s.reason} for s in self.skipped[:100]],
        }


def _members(path: Path) -> list[tuple[str, Callable[[], contextlib.AbstractContextManager]]]:
    """(shown name, opener) of each CSV in ``path``: the file itself, or each .csv inside a .zip."""
    if not path.exists():
        raise DatasetError("Companies House file is missing", path=path)
    if not zipfile.is_zipfile(path):
        return [(path.name, lambda: open(path, "rb"))]
    with zipfile.ZipFile(path) as z:
        names = [n for n in z.namelist() if n.lower().endswith(".csv") and not n.startswith("__MACOSX")]
    if not names:
        raise DatasetError("the zip holds no .csv file", path=path)

    @contextlib.contextmanager
    def member(name):
        with zipfile.ZipFile(path) as z, z.open(name) as fh:
            yield fh

    return [(f"{path.name}/{n}", lambda n=n: member(n)) for n in names]


def _header(raw: bytes, shown: str) -> list[str]:
    line = raw.split(b"\n", 1)[0].rstrip(b"\r")
    text = line.decode("utf-8-sig", errors="replace")
    names = [n.strip().strip('"').strip() for n in text.split(",")]
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise DatasetError(
            f"not a Companies House Free Company Data Product file: no {', '.join(missing)} column "
            f"(found {', '.join(names[:6])}{', ...' if len(names) > 6 else ''})",
            path=shown,
            line=1,
        )
    return text.split(",")


def batches(path: Path, report: ScanReport) -> Iterator[pa.RecordBatch]:
    """The companies of one file (plain or zipped, one CSV or several), block by block, with anchorlib's
    column names (``FIELDS``; absent optional columns are blank)."""
    for shown, open_ in _members(Path(path)):
        with open_() as fh:
            raw_names = _header(fh.read(1 << 16), shown)
        with open_() as fh:
            wanted = {raw: FIELDS[raw.strip()] for raw in raw_names if raw.strip() in FIELDS}
            skipped: list[Skipped] = []

            def on_invalid(row, shown=shown, skipped=skipped):
                skipped.append(
                    Skipped(
                        shown,
                        None if row.number is None else int(row.number),
                        f"{row.actual_columns} fields where the header has {row.expected_columns}",
                    )
                )
                return "skip"

            reader = pacsv.open_csv(
                fh,
                read_options=pacsv.ReadOptions(block_size=BLOCK_BYTES, use_threads=True, encoding="utf8"),
                parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_invalid),
                convert_options=pacsv.ConvertOptions(
                    include_columns=list(wanted),
                    column_types={raw: pa.string() for raw in wanted},
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
            n = 0
            try:
                for b in reader:
                    n += b.num_rows
                    cols = {wanted[raw]: b.column(raw) for raw in wanted}
                    out = [cols.get(c, pa.nulls(b.num_rows, pa.string())) for c in FIELDS.values()]
                    yield pa.RecordBatch.from_arrays(out, names=list(FIELDS.values()))
            except pa.ArrowInvalid as err:
                raise DatasetError(
                    f"cannot read it as the published CSV after {n:,} companies ({err})", path=shown
                ) from err
            report.rows[shown] = n
            report.skipped += skipped


def scan(
    paths: list[Path],
    select: Callable[[pa.RecordBatch], pa.RecordBatch | None],
    report: ScanReport | None = None,
) -> tuple[pa.Table | None, ScanReport]:
    """What ``select`` (batch -> the rows to keep, with any columns it adds, or None) keeps of every file,
    as one Arrow table (None when nothing was kept). The reader parses the next blocks (Arrow's threads)
    while ``select`` filters this one."""
    report = report if report is not None else ScanReport()
    queue: Queue = Queue(maxsize=8)
    failure: list[BaseException] = []

    def produce():
        try:
            for p in paths:
                for b in batches(Path(p), report):
                    queue.put(b)
        except BaseException as err:  # handed to the consumer, which raises it
            failure.append(err)
        finally:
            queue.put(None)

    producer = threading.Thread(target=produce, daemon=True)
    producer.start()
    kept, buffer, buffered = [], [], 0

    def flush():
        nonlocal buffer, buffered
        if buffer:
            out = select(pa.Table.from_batches(buffer).combine_chunks().to_batches()[0])
            if out is not None and out.num_rows:
                kept.append(out)
        buffer, buffered = [], 0

    try:
        while (b := queue.get()) is not None:
            buffer.append(b)
            buffered += b.num_rows
            if buffered >= SELECT_ROWS:
                flush()
        flush()
    finally:
        while producer.is_alive():  # unblock a producer waiting on a full queue
            if queue.get() is None:
                break
        producer.join()
    if failure:
        raise failure[0]
    return (pa.Table.from_batches(kept) if kept else None), report
