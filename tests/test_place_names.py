"""Names, not codes: the shipped ONS lookup, a dataset's own names (geography/names.csv, its postcode
directory's name columns), the one label ('Newham (E09000025)') and the areas described by name."""

from __future__ import annotations

import csv
import subprocess
import sys

import pandas as pd
import pytest

from anchorlib import DatasetError, metrics, open_dataset
from anchorlib.data import names as nm
from anchorlib.data.places import BUILTIN_AREAS
from anchorlib.formatting import place
from anchorlib.paths import PROJECT_DIR
from tests.builders import POSTCODE_HEADER, supplier, tiny_dataset, write_csv


def test_the_label_is_name_then_code():
    assert place("Newham", "E09000025") == "Newham (E09000025)"
    assert place(None, "E09000025") == "E09000025"  # nothing names it: the code alone
    assert place(float("nan"), "E09000025") == "E09000025" and place(pd.NA, pd.NA) == "unknown location"
    assert place("Hackney", None) == "Hackney" and place("E09000025", "E09000025") == "E09000025"


def test_the_shipped_lookup_states_its_source_and_licence_and_names_what_the_sample_shows():
    head = [line for line in nm.SHIPPED.read_text(encoding="utf-8").splitlines() if line.startswith("#")]
    text = " ".join(head)
    assert "Office for National Statistics" in text and "Open Government Licence v3.0" in text
    assert "scripts/build_place_names.py" in text
    n = nm.PlaceNames()
    assert n.label("E09000025") == "Newham (E09000025)"
    assert n.label("E09000001") == "City of London (E09000001)"
    assert n.name("E12000007") == "London" and n.name("E92000001") == "England"
    assert n.name("E06000060") == "Buckinghamshire"  # a 2023 district
    assert n.name("E07000004") == "Aylesbury Vale"  # merged away in 2020, still named for old files
    assert n.name("W06000015") == "Cardiff" and n.name("S12000036") == "City of Edinburgh"
    assert n.label("E09999999") == "E09999999" and n.name(None) is None
    # every district, region and country code the committed sample locates a supplier in has a name
    sample = pd.read_csv(PROJECT_DIR / "data" / "sample" / "geography" / "postcodes.csv", dtype=str)
    codes = set(sample["laua"]) | set(sample["rgn"]) | set(sample["ctry"])
    assert sorted(c for c in codes if n.name(c) is None) == []


def test_labels_of_a_series_and_areas_described_by_name():
    n = nm.PlaceNames({"E09000012": "Hackney (ours)"})
    got = n.labels(pd.Series(["E09000025", None, "E09000012", "X1"], dtype="string"))
    assert got.tolist() == ["Newham (E09000025)", "unknown location", "Hackney (ours) (E09000012)", "X1"]
    assert BUILTIN_AREAS["city_hackney"].describe() == (
        "City & Hackney: City of London (E09000001), Hackney (E09000012)"
    )
    assert BUILTIN_AREAS["london"].describe() == "London: the region London (E12000007)"
    assert BUILTIN_AREAS["uk"].describe() == "UK (any known UK location)"


@pytest.mark.parametrize(
    "dtype", ["string", "string[pyarrow]", object, "float64", "double[pyarrow]", "large_string[pyarrow]"]
)
def test_a_column_with_no_code_at_all_reads_unknown_location(dtype):
    # nothing located (published spend files and an empty register): the network app's shared suppliers
    # once failed here, an all-missing column mapping to doubles ('unknown location' not a double)
    n = nm.PlaceNames()
    codes = pd.Series([None, None], dtype=dtype, index=[5, 9])
    got = n.labels(codes)
    assert got.tolist() == ["unknown location"] * 2 and got.index.tolist() == [5, 9]
    assert n.shown(codes).tolist() == ["unknown location"] * 2
    assert n.names(codes).isna().all()
    assert n.labels(codes.iloc[:0]).tolist() == []


def _dataset(tmp_path, postcodes=None, header=POSTCODE_HEADER):
    root = tiny_dataset(
        tmp_path / "ds",
        anchors=[["a1", "Anchor One", "council", "E09000012;E06000099"]],
        suppliers=[supplier("Far Ltd", "M1 1AA"), supplier("Near Ltd", "E8 1AA")],
        spend={"a1": [("Goods", "2023-05-01", 100.0, "Far Ltd"), ("Goods", "2023-05-02", 50.0, "Near Ltd")]},
    )
    if postcodes is not None:
        write_csv(root / "geography" / "postcodes.csv", header, postcodes)
    return root


def test_a_dataset_names_its_own_codes_and_its_names_come_first(tmp_path, monkeypatch):
    monkeypatch.setenv("ANCHORLIB_CACHE", "0")
    header = ["pcds", "LAD23CD", "LAD23NM", "lsoa11", "RGN23CD", "RGN23NM"]
    root = _dataset(
        tmp_path,
        [
            ["E8 1AA", "E09000012", "Hackney", "E01900001", "E12000007", "London"],
            [
                "M1 1AA",
                "E08000003",
                "Manchester (from the directory)",
                "E01900005",
                "E12000002",
                "North West",
            ],
        ],
        header,
    )
    write_csv(root / "geography" / "names.csv", ["code", "name"], [["E06000099", "Pseudo Borough"]])
    ds = open_dataset(root)
    assert ds.place_names.label("E08000003") == "Manchester (from the directory) (E08000003)"
    assert ds.place_names.label("E06000099") == "Pseudo Borough (E06000099)"
    assert ds.place_names.label("E09000025") == "Newham (E09000025)"  # the shipped lookup underneath
    area = ds.area("home", "a1")
    assert area.describe() == "Anchor One home area: Hackney (E09000012), Pseudo Borough (E06000099)"
    p = metrics.select(ds, ["a1"])
    ls = metrics.local_share(p, area, ds.ruleset.name)
    assert ls.choices["area"] == area.describe()  # the figure names its area by name too
    # names.csv wins over the directory
    write_csv(root / "geography" / "names.csv", ["code", "name"], [["E08000003", "Manchester City"]])
    assert open_dataset(root).place_names.name("E08000003") == "Manchester City"


def test_names_csv_is_read_again_when_it_changes_under_the_cache(tmp_path):
    root = _dataset(tmp_path)
    write_csv(root / "geography" / "names.csv", ["code", "name"], [["E09000012", "Hackney One"]])
    assert open_dataset(root).place_names.name("E09000012") == "Hackney One"
    write_csv(root / "geography" / "names.csv", ["code", "name"], [["E09000012", "Hackney Two"]])
    assert open_dataset(root).place_names.name("E09000012") == "Hackney Two"
    (root / "geography" / "names.csv").unlink()
    assert open_dataset(root).place_names.name("E09000012") == "Hackney"


@pytest.mark.parametrize(
    "rows,message",
    [
        ([["E09000012", ""]], "geography/names.csv:2: name is blank"),
        ([["E09000012", "Hackney"], ["", "Nowhere"]], "geography/names.csv:3: code is blank"),
        (
            [["E09000012", "Hackney"], ["E09000001", "City"], ["E09000012", "Hackney Borough"]],
            "geography/names.csv:4: code E09000012 is named 'Hackney Borough' here and 'Hackney' on line 2",
        ),
    ],
)
def test_a_bad_names_file_is_one_line_naming_file_and_line(tmp_path, monkeypatch, rows, message):
    monkeypatch.setenv("ANCHORLIB_CACHE", "0")
    root = _dataset(tmp_path)
    write_csv(root / "geography" / "names.csv", ["code", "name"], rows)
    with pytest.raises(DatasetError) as err:
        open_dataset(root)  # checked as the folder is opened
    assert str(err.value) == message


def test_a_names_file_without_its_columns_says_which(tmp_path, monkeypatch):
    monkeypatch.setenv("ANCHORLIB_CACHE", "0")
    root = _dataset(tmp_path)
    write_csv(root / "geography" / "names.csv", ["area", "label"], [["E09000012", "Hackney"]])
    with pytest.raises(DatasetError, match=r"^geography/names.csv: missing column\(s\) code, name"):
        open_dataset(root)  # checked as the folder is opened


def test_name_columns_pair_names_with_their_codes():
    assert nm.name_columns(["pcds", "LAD23CD", "LAD23NM", "RGN23CD", "RGN23NM", "LSOA11CD", "LSOA11NM"]) == [
        ("LAD23CD", "LAD23NM"),
        ("RGN23CD", "RGN23NM"),  # LSOA names are not places anchorlib shows
    ]
    assert nm.name_columns(["\ufeffladcd", "ladnm", "rgn", "rgnnm", "WD23CD", "WD23NM"]) == [
        ("ladcd", "ladnm"),
        ("rgn", "rgnnm"),
        ("WD23CD", "WD23NM"),
    ]
    assert nm.name_columns(["pcds", "laua", "rgn", "lsoa11"]) == []  # NSPL: codes only


@pytest.mark.real
def test_the_script_builds_the_shipped_lookup_from_the_published_files(real_dir, tmp_path):
    """The shipped file is exactly what scripts/build_place_names.py writes from the ONS files."""
    out = tmp_path / "names.csv"
    run = subprocess.run(
        [sys.executable, str(PROJECT_DIR / "scripts" / "build_place_names.py"), "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert out.read_text(encoding="utf-8") == nm.SHIPPED.read_text(encoding="utf-8")


@pytest.mark.real
def test_the_shipped_names_agree_with_the_indices_of_deprivation(real_dir):
    """An independent publication (MHCLG's IoD2019 File 1, district codes and names of 2019) names every
    English district as the shipped lookup does."""
    with (real_dir / "imd" / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv").open(
        encoding="utf-8-sig"
    ) as f:
        iod = {
            r["Local Authority District code (2019)"]: r["Local Authority District name (2019)"]
            for r in csv.DictReader(f)
        }
    assert len(iod) == 317
    names = nm.PlaceNames()
    assert {c: names.name(c) for c in iod} == iod
