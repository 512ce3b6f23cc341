"""Postcodes, geography files under their published column names, and named nested areas."""

from __future__ import annotations

import pandas as pd
import pytest

from anchorlib import open_dataset
from anchorlib.data.places import (
    BUILTIN_AREAS,
    code_kind,
    lad_code_problem,
    normalise_postcode,
    normalise_postcodes,
    read_geography,
    read_imd,
)
from anchorlib.errors import DatasetError
from tests.builders import supplier, tiny_dataset, write_csv


@pytest.mark.parametrize(
    "raw, want",
    [
        ("se6 2ur", "SE6 2UR"),
        ("SE146BG", "SE14 6BG"),
        (" SE26  6BQ ", "SE26 6BQ"),
        ("ec2v7hh", "EC2V 7HH"),
        ("BR1  4BY", "BR1 4BY"),
        ("W1A 0AX", "W1A 0AX"),
        ("SE6 2U", None),
        ("12345", None),
        ("", None),
        (None, None),
        (float("nan"), None),
    ],
)
def test_normalise_postcode(raw, want):
    assert normalise_postcode(raw) == want
    got = normalise_postcodes(pd.Series([raw], dtype="object"))[0]
    assert (pd.isna(got) and want is None) or got == want


def test_ons_lookup_extract_columns_terminated_postcodes_and_e09_london(tmp_path):
    pc = write_csv(
        tmp_path / "pc.csv",
        ["Postcode7", "Postcode8", "PostcodeNatural", "TerminationDate", "LSOA11CD", "LAD19CD"],
        [
            ["SE6 2UR", "SE6  2UR", "SE6 2UR", "200101", "E01000009", "E09000023"],  # terminated duplicate
            ["SE6 2UR", "SE6  2UR", "SE6 2UR", "", "E01003318", "E09000023"],  # live row wins
            ["M1 1AA", "M1   1AA", "M1 1AA", "", "E01005000", "E08000003"],
        ],
    )
    imd = write_csv(tmp_path / "imd.csv", ["LSOA11CD", "IMD_decile"], [["E01003318", 1], ["E01005000", 3]])
    g = read_geography(pc, imd)
    got = g.locate(pd.Series(["se62ur", "m11aa"]))
    assert got["lsoa"].tolist() == ["E01003318", "E01005000"]
    assert got["imd_decile"].tolist() == [1, 3]
    assert got["rgn"][0] == "E12000007" and pd.isna(got["rgn"][1])  # region inferred only for E09 LADs


def test_imd_decile_out_of_range_and_the_rank_only_ons_lookup_are_one_line_errors(tmp_path):
    bad = write_csv(
        tmp_path / "imd.csv",
        ["LSOA code (2011)", "Index of Multiple Deprivation (IMD) Decile"],
        [["E01000001", "9"], ["E01000002", "11"]],
    )
    with pytest.raises(DatasetError, match=r"imd.csv:3: IMD decile '11' is not a whole number from 1 to 10"):
        read_imd(bad)
    ranks = write_csv(
        tmp_path / "ons.csv",
        ["LSOA11CD", "LSOA11NM", "LAD19CD", "LAD19NM", "IMD19", "FID"],
        [["E01000001", "City of London 001A", "E09000001", "City of London", "29199", "1"]],
    )
    with pytest.raises(DatasetError, match=r"ons.csv: missing column\(s\) imd_decile"):
        read_imd(ranks)


def test_nested_areas_and_areas_csv(tmp_path):
    root = tiny_dataset(
        tmp_path,
        suppliers=[supplier("A Ltd", "E8 1AA")],
        spend={"a1": [("Supplies", "01/05/2023", "10", "A Ltd")]},
    )
    write_csv(
        root / "areas.csv",
        ["area_id", "name", "lads"],
        [["inner_ne", "Inner north-east", "E09000012; E09000001"]],
    )
    ds = open_dataset(root)
    lad = pd.Series(["E09000012", "E09000001", "E09000028", "E08000003", pd.NA], dtype="string")
    rgn = pd.Series(["E12000007", "E12000007", "E12000007", "E12000002", pd.NA], dtype="string")
    inside = {
        a: ds.area(a, "a1").contains(lad, rgn).tolist()
        for a in ("home", "city_hackney", "london", "uk", "inner_ne")
    }
    assert inside == {
        "home": [True, False, False, False, False],
        "city_hackney": [True, True, False, False, False],
        "london": [True, True, True, False, False],
        "uk": [True, True, True, True, False],  # unknown location is never inside (nor 'outside')
        "inner_ne": [True, True, False, False, False],
    }
    assert set(BUILTIN_AREAS) <= set(ds.areas)


@pytest.mark.parametrize(
    "value, kind",
    [
        ("E09000012", "a local authority district code"),
        ("W06000015", "a local authority district code"),
        ("S12000036", "a local authority district code"),
        ("N09000003", "a local authority district code"),
        ("E01000001", "an LSOA code"),
        ("S01006506", "a data zone code"),
        ("E12000007", "a region code"),
        ("E92000001", "a country code"),
        ("E54000027", "an integrated care board code"),
        ("L99999999", "an ONS pseudo code (no area)"),
        ("E13000001", "a code of no kind anchorlib knows"),
        ("00AM", "a code of no kind anchorlib knows"),
        ("SE6 2UR", "a postcode"),
        ("HACKNEY", "a name, not a code"),
        ("Tower Hamlets", "a name, not a code"),
    ],
)
def test_codes_are_read_by_their_shape(value, kind):
    assert code_kind(value) == kind
    assert (lad_code_problem(value) is None) == kind.startswith("a local authority district")


def test_a_lad_code_in_lower_case_is_a_lad_code_and_a_name_is_named_as_written():
    assert lad_code_problem("e09000012") is None
    assert lad_code_problem("Hackney").startswith("'Hackney' is a name, not a local authority district code")


def test_a_postcode_the_lookup_puts_in_two_districts_is_of_unknown_location_and_named(tmp_path):
    """E8 1AA listed in Hackney and in Southwark. Taken either way, Acme's £1,000 would be local or leak;
    it is unknown: of a1's addressable £1,500 (Acme £1,000, Beta £500 in Southwark), local £0, unknown
    £1,000, home share 0 / 500 = 0.0, and the notes name the postcode and its lines."""
    root = tiny_dataset(
        tmp_path,
        postcodes=[
            ["E8 1AA", "E09000012", "E01900001", "E12000007"],
            ["SE1 1AA", "E09000028", "E01900004", "E12000007"],
            ["E8 1AA", "E09000028", "E01900004", "E12000007"],
            ["E8 2BB", "E09000012", "E01900002", "E12000007"],
        ],
        suppliers=[supplier("Acme Ltd", "E8 1AA"), supplier("Beta Ltd", "SE1 1AA")],
        spend={
            "a1": [
                ("Cleaning", "01/05/2023", "1000", "Acme Ltd"),
                ("Cleaning", "02/05/2023", "500", "Beta Ltd"),
            ]
        },
    )
    ds = open_dataset(root)
    assert ds.notes == [
        "geography/postcodes.csv: 1 postcode maps to two or more districts (first E8 1AA, lines 2, 4: "
        "E09000012, E09000028): location unknown",
        "suppliers.csv: 1 of 2 suppliers have an unknown location (0 malformed postcode, 0 blank, 0 not in "
        "geography/postcodes.csv, 1 with no single district there)",
    ]
    from anchorlib import metrics

    (a1,) = metrics.summary(ds)["anchors"]
    assert (a1["addressable_spend"], a1["local_spend"], a1["unknown_location_spend"]) == (1500, 0, 1000)
    assert a1["local_share"] == 0.0
