"""Load one spend file (CSV or Excel, any supported layout) into normalised payments + a report.

The normalised columns are ``SPEND_COLUMNS``. Every line of the file ends up either as a payment
or as a ``Rejection`` in the report (blank lines are counted, not listed).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd

from ..errors import SpendFileError
from .headers import find_header, map_header
from .report import LoadReport, Rejection
from .values import is_redacted, parse_amounts, parse_dates

SPEND_COLUMNS = [
    "payment_date", "amount", "supplier_name", "expense_type", "expense_area", "transaction_id",
    "supplier_postcode", "redacted", "source_file", "source_line",
]
TEXT_ROLES = ["supplier_name", "expense_type", "expense_area", "transaction_id", "supplier_postcode"]
_TOTAL_LABEL = re.compile(r"^\s*(grand\s+|sub\s*-?\s*)?totals?\s*:?[\s†]*$", re.IGNORECASE)
_BLANKISH = re.compile(r"^[\s†\u00a0]*$")
RECONCILE_TOLERANCE = 0.01  # pounds

_LAYOUTS = [  # (name, roles whose published headers identify it)
    ("central government spend over £25k", {"departmental family", "entity", "expense type", "supplier"}),
    ("LGTC spend over £500", {"expense area", "expense type", "supplier name"}),
]


def _decode(raw: bytes, path: Path) -> tuple[str, str]:
    if b"\x00" in raw[:4096]:
        raise SpendFileError("binary content: not a CSV spend file", path=path)
    for enc in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return raw.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise SpendFileError("cannot decode text", path=path)  # pragma: no cover (latin-1 never fails)


def read_csv_rows(path: Path) -> tuple[list[list[str]], list[int], str]:
    """All records of a CSV with the 1-based line each starts on, and the encoding used."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SpendFileError(f"cannot read file ({exc.strerror or exc})", path=path) from exc
    text, encoding = _decode(raw, path)
    try:
        sample = text[:20000]
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|") if sample.strip() else csv.excel
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[list[str]] = []
    lines: list[int] = []
    start = 1
    try:
        for record in reader:
            rows.append(record)
            lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise SpendFileError(f"malformed CSV ({exc})", path=path, line=start) from exc
    return rows, lines, encoding


def read_excel_rows(path: Path) -> tuple[list[list[object]], list[int], str]:
    """Rows of the first sheet that has a recognisable header; line = sheet row number."""
    import openpyxl  # imported here: only Excel users pay for it

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken zip or a non-xlsx file
        raise SpendFileError(f"cannot open as an Excel workbook ({type(exc).__name__}: {exc})", path=path) from exc
    try:
        for ws in wb.worksheets:
            rows = [list(r) for r in ws.iter_rows(values_only=True)]
            if find_header(rows) is not None:
                return rows, list(range(1, len(rows) + 1)), f"xlsx sheet '{ws.title}'"
        return [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)], [], "xlsx"
    finally:
        wb.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
    return str(value)


def _layout_name(header_cells: list[object], mapping: dict[str, int]) -> str:
    published = {str(c).strip().lower() for c in header_cells if c is not None}
    for name, needed in _LAYOUTS:
        if needed <= published:
            return name
    roles = ", ".join(sorted(mapping))
    return f"generic ({roles})"


def load_spend_file(path: str | Path) -> tuple[pd.DataFrame, LoadReport]:
    """Read one spend file; return (payments in ``SPEND_COLUMNS``, its ``LoadReport``).

    Raises ``SpendFileError`` (one line naming the file) when the file cannot be read at all or
    has no recognisable header; rows that cannot be used are rejected in the report instead.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        rows, lines, encoding = read_excel_rows(path)
    elif suffix in (".csv", ".txt", ".tsv", ""):
        rows, lines, encoding = read_csv_rows(path)
    else:
        raise SpendFileError(f"unsupported file type '{suffix}' (expected .csv or .xlsx)", path=path)
    found = find_header(rows)
    if found is None:
        raise SpendFileError(
            "no header row found: expected columns for an amount and a supplier or payment date "
            "in the first 60 rows", path=path)
    h, mapping = found
    report = LoadReport(file=str(path), layout=_layout_name(rows[h], mapping), header_line=lines[h] if lines else h + 1,
                        encoding=encoding)
    report.columns = {role: str(rows[h][i]).strip() for role, i in mapping.items()}
    n_cols = len(rows[h])

    keep_idx: list[int] = []
    rejections: list[Rejection] = []
    declared: float | None = None
    for k in range(h + 1, len(rows)):
        cells = rows[k]
        line = lines[k]
        texts = [_cell_text(c) for c in cells]
        if all(_BLANKISH.match(t) for t in texts):
            report.blank_lines += 1
            continue
        if map_header(cells) == mapping:
            rejections.append(Rejection(line, "repeated header row"))
            continue
        keep_idx.append(k)

    # Build a frame of the role columns for the candidate rows.
    def col(role: str) -> list[str]:
        i = mapping.get(role)
        if i is None:
            return [""] * len(keep_idx)
        return [_cell_text(rows[k][i]) if i < len(rows[k]) else "" for k in keep_idx]

    frame = pd.DataFrame({role: col(role) for role in ["amount", "payment_date", *TEXT_ROLES]}, dtype="string")
    frame["source_line"] = [lines[k] for k in keep_idx]
    frame["_ncells"] = [sum(1 for c in rows[k] if _cell_text(c).strip()) for k in keep_idx]
    frame["_first"] = [next((_cell_text(c) for c in rows[k] if _cell_text(c).strip()), "") for k in keep_idx]
    frame["_width"] = [len(rows[k]) for k in keep_idx]
    for role in TEXT_ROLES:
        frame[role] = frame[role].str.strip()

    amount = parse_amounts(frame["amount"])
    # Total rows: labelled ("Total", "Grand Total") or an amount alone on its line at the end.
    labelled_total = frame["_first"].str.match(_TOTAL_LABEL).fillna(False) | frame["supplier_name"].str.match(_TOTAL_LABEL).fillna(False)
    amount_alone = (frame["_ncells"] == 1) & amount.notna() & (frame["amount"].str.strip() != "")
    is_total = (labelled_total & (amount.notna() | (frame["_ncells"] <= 2))) | amount_alone
    for pos in frame.index[is_total.to_numpy()]:
        line = int(frame.at[pos, "source_line"])
        value = amount.iat[pos]
        if pd.notna(value):
            declared = float(value)
            rejections.append(Rejection(line, f"total row: declares £{value:,.2f}"))
        else:
            rejections.append(Rejection(line, "total row without an amount"))

    data = frame[~is_total.to_numpy()].copy()
    data["amount"] = amount[~is_total.to_numpy()]
    data["payment_date"] = parse_dates(data["payment_date"]) if "payment_date" in mapping else pd.NaT
    raw_amount = frame.loc[data.index, "amount"]
    raw_date = frame.loc[data.index, "payment_date"]
    bad = pd.Series("", index=data.index, dtype="string")
    no_amount = data["amount"].isna() & (raw_amount.str.strip() == "")
    bad_amount = data["amount"].isna() & ~no_amount
    bad_date = data["payment_date"].isna()
    too_wide = data["_width"] > n_cols
    bad = bad.mask(no_amount, "no amount")
    bad = bad.mask(bad_amount & (bad == ""), "amount '" + raw_amount.fillna("") + "' is not a number")
    bad = bad.mask(bad_date & (bad == "") & (raw_date.str.strip() == ""), "no payment date")
    bad = bad.mask(bad_date & (bad == ""), "date '" + raw_date.fillna("") + "' not recognised")
    bad = bad.mask(too_wide & (bad != ""), bad + f" (row has more fields than the {n_cols}-column header)")
    is_bad = bad != ""
    for line, reason in zip(data.loc[is_bad, "source_line"], bad[is_bad]):
        rejections.append(Rejection(int(line), str(reason)))

    data = data[~is_bad]
    redacted = is_redacted(data["supplier_name"])
    data["redacted"] = redacted.to_numpy()
    data.loc[redacted, "supplier_name"] = pd.NA
    data.loc[data["supplier_name"] == "", "supplier_name"] = pd.NA
    for role in TEXT_ROLES:
        data.loc[data[role] == "", role] = pd.NA
    data["source_file"] = path.name
    data["source_line"] = data["source_line"].astype("int64")
    out = data[SPEND_COLUMNS].reset_index(drop=True)

    rejections.sort(key=lambda r: r.line)
    report.rejections = rejections
    report.rows_loaded = len(out)
    report.rows_rejected = len(rejections)
    report.net_total = float(out["amount"].sum())
    report.declared_total = declared
    if declared is not None:
        report.reconciled = abs(report.net_total - declared) <= RECONCILE_TOLERANCE
    return out, report
