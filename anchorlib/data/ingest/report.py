"""The load report: what a spend file held, what was used, what was not and why."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

SPEND_COLUMNS = [  # the normalised columns of every loaded file (loader.py)
    "payment_date",
    "amount",
    "supplier_name",
    "expense_type",
    "expense_area",
    "transaction_id",
    "supplier_postcode",
    "redacted",
    "source_file",
    "source_line",
]

#: The kinds of structure line below a header, as keys of ``LoadReport.structure``.
STRUCTURE_KINDS = ("blank_lines", "repeated_headers", "title_lines", "total_rows")


@dataclass(frozen=True)
class Rejection:
    """A line of the source that holds a payment that could not be read. ``line`` is 1-based (the sheet
    row in a workbook, whose ``sheet`` it names; None in a CSV)."""

    line: int
    reason: str
    sheet: str | None = None


@dataclass(frozen=True)
class RepairNote:
    """A line whose fused fields were split back apart (and then loaded): what was split."""

    line: int
    repair: str
    sheet: str | None = None


@dataclass(frozen=True)
class StructureLine:
    """A line below the header that is the file's structure, not a payment: a ``kind`` of 'repeated
    header', 'title line' (above a repeated header) or 'total row'. Blank lines are structure too, but
    only counted (``LoadReport.blank_lines``)."""

    line: int
    kind: str
    note: str
    sheet: str | None = None


@dataclass
class SheetReport:
    """One sheet of a workbook: read, or skipped with the ``reason``. A read sheet's counts are its share
    of the file's; ``note`` says what a reader should know about a read sheet (e.g. rows it shares with
    another sheet)."""

    name: str
    read: bool
    reason: str | None = None
    rows: int = 0  # rows in the sheet, through its last used row
    header_line: int | None = None
    layout: str | None = None
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_repaired: int = 0
    structure_lines: int = 0
    net_total: float = 0.0
    declared_total: float | None = None
    reconciled: bool | None = None
    note: str | None = None

    def summary(self) -> str:
        if not self.read:
            return f"sheet '{self.name}': skipped, {self.reason}"
        note = f"; {self.note}" if self.note else ""
        return (
            f"sheet '{self.name}': read, header row {self.header_line}; {self.rows_loaded:,} rows loaded, "
            f"{self.rows_rejected:,} rejected, {self.structure_lines:,} structure, "
            f"net £{self.net_total:,.2f}; {_reconciliation(self.reconciled, self.declared_total)}{note}"
        )


def _reconciliation(reconciled: bool | None, declared: float | None) -> str:
    """'reconciles to £1,472.50', 'DOES NOT reconcile to £20.00' or 'no declared total'."""
    text = {True: "reconciles", False: "DOES NOT reconcile", None: "no declared total"}[reconciled]
    return text + (f" to £{declared:,.2f}" if declared is not None else "")


def _without_sheet(d: dict) -> dict:
    """A line record as JSON: ``sheet`` only when it is a workbook's."""
    return {k: v for k, v in d.items() if k != "sheet" or v is not None}


@dataclass
class LoadReport:
    """Per-file account of a load. Every line below the header (of each sheet read) is exactly one of:
    loaded (``rows_loaded``, of them ``rows_repaired`` after fused fields were split back), rejected (a
    payment that could not be read: ``rejections``, with line and reason) or structure (``structure_lines``:
    blank lines, repeated headers, title lines above them, total rows, counted by kind in ``structure``;
    all but the blank ones listed in ``structure_rows``). So
    ``rows_loaded + rows_rejected + structure_lines == lines_below_header``. ``undated_rows`` counts
    loaded rows without a payment date (layouts that publish none). A workbook lists every sheet in
    ``sheets``, read or skipped with the reason; a CSV has none.
    """

    file: str
    layout: str = "unknown"
    header_line: int | None = None  # in a workbook, of the first sheet read
    columns: dict[str, str] = field(default_factory=dict)  # role -> header as published (first sheet read)
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_repaired: int = 0
    blank_lines: int = 0
    undated_rows: int = 0
    net_total: float = 0.0
    declared_total: float | None = None
    reconciled: bool | None = None
    encoding: str | None = None
    rejections: list[Rejection] = field(default_factory=list)
    repairs: list[RepairNote] = field(default_factory=list)
    lines_below_header: int = 0
    structure_lines: int = 0
    structure: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STRUCTURE_KINDS, 0))
    structure_rows: list[StructureLine] = field(default_factory=list)
    sheets: list[SheetReport] = field(default_factory=list)

    @property
    def unaccounted(self) -> int:
        """Lines below the header that are neither loaded, rejected nor structure: 0 (the tests check it)."""
        return self.lines_below_header - self.rows_loaded - self.rows_rejected - self.structure_lines

    def to_json(self) -> dict:
        """The JSON of ``anchorlib validate --json`` (plus a few extra keys)."""
        d = asdict(self)
        d["net_total"] = round(self.net_total, 2)
        for key in ("rejections", "repairs", "structure_rows"):
            d[key] = [_without_sheet(x) for x in d[key]]
        return d

    @classmethod
    def from_json(cls, d: dict) -> LoadReport:
        """The inverse of ``to_json`` (the dataset cache stores reports this way)."""
        d = {k: v for k, v in d.items() if k in {f.name for f in fields(cls)}}
        d["rejections"] = [Rejection(**x) for x in d.get("rejections", [])]
        d["repairs"] = [RepairNote(**x) for x in d.get("repairs", [])]
        d["structure_rows"] = [StructureLine(**x) for x in d.get("structure_rows", [])]
        d["sheets"] = [SheetReport(**x) for x in d.get("sheets", [])]
        return cls(**d)

    def structure_text(self) -> str:
        """'3 structure lines (1 blank, 1 repeated header, 1 total row)'."""
        names = {
            "blank_lines": ("blank", "blank"),
            "repeated_headers": ("repeated header", "repeated headers"),
            "title_lines": ("title line", "title lines"),
            "total_rows": ("total row", "total rows"),
        }
        parts = [f"{n:,} {names[k][n != 1]}" for k in STRUCTURE_KINDS if (n := self.structure.get(k, 0))]
        return f"{self.structure_lines:,} structure" + (f" ({', '.join(parts)})" if parts else "")

    def summary_line(self) -> str:
        repaired = f" ({self.rows_repaired:,} repaired)" if self.rows_repaired else ""
        sheets = ""
        if self.sheets:
            read = sum(s.read for s in self.sheets)
            sheets = f"; {read} of {len(self.sheets)} sheet{'s' if len(self.sheets) != 1 else ''} read"
        return (
            f"{self.file}: {self.layout}; {self.rows_loaded:,} rows loaded{repaired}, "
            f"{self.rows_rejected:,} rejected, {self.structure_text()}, net £{self.net_total:,.2f}; "
            f"{_reconciliation(self.reconciled, self.declared_total)}{sheets}"
        )
