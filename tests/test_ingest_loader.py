"""load_spend_file on small hand-written files: every line loaded or rejected, totals, encodings, Excel."""

from __future__ import annotations

import datetime as dt
import sys

import pytest

from anchorlib.data.ingest import load_spend_file
from anchorlib.errors import SpendFileError

HEADER = "Body Name,Service Area,Expenses Type,Payment Date,Transaction Number,Net Amount,Supplier Name"


def write(tmp_path, text: str, name: str = "spend.csv", encoding: str = "utf-8") -> object:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def reasons(report) -> dict[int, str]:
    return {r.line: r.reason for r in report.rejections}


def structure(report) -> dict[int, str]:
    return {r.line: f"{r.kind}: {r.note}" for r in report.structure_rows}


def accounted(report) -> bool:
    """Every line below the header loaded, rejected or structure, and the structure kinds add up."""
    return (
        report.rows_loaded + report.rows_rejected + report.structure_lines == report.lines_below_header
        and report.unaccounted == 0
        and sum(report.structure.values()) == report.structure_lines
        and report.structure["blank_lines"] == report.blank_lines
        and report.rows_rejected == len(report.rejections)
    )


def test_lgtc_file_with_every_quirk(tmp_path):
    lines = [
        "London Borough of Hackney",  # 1 title
        '"Payments over £500, 2023-24"',  # 2 title
        "",  # 3 blank (preamble)
        HEADER,  # 4 header
        'Hackney,"Adults, Health",Care,01/04/2023,T1,"£1,234.50",Harbour Care Ltd',  # 5
        "Hackney,Children,Grants,02/04/2023,T2,(250.00),Hackney CVS",  # 6 credit
        "Hackney,Children,Care,03/04/2023,T3,-£12.00,REDACTED PERSONAL DATA",  # 7 redacted
        ",,,,,,",  # 8 blank
        HEADER,  # 9 repeated header
        "Hackney,Children,Care,31/05/2023,T4, 500.00 ,  Padded Ltd  ",  # 10
        "Page 2 of 2,,,,,,",  # 11 junk
        "Hackney,Children,Care,,T5,10.00,No Date Ltd",  # 12 no date
        "Hackney,Children,Care,01/06/2023,T6,ten pounds,Words Ltd",  # 13 bad amount
        'Total,,,,,"£1,472.50",',  # 14 total
        "",
    ]
    df, r = load_spend_file(write(tmp_path, "\r\n".join(lines)))
    assert df["source_line"].tolist() == [5, 6, 7, 10]
    assert df["amount"].tolist() == [1234.50, -250.0, -12.0, 500.0]
    assert df["payment_date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2023-04-01",
        "2023-04-02",
        "2023-04-03",
        "2023-05-31",
    ]
    assert df["redacted"].tolist() == [False, False, True, False]
    assert df["supplier_name"].isna().tolist() == [False, False, True, False]
    assert df.loc[3, "supplier_name"] == "Padded Ltd"
    assert df.loc[0, "expense_area"] == "Adults, Health"
    assert reasons(r) == {
        11: "no amount",  # 'Page 2 of 2' is not above a repeated header: no title
        12: "no payment date",
        13: "amount 'ten pounds' is not a number",
    }
    assert structure(r) == {
        9: "repeated header: the header row again",
        14: "total row: total row: declares £1,472.50",
    }
    assert (r.rows_loaded, r.rows_rejected, r.blank_lines, r.header_line) == (4, 3, 1, 4)
    assert r.structure == {"blank_lines": 1, "repeated_headers": 1, "title_lines": 0, "total_rows": 1}
    assert (r.structure_lines, r.lines_below_header) == (3, 10) and accounted(r)
    assert r.net_total == 1472.50 and r.declared_total == 1472.50 and r.reconciled is True
    assert (
        r.layout
        == "generic (amount, body, expense_area, expense_type, payment_date, supplier_name, transaction_id)"
    )


def test_total_that_does_not_reconcile(tmp_path):
    text = "Supplier,Date,Amount\nA,01/01/2024,10.00\nB,02/01/2024,5.00\nGrand Total,,20.00\n"
    _, r = load_spend_file(write(tmp_path, text))
    assert r.declared_total == 20.0 and r.net_total == 15.0 and r.reconciled is False


def test_unlabelled_total_only_at_the_end_and_equal_to_the_rows_above(tmp_path):
    text = "Supplier,Date,Amount\nA,01/01/2024,10.00\n,,10.00\nB,02/01/2024,5.00\n,,7.00\n,,15.00\n"
    df, r = load_spend_file(write(tmp_path, text))
    assert df["amount"].tolist() == [10.0, 5.0]
    got = reasons(r)
    # line 3 equals the rows above but payments follow it; line 5 is at the end but is not a sum
    assert got[3].startswith("amount 10.00 alone on its row") and got[5].startswith(
        "amount 7.00 alone on its row"
    )
    assert set(got) == {3, 5} and structure(r) == {
        6: "total row: unlabelled total row (equals the rows above): declares £15.00"
    }
    assert r.declared_total == 15.0 and r.reconciled is True and accounted(r)


def test_no_false_total_without_one(tmp_path):
    _, r = load_spend_file(write(tmp_path, "Supplier,Date,Amount\nA,01/01/2024,10.00\nB,02/01/2024,5.00\n"))
    assert r.declared_total is None and r.reconciled is None and r.rows_rejected == 0


def test_months_joined_with_block_totals(tmp_path):
    text = (
        "Supplier,Date,Amount\nA,01/01/2024,10.00\nTotal,,10.00\nSupplier,Date,Amount\n"
        "B,01/02/2024,5.00\nC,02/02/2024,1.00\nTotal,,6.00\n"
    )
    _, r = load_spend_file(write(tmp_path, text))
    assert r.rows_loaded == 3 and r.declared_total == 16.0 and r.reconciled is True
    assert r.rows_rejected == 0 and r.structure["repeated_headers"] == 1 and r.structure["total_rows"] == 2
    assert structure(r)[4] == "repeated header: the header row again" and accounted(r)


def test_months_joined_under_their_titles(tmp_path):
    """A title line (one field, or a full row of one cell) in one run above a repeated header is
    structure; the same line elsewhere, or parted from the run by a blank line, is rejected."""
    text = (
        "Supplier,Date,Amount\n"  # 1
        "A,01/01/2024,10.00\n"  # 2
        "Printed by FINANCE\n"  # 3 rejected: a blank line parts it from the titles below
        ",,\n"  # 4
        "Payments over £500\n"  # 5 title, one field
        "February 2024,,\n"  # 6 title, a full row
        ",,\n"  # 7
        "Supplier,Date,Amount\n"  # 8
        "B,01/02/2024,5.00\n"  # 9
        "Page 2 of 2,,\n"  # 10 rejected: no header follows
        "C,02/02/2024,1.00\n"  # 11
    )
    df, r = load_spend_file(write(tmp_path, text))
    assert df["source_line"].tolist() == [2, 9, 11] and r.net_total == 16.0
    assert reasons(r) == {
        3: "no amount: 1 field of text (the header has 3)",
        10: "no amount",
    }
    assert structure(r) == {
        5: "title line: a title above a repeated header: 'Payments over £500'",
        6: "title line: a title above a repeated header: 'February 2024'",
        8: "repeated header: the header row again",
    }
    assert r.structure == {"blank_lines": 2, "repeated_headers": 1, "title_lines": 2, "total_rows": 0}
    assert (r.rows_loaded, r.rows_rejected, r.structure_lines, r.lines_below_header) == (3, 2, 5, 10)
    assert accounted(r)


def test_cp1252_pound_signs(tmp_path):
    text = (
        "Council spend over £500\r\nSupplier Name,Payment Date,Amount (£)\r\n"
        "Café Ltd,01/04/2023,£1,000.00\r\n"
    )
    text = text.replace("£1,000.00", '"£1,000.00"')
    df, r = load_spend_file(write(tmp_path, text, encoding="cp1252"))
    assert (
        r.encoding == "cp1252"
        and df["amount"].tolist() == [1000.0]
        and df["supplier_name"].tolist() == ["Café Ltd"]
    )
    assert r.columns["amount"] == "Amount (£)"


@pytest.mark.parametrize("prefix, encoding", [("\ufeff", "utf-8-sig"), ("ï»¿", "utf-8")])
def test_bom_and_garbled_bom(tmp_path, prefix, encoding):
    df, r = load_spend_file(
        write(
            tmp_path,
            f"{prefix}Body Name,Supplier Name,Invoice Payment Date,Net Amount\nM,X Ltd,2022-05-03,9.99\n",
        )
    )
    assert (
        r.encoding == encoding and r.columns["body"].endswith("Body Name") and df["amount"].tolist() == [9.99]
    )


def test_the_usable_date_column_when_several(tmp_path):
    text = "Supplier,Payment Date,Invoice Date,Amount\nA,,01/01/2024,10.00\nB,,02/01/2024,5.00\n"
    df, r = load_spend_file(write(tmp_path, text))
    assert r.columns["payment_date"] == "Invoice Date" and r.rows_loaded == 2
    text = "Supplier,Invoice Date,Payment Date,Amount\nA,01/01/2024,05/01/2024,10.00\n"
    df, r = load_spend_file(write(tmp_path, text, "b.csv"))
    assert r.columns["payment_date"] == "Payment Date" and str(df["payment_date"][0].date()) == "2024-01-05"


def test_quoted_newline_keeps_lines(tmp_path):
    text = (
        'Supplier,Date,Amount,Note\nA,01/01/2024,10.00,"two\nlines"\nB,02/01/2024,5.00,x\n,,\nC,bad,1.00,y\n'
    )
    df, r = load_spend_file(write(tmp_path, text))
    assert df["source_line"].tolist() == [2, 4] and reasons(r) == {6: "date 'bad' not recognised"}
    assert r.blank_lines == 1


def test_rows_of_another_width(tmp_path):
    text = (
        "Supplier,Date,Amount,,\nA,01/01/2024,10.00,,\nB,02/01/2024,5.00\nC,03/01/2024,1.00,,,\n"
        "D,04/01/2024,2.00,,,x\nE,05/01/2024\n"
    )
    df, r = load_spend_file(write(tmp_path, text))
    assert df["supplier_name"].tolist() == [
        "A",
        "B",
        "C",
    ]  # unnamed trailing columns may be missing or extra blanks
    got = reasons(r)
    assert set(got) == {5, 6} and got[5].startswith("6 fields where the header has 5")


def test_fused_fields_repaired_and_listed(tmp_path):
    text = (
        "Body,Department,Supplier Name,Invoice Creation Date,Invoice Nett Amount,Subj Description\n"
        "Lambeth,Adults,A Ltd,08/06/2012,1534.24,CARE\n"
        "Lambeth,Children,A A GuestHouses,25/06/2012900,PRIVATE RESIDENTIAL CARE\n"
        "Lambeth,Children,Catch2212/06/2012,8755.20,SUPPORTED HOUSING\n"
        "Lambeth,Children,Broken Ltd,PRIVATE RESIDENTIAL CARE\n"
        "Total,,,,11189.44,\n"
    )
    df, r = load_spend_file(write(tmp_path, text))
    assert df["supplier_name"].tolist() == ["A Ltd", "A A GuestHouses", "Catch22"]
    assert df["amount"].tolist() == [1534.24, 900.0, 8755.20]
    assert r.rows_repaired == 2 and [x.line for x in r.repairs] == [3, 4]
    assert reasons(r)[5].startswith("4 fields where the header has 6")
    assert r.declared_total == 11189.44 and r.reconciled is True
    assert (r.rows_loaded, r.rows_rejected, r.structure_lines, r.lines_below_header) == (3, 1, 1, 5)
    assert accounted(r)


def test_no_date_column_loads_undated_rows(tmp_path):
    df, r = load_spend_file(write(tmp_path, "Supplier Name,Amount\nA,1.00\n,2.00\nGrand Total,1.00\n"))
    assert r.rows_loaded == 1 and r.undated_rows == 1 and df["payment_date"].isna().all()
    assert "no payment dates" in r.layout and r.reconciled is True
    assert (
        reasons(r)[3]
        == "amount 2.00 alone on its row (no supplier or date), and not a total of the rows above"
    )


@pytest.mark.parametrize("reader", ["calamine", "openpyxl"])
def test_excel_dates_serials_and_title_rows(tmp_path, monkeypatch, reader):
    openpyxl = pytest.importorskip("openpyxl")
    if reader == "openpyxl":  # the fallback when python-calamine is not installed
        monkeypatch.setitem(sys.modules, "python_calamine", None)
    else:
        pytest.importorskip("python_calamine")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["City of London Corporation: expenditure over £500"])
    ws.append([])
    ws.append(["Organisation Name", "Expense Type", "Date", "Transaction Number", "Amount", "Supplier Name"])
    ws.append(["City", "Works", dt.datetime(2023, 4, 1), 1001, 1234.5, "Acme Ltd"])
    ws.append(["City", "Works", 45018, 1002, -20.0, "Acme Ltd"])  # an Excel serial left as a number
    ws.append(["City", "Works", "03/04/2023", 1003, "£5.00", "Redacted under DP Act"])
    ws.append(["Total", None, None, None, 1219.5, None])
    path = tmp_path / "city.xlsx"
    wb.save(path)
    df, r = load_spend_file(path)
    assert df["source_line"].tolist() == [4, 5, 6] and r.header_line == 3
    assert df["payment_date"].dt.strftime("%Y-%m-%d").tolist() == ["2023-04-01", "2023-04-02", "2023-04-03"]
    assert df["amount"].tolist() == [1234.5, -20.0, 5.0] and df["transaction_id"].tolist() == [
        "1001",
        "1002",
        "1003",
    ]
    assert df["redacted"].tolist() == [False, False, True]
    assert r.declared_total == 1219.5 and r.reconciled is True and r.encoding == "xlsx"
    assert [(s.name, s.read, s.header_line, s.rows_loaded) for s in r.sheets] == [("Sheet", True, 3, 3)]
    assert r.structure_rows[0].sheet == "Sheet" and r.lines_below_header == 4 and accounted(r)


@pytest.mark.parametrize(
    "value, text",
    [
        ("Acme Ltd", "Acme Ltd"),
        (1234.0, "1234"),
        (-20.0, "-20"),
        (0.1 + 0.2, "0.30000000000000004"),
        (1e16, "1e+16"),
        (float("nan"), "nan"),
        (None, ""),
        (1002, "1002"),
        (True, "True"),
        (dt.date(2023, 4, 1), "2023-04-01"),
        (dt.datetime(2023, 4, 1, 9, 30), "2023-04-01 09:30:00"),
    ],
)
def test_excel_cell_text_is_what_a_csv_export_holds(value, text):
    from anchorlib.data.ingest.reader import cell_text

    assert cell_text(value) == text


@pytest.mark.parametrize("header", [True, False])
def test_reading_a_workbook_leaves_the_garbage_collector_as_it_was(tmp_path, header):
    """read_excel pauses the collector while it builds a list per row (anchorlib/collector.py), then
    puts it back: on, or off when the caller had turned it off, after a good sheet or one with no header."""
    import gc

    openpyxl = pytest.importorskip("openpyxl")
    path = tmp_path / "city.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["Date", "Amount", "Supplier Name"] if header else ["Some", "Words"])
    wb.active.append([dt.datetime(2023, 4, 1), 10.0, "Acme Ltd"])
    wb.save(path)
    for enabled in (True, False):
        (gc.enable if enabled else gc.disable)()
        try:
            try:
                assert load_spend_file(path)[1].rows_loaded == 1
            except SpendFileError as err:
                assert not header and "no header row found" in str(err)
            assert gc.isenabled() is enabled
        finally:
            gc.enable()


def test_collector_pause_survives_an_error_and_freezes_only_when_asked():
    import gc

    from anchorlib import collector

    gc.unfreeze()
    try:
        with pytest.raises(ValueError), collector.paused():
            assert not gc.isenabled()
            raise ValueError("inside")
        assert gc.isenabled() and gc.get_freeze_count() == 0
        keep = [[i] for i in range(1000)]  # containers alive at the end of the block
        with collector.paused(freeze=True):
            pass
        assert gc.isenabled() and gc.get_freeze_count() >= len(keep)
    finally:
        gc.unfreeze()


@pytest.mark.parametrize(
    "content, name, problem",
    [
        (b"\x00\x01\x02PK", "x.csv", "binary content"),
        (b"just,some\nwords,here\n", "x.csv", "no header row found"),
        (b"", "x.csv", "empty file"),
        (b"%PDF-1.4", "x.pdf", "unsupported file type"),
        (b"not a zip", "x.xlsx", "cannot open as an Excel workbook"),
        # a UTF-16 byte order mark, then an odd number of bytes (found by the damaged-files property test)
        (b"\xfe\xffount,Supplier Name,Payment Date\r\n", "x.csv", "starts with a UTF-16 byte order mark"),
        ("Supplier,Amount\n".encode("utf-16")[:-1], "x.csv", "not UTF-16 text (truncated data at byte"),
    ],
)
def test_unreadable_files_raise_one_line_naming_the_file(tmp_path, content, name, problem):
    p = tmp_path / name
    p.write_bytes(content)
    with pytest.raises(SpendFileError) as exc:
        load_spend_file(p)
    msg = str(exc.value)
    assert msg.startswith(str(p)) and problem in msg and "\n" not in msg


def test_missing_file(tmp_path):
    with pytest.raises(SpendFileError, match="cannot read file"):
        load_spend_file(tmp_path / "absent.csv")


def test_semicolon_delimited(tmp_path):
    df, r = load_spend_file(write(tmp_path, "Supplier;Date;Amount\nA;01/01/2024;1234.50\n"))
    assert (
        df["amount"].tolist() == [1234.5] and df["supplier_name"].tolist() == ["A"] and r.rows_rejected == 0
    )
