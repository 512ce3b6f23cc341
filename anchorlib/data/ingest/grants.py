"""360Giving grant files as published (JSON ``{"grants": [...]}``, CSV or XLSX with the standard's column
titles) -> normalised grants and a grant report that accounts for every grant in the file.

Every grant of a file is exactly one of: **loaded** (a grant in pounds, GBP), **in another currency**
(counted and summed per currency, reported apart and never added to pounds), **rejected** (with its
line, or its index in the JSON ``grants`` list, and the reason) or, in a CSV or workbook, a **blank**
row. Grants to individuals (``recipientIndividual``, ``Recipient Ind:...``) are loaded and counted, and
never named: their name, postcode and identifiers are not kept.

The normalised columns (``GRANT_COLUMNS``) are the spend files' (``ingest.SPEND_COLUMNS``: the award date
as ``payment_date``, the recipient organisation as ``supplier_name`` and its postcode as
``supplier_postcode``, the grant programme as ``expense_type``, the funder as ``expense_area``, the
grant's identifier as ``transaction_id``, a grant to an individual as ``redacted``) and what places and
classifies a recipient: its organisation identifier, charity and company numbers and the beneficiary
locations' ONS codes (docs/methodology.md#grants).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

from anchorlib.data.ingest.report import SPEND_COLUMNS
from anchorlib.errors import GrantFileError

GRANT_SUFFIXES = (".json", ".csv", ".xlsx", ".xlsm", ".ods")
#: What a grant adds to the spend columns: the recipient's identifiers and where its beneficiaries are.
GRANT_EXTRA = ["recipient_id", "charity_number", "company_number", "beneficiary_codes"]
GRANT_COLUMNS = [*SPEND_COLUMNS, *GRANT_EXTRA]
POUNDS = "GBP"
HEAD_ROWS = 10  # a spreadsheet's header must be in its first rows

#: field -> the standard's spreadsheet column title (lower case); the beneficiary location's fields may
#: repeat (one location per repeat, or numbered: 'Beneficiary Location:1:Geographic Code').
TITLES = {
    "id": "identifier",
    "currency": "currency",
    "amount": "amount awarded",
    "award_date": "award date",
    "org_id": "recipient org:identifier",
    "org_name": "recipient org:name",
    "charity_number": "recipient org:charity number",
    "company_number": "recipient org:company number",
    "postcode": "recipient org:postal code",
    "ind_id": "recipient ind:identifier",
    "ind_name": "recipient ind:name",
    "funder_id": "funding org:identifier",
    "funder_name": "funding org:name",
    "programme": "grant programme:title",
    "geo_code": "beneficiary location:geographic code",
    "geo_type": "beneficiary location:geographic code type",
    "geo_name": "beneficiary location:name",
}
#: The same fields by their JSON paths, as a flattened file may head its columns.
PATHS = {
    "id": "id",
    "currency": "currency",
    "amount": "amountawarded",
    "award_date": "awarddate",
    "org_id": "recipientorganization/id",
    "org_name": "recipientorganization/name",
    "charity_number": "recipientorganization/charitynumber",
    "company_number": "recipientorganization/companynumber",
    "postcode": "recipientorganization/postalcode",
    "ind_id": "recipientindividual/id",
    "ind_name": "recipientindividual/name",
    "funder_id": "fundingorganization/id",
    "funder_name": "fundingorganization/name",
    "programme": "grantprogramme/title",
    "geo_code": "beneficiarylocation/geocode",
    "geo_type": "beneficiarylocation/geocodetype",
    "geo_name": "beneficiarylocation/name",
}
_BY_HEADER = {**{v: k for k, v in TITLES.items()}, **{v: k for k, v in PATHS.items()}}
LOCATION_FIELDS = ("geo_code", "geo_type", "geo_name")
_NUMBERED = re.compile(r"^([a-z]+(?: [a-z]+)*)[:/](\d+)[:/](.+)$")
_GSS = re.compile(r"^[A-Z][0-9]{8}$")
_CODE_LIKE = re.compile(r"^[A-Z0-9]{6,12}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_ISO_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ].*)?$")


def normalise_header(cell: object) -> str:
    """A column title compared as the standard writes it: trimmed, lower case, single spaces, no spaces
    around ':' or '/' ('Recipient Org : Postal Code' is 'recipient org:postal code')."""
    s = " ".join(str(cell).replace("\ufeff", "").split()).lower()
    return re.sub(r"\s*([:/])\s*", r"\1", s)


def header_field(cell: object) -> tuple[str, int | None] | None:
    """(field, location number or None) of a column title or JSON path; None for a column not read."""
    h = normalise_header(cell)
    if h in _BY_HEADER:
        return _BY_HEADER[h], None
    m = _NUMBERED.match(h)
    if m:  # 'Beneficiary Location:1:Geographic Code', 'beneficiaryLocation/1/geoCode', 'x/0/id'
        sep = ":" if ":" in h else "/"
        name = _BY_HEADER.get(f"{m.group(1)}{sep}{m.group(3)}")
        if name is not None:
            return name, int(m.group(2)) if name in LOCATION_FIELDS else None
    return None


@dataclass(frozen=True)
class GrantRejection:
    """A grant that could not be read: its ``line`` (a CSV line or sheet row, with its ``sheet``) or its
    ``index`` in a JSON file's ``grants`` list (from 0), and why."""

    reason: str
    line: int | None = None
    index: int | None = None
    sheet: str | None = None

    def where(self) -> str:
        if self.index is not None:
            return f"grant {self.index}"
        return f"sheet '{self.sheet}' row {self.line}" if self.sheet is not None else f"line {self.line}"


@dataclass
class GrantSheet:
    """One sheet of a grants workbook: read (its grants, or beneficiary locations for grants of other
    sheets), or skipped with the ``reason``."""

    name: str
    read: bool
    reason: str | None = None
    header_line: int | None = None
    records: int = 0


@dataclass
class GrantReport:
    """What a grant file held and what became of each grant: ``records`` (grants in the file, blank rows
    included) = ``grants_loaded`` + ``other_currency_grants`` + ``rows_rejected`` + ``blank_rows``.

    ``totals``: the amount per currency over the grants loaded and in other currencies (never added
    together); ``individuals``: grants to individuals among those loaded (counted, never named);
    ``with_postcode`` / ``with_beneficiary_code``: loaded grants whose recipient gives a well-formed
    postcode, and those that give none but a beneficiary location's ONS code (what can place them,
    docs/methodology.md#placing-a-grant); ``funders``: grants loaded per funding organisation."""

    kind: ClassVar[str] = "grants"  # beside a spend file's LoadReport, what ``anchorlib validate`` prints
    file: str
    layout: str = "unknown"
    header_line: int | None = None
    columns: dict[str, str] = field(default_factory=dict)  # field -> the column as published
    records: int = 0
    grants_loaded: int = 0
    other_currency_grants: int = 0
    rows_rejected: int = 0
    blank_rows: int = 0
    net_total: float = 0.0  # the loaded grants' pounds
    totals: dict[str, float] = field(default_factory=dict)
    other_currencies: dict[str, dict] = field(default_factory=dict)  # currency -> {grants, amount}
    individuals: dict[str, float] = field(default_factory=lambda: {"grants": 0, "amount": 0.0})
    with_postcode: int = 0
    with_beneficiary_code: int = 0
    funders: dict[str, int] = field(default_factory=dict)
    first_award: str | None = None
    last_award: str | None = None
    rejections: list[GrantRejection] = field(default_factory=list)
    sheets: list[GrantSheet] = field(default_factory=list)

    @property
    def unaccounted(self) -> int:
        """Grants neither loaded, in another currency, rejected nor blank: 0 (the tests check it)."""
        return (
            self.records
            - self.grants_loaded
            - self.other_currency_grants
            - self.rows_rejected
            - self.blank_rows
        )

    def to_json(self) -> dict:
        d = asdict(self)
        d["kind"] = "grants"
        d["net_total"] = round(self.net_total, 2)
        d["rejections"] = [{k: v for k, v in r.items() if v is not None} for r in d["rejections"]]
        return d

    @classmethod
    def from_json(cls, d: dict) -> GrantReport:
        d = {k: v for k, v in d.items() if k in {f.name for f in fields(cls)}}
        d["rejections"] = [GrantRejection(**x) for x in d.get("rejections", [])]
        d["sheets"] = [GrantSheet(**x) for x in d.get("sheets", [])]
        return cls(**d)

    def currencies_text(self) -> str:
        """'EUR 5,000.00 (1 grant)' per other currency, or ''."""
        return ", ".join(
            f"{c} {v['amount']:,.2f} ({v['grants']:,} grant{'s' if v['grants'] != 1 else ''})"
            for c, v in sorted(self.other_currencies.items())
        )

    def summary_line(self) -> str:
        other = (
            f", {self.other_currency_grants:,} in other currencies reported apart ({self.currencies_text()})"
            if self.other_currency_grants
            else ""
        )
        blank = f", {self.blank_rows:,} blank" if self.blank_rows else ""
        ind = self.individuals
        people = (
            f"; {int(ind['grants']):,} to individuals (£{ind['amount']:,.2f}, never named)"
            if ind["grants"]
            else ""
        )
        return (
            f"{self.file}: {self.layout}; {self.grants_loaded:,} grants loaded, £{self.net_total:,.2f}"
            f"{other}, {self.rows_rejected:,} rejected{blank}{people}; {self.with_postcode:,} with a "
            f"recipient postcode, {self.with_beneficiary_code:,} with a beneficiary location code only"
        )


# --- reading the three formats into records ------------------------------------------------------


@dataclass
class _Record:
    """One grant as read, before it is checked: its fields as text (locations as (code, type) pairs)."""

    where: dict  # line / index / sheet
    values: dict
    locations: list[tuple[str, str]]
    individual: bool
    bad: str | None = None  # why it cannot be a grant at all (a JSON entry that is not an object)


def _where_text(where: dict) -> str:
    """'line 12', "sheet 'grants' row 12" or 'grant 12' (a JSON file's index)."""
    return GrantRejection("", **where).where()


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).split())


def _first(value) -> dict:
    """The first object of a JSON array of objects (or the object itself); {} otherwise."""
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, dict)), {})
    return value if isinstance(value, dict) else {}


def _json_records(path: Path, report: GrantReport) -> list[_Record]:
    """A JSON data package's grants (``{"grants": [...]}``, or a bare list of them); an entry that is not an
    object is a record to reject."""
    try:
        with path.open("rb") as fh:
            data = json.load(fh)
    except json.JSONDecodeError as exc:
        raise GrantFileError(
            f"is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})", path=path
        ) from None
    except UnicodeDecodeError:
        raise GrantFileError("is not JSON text in UTF-8", path=path) from None
    except OSError as exc:
        raise GrantFileError(f"cannot read file ({exc.strerror or exc})", path=path) from None
    if isinstance(data, dict) and isinstance(data.get("grants"), list):
        grants, report.layout = data["grants"], "360Giving JSON"
    elif isinstance(data, list):
        grants, report.layout = data, "360Giving JSON (a list of grants, without the data package)"
    else:
        keys = ", ".join(list(data)[:6]) if isinstance(data, dict) else type(data).__name__
        raise GrantFileError(
            f'has no "grants" list: not a 360Giving data package (it holds {keys})', path=path
        )
    out = []
    for i, g in enumerate(grants):
        if not isinstance(g, dict):
            out.append(
                _Record({"index": i}, {}, [], False, f"not a grant object (a JSON {type(g).__name__})")
            )
            continue
        org, ind = _first(g.get("recipientOrganization")), g.get("recipientIndividual")
        ind = _first(ind) if isinstance(ind, (list, dict)) else {}
        values = {
            "id": g.get("id"),
            "currency": g.get("currency"),
            "amount": g.get("amountAwarded"),
            "award_date": g.get("awardDate"),
            "org_id": org.get("id"),
            "org_name": org.get("name"),
            "charity_number": org.get("charityNumber"),
            "company_number": org.get("companyNumber"),
            "postcode": org.get("postalCode"),
            "funder_id": _first(g.get("fundingOrganization")).get("id"),
            "funder_name": _first(g.get("fundingOrganization")).get("name"),
            "programme": _first(g.get("grantProgramme")).get("title"),
        }
        places = g.get("beneficiaryLocation") or []
        places = places if isinstance(places, list) else [places]
        locations = [
            (_text(p.get("geoCode")), _text(p.get("geoCodeType"))) for p in places if isinstance(p, dict)
        ]
        out.append(_Record({"index": i}, {k: _text(v) for k, v in values.items()}, locations, bool(ind)))
    return out


def _header(rows: list[list[str]]) -> tuple[int, dict] | None:
    """(row index, field -> column indices) of the first of ``rows``' first HEAD_ROWS that heads a grant
    table (an identifier and an amount awarded), else None."""
    for k, row in enumerate(rows[:HEAD_ROWS]):
        mapping: dict[str, list[tuple[int, int]]] = {}
        seen: dict[str, int] = {}
        for j, cell in enumerate(row):
            got = header_field(cell)
            if got is None:
                continue
            name, number = got
            occurrence = seen.get(name, 0)
            seen[name] = occurrence + 1
            mapping.setdefault(name, []).append((occurrence if number is None else number, j))
        if "id" in mapping and "amount" in mapping:
            return k, mapping
    return None


def _check_columns(mapping: dict, header: list[str], path: Path, line: int, sheet: str | None) -> None:
    """One-line errors for what a grant table cannot do without: a currency and award date column, a
    recipient, and no column it reads named twice (which would it be?)."""
    where = f" (sheet '{sheet}')" if sheet else ""
    for name, title in (("currency", "Currency"), ("award_date", "Award Date")):
        if name not in mapping:
            why = " (amounts are never assumed to be pounds)" if name == "currency" else ""
            raise GrantFileError(f"has no '{title}' column{where}{why}", path=path, line=line)
    if not any(n in mapping for n in ("org_id", "org_name", "ind_id", "ind_name")):
        raise GrantFileError(
            f"has no recipient column{where} ('Recipient Org:Identifier' or 'Recipient Org:Name', "
            "or 'Recipient Ind:Identifier')",
            path=path,
            line=line,
        )
    for name, cols in mapping.items():
        if name not in LOCATION_FIELDS and len(cols) > 1:
            raise GrantFileError(
                f"column '{header[cols[1][1]].strip()}' appears twice in the header{where}",
                path=path,
                line=line,
            )


def _table_records(
    rows: list[list[str]], k: int, mapping: dict, sheet: str | None, lines: list[int] | None = None
) -> tuple[list[_Record | str], int]:
    """The records below a header at row index ``k``: a ``_Record`` per grant, 'blank' per blank row; and
    the number of rows below the header. ``lines``: the line each row starts on (default: index + 1)."""
    scalar = {n: cols[0][1] for n, cols in mapping.items() if n not in LOCATION_FIELDS}
    numbers = sorted({num for n in LOCATION_FIELDS for num, _ in mapping.get(n, [])})
    by_number = {n: dict(mapping.get(n, [])) for n in LOCATION_FIELDS}
    out: list[_Record | str] = []
    for r in range(k + 1, len(rows)):
        row = rows[r]
        if not any(c.strip() for c in row):
            out.append("blank")
            continue

        def cell(j: int | None, row=row) -> str:
            return _text(row[j]) if j is not None and j < len(row) else ""

        values = {n: cell(j) for n, j in scalar.items()}
        locations = [
            (cell(by_number["geo_code"].get(num)), cell(by_number["geo_type"].get(num))) for num in numbers
        ]
        individual = bool(values.get("ind_id") or values.get("ind_name"))
        where = {"line": lines[r] if lines else r + 1, **({"sheet": sheet} if sheet else {})}
        out.append(_Record(where, values, locations, individual))
    return out, len(rows) - k - 1


def _csv_rows(path: Path) -> tuple[list[list[str]], list[int], str]:
    """Every record of a CSV as text (UTF-8 with or without BOM, UTF-16, Windows-1252; ',' or ';' tab '|'),
    the line each starts on (a quoted line break spreads one over two), and the encoding."""
    import csv
    import io

    from anchorlib.data.tables import _decode, _separator  # the small tables' reading of what users save
    from anchorlib.errors import DatasetError

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise GrantFileError(f"cannot read file ({exc.strerror or exc})", path=path) from None
    if not raw.strip():
        raise GrantFileError("the file is empty", path=path)
    try:
        data, encoding = _decode(raw, path)
    except DatasetError as err:
        raise GrantFileError(err.problem, path=path) from None
    sep, skip = _separator(data)
    lead = 1 if skip else 0  # Excel's 'sep=;' line is a line of the file
    reader = csv.reader(io.StringIO(data[skip:].decode(encoding), newline=""), delimiter=sep)
    rows, lines, previous = [], [], 0
    try:
        for rec in reader:
            rows.append(rec)
            lines.append(lead + previous + 1)
            previous = reader.line_num
    except csv.Error as exc:
        raise GrantFileError(f"malformed CSV ({exc})", path=path, line=lead + previous + 1) from None
    return rows, lines, encoding


def _sheet_records(path: Path, report: GrantReport) -> list[_Record | str]:
    """The grants of every sheet of a workbook that heads a grant table; sheets that hold only beneficiary
    locations (an identifier and location columns, no amount: a flattened multi-sheet file) add them to
    their grants; others are skipped with the reason."""
    from anchorlib.data.ingest.reader import workbook_rows

    what = "an OpenDocument spreadsheet" if path.suffix.lower() == ".ods" else "an Excel workbook"
    records: list[_Record | str] = []
    extra: dict[str, list[tuple[str, str]]] = {}
    for name, why, rows in workbook_rows(path, what, GrantFileError):
        if why is not None:
            report.sheets.append(GrantSheet(name, False, why))
            continue
        found = _header(rows)
        if found is None:
            locs = _locations_sheet(rows)
            if locs is not None:
                for gid, pairs in locs.items():
                    extra.setdefault(gid, []).extend(pairs)
                report.sheets.append(GrantSheet(name, True, "beneficiary locations of the grants"))
                continue
            reason = "empty" if not any(c.strip() for r in rows for c in r) else "no grant header row"
            report.sheets.append(GrantSheet(name, False, f"{reason} in its first {HEAD_ROWS} rows"))
            continue
        k, mapping = found
        _check_columns(mapping, rows[k], path, k + 1, name)
        got, n = _table_records(rows, k, mapping, name)
        records.extend(got)
        report.sheets.append(GrantSheet(name, True, header_line=k + 1, records=n))
        if report.header_line is None:
            report.header_line = k + 1
            report.columns = {f: rows[k][cols[0][1]].strip() for f, cols in mapping.items()}
    if not any(s.records or s.header_line for s in report.sheets):
        why = "; ".join(f"'{s.name}': {s.reason}" for s in report.sheets) or "the workbook has no sheets"
        raise GrantFileError(
            f"no 360Giving grants header (Identifier, Amount Awarded) on any sheet ({why})", path=path
        )
    for r in records:
        if isinstance(r, _Record) and r.values.get("id") in extra:
            r.locations.extend(extra[r.values["id"]])
    fmt = path.suffix.lower().lstrip(".").upper()
    read = [s.name for s in report.sheets if s.read and s.header_line]
    report.layout = f"360Giving {fmt} (sheet{'s' if len(read) != 1 else ''} {', '.join(read)})"
    return records


def _locations_sheet(rows: list[list[str]]) -> dict[str, list[tuple[str, str]]] | None:
    """Grant identifier -> (code, type) pairs of a sheet of beneficiary locations, or None when it is not
    one."""
    for k, row in enumerate(rows[:HEAD_ROWS]):
        fields_ = {header_field(c): j for j, c in enumerate(row)}
        ids = [j for (f, j) in ((key[0], j) for key, j in fields_.items() if key) if f == "id"]
        codes = [j for key, j in fields_.items() if key and key[0] == "geo_code"]
        if ids and codes:
            types = [j for key, j in fields_.items() if key and key[0] == "geo_type"]
            out: dict[str, list[tuple[str, str]]] = {}
            for r in rows[k + 1 :]:
                gid = _text(r[ids[0]]) if ids[0] < len(r) else ""
                code = _text(r[codes[0]]) if codes[0] < len(r) else ""
                kind = _text(r[types[0]]) if types and types[0] < len(r) else ""
                if gid and (code or kind):
                    out.setdefault(gid, []).append((code, kind))
            return out
    return None


# --- checking and normalising the records --------------------------------------------------------


def gss_codes(locations: list[tuple[str, str]]) -> list[str]:
    """The codes of beneficiary locations, upper case, each once: a location's code is whichever of its
    code and code type has the shape of an ONS (GSS) code (publishers swap the two: 'MD' / 'E08000019'),
    else its code as given when it looks like a code (letters and digits, no spaces: a dataset's own
    small-area codes), never a name."""
    out = []
    for code, kind in locations:
        values = [v.strip().upper() for v in (code, kind)]
        found = next((v for v in values if _GSS.match(v)), None)
        if found is None and _CODE_LIKE.match(values[0]) and any(ch.isdigit() for ch in values[0]):
            found = values[0]
        if found is not None and found not in out:
            out.append(found)
    return out


def _parse_amount(text: str) -> float:
    from anchorlib.data.ingest.values import parse_amounts

    return float(parse_amounts([text])[0]) if text else float("nan")


def _parse_dates(texts: list[str]) -> np.ndarray:
    """Award dates (ISO dates or datetimes as the standard writes them, else the spend files' formats)."""
    from anchorlib.data.ingest.values import parse_date_values

    iso = [(_ISO_DATE.match(t).group(1) if _ISO_DATE.match(t) else t) for t in texts]
    uniq = sorted(set(iso))
    lookup = dict(zip(uniq, parse_date_values(uniq)))
    return np.array([lookup[t] for t in iso], dtype="datetime64[ns]")


def _reason(r: _Record, amount: float, date) -> str | None:
    v = r.values
    if not v.get("id"):
        return "no grant Identifier"
    if not v.get("amount"):
        return "no Amount Awarded"
    if np.isnan(amount):
        return f"Amount Awarded '{v['amount'][:40]}' is not a number"
    currency = v.get("currency", "").upper()
    if not currency:
        return "no Currency (a grant's currency is never assumed to be pounds)"
    if not _CURRENCY.match(currency):
        return f"Currency '{v['currency'][:20]}' is not an ISO 4217 code (e.g. GBP)"
    if not v.get("award_date"):
        return "no Award Date"
    if np.isnat(date):
        return f"Award Date '{v['award_date'][:30]}' not recognised"
    if not r.individual and not (v.get("org_id") or v.get("org_name")):
        return "no recipient (neither a Recipient Org nor a Recipient Ind)"
    return None


def _normalise(records: list, report: GrantReport, source: str) -> pd.DataFrame:
    """Check each record; fill ``report``; the loaded (GBP) grants as ``GRANT_COLUMNS``."""
    grants = [r for r in records if isinstance(r, _Record)]
    amounts = [_parse_amount(r.values.get("amount", "")) for r in grants]
    dates = _parse_dates([r.values.get("award_date", "") for r in grants])
    report.records = len(records)
    report.blank_rows = sum(1 for r in records if r == "blank")
    seen: dict[str, str] = {}
    rows = []
    other: dict[str, dict] = {}
    k = 0
    for r in records:
        if r == "blank":
            continue
        amount, date = amounts[k], dates[k]
        k += 1
        reason = r.bad or _reason(r, amount, date)
        gid = r.values.get("id", "")
        if reason is None and gid in seen:
            reason = f"grant Identifier '{gid[:40]}' repeated (first at {seen[gid]}): counted once"
        if reason is not None:
            report.rejections.append(GrantRejection(reason, **r.where))
            continue
        seen[gid] = _where_text(r.where)
        currency = r.values["currency"].upper()
        if currency != POUNDS:
            got = other.setdefault(currency, {"grants": 0, "amount": 0.0})
            got["grants"] += 1
            got["amount"] = round(got["amount"] + amount, 2)
            continue
        rows.append((r, amount, date))
    report.rows_rejected = len(report.rejections)
    report.other_currencies = dict(sorted(other.items()))
    report.other_currency_grants = sum(v["grants"] for v in other.values())
    frame = _frame(rows, source)
    report.grants_loaded = len(frame)
    report.net_total = round(float(frame["amount"].sum()), 2)
    report.totals = {POUNDS: report.net_total, **{c: v["amount"] for c, v in report.other_currencies.items()}}
    people = frame["redacted"].to_numpy(dtype=bool)
    report.individuals = {
        "grants": int(people.sum()),
        "amount": round(float(frame["amount"][people].sum()), 2),
    }
    from anchorlib.data.places import normalise_postcodes

    has_postcode = normalise_postcodes(frame["supplier_postcode"]).notna().to_numpy()
    report.with_postcode = int(has_postcode.sum())
    report.with_beneficiary_code = int((~has_postcode & frame["beneficiary_codes"].notna().to_numpy()).sum())
    funders = frame["expense_area"].fillna("(funder not named)").value_counts()
    report.funders = {str(k): int(v) for k, v in funders.items()}
    if len(frame) and frame["payment_date"].notna().any():
        report.first_award = str(frame["payment_date"].min().date())
        report.last_award = str(frame["payment_date"].max().date())
    report.rejections.sort(key=lambda x: (x.sheet or "", x.index if x.index is not None else x.line or 0))
    return frame


def _frame(rows: list, source: str) -> pd.DataFrame:
    """The loaded grants as ``GRANT_COLUMNS``; an individual's name, postcode and identifiers are dropped."""

    def col(name: str, org_only: bool = True) -> pd.Series:
        values = [
            None if (org_only and r.individual) or not r.values.get(name) else r.values[name]
            for r, *_ in rows
        ]
        return pd.Series(values, dtype="string")

    names = col("org_name")
    ids = col("org_id")
    names = names.fillna(ids.where(names.isna()))  # a recipient named only by its identifier
    codes = [";".join(gss_codes(r.locations)) or None for r, *_ in rows]
    lines = [r.where.get("index", r.where.get("line")) for r, *_ in rows]
    return pd.DataFrame(
        {
            "payment_date": np.array([d for *_, d in rows], dtype="datetime64[ns]"),
            "amount": np.array([a for _, a, _ in rows], dtype="float64"),
            "supplier_name": names,
            "expense_type": col("programme", False),
            "expense_area": col("funder_name", False).fillna(col("funder_id", False)),
            "transaction_id": col("id", False),
            "supplier_postcode": col("postcode"),
            "redacted": np.array([r.individual for r, *_ in rows], dtype=bool),
            "source_file": pd.Series([source] * len(rows), dtype="string"),
            "source_line": np.array(lines, dtype="int64"),
            "recipient_id": ids,
            "charity_number": col("charity_number"),
            "company_number": col("company_number"),
            "beneficiary_codes": pd.Series(codes, dtype="string"),
        },
        columns=GRANT_COLUMNS,
    )


def load_grant_file(path: str | Path) -> tuple[pd.DataFrame, GrantReport]:
    """Read one 360Giving file: (its grants in pounds as ``GRANT_COLUMNS``, its ``GrantReport``). A file
    that cannot be read at all (not JSON, no 360Giving header, no currency or award date column) is a
    one-line ``GrantFileError``; grants that cannot be used are rejected in the report instead."""
    path = Path(path)
    report = GrantReport(file=str(path))
    suffix = path.suffix.lower()
    if suffix == ".json":
        records = _json_records(path, report)
        report.columns = {}
    elif suffix in (".xlsx", ".xlsm", ".ods"):
        records = _sheet_records(path, report)
    elif suffix in (".csv", ".tsv", ".txt"):
        rows, lines, encoding = _csv_rows(path)
        found = _header(rows)
        if found is None:
            raise GrantFileError(
                f"no 360Giving grants header (Identifier, Amount Awarded) in its first {HEAD_ROWS} lines",
                path=path,
            )
        k, mapping = found
        _check_columns(mapping, rows[k], path, lines[k], None)
        records, _ = _table_records(rows, k, mapping, None, lines)
        report.header_line = lines[k]
        report.columns = {f: rows[k][cols[0][1]].strip() for f, cols in mapping.items()}
        report.layout = "360Giving CSV" + (f" ({encoding})" if encoding not in ("utf-8",) else "")
    else:
        raise GrantFileError(
            f"unsupported file type '{suffix}' (expected .json, .csv, .xlsx, .xlsm or .ods)", path=path
        )
    return _normalise(records, report, path.name), report


def looks_like_grants(path: str | Path) -> bool:
    """Whether a file is a 360Giving file rather than a spend file: JSON, or a CSV or workbook whose header
    (in its first rows) has the standard's Identifier and Amount Awarded columns."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        return True
    try:
        if suffix in (".csv", ".tsv", ".txt"):
            with path.open("rb") as fh:
                head = fh.read(1 << 16)
            for encoding in ("utf-8-sig", "utf-16", "cp1252"):
                try:
                    text = head.decode(encoding)
                    break
                except UnicodeDecodeError:
                    continue
            else:
                return False
            import csv

            lines = text.splitlines()[:HEAD_ROWS]
            delim = max((",", ";", "\t", "|"), key=lambda d: lines[0].count(d) if lines else 0)
            return _header(list(csv.reader(lines, delimiter=delim))) is not None
        if suffix in (".xlsx", ".xlsm", ".ods"):
            from anchorlib.data.ingest.reader import workbook_rows

            return any(
                _header(rows[:HEAD_ROWS]) is not None
                for _, why, rows in workbook_rows(path, "a workbook")
                if not why
            )
    except Exception:  # unreadable: the spend loader says why
        return False
    return False
