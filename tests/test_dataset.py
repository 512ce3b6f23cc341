"""The dataset folder contract: validated tables and one-line errors naming the file."""

from __future__ import annotations

import pytest

from anchorlib import DatasetError, ParameterError, open_anchor, open_dataset
from tests.builders import supplier, tiny_dataset


def _ds(tmp_path, **kw):
    kw.setdefault("suppliers", [supplier("Acme Ltd", "E8 1AA")])
    kw.setdefault("spend", {"a1": [("Cleaning", "01/05/2023", "100.00", "Acme Ltd")]})
    return tiny_dataset(tmp_path, **kw)


def test_normalised_spend_columns(tmp_path):
    ds = open_dataset(_ds(tmp_path))
    assert list(ds.spend.columns) == [
        "anchor_id",
        "payment_date",
        "amount",
        "supplier_name",
        "expense_type",
        "expense_area",
        "transaction_id",
        "supplier_postcode",
        "redacted",
        "source_file",
        "source_line",
    ]
    row = ds.spend.iloc[0]
    assert (row.anchor_id, row.amount, row.supplier_name, row.source_file, row.source_line) == (
        "a1",
        100.0,
        "Acme Ltd",
        "spend/a1/spend.csv",
        2,
    )
    assert str(row.payment_date.date()) == "2023-05-01"


@pytest.mark.parametrize(
    "missing", ["anchors.csv", "suppliers.csv", "geography/postcodes.csv", "geography/imd.csv"]
)
def test_missing_required_file_is_one_line_naming_it(tmp_path, missing):
    root = _ds(tmp_path)
    (root / missing).unlink()
    with pytest.raises(DatasetError) as err:
        open_dataset(root)
    msg = str(err.value)
    assert "\n" not in msg and missing in msg and "missing" in msg


def test_missing_column_names_file_and_column(tmp_path):
    root = _ds(tmp_path)
    (root / "anchors.csv").write_text("anchor_id,name,kind\na1,A,council\n")
    with pytest.raises(DatasetError, match=r"anchors.csv: missing column\(s\) home_lads"):
        open_dataset(root)


def test_bad_flag_value_names_file_line_and_column(tmp_path):
    root = _ds(
        tmp_path, suppliers=[supplier("Acme Ltd", "E8 1AA"), supplier("Beta Ltd", "E8 1AA", sme="maybe")]
    )
    with pytest.raises(DatasetError, match=r"suppliers.csv:3: column is_sme: 'maybe'"):
        open_dataset(root)


def test_anchor_without_spend_folder(tmp_path):
    root = _ds(tmp_path, anchors=[["a1", "A", "council", "E09000012"], ["a2", "B", "council", "E09000001"]])
    with pytest.raises(DatasetError, match=r"spend/a2/: no spend folder for anchor 'a2'"):
        open_dataset(root)


def test_unknown_anchor_lists_the_known_ones(tmp_path):
    with pytest.raises(ParameterError, match=r"unknown anchor 'nope'; this dataset has: a1"):
        open_anchor(_ds(tmp_path), "nope")


def test_unknown_area(tmp_path):
    ds = open_dataset(_ds(tmp_path))
    with pytest.raises(ParameterError, match="unknown area 'mars'"):
        ds.area("mars", "a1")
    assert ds.area("home", "a1").lads == frozenset({"E09000012"})


def test_load_report_frame_accounts_for_every_row_of_the_sample(sample_ds):
    """Per file: loaded rows sum to the spend table; Hackney's CSVs each count their repeated header, total
    row and blank line as structure, reject nothing and reconcile to the total they declare; the City's
    workbooks read their one sheet."""
    f = sample_ds.load_report_frame()
    assert {"rows_repaired", "undated_rows", "blank_lines", "structure_lines", "reconciled"} <= set(f.columns)
    assert f["rows_loaded"].sum() == len(sample_ds.spend)
    hackney = f[f["anchor_id"] == "hackney"]
    assert hackney["rows_rejected"].tolist() == [0, 0, 0] and hackney["blank_lines"].tolist() == [1, 1, 1]
    assert hackney["structure_lines"].tolist() == [3, 3, 3] and hackney["total_rows"].tolist() == [1, 1, 1]
    assert hackney["sheets_read"].tolist() == ["", "", ""]
    city = f[f["anchor_id"] == "city_of_london"]
    assert (
        city["sheets_read"].tolist() == ["Spend over £500"] * 3
        and city["sheets_skipped"].tolist() == [""] * 3
    )
    assert hackney["reconciled"].tolist() == [True, True, True]
    assert (hackney["net_total"] == hackney["declared_total"].round(2)).all()
