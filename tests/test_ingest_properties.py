"""Property-based tests of the loader (hypothesis): spend files with random layouts and quirks keep
their payments, row counts and amounts to the penny; fuzzed bytes only ever raise SpendFileError."""

from __future__ import annotations

import csv
import datetime as dt
import io
import string
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anchorlib.data.ingest import load_spend_file
from anchorlib.data.ingest.loader import TOTAL_LABEL
from anchorlib.data.ingest.values import REDACTION_PATTERN
from anchorlib.errors import SpendFileError

AMOUNT = ["Amount", "Net Amount", "Invoice Nett Amount", "Value (£)", "Amount (£)", " Amount ", "Net amount"]
SUPPLIER = ["Supplier Name", "Supplier(Beneficiary) Name", "Vendor Name", "Payee", "Supplier", "Vendor"]
DATE = ["Payment Date", "Date Paid", "Clearing Date", "Invoice Payment Date", "Date"]
EXTRAS = ["Expense Type", "Transaction Number", "Expense Area", "Body Name"]
DATE_FORMATS = ["%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%d-%b-%Y", "%Y-%m-%dT%H:%M:%S"]
TITLES = [
    "Council spend over £500",
    "Report Date: 01/04/2024 16:59",
    "Parameters:",
    "",
    "Invoices over specified amount",
]
REDACTED = [
    "REDACTED PERSONAL DATA",
    "Redacted under DP Act",
    "Redacted Personal Information",
    "REDACTED UNDER DP ACT",
]
JUNK = ["Page 2 of 3", "Printed by FINANCE", "*** continued ***"]
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

names = st.text(alphabet=string.ascii_letters + string.digits + " &.,'-é\n", min_size=1, max_size=24).filter(
    lambda s: s.strip() and not REDACTION_PATTERN.search(s) and not TOTAL_LABEL.match(s)
)


def money(pennies: int, style: int, pad: bool) -> str:
    """Pennies as publishers print them: '1234.50', '£1,234.50', credits '(12.00)', '-£12.00', '12.00-',
    '12.00 CR'."""
    v = abs(pennies)
    plain, commas = f"{v // 100}.{v % 100:02d}", f"{v // 100:,}.{v % 100:02d}"
    if pennies >= 0:
        s = [plain, f"£{commas}", commas, f"£{plain}"][style % 4]
    else:
        s = [f"-{plain}", f"({commas})", f"-£{commas}", f"{plain}-", f"{plain} CR", f"£-{plain}"][style % 6]
    return f"  {s} " if pad else s


@st.composite
def spend_files(draw):
    """(file bytes, expected payments as (pennies, supplier or None, date str, redacted), expected total
    or None, counts of the records below the header: blank, rejected, structure and all of them)."""
    n = draw(st.integers(0, 25))
    roles = ["amount", "supplier", "date"] + draw(st.lists(st.sampled_from(EXTRAS), unique=True, max_size=3))
    order = draw(st.permutations(roles))
    header = {
        "amount": draw(st.sampled_from(AMOUNT)),
        "supplier": draw(st.sampled_from(SUPPLIER)),
        "date": draw(st.sampled_from(DATE)),
        **{e: e for e in EXTRAS},
    }
    cells = [header[r] for r in order]
    w = len(cells)
    col = {r: i for i, r in enumerate(order)}
    fmt = draw(st.sampled_from(DATE_FORMATS))
    rows: list[list[str]] = [[t] for t in draw(st.lists(st.sampled_from(TITLES), max_size=3))]
    garbled = draw(st.booleans())
    header_at = len(rows)  # 0-based record of the header
    rows.append([("ï»¿" + c if garbled and i == 0 else c) for i, c in enumerate(cells)])
    expected, blank, rejected, structure = [], 0, 0, 0
    for _ in range(n):
        pennies = draw(st.integers(-5_000_000, 50_000_000))
        redacted = draw(st.integers(0, 9)) == 0
        name = draw(st.sampled_from(REDACTED)) if redacted else draw(names)
        day = draw(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 12, 31)))
        row = [""] * w
        row[col["amount"]] = money(pennies, draw(st.integers(0, 5)), draw(st.booleans()))
        row[col["supplier"]] = name
        row[col["date"]] = day.strftime(fmt)
        for e in EXTRAS:
            if e in col:
                row[col[e]] = draw(st.sampled_from(["Care", "T0001", "Adults, Health", ""]))
        rows.append(row)
        expected.append((pennies, None if redacted else name.strip(), day.isoformat(), redacted))
        quirk = draw(st.integers(0, 14))
        if quirk == 0:
            rows.append([""] * w if draw(st.booleans()) else [])
            blank += 1
        elif quirk == 1:
            rows.append([" "] * w)
            blank += 1
        elif quirk == 2:
            rows.append([draw(st.sampled_from(JUNK))] + [""] * (w - 1))
            rejected += 1
        elif quirk == 3:  # months joined: the header again, perhaps under the month's title
            title = draw(st.sampled_from(["", "Payments over £500: May", "*** continued ***"]))
            if title:
                rows.append([title] + ([""] * (w - 1) if draw(st.booleans()) else []))
                structure += 1
            rows.append(list(cells))
            structure += 1
    total = sum(p for p, *_ in expected)
    kind = draw(st.sampled_from(["none", "labelled", "unlabelled"]))
    if kind != "none":
        row = [""] * w
        row[col["amount"]] = money(total, draw(st.integers(0, 5)), draw(st.booleans()))
        if kind == "labelled":
            row[col["supplier"] if col["amount"] == 0 else 0] = draw(
                st.sampled_from(["Total", "Grand Total", "TOTAL"])
            )
        rows.append(row)
        structure += 1
    for _ in range(draw(st.integers(0, 2))):
        rows.append([""] * w)
        blank += 1
    buf = io.StringIO()
    csv.writer(buf, lineterminator=draw(st.sampled_from(["\r\n", "\n"]))).writerows(rows)
    text = buf.getvalue()
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    counts = {
        "blank": blank,
        "rejected": rejected,
        "structure": structure,
        "below": len(rows) - header_at - 1,
    }
    return text.encode(encoding), expected, (total if kind != "none" else None), counts


def load_bytes(data: bytes, suffix: str = ".csv"):
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / f"spend{suffix}"
        p.write_bytes(data)
        return p, *load_spend_file(p)


@SETTINGS
@given(spend_files())
def test_payments_counts_and_pennies_survive(case):
    data, expected, total, counts = case
    _, df, r = load_bytes(data)
    assert r.rows_loaded == len(expected) == len(df)
    assert r.rows_rejected == counts["rejected"] and r.blank_lines == counts["blank"]
    assert r.structure_lines == counts["structure"] + counts["blank"]
    # every record below the header: loaded, rejected or structure
    assert r.lines_below_header == counts["below"] and r.unaccounted == 0
    pennies = np.round(df["amount"].to_numpy() * 100).astype("int64")
    assert pennies.tolist() == [p for p, *_ in expected]
    assert int(pennies.sum()) == sum(p for p, *_ in expected)
    assert df["redacted"].tolist() == [x[3] for x in expected]
    assert [None if pd.isna(v) else v for v in df["supplier_name"]] == [x[1] for x in expected]
    assert df["payment_date"].dt.strftime("%Y-%m-%d").tolist() == [x[2] for x in expected]
    if total is None:
        assert r.declared_total is None and r.reconciled is None
    else:
        assert round(r.declared_total * 100) == total and r.reconciled is True


def check_clean_failure(data: bytes, suffix: str = ".csv") -> None:
    try:
        load_bytes(data, suffix)
    except SpendFileError as err:
        msg = str(err)
        assert "\n" not in msg and f"spend{suffix}" in msg


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000))
def test_fuzzed_bytes_raise_only_spend_file_error(data):
    check_clean_failure(data)


@SETTINGS
@given(
    spend_files(),
    st.lists(st.tuples(st.integers(0, 10**6), st.binary(min_size=0, max_size=3)), min_size=1, max_size=8),
)
def test_damaged_spend_files_raise_only_spend_file_error(case, edits):
    data = bytearray(case[0])
    for pos, repl in edits:
        at = pos % (len(data) + 1)
        data[at : at + 1] = repl  # replace, delete (empty) or insert (longer) bytes
    check_clean_failure(bytes(data))


@settings(max_examples=30, deadline=None)
@given(st.binary(min_size=0, max_size=400))
def test_fuzzed_xlsx_raises_only_spend_file_error(data):
    check_clean_failure(b"PK\x03\x04" + data, ".xlsx")
