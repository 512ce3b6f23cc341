"""Cell parsing and header mapping, on hand-written cells (anchorlib/data/ingest/values.py, headers.py,
repair.py)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anchorlib.data.ingest.headers import find_header, map_header, normalise_header, role_candidates
from anchorlib.data.ingest.repair import repair_fused
from anchorlib.data.ingest.values import date_shape, is_redacted, null_where, parse_amounts, parse_dates


@pytest.mark.parametrize(
    "cell, expected",
    [
        ("1234.50", 1234.50),
        ("£1,234.50", 1234.50),
        (" 57,492,900.67 ", 57492900.67),
        ('"2,142.73"', np.nan),
        ("(250.00)", -250.0),
        ("250.00-", -250.0),
        ("250.00 CR", -250.0),
        ("250.00cr", -250.0),
        ("-£12", -12.0),
        ("£-12", -12.0),
        ("- 5", -5.0),
        ("GBP 12.5", 12.5),
        ("£ 3.50", 3.5),
        (".5", 0.5),
        ("5.", 5.0),
        ("1.2E+07", 12_000_000.0),
        ("1234.5", 1234.5),
        ("\u2020 40,292,334.84 \u2020", 40292334.84),
        ("\u00a0900\u00a0", 900.0),
        ("", np.nan),
        ("   ", np.nan),
        ("PRIVATE RESIDENTIAL CARE", np.nan),
        ("1.2.3", np.nan),
        ("inf", np.nan),
        ("nan", np.nan),
        ("Net Amount", np.nan),
        ("12/06/2012", np.nan),
    ],
)
def test_parse_amounts(cell, expected):
    got = parse_amounts([cell])[0]
    if np.isnan(expected):
        assert np.isnan(got)
    else:
        assert got == pytest.approx(expected, abs=1e-9)


def test_parse_amounts_mixed_column_keeps_each_cell():
    # a column with one odd cell takes the validating path for that cell only
    got = parse_amounts(["£1,000.00", "(2.50)", "GBP 3", "junk", "", "4"])
    assert got[:3].tolist() == [1000.0, -2.5, 3.0]
    assert np.isnan(got[3]) and np.isnan(got[4])
    assert got[5] == 4.0
    assert np.nansum(got) == pytest.approx(1004.5)


def test_parse_amounts_plain_column_over_chunks_and_slices():
    # every cell plain: the buffer path, also for a sliced chunk and string (not large_string) offsets
    cells = ["£1,234.50", "(12.00)", "-£12", "", "£", "7", "£1,000,000"]
    chunked = pa.chunked_array(
        [pa.array(["x"] + cells[:4], pa.large_string()).slice(1), pa.array(cells[4:], pa.large_string())]
    )
    for col in (chunked, pa.array(cells, pa.string())):
        got = parse_amounts(col)
        assert got[[0, 1, 2, 5, 6]].tolist() == [1234.5, -12.0, -12.0, 7.0, 1_000_000.0]
        assert np.isnan(got[3]) and np.isnan(got[4])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="0123456789.,()-+ £\u00a0\u2020aEe", max_size=8), min_size=1, max_size=20))
def test_parse_amounts_column_agrees_with_each_cell_alone(cells):
    # a column parsed at once (buffer path when all its cells are plain) gives what each cell gives
    # on the general path (forced by a cell that is not plain)
    alone = [parse_amounts([c, "junk"])[0] for c in cells]
    np.testing.assert_array_equal(parse_amounts(cells), np.array(alone))


@pytest.mark.parametrize(
    "cell, expected",
    [
        ("25/06/2012", "2012-06-25"),
        ("01/04/23", "2023-04-01"),
        ("2024-03-01", "2024-03-01"),
        ("2024-03-01 00:00:00", "2024-03-01"),
        ("2024-03-01T13:45:00", "2024-03-01"),
        ("01-Apr-2023", "2023-04-01"),
        ("1-Apr-23", "2023-04-01"),
        ("45017", "2023-04-01"),
        ("45017.0", "2023-04-01"),
        (" 31/03/2026 ", "2026-03-31"),
    ],
)
def test_parse_dates(cell, expected):
    assert str(parse_dates([cell])[0])[:10] == expected


@pytest.mark.parametrize(
    "cell", ["", "32/01/2023", "Payment Date", "12345", "25/06/2012900", "01/01/1000", "31/12/9999"]
)
def test_parse_dates_unreadable_is_nat(cell):
    assert np.isnat(parse_dates([cell])[0])


def test_parse_dates_many_rows_parse_each_distinct_text_once():
    got = parse_dates(["01/02/2023"] * 3 + ["", "2023-02-01"])
    assert [str(d)[:10] for d in got] == ["2023-02-01"] * 3 + ["NaT", "2023-02-01"]


@pytest.mark.parametrize(
    "name, redacted",
    [
        ("REDACTED PERSONAL DATA", True),
        ("Redacted under DP Act", True),
        ("REDACTED UNDER DP ACT", True),
        ("Redacted Personal Information", True),
        ("Personal Data", True),
        ("** Withheld", True),
        ("Catch22", False),
        ("Dataprot Ltd", False),
        ("Hackney CVS", False),
        ("", False),
    ],
)
def test_is_redacted(name, redacted):
    assert bool(is_redacted([name])[0]) is redacted


@pytest.mark.parametrize(
    "header, role",
    [
        ("Amount", "amount"),
        (" Amount ", "amount"),
        ("Net Amount", "amount"),
        ("Invoice Nett Amount", "amount"),
        ("Value (£)", "amount"),
        ("Amount (£)", "amount"),
        ("\ufeffAmount", "amount"),
        ("ï»¿Body Name", "body"),
        ("Supplier Name", "supplier_name"),
        ("Supplier(Beneficiary) Name", "supplier_name"),
        ("Vendor Name", "supplier_name"),
        ("Payee", "supplier_name"),
        ("Supplier", "supplier_name"),
        ("Payment Date", "payment_date"),
        ("Date Paid", "payment_date"),
        ("Clearing Date", "payment_date"),
        ("Invoice Payment Date", "payment_date"),
        ("Date", "payment_date"),
        ("Expenses Type", "expense_type"),
        ("Service divison label", "expense_area"),
    ],
)
def test_header_aliases(header, role):
    assert map_header([header]) == {role: 0}


def test_normalise_header():
    assert normalise_header("ï»¿ Value (£) ") == "value"
    assert normalise_header("Supplier(Beneficiary) Name") == "supplier beneficiary name"


def test_header_found_below_title_lines():
    rows = [
        ["Lambeth Invoices Over Specified Nett Amount", ""],
        ["Report Date: 02/07/2012"],
        [],
        ["Body", "Department", "Supplier Name", "Invoice Creation Date", "Invoice Nett Amount"],
        ["Lambeth", "x", "y", "01/06/2012", "1"],
    ]
    m = find_header(rows)
    assert m.index == 3 and m.pivot_of is None
    assert m.mapping == {"body": 0, "expense_area": 1, "supplier_name": 2, "payment_date": 3, "amount": 4}


def test_several_date_columns_best_alias_first():
    cells = ["Invoice Date", "Supplier", "Payment Date", "Amount", "Date"]
    assert role_candidates(cells, "payment_date") == [2, 4, 0]
    assert map_header(cells)["payment_date"] == 2


def test_pivot_header_over_two_lines():
    m = find_header(
        [["Sum of Invoice Nett Amount", ""], ["Supplier Name", " Total"], ["2 Pump Court", "1100.00"]]
    )
    assert (m.index, m.mapping, m.pivot_of) == (1, {"supplier_name": 0, "amount": 1}, "Invoice Nett Amount")
    assert find_header([["Sum of Colour", ""], ["Supplier Name", "Total"]]) is None  # not an amount field


def test_no_header():
    assert find_header([["a", "b"], ["1", "2"]]) is None


def test_date_shape():
    assert date_shape(["25/06/2012", "01/06/2012"], [99, 1]) == "99/99/9999"
    assert date_shape(["1/6/2012", "25/06/2012"]) is None  # not one fixed shape: no repair


def test_repair_fused_lambeth_rows():
    n, amount, date = 6, 4, 3
    rows = [
        (19, ["Lambeth", "CYPS", "A A GuestHouses", "25/06/2012900", "PRIVATE RESIDENTIAL CARE"]),
        (441, ["Lambeth", "CYPS", "Catch2212/06/2012", "8755.20", "SUPPORTED HOUSING - PRIVATE"]),
        (
            1382,
            [
                "Lambeth",
                "CYPS",
                "Inter High Education/Academy2129/05/2012740",
                "PROFESSIONAL FEES AND CHARGES",
            ],
        ),
        (7, ["Lambeth", "CYPS", "Some Ltd", "no date here", "GRANTS"]),
    ]
    repaired, left = repair_fused(rows, n, amount, date, "99/99/9999")
    got = {r.line: r.cells for r in repaired}
    assert got[19] == ["Lambeth", "CYPS", "A A GuestHouses", "25/06/2012", "900", "PRIVATE RESIDENTIAL CARE"]
    assert got[441] == ["Lambeth", "CYPS", "Catch22", "12/06/2012", "8755.20", "SUPPORTED HOUSING - PRIVATE"]
    assert got[1382] == [
        "Lambeth",
        "CYPS",
        "Inter High Education/Academy21",
        "29/05/2012",
        "740",
        "PROFESSIONAL FEES AND CHARGES",
    ]
    assert [line for line, _ in left] == [7]
    assert "'25/06/2012900' split into '25/06/2012' | '900'" in next(r.note for r in repaired if r.line == 19)


def test_repair_needs_the_date_in_the_date_column_and_a_number_in_the_amount():
    rows = [
        (5, ["L", "D", "Sup", "10.00", "25/06/2012X"]),  # the date would land in the wrong column
        (6, ["L", "D", "Sup", "25/06/2012abc", "X"]),  # the amount would be 'abc'
        (7, ["L", "D", "25/06/2012900"]),
    ]  # three fields short: not a fused pair
    repaired, left = repair_fused(rows, 6, 4, 3, "99/99/9999")
    assert repaired == [] and [line for line, _ in left] == [5, 6, 7]


def test_null_where_over_sliced_chunks_keeps_existing_nulls():
    a = pa.array(["a", "b", None, "d", "e", "f"], pa.large_string())
    col = pa.chunked_array([a.slice(2), a.slice(0, 2)])  # [None, d, e, f] + [a, b]
    got = null_where(col, np.array([False, True, False, False, False, True]))
    assert got.to_pylist() == [None, None, "e", "f", "a", None]
    assert null_where(a, np.zeros(6, bool)).to_pylist() == a.to_pylist()
