"""Header rows: find them below title lines, and map their many spellings to roles."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Each role lists header spellings (normalised by ``normalise_header``) in order of preference:
# when a file has several date columns, the earliest alias in this list wins.
ALIASES: dict[str, list[str]] = {
    "amount": [
        "amount",
        "net amount",
        "invoice nett amount",
        "invoice net amount",
        "nett amount",
        "value",
        "net value",
        "amount paid",
        "payment amount",
        "total amount",
        "transaction amount",
        "amount excluding vat",
        "amount excl vat",
        "net amount excl vat",
        "line amount",
        "sum of invoice nett amount",
        "expenditure",
        "spend",
    ],
    "supplier_name": [
        "supplier name",
        "supplier beneficiary name",
        "supplier",
        "vendor name",
        "vendor",
        "payee",
        "payee name",
        "beneficiary",
        "beneficiary name",
        "merchant name",
        "creditor name",
        "supplier details",
        "recipient",
        "recipient name",
        "company name",
    ],
    "payment_date": [
        "payment date",
        "date paid",
        "paid date",
        "clearing date",
        "invoice payment date",
        "date of payment",
        "transaction date",
        "date",
        "posting date",
        "effective date",
        "invoice date",
        "invoice creation date",
        "period",
    ],
    "expense_type": [
        "expense type",
        "expenses type",
        "expenditure type",
        "detailed expenditure type",
        "expense description",
        "expenditure category",
        "account description",
        "expenditure account code description",
        "expenditure account",
        "cost element",
        "subj description",
        "subjective description",
        "procurement classification",
        "council s procurement category name",
        "merchant category",
        "category",
        "purpose of spend summary",
        "description",
        "accountdescription",
    ],
    "expense_area": [
        "expense area",
        "service area",
        "service label",
        "service division label",
        "service divison label",
        "department",
        "directorate",
        "service",
        "cost centre",
        "cost centre description",
        "service expenditure analysis",
        "division",
    ],
    "transaction_id": [
        "transaction number",
        "transaction no",
        "transaction id",
        "transaction reference",
        "internal ref number",
        "document no",
        "document number",
        "docno",
        "invoice number",
        "invoice no",
        "payment reference",
        "reference",
        "id",
    ],
    "supplier_postcode": ["supplier postcode", "postcode", "supplier post code"],
    "company_number": ["supplier registered company number", "company number", "company registration number"],
    "charity_number": ["supplier registered charity number", "charity number"],
    "body": [
        "body name",
        "name of body",
        "organisation name",
        "body",
        "entity",
        "departmental family",
        "organisation",
    ],
}

_ROLE_OF: dict[str, tuple[str, int]] = {}
for _role, _names in ALIASES.items():
    for _rank, _name in enumerate(_names):
        _ROLE_OF.setdefault(_name, (_role, _rank))

_GARBLED_BOMS = ("\ufeff", "ï»¿", "锘")
_NON_WORD = re.compile(r"[^a-z0-9]+")


def normalise_header(text: object) -> str:
    """'ï»¿ Value (£) ' -> 'value'; 'Supplier(Beneficiary) Name' -> 'supplier beneficiary name'."""
    s = "" if text is None else str(text)
    for bom in _GARBLED_BOMS:
        s = s.replace(bom, "")
    s = s.lower().replace("£", " ").replace("†", " ")
    s = _NON_WORD.sub(" ", s).strip()
    s = re.sub(r"\b(gbp|inc|incl)\b", " ", s)
    s = re.sub(r"\s+", " ", s).strip()
    return s


def map_header(cells: list[object]) -> dict[str, int]:
    """Return role -> column index for a candidate header row (best alias per role)."""
    best: dict[str, tuple[int, int]] = {}
    for idx, cell in enumerate(cells):
        key = normalise_header(cell)
        hit = _ROLE_OF.get(key)
        if hit is None:
            continue
        role, rank = hit
        if role not in best or rank < best[role][0]:
            best[role] = (rank, idx)
    return {role: idx for role, (rank, idx) in best.items()}


def header_score(mapping: dict[str, int]) -> int:
    """A header must name an amount and a supplier or a date; more roles score higher."""
    if "amount" not in mapping or not ({"supplier_name", "payment_date"} & mapping.keys()):
        return 0
    return len(mapping)


@dataclass(frozen=True)
class HeaderMatch:
    """Where the header is (0-based record index), its role -> column mapping, and the layout kind."""

    index: int
    mapping: dict[str, int]
    pivot_of: str | None = None  # for a pivot-table export: the summed field, e.g. 'Invoice Nett Amount'


_PIVOT_VALUE = re.compile(r"^\s*sum of\s+(.+?)\s*$", re.IGNORECASE)
_PIVOT_TOTAL = {"total", "grand total", "sum"}


def pivot_header(above: list[object], cells: list[object]) -> HeaderMatch | None:
    """A spreadsheet pivot export: a 'Sum of <amount field>' line, then '<Supplier Name>, Total'.

    The rows below are per-supplier aggregates with no dates (nothing is invented)."""
    first = next((str(c) for c in above if c is not None and str(c).strip()), "")
    m = _PIVOT_VALUE.match(first)
    if not m or _ROLE_OF.get(normalise_header(m.group(1)), ("",))[0] != "amount":
        return None
    mapping = {k: v for k, v in map_header(cells).items() if k != "amount"}
    totals = [i for i, c in enumerate(cells) if normalise_header(c) in _PIVOT_TOTAL]
    if "supplier_name" not in mapping or len(totals) != 1:
        return None
    mapping["amount"] = totals[0]
    return HeaderMatch(-1, mapping, pivot_of=m.group(1).strip())


def find_header(rows: list[list[object]], max_scan: int = 60) -> HeaderMatch | None:
    """The header row among the first ``max_scan`` records (title lines above it are skipped), or None."""
    best: tuple[int, int, dict[str, int]] | None = None
    for i, cells in enumerate(rows[:max_scan]):
        mapping = map_header(cells)
        score = header_score(mapping)
        if not score and i > 0:
            pivot = pivot_header(rows[i - 1], cells)
            if pivot is not None:
                return HeaderMatch(i, pivot.mapping, pivot.pivot_of)
        if score and (best is None or score > best[0]):
            best = (score, i, mapping)
            if score >= 4:
                break
    if best is None:
        return None
    return HeaderMatch(best[1], best[2])


def role_candidates(cells: list[object], role: str) -> list[int]:
    """Every column whose header is an alias of ``role``, best alias first (e.g. several date columns)."""
    hits = []
    for idx, cell in enumerate(cells):
        hit = _ROLE_OF.get(normalise_header(cell))
        if hit is not None and hit[0] == role:
            hits.append((hit[1], idx))
    return [idx for _, idx in sorted(hits)]
