"""The load report: what a spend file held, what was used, what was not and why."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Rejection:
    """A line of the source that was not loaded as a payment. ``line`` is 1-based (the sheet row for Excel)."""

    line: int
    reason: str


@dataclass
class LoadReport:
    """Per-file account of a load: every line is either loaded or listed in ``rejections``.

    Blank lines are the one exception to per-line listing: they carry no data, so they are counted
    (``blank_lines``) rather than listed.
    """

    file: str
    layout: str = "unknown"
    header_line: int | None = None
    columns: dict[str, str] = field(default_factory=dict)  # role -> header as published
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_repaired: int = 0
    blank_lines: int = 0
    net_total: float = 0.0
    declared_total: float | None = None
    reconciled: bool | None = None
    encoding: str | None = None
    rejections: list[Rejection] = field(default_factory=list)

    def to_json(self) -> dict:
        """The JSON of DESIGN.md's ``anchorlib validate --json`` (plus a few extra keys)."""
        d = asdict(self)
        d["net_total"] = round(self.net_total, 2)
        d["rejections"] = [{"line": r.line, "reason": r.reason} for r in self.rejections]
        return d

    def summary_line(self) -> str:
        recon = {True: "reconciles", False: "DOES NOT reconcile", None: "no declared total"}[
            self.reconciled
        ]
        declared = f" to £{self.declared_total:,.2f}" if self.declared_total is not None else ""
        return (
            f"{self.file}: {self.layout}; {self.rows_loaded:,} rows loaded, "
            f"{self.rows_rejected:,} rejected, net £{self.net_total:,.2f}; {recon}{declared}"
        )
