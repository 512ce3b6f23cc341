"""The payments of a dataset too large to hold in memory: a lazy relation over the Parquet parts the
ingest wrote (anchorlib/data/storage/parts.py), which the SQL engines query and nothing loads whole.

``Dataset.payments`` is a ``PaymentsRelation`` when the dataset is out of core (from
``OUT_OF_CORE_ROWS`` payments; ``$ANCHORLIB_OUT_OF_CORE_ROWS`` overrides). It knows its rows, columns
and parts; ``where`` selects anchors and financial years by choosing parts (the parts are split by
both), so a selection costs nothing until it is queried. Asking it for columns or rows as pandas raises
``OutOfCoreError``: code that needs a frame asks for a rollup (``Dataset.rollup``) or calls
``to_pandas`` on a selection small enough to hold.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace

from anchorlib.errors import OutOfCoreError

OUT_OF_CORE_ROWS = 20_000_000  # from this many payments a dataset is out of core (~2.2 GB in memory)
TO_PANDAS_MAX_ROWS = 20_000_000  # a selection larger than this is never loaded into pandas


def out_of_core_rows() -> int:
    """The number of payments from which a dataset is out of core (``$ANCHORLIB_OUT_OF_CORE_ROWS``, else
    ``OUT_OF_CORE_ROWS``)."""
    value = os.environ.get("ANCHORLIB_OUT_OF_CORE_ROWS", "").strip().replace("_", "")
    if not value:
        return OUT_OF_CORE_ROWS
    try:
        return max(0, int(value))
    except ValueError:
        from anchorlib.errors import ParameterError

        raise ParameterError(f"ANCHORLIB_OUT_OF_CORE_ROWS must be a whole number, not '{value}'") from None


@dataclass(frozen=True)
class Part:
    """One Parquet file of the payments: the rows of one spend file in one financial year, or of an
    anchor's grants in one financial year (``flow`` 'grant', anchorlib/data/grants.py)."""

    path: str
    anchor_id: str
    financial_year: str | None  # None: undated payments
    rows: int
    flow: str = "spend"


@dataclass(eq=False)
class PaymentsRelation:
    """A dataset's payments as Parquet parts (see the module docstring)."""

    parts: tuple[Part, ...]
    columns: tuple[str, ...]
    attrs: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return sum(p.rows for p in self.parts)

    @property
    def shape(self) -> tuple[int, int]:
        return len(self), len(self.columns)

    @property
    def paths(self) -> list[str]:
        return [p.path for p in self.parts]

    @property
    def anchor_ids(self) -> list[str]:
        return sorted({p.anchor_id for p in self.parts})

    @property
    def financial_years(self) -> list[str]:
        """The financial years with payments, in order (undated payments have none)."""
        return sorted({p.financial_year for p in self.parts if p.financial_year is not None})

    def where(
        self, anchor_ids: list[str] | None = None, financial_years: list[str] | None = None
    ) -> PaymentsRelation:
        """The payments of these anchors and financial years (all when None): the parts that hold them."""
        keep = [
            p
            for p in self.parts
            if (not anchor_ids or p.anchor_id in anchor_ids)
            and (not financial_years or p.financial_year in financial_years)
        ]
        return replace(self, parts=tuple(keep), attrs=dict(self.attrs))

    def copy(self, deep: bool = False) -> PaymentsRelation:
        return replace(self, attrs=dict(self.attrs))

    def sql(self) -> str:
        """A DuckDB query of every payment of the relation (the parts' columns, in order)."""
        cols = ", ".join(f'"{c}"' for c in self.columns)
        if not self.parts:  # no payments: the columns, typed as the parts would give them, no rows
            return f"SELECT {cols} FROM ({empty_sql(self.columns)}) WHERE false"
        files = ", ".join("'" + p.replace("'", "''") + "'" for p in self.paths)
        return f"SELECT {cols} FROM read_parquet([{files}])"

    def to_pandas(self, columns: list[str] | None = None):
        """The relation's rows as a pandas frame (``columns``: only those), for a selection small enough
        to hold (``TO_PANDAS_MAX_ROWS``); OutOfCoreError above it."""
        if len(self) > TO_PANDAS_MAX_ROWS:
            raise OutOfCoreError(
                f"{len(self):,} payments are too many to load into pandas (at most {TO_PANDAS_MAX_ROWS:,}); "
                "select fewer anchors or years, or use Dataset.rollup(columns)"
            )
        from anchorlib.data.payments import from_arrow
        from anchorlib.data.sql import query_arrow

        cols = list(columns or self.columns)
        return from_arrow(
            query_arrow(f"SELECT {', '.join(chr(34) + c + chr(34) for c in cols)} FROM p", p=self)
        )

    def __getitem__(self, key):
        raise OutOfCoreError(
            f"the payments of this dataset ({len(self):,} rows) are out of core, a Parquet dataset that is "
            "queried, not held: use the metrics, Dataset.rollup(columns) for a pandas frame of sums, "
            "or .where(anchor_ids, financial_years).to_pandas() for a selection small enough to hold"
        )

    def __repr__(self) -> str:
        return (
            f"PaymentsRelation({len(self):,} payments in {len(self.parts)} Parquet parts; "
            f"anchors {', '.join(self.anchor_ids)}; years {', '.join(self.financial_years)})"
        )


def is_relation(payments) -> bool:
    return isinstance(payments, PaymentsRelation)


#: The DuckDB types of the payments' columns (anchorlib/data/storage/parts.py writes them so).
COLUMN_TYPES = {
    "payment_date": "TIMESTAMP",
    "amount": "DOUBLE",
    "redacted": "BOOLEAN",
    "source_line": "BIGINT",
    "register_row": "BIGINT",
    "match_score": "DOUBLE",
    "imd_decile": "BIGINT",
    "addressable": "BOOLEAN",
    **{f: "BOOLEAN" for f in ("is_sme", "is_vcse", "bame_led", "women_led", "youth_led", "hq_only")},
}


def empty_sql(columns) -> str:
    """One row of typed NULLs with these columns (for a relation without parts)."""
    return "SELECT " + ", ".join(f'CAST(NULL AS {COLUMN_TYPES.get(c, "VARCHAR")}) AS "{c}"' for c in columns)
