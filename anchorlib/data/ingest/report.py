"""The load report: what a spend file held, what was used, what was not and why."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

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


@dataclass(frozen=True)
class Rejection:
    """A line of the source that was not loaded as a payment. ``line`` is 1-based (the sheet row for
    Excel)."""

    line: int
    reason: str


@dataclass(frozen=True)
class RepairNote:
    """A line whose fused fields were split back apart (and then loaded): what was split."""

    line: int
    repair: str


@dataclass
class LoadReport:
    """Per-file account of a load: every line is either loaded or listed in ``rejections``.

    Blank lines are the one exception to per-line listing: they carry no data, so they are counted
    (``blank_lines``) rather than listed. Repaired lines are loaded and listed in ``repairs``;
    ``undated_rows`` counts loaded rows without a payment date (layouts that publish none).
    """

    file: str
    layout: str = "unknown"
    header_line: int | None = None
    columns: dict[str, str] = field(default_factory=dict)  # role -> header as published
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

    def to_json(self) -> dict:
        """The JSON of ``anchorlib validate --json`` (plus a few extra keys)."""
        d = asdict(self)
        d["net_total"] = round(self.net_total, 2)
        return d

    @classmethod
    def from_json(cls, d: dict) -> LoadReport:
        """The inverse of ``to_json`` (the dataset cache stores reports this way)."""
        d = dict(d)
        d["rejections"] = [Rejection(**x) for x in d.get("rejections", [])]
        d["repairs"] = [RepairNote(**x) for x in d.get("repairs", [])]
        return cls(**d)

    def summary_line(self) -> str:
        recon = {True: "reconciles", False: "DOES NOT reconcile", None: "no declared total"}[self.reconciled]
        declared = f" to £{self.declared_total:,.2f}" if self.declared_total is not None else ""
        repaired = f" ({self.rows_repaired:,} repaired)" if self.rows_repaired else ""
        return (
            f"{self.file}: {self.layout}; {self.rows_loaded:,} rows loaded{repaired}, "
            f"{self.rows_rejected:,} rejected, {self.blank_lines:,} blank, net £{self.net_total:,.2f}; "
            f"{recon}{declared}"
        )
