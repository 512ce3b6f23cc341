"""`anchorlib validate FILE... [--json]` through typer's CliRunner."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from anchorlib.cli import app

KEYS = {
    "file",
    "layout",
    "rows_loaded",
    "rows_rejected",
    "net_total",
    "declared_total",
    "reconciled",
    "rejections",
}


def validate(*args):
    return CliRunner().invoke(app, ["validate", *map(str, args)])


def test_json_per_file_with_lines_and_reasons(tmp_path):
    a = tmp_path / "a.csv"
    a.write_text("Supplier,Date,Amount\nA,01/01/2024,10.00\nB,bad,5.00\nTotal,,10.00\n")
    b = tmp_path / "b.csv"
    b.write_text("Payee,Date Paid,Value (£)\nC,2024-01-02,£1,\n")  # unquoted '£1,' leaves a blank extra field
    r = validate(a, b, "--json")
    assert r.exit_code == 0, r.output
    ra, rb = json.loads(r.stdout)
    assert KEYS <= set(ra)
    assert (ra["file"], ra["rows_loaded"], ra["rows_rejected"], ra["net_total"]) == (str(a), 1, 1, 10.0)
    assert ra["declared_total"] == 10.0 and ra["reconciled"] is True
    assert ra["rejections"] == [{"line": 3, "reason": "date 'bad' not recognised"}]  # no 'sheet' in a CSV
    assert ra["structure_lines"] == 1 and ra["lines_below_header"] == 3 and ra["sheets"] == []
    assert ra["structure"] == {"blank_lines": 0, "repeated_headers": 0, "title_lines": 0, "total_rows": 1}
    assert ra["structure_rows"] == [{"line": 4, "kind": "total row", "note": "total row: declares £10.00"}]
    assert (rb["rows_loaded"], rb["declared_total"], rb["reconciled"], rb["rejections"]) == (
        1,
        None,
        None,
        [],
    )


@pytest.mark.parametrize(
    "content, problem",
    [
        (b"nothing,to,see\n1,2,3\n", "no header row found"),
        (b"\x00\x00\x00binary", "binary content"),
    ],
)
def test_unrecognisable_file_exits_2_with_one_line(tmp_path, content, problem):
    good = tmp_path / "good.csv"
    good.write_text("Supplier,Date,Amount\nA,01/01/2024,10.00\n")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    r = validate(good, bad, "--json")
    assert r.exit_code == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and str(bad) in lines[0] and problem in lines[0] and "Traceback" not in r.output


def test_missing_file_exits_2(tmp_path):
    r = validate(tmp_path / "absent.csv")
    assert r.exit_code == 2 and "absent.csv" in r.stderr and "cannot read file" in r.stderr


@pytest.mark.real
def test_real_lambeth_repairs_reported(real_dir):
    f = real_dir / "spend" / "lambeth_2012-06_payments_transactions.csv"
    r = validate(f)
    assert r.exit_code == 0
    assert (
        "3,155 rows loaded (639 repaired), 0 rejected, 6 structure (5 blank, 1 total row)" in r.stdout
        and "reconciles to £40,292,334.84" in r.stdout
    )
    assert "repaired 639 lines whose fields the export had fused: 19, 20, 21" in r.stdout
    js = json.loads(validate(f, "--json").stdout)[0]
    assert js["rows_repaired"] == 639 and js["repairs"][0] == {
        "line": 19,
        "repair": "'25/06/2012900' split into '25/06/2012' | '900'",
    }
