"""Workbooks (.xlsx and .ods) in the shapes publishers use: every sheet read or skipped with its
reason, each sheet with its own header, the file's totals over all of them, structure apart from
rejections (issue #20). The expected figures are worked out by hand in the comments."""

from __future__ import annotations

import datetime as dt
import json
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from anchorlib import open_dataset
from anchorlib.cli import app
from anchorlib.data.ingest import LoadReport, load_spend_file
from anchorlib.errors import SpendFileError
from tests.builders import WORKBOOK_WRITERS, Money, tiny_dataset, write_ods, write_xlsx

D = dt.date
APR_HEADER = ["Supplier Name", "Payment Date", "Amount", "Expense Type"]
MAY_HEADER = ["Date Paid", "Payee", "Value (£)", "Service Area", "Transaction Number"]
NOTES = ("Notes", [["Spend over £500, Q1 2024-25"], [], ["Each month is on its own sheet."]])
APR = (
    "Apr 2024",
    [
        APR_HEADER,  # row 1
        ["A Ltd", D(2024, 4, 2), Money(100.00), "Care"],  # 2
        ["B Ltd", D(2024, 4, 15), Money(250.50), "Care"],  # 3
        [],  # 4 blank
        ["C Ltd", D(2024, 4, 30), Money(-20.00), "Refund"],  # 5 a credit
        ["Total", None, Money(330.50), None],  # 6 = 100 + 250.50 - 20
    ],
)
MAY = (
    "May 2024",
    [
        ["London Borough of Example"],  # 1 title
        ["Payments over £500: May 2024"],  # 2 title
        [],  # 3
        MAY_HEADER,  # 4: another layout, lower down
        [D(2024, 5, 3), "D Ltd", 1000, "Adults", "T100"],  # 5
        [D(2024, 5, 10), "E Ltd", "£2,000.00", "Adults", "T101"],  # 6 an amount written as text
        [D(2024, 5, 11), "F Ltd", "twelve", "Adults", "T102"],  # 7 rejected
        [],  # 8 blank
        ["Payments over £500: May 2024 (continued)"],  # 9 the title of the next block
        MAY_HEADER,  # 10 the header again
        [D(2024, 5, 20), "G Ltd", 500.25, "Children", "T103"],  # 11
    ],
)
HIDDEN = (
    "Old data",
    [
        ["Supplier Name", "Payment Date", "Amount"],
        ["Z Ltd", D(2023, 4, 1), 5.0],
        ["Y Ltd", D(2023, 4, 2), 6.0],
    ],
    True,
)
EMPTY = ("Jun 2024", [])
PUBLISHED = [NOTES, APR, MAY, HIDDEN, EMPTY]


def accounted(r: LoadReport) -> bool:
    return (
        r.rows_loaded + r.rows_rejected + r.structure_lines == r.lines_below_header
        and r.unaccounted == 0
        and sum(r.structure.values()) == r.structure_lines
        and r.rows_rejected == len(r.rejections)
        and sum(s.rows_loaded for s in r.sheets) == r.rows_loaded
        and sum(s.rows_rejected for s in r.sheets) == r.rows_rejected
        and sum(s.structure_lines for s in r.sheets) == r.structure_lines
    )


@pytest.fixture(params=[".xlsx", ".ods", ".xlsx-openpyxl"])
def book(request, tmp_path, monkeypatch):
    """A writer of workbooks in one format; '.xlsx-openpyxl' reads them with the fallback reader."""
    suffix = request.param.split("-")[0]
    if request.param.endswith("openpyxl"):
        monkeypatch.setitem(sys.modules, "python_calamine", None)

    def write(sheets, name="spend"):
        return WORKBOOK_WRITERS[suffix](tmp_path / f"{name}{suffix}", sheets)

    return write


def test_notes_sheet_then_monthly_sheets(book):
    df, r = load_spend_file(book(PUBLISHED))
    assert [(s.name, s.read, s.reason) for s in r.sheets] == [
        ("Notes", False, "no header row found in its first 60 rows"),
        ("Apr 2024", True, None),
        ("May 2024", True, None),
        (
            "Old data",
            False,
            "hidden; it holds a spend header at row 1 and 2 rows below it, not counted: unhide the sheet "
            "to load them",
        ),
        ("Jun 2024", False, "empty"),
    ]
    apr, may = r.sheets[1], r.sheets[2]
    # April: 3 payments, 100 + 250.50 - 20 = 330.50, as its total row declares; 1 blank + 1 total
    assert (apr.header_line, apr.rows_loaded, apr.rows_rejected, apr.structure_lines) == (1, 3, 0, 2)
    assert (apr.net_total, apr.declared_total, apr.reconciled) == (330.50, 330.50, True)
    # May: 1000 + 2000 + 500.25 = 3,500.25; 'twelve' rejected; a blank, a title and the header again
    assert (may.header_line, may.rows_loaded, may.rows_rejected, may.structure_lines) == (4, 3, 1, 3)
    assert (may.net_total, may.declared_total, may.reconciled) == (3500.25, None, None)
    # the file: both sheets; May declares no total, so the file declares none
    assert (r.rows_loaded, r.rows_rejected, r.structure_lines, r.lines_below_header) == (6, 1, 5, 12)
    assert r.structure == {"blank_lines": 2, "repeated_headers": 1, "title_lines": 1, "total_rows": 1}
    assert (r.net_total, r.declared_total, r.reconciled) == (3830.75, None, None)
    assert accounted(r)
    assert df["supplier_name"].tolist() == ["A Ltd", "B Ltd", "C Ltd", "D Ltd", "E Ltd", "G Ltd"]
    assert df["amount"].tolist() == [100.0, 250.5, -20.0, 1000.0, 2000.0, 500.25]
    assert df["source_line"].tolist() == [2, 3, 5, 5, 6, 11]  # each sheet's own rows
    assert df["payment_date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-04-02",
        "2024-04-15",
        "2024-04-30",
        "2024-05-03",
        "2024-05-10",
        "2024-05-20",
    ]
    assert df["expense_area"].tolist()[3:] == ["Adults", "Adults", "Children"]
    assert df["expense_area"].isna().tolist()[:3] == [True, True, True]  # April has no such column
    assert [(x.sheet, x.line, x.reason) for x in r.rejections] == [
        ("May 2024", 7, "amount 'twelve' is not a number")
    ]
    assert [(x.sheet, x.line, x.kind) for x in r.structure_rows] == [
        ("Apr 2024", 6, "total row"),
        ("May 2024", 9, "title line"),
        ("May 2024", 10, "repeated header"),
    ]
    assert r.layout.startswith("several layouts by sheet: generic (amount, expense_type,")
    assert r.header_line == 1 and r.columns["amount"] == "Amount"


def test_every_sheet_declaring_a_total_gives_the_files(book):
    may = ("May", [APR_HEADER, ["D Ltd", D(2024, 5, 3), 40.0, "Care"], ["Grand Total", None, 40.0, None]])
    _, r = load_spend_file(book([APR, may]))
    assert (r.net_total, r.declared_total, r.reconciled) == (370.50, 370.50, True)  # 330.50 + 40
    wrong = ("May", [APR_HEADER, ["D Ltd", D(2024, 5, 3), 40.0, "Care"], ["Total", None, 45.0, None]])
    _, r = load_spend_file(book([APR, wrong], "wrong"))
    assert [s.reconciled for s in r.sheets] == [True, False]
    assert (r.net_total, r.declared_total, r.reconciled) == (370.50, 375.50, False)
    _, r = load_spend_file(book([MAY, wrong], "partly"))  # May declares nothing: no file total
    assert (r.declared_total, r.reconciled) == (None, False)  # but a sheet that fails says so


def test_a_copied_sheet_and_a_whole_year_sheet_are_not_counted_twice(book):
    copy = ("Apr 2024 (2)", APR[1])
    both = ("Q1", [APR_HEADER, *APR[1][1:4], APR[1][4], ["D Ltd", D(2024, 5, 3), 1000.0, "Care"]])
    may = ("May", [APR_HEADER, ["D Ltd", D(2024, 5, 3), Money(1000.0), "Care"]])
    df, r = load_spend_file(book([APR, copy, may, both]))
    assert [(s.name, s.read) for s in r.sheets] == [
        ("Apr 2024", True),
        ("Apr 2024 (2)", False),
        ("May", True),
        ("Q1", False),
    ]
    assert r.sheets[1].reason == "repeats sheet 'Apr 2024': the same 3 payments, not counted twice"
    assert r.sheets[3].reason == "its 4 payments all appear on sheets 'Apr 2024', 'May': not counted twice"
    assert (r.sheets[1].rows_loaded, r.sheets[3].net_total) == (0, 0.0)
    assert (r.rows_loaded, r.net_total, len(df)) == (4, 1330.50, 4)  # 330.50 + 1000, once each
    assert accounted(r)


def test_sheets_sharing_some_payments_are_both_read_and_noted(book):
    may = (
        "May",
        [APR_HEADER, ["A Ltd", D(2024, 4, 2), 100.0, "Care"], ["E Ltd", D(2024, 5, 9), 7.0, "Care"]],
    )
    _, r = load_spend_file(book([APR, may]))
    assert [s.read for s in r.sheets] == [True, True] and r.rows_loaded == 5
    assert r.sheets[1].note == "1 of its payments are identical to ones on sheet 'Apr 2024' (counted on both)"
    assert r.net_total == 437.50  # 330.50 + 100 + 7


def test_a_pivot_or_summary_beside_dated_payments_is_skipped(book):
    pivot = (
        "Pivot",
        [["Sum of Amount", None], ["Supplier Name", "Total"], ["A Ltd", 100.0], ["B Ltd", 250.5]],
    )
    summary = (
        "By supplier",
        [["Supplier Name", "Amount"], ["A Ltd", 100.0], ["B Ltd", 250.5], ["C Ltd", -20.0]],
    )
    _, r = load_spend_file(book([NOTES, pivot, APR, summary]))
    assert [(s.name, s.read) for s in r.sheets] == [
        ("Notes", False),
        ("Pivot", False),
        ("Apr 2024", True),
        ("By supplier", False),
    ]
    assert r.sheets[1].reason == (
        "a pivot table of 'Amount' (per-supplier sums of £350.50, no dates) summarising the payments on "
        "sheet 'Apr 2024' (£330.50): not counted twice"
    )
    assert r.sheets[3].reason == (
        "a summary without payment dates whose total, £330.50, equals that of the payments on sheet "
        "'Apr 2024': not counted twice"
    )
    assert (r.rows_loaded, r.net_total, r.undated_rows) == (3, 330.50, 0)
    # beside a copied sheet, the summary is still checked against the payments counted once
    _, r = load_spend_file(book([APR, ("Apr (2)", APR[1]), summary], "copied"))
    assert [s.read for s in r.sheets] == [True, False, False] and r.net_total == 330.50
    assert r.sheets[2].reason.startswith("a summary without payment dates whose total, £330.50,")
    # alone (beside a notes sheet) a pivot table is the file's data, as a pivot CSV is
    _, r = load_spend_file(book([NOTES, pivot], "pivot"))
    assert r.rows_loaded == 2 and r.undated_rows == 2 and r.net_total == 350.50
    # a dateless sheet whose total is not the dated sheets' is read
    other = ("Grants", [["Supplier Name", "Amount"], ["H Trust", 5000.0]])
    _, r = load_spend_file(book([APR, other], "grants"))
    assert [s.read for s in r.sheets] == [True, True] and r.net_total == 5330.50 and r.undated_rows == 1
    assert r.sheets[1].note == (
        "no payment dates, beside sheet 'Apr 2024' with them: its £5,000.00 counts in no financial year "
        "(check it is not a summary of them)"
    )


def test_no_sheet_with_a_header_is_one_line(book):
    with pytest.raises(SpendFileError) as exc:
        load_spend_file(book([NOTES, HIDDEN, EMPTY]))
    msg = str(exc.value)
    assert "\n" not in msg and "no header row found" in msg and "of any sheet" in msg
    assert "'Notes': no header row found in its first 60 rows" in msg and "'Jun 2024': empty" in msg
    assert "'Old data': hidden; it holds a spend header at row 1" in msg


def test_repeated_header_and_its_title_inside_a_sheet_are_structure(book):
    # the months of a year pasted one under another on one sheet, each block with its own title
    rows = [
        ["Payments over £500: April"],  # 1 above the header: the sheet's preamble
        APR_HEADER,  # 2
        ["A Ltd", D(2024, 4, 2), 100.0, "Care"],  # 3
        ["Total April", None, None, None],  # 4 rejected: no amount, and no header follows
        [],  # 5
        ["Payments over £500:", "May"],  # 6 title (two cells)
        [],  # 7
        APR_HEADER,  # 8 again
        ["B Ltd", D(2024, 5, 2), 50.0, "Care"],  # 9
        ["Total", None, 150.0, None],  # 10
    ]
    _, r = load_spend_file(book([("2024", rows)]))
    assert (r.rows_loaded, r.rows_rejected, r.lines_below_header) == (2, 1, 8)
    assert r.structure == {"blank_lines": 2, "repeated_headers": 1, "title_lines": 1, "total_rows": 1}
    assert [(x.line, x.reason) for x in r.rejections] == [(4, "no amount")]
    assert [(x.line, x.note) for x in r.structure_rows] == [
        (6, "a title above a repeated header: 'Payments over £500: May'"),
        (8, "the header row again"),
        (10, "total row: declares £150.00"),
    ]
    assert r.declared_total == 150.0 and r.reconciled is True and accounted(r)


def test_ods_is_a_zip_of_mimetype_manifest_and_content(tmp_path):
    p = write_ods(tmp_path / "x.ods", [APR])
    with zipfile.ZipFile(p) as z:
        assert z.namelist() == ["mimetype", "META-INF/manifest.xml", "content.xml"]
        assert z.getinfo("mimetype").compress_type == zipfile.ZIP_STORED
        assert z.read("mimetype") == b"application/vnd.oasis.opendocument.spreadsheet"
        assert b'office:value-type="currency"' in z.read("content.xml")


def test_broken_workbooks_are_one_line(tmp_path):
    for name in ("x.ods", "x.xlsx"):
        p = tmp_path / name
        p.write_bytes(b"PK\x03\x04 not really a zip")
        with pytest.raises(SpendFileError) as exc:
            load_spend_file(p)
        kind = "an OpenDocument spreadsheet" if name.endswith("ods") else "an Excel workbook"
        assert str(exc.value).startswith(f"{p}: cannot open as {kind} (") and "\n" not in str(exc.value)


def test_ods_without_calamine_says_what_it_needs(tmp_path, monkeypatch):
    p = write_ods(tmp_path / "x.ods", [APR])
    monkeypatch.setitem(sys.modules, "python_calamine", None)
    with pytest.raises(SpendFileError, match="reading .ods needs python-calamine"):
        load_spend_file(p)


def test_report_round_trips_through_json(tmp_path):
    _, r = load_spend_file(write_ods(tmp_path / "x.ods", PUBLISHED))
    again = LoadReport.from_json(json.loads(json.dumps(r.to_json())))
    assert again == r


def validate(*args):
    return CliRunner().invoke(app, ["validate", *map(str, args)])


def test_validate_json_and_text_name_sheets_and_structure(tmp_path):
    p = write_ods(tmp_path / "q1.ods", PUBLISHED)
    res = validate(p, "--json")
    assert res.exit_code == 0, res.output
    (js,) = json.loads(res.stdout)
    assert (js["rows_loaded"], js["rows_rejected"], js["structure_lines"], js["net_total"]) == (
        6,
        1,
        5,
        3830.75,
    )
    assert js["rejections"] == [{"line": 7, "reason": "amount 'twelve' is not a number", "sheet": "May 2024"}]
    assert [(s["name"], s["read"], s["rows_loaded"], s["rows_rejected"]) for s in js["sheets"]] == [
        ("Notes", False, 0, 0),
        ("Apr 2024", True, 3, 0),
        ("May 2024", True, 3, 1),
        ("Old data", False, 0, 0),
        ("Jun 2024", False, 0, 0),
    ]
    assert js["sheets"][4]["reason"] == "empty" and js["structure"]["title_lines"] == 1
    text = validate(p).stdout.splitlines()
    assert text[0].endswith(
        "6 rows loaded, 1 rejected, 5 structure (2 blank, 1 repeated header, 1 title line, 1 total row), "
        "net £3,830.75; no declared total; 2 of 5 sheets read"
    )
    assert text[1:] == [
        "  sheet 'Notes': skipped, no header row found in its first 60 rows",
        "  sheet 'Apr 2024': read, header row 1; 3 rows loaded, 0 rejected, 2 structure, net £330.50; "
        "reconciles to £330.50",
        "  sheet 'May 2024': read, header row 4; 3 rows loaded, 1 rejected, 3 structure, net £3,500.25; "
        "no declared total",
        "  sheet 'Old data': skipped, hidden; it holds a spend header at row 1 and 2 rows below it, not "
        "counted: unhide the sheet to load them",
        "  sheet 'Jun 2024': skipped, empty",
        "  sheet 'May 2024' row 7: amount 'twelve' is not a number",
    ]


def test_ods_and_multi_sheet_xlsx_in_a_dataset(tmp_path, monkeypatch):
    monkeypatch.setenv("ANCHORLIB_CACHE_DIR", str(tmp_path / "cache"))
    root = tiny_dataset(tmp_path / "ds", suppliers=[["A Ltd", "E8 1AA", "", "", "", "", "", "", "", "", ""]])
    write_ods(root / "spend" / "a1" / "q1.ods", PUBLISHED)
    write_xlsx(
        root / "spend" / "a1" / "jul.xlsx",
        [NOTES, ("Jul", [APR_HEADER, ["A Ltd", D(2024, 7, 1), 9.5, "Care"]])],
    )
    for _ in range(2):  # parsed, then from the cache
        ds = open_dataset(root)
        f = ds.load_report_frame()
        assert f["file"].tolist() == ["jul.xlsx", "q1.ods"]
        assert f["sheets_read"].tolist() == ["Jul", "Apr 2024, May 2024"]
        assert f["sheets_skipped"].tolist()[0] == "Notes (no header row found in its first 60 rows)"
        assert (
            f["sheets_skipped"].tolist()[1].startswith("Notes (no header row found in its first 60 rows); ")
        )
        assert f["rows_loaded"].tolist() == [1, 6] and f["rows_rejected"].tolist() == [0, 1]
        assert f["structure_lines"].tolist() == [0, 5] and f["title_lines"].tolist() == [0, 1]
        assert f["net_total"].tolist() == [9.5, 3830.75]
        assert len(ds.spend) == 7 and ds.spend["amount"].sum() == pytest.approx(3840.25)
        assert [s.name for s in ds.load_reports["a1"][1].sheets][-1] == "Jun 2024"


# --- random workbooks ---------------------------------------------------------------------------

LAYOUTS = [APR_HEADER, MAY_HEADER, ["Vendor Name", "Clearing Date", "Net Amount"]]


@st.composite
def workbooks(draw):
    """(sheets, expected payments as (sheet, pennies, supplier), per-sheet expectations, whether any
    sheet is read). Data sheets: title lines, a header of one of LAYOUTS, payments each perhaps followed
    by a blank line, a junk line (rejected) or the header again under a title (structure)."""
    kinds = draw(
        st.lists(st.sampled_from(["data", "data", "notes", "empty", "hidden"]), min_size=1, max_size=5)
    )
    if all(k == "hidden" for k in kinds):  # a workbook shows at least one sheet
        kinds.append("notes")
    sheets, payments, expect = [], [], []
    for k, kind in enumerate(kinds):
        name = f"S{k}"
        if kind == "notes":
            sheets.append((name, [["About these figures"], [], ["Amounts exclude VAT"]]))
            expect.append((name, False, "no header row found in its first 60 rows", 0, 0, 0))
            continue
        if kind == "empty":
            sheets.append((name, []))
            expect.append((name, False, "empty", 0, 0, 0))
            continue
        header = draw(st.sampled_from(LAYOUTS))
        roles = {c: i for i, c in enumerate(header)}
        rows = [[t] for t in draw(st.lists(st.sampled_from(["Council spend", "Period: 2024"]), max_size=3))]
        rows.append(list(header))
        mine, rejected, structure = [], 0, 0
        for i in range(draw(st.integers(0, 6))):
            pennies = draw(st.integers(-100_000, 10_000_000))
            day = dt.date(2024, 1 + k % 12, 1 + i)
            row = [""] * len(header)
            amount = next(c for c in header if c in ("Amount", "Value (£)", "Net Amount"))
            date = next(c for c in header if "Date" in c)
            supplier = next(c for c in header if c in ("Supplier Name", "Payee", "Vendor Name"))
            row[roles[amount]] = (
                Money(pennies / 100) if draw(st.booleans()) else f"£{pennies / 100:,.2f}".replace("£-", "-£")
            )
            row[roles[date]] = day if draw(st.booleans()) else day.strftime("%d/%m/%Y")
            row[roles[supplier]] = f"Supplier {k}-{i}"
            rows.append(row)
            mine.append((name, pennies, f"Supplier {k}-{i}"))
            quirk = draw(st.integers(0, 6))
            if quirk == 0:
                rows.append([])
                structure += 1
            elif quirk == 1:
                rows.append(["Page 2 of 3"])
                rejected += 1
            elif quirk == 2:
                if draw(st.booleans()):
                    rows.append([f"Payments over £500: part {i}"])
                    structure += 1
                rows.append(list(header))
                structure += 1
        while rows[-1] == []:  # a sheet ends at its last row with a cell: no blank line after it
            rows.pop()
            structure -= 1
        hidden = kind == "hidden"
        sheets.append((name, rows, hidden))
        if hidden:
            at = len(rows) - rows.index(list(header)) - 1
            reason = f"hidden; it holds a spend header at row {rows.index(list(header)) + 1} and {at:,} rows "
            expect.append(
                (name, False, reason + "below it, not counted: unhide the sheet to load them", 0, 0, 0)
            )
        else:
            payments.extend(mine)
            expect.append((name, True, None, len(mine), rejected, structure))
    return sheets, payments, expect, any(e[1] for e in expect)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(workbooks(), st.sampled_from([".xlsx", ".ods"]))
def test_random_workbooks_keep_every_sheets_payments_to_the_penny(case, suffix):
    sheets, payments, expect, readable = case
    with tempfile.TemporaryDirectory() as d:
        path = WORKBOOK_WRITERS[suffix](Path(d) / f"book{suffix}", sheets)
        if not readable:
            with pytest.raises(SpendFileError, match="of any sheet"):
                load_spend_file(path)
            return
        df, r = load_spend_file(path)
    got = [(s.name, s.read, s.reason, s.rows_loaded, s.rows_rejected, s.structure_lines) for s in r.sheets]
    assert got == expect
    assert df["supplier_name"].tolist() == [p[2] for p in payments]
    pennies = np.round(df["amount"].to_numpy() * 100).astype("int64")
    assert pennies.tolist() == [p[1] for p in payments]
    assert round(r.net_total * 100) == sum(p[1] for p in payments)
    assert accounted(r) and r.lines_below_header == sum(
        len(s[1]) - s[1].index(next(row for row in s[1] if row in LAYOUTS)) - 1
        for s, e in zip(sheets, expect)
        if e[1]
    )


@pytest.fixture(scope="module")
def published_bytes(tmp_path_factory):
    d = tmp_path_factory.mktemp("books")
    return {s: WORKBOOK_WRITERS[s](d / f"q1{s}", PUBLISHED).read_bytes() for s in WORKBOOK_WRITERS}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.sampled_from(sorted(WORKBOOK_WRITERS)),
    st.lists(st.tuples(st.integers(0, 10**6), st.binary(min_size=0, max_size=3)), min_size=1, max_size=6),
)
def test_damaged_workbooks_load_or_raise_only_spend_file_error(published_bytes, suffix, edits):
    data = bytearray(published_bytes[suffix])
    for pos, repl in edits:
        at = pos % (len(data) + 1)
        data[at : at + 1] = repl
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / f"spend{suffix}"
        p.write_bytes(bytes(data))
        try:
            _, r = load_spend_file(p)
        except SpendFileError as err:
            assert "\n" not in str(err) and str(err).startswith(str(p))
        else:
            assert accounted(r)
