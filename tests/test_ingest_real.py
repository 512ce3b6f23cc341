"""Every real spend file in ../shared/real/spend loads, every line below its header is accounted for
(loaded + rejected + structure = the lines a csv-module count finds), and the totals the files declare
reconcile (issues #3, #20). Skips when ../shared/real is absent."""

from __future__ import annotations

import csv
import math

import pytest

from anchorlib.data.ingest import load_spend_file

pytestmark = pytest.mark.real

# File -> 1-based line of its header (from ../shared/real/PROVENANCE.md), and what it declares.
FILES = {
    "cabinetoffice_2022-07_over25k_clean.csv": 1,
    "calderdale_2022-08_clean.csv": 1,
    "devon_DCCSpendingOver500_201101.csv": 1,
    "devon_DCCSpendingOver500_202403.csv": 1,
    "devon_DCCSpendingOver500_202603.csv": 1,
    "gla_2008-2013_consolidated.csv": 1,
    "gla_2016-P03_clean.csv": 1,
    "lambeth_2011-07_payments_by_supplier.csv": 2,
    "lambeth_2012-06_payments_transactions.csv": 10,
    "leeds_raw_2011-09.csv": 1,
    "manchester_2022-05_clean.csv": 1,
    "tfl_2023-P05_clean.csv": 1,
}
DECLARED = {
    "lambeth_2012-06_payments_transactions.csv": 40_292_334.84,
    "devon_DCCSpendingOver500_202603.csv": 57_492_900.67,
    "lambeth_2011-07_payments_by_supplier.csv": 36_508_441.64,
}
# File -> its structure lines by kind, where it has any (every other file has none). No real file
# rejects a line: each line below the header is a payment or structure.
STRUCTURE = {
    "devon_DCCSpendingOver500_202603.csv": {"total_rows": 1},
    "lambeth_2011-07_payments_by_supplier.csv": {"total_rows": 1},
    "lambeth_2012-06_payments_transactions.csv": {"blank_lines": 5, "total_rows": 1},
    "leeds_raw_2011-09.csv": {"blank_lines": 55_936},
}
PAD = " \t\r\n\u00a0\u2020"


def count_lines(path, header_line: int) -> tuple[int, int]:
    """(data records, blank records) below the header, counted with the csv module alone."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        records = list(csv.reader(f))
    data = blank = 0
    for rec in records[header_line:]:  # no file here has a quoted newline above its header
        if any(c.strip(PAD) for c in rec):
            data += 1
        else:
            blank += 1
    return data, blank


@pytest.fixture(scope="module")
def loaded(real_dir):
    spend = real_dir / "spend"
    assert sorted(p.name for p in spend.glob("*.csv")) == sorted(FILES)
    return {name: (spend / name, *load_spend_file(spend / name)) for name in FILES}


@pytest.mark.parametrize("name", sorted(FILES))
def test_every_line_loaded_rejected_or_structure(loaded, name):
    path, df, r = loaded[name]
    data, blank = count_lines(path, FILES[name])
    assert r.header_line == FILES[name]
    # the identity: every line below the header is loaded, rejected or structure, and nothing else
    assert r.lines_below_header == data + blank
    assert r.rows_loaded + r.rows_rejected + r.structure_lines == data + blank and r.unaccounted == 0
    assert r.blank_lines == r.structure["blank_lines"] == blank
    assert r.rows_rejected == len(r.rejections) == 0
    assert r.structure == {"blank_lines": 0, "repeated_headers": 0, "title_lines": 0, "total_rows": 0} | (
        STRUCTURE.get(name, {})
    )
    assert len(r.structure_rows) == r.structure_lines - blank  # every structure line but the blank listed
    assert r.sheets == []
    assert len(df) == r.rows_loaded and df["source_line"].is_unique
    other = {x.line for x in r.rejections} | {x.line for x in r.structure_rows}
    assert not other & set(df["source_line"])
    assert math.isclose(df["amount"].sum(), r.net_total, abs_tol=0.005)


@pytest.mark.parametrize("name", sorted(FILES))
def test_declared_totals_and_no_false_ones(loaded, name):
    _, _, r = loaded[name]
    if name in DECLARED:
        assert r.declared_total == pytest.approx(DECLARED[name], abs=0.005)
        assert r.reconciled is True
        assert r.net_total == pytest.approx(DECLARED[name], abs=0.01)
    else:
        assert r.declared_total is None and r.reconciled is None


def test_lambeth_2012_06_fused_rows_repaired(loaded):
    _, df, r = loaded["lambeth_2012-06_payments_transactions.csv"]
    assert (r.rows_loaded, r.rows_repaired, r.blank_lines, r.rows_rejected) == (3155, 639, 5, 0)
    assert [(x.line, x.kind, x.note) for x in r.structure_rows] == [
        (3167, "total row", "total row: declares £40,292,334.84")
    ]
    assert len(r.repairs) == 639 and r.repairs[0].line == 19
    by_line = df.set_index("source_line")
    assert by_line.loc[19, ["supplier_name", "amount"]].tolist() == ["A A GuestHouses", 900.0]
    assert str(by_line.loc[19, "payment_date"].date()) == "2012-06-25"
    assert by_line.loc[441, ["supplier_name", "amount"]].tolist() == ["Catch22", 8755.20]
    assert by_line.loc[1382, ["supplier_name", "amount"]].tolist() == [
        "Inter High Education/Academy21",
        740.0,
    ]
    assert str(by_line.loc[1382, "payment_date"].date()) == "2012-05-29"
    assert df["payment_date"].notna().all()


def test_lambeth_pivot_is_a_dateless_per_supplier_layout(loaded):
    _, df, r = loaded["lambeth_2011-07_payments_by_supplier.csv"]
    assert r.layout == "per-supplier aggregate (pivot table of 'Invoice Nett Amount'; no payment dates)"
    assert r.rows_loaded == 1043 and r.undated_rows == 1043 and df["payment_date"].isna().all()
    assert df.iloc[0][["supplier_name", "amount"]].tolist() == [
        "198 Contemporary Arts & Learning Ltd",
        16484.0,
    ]
    assert [(x.line, x.kind) for x in r.structure_rows] == [(1046, "total row")] and not r.rejections


def test_devon_2026_03_unlabelled_total(loaded):
    _, _, r = loaded["devon_DCCSpendingOver500_202603.csv"]
    assert r.rows_loaded == 3545
    assert [(x.line, x.note) for x in r.structure_rows] == [
        (3547, "unlabelled total row (equals the rows above): declares £57,492,900.67")
    ]
    assert not r.rejections
    assert r.columns["amount"] == "Amount"  # published as " Amount " (padded)


def test_leeds_trailing_empty_rows_counted_not_listed(loaded):
    _, df, r = loaded["leeds_raw_2011-09.csv"]
    assert (r.rows_loaded, r.rows_rejected, r.blank_lines) == (9569, 0, 55936)
    assert df["source_line"].max() < 9569 + 2  # the 55,936 empty rows come after the payments
    assert r.columns["payment_date"] == "Date paid" and r.columns["amount"] == "Net amount"


def test_manchester_garbled_bom_and_devon_bom(loaded):
    assert loaded["manchester_2022-05_clean.csv"][2].columns["body"] == "ï»¿Body Name"
    assert loaded["devon_DCCSpendingOver500_202403.csv"][2].encoding == "utf-8-sig"
    assert str(loaded["devon_DCCSpendingOver500_202403.csv"][1]["payment_date"].min().date()) == "2024-03-01"
