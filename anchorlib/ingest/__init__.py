"""Spend files in, normalised payments and load reports out (see DESIGN.md, Contracts)."""

from .loader import SPEND_COLUMNS, load_spend_file
from .report import LoadReport, Rejection, RepairNote

__all__ = ["SPEND_COLUMNS", "LoadReport", "Rejection", "RepairNote", "load_spend_file"]
