"""anchorlib register build on small files written in the registers' published layouts, with every match and
flag worked out by hand (docs/methodology.md#register-matching, #register-rules, #availability-pools).

The dataset: one anchor (home: Hackney, E09000012) and fifteen payees; a register with one row an analyst
keeps; Companies House's file zipped (and plain, and in parts) and the Charity Commission's extract as
tab-separated text (and JSON).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from anchorlib import metrics, open_dataset
from anchorlib.data.registers.builder import build_register, company_number
from anchorlib.errors import DatasetError, ParameterError
from tests import register_layouts as L
from tests.builders import tiny_dataset, write_csv

SPEND = [
    ("Catering Services", "2023-05-01", 1000, "The Green Café Ltd"),  # exact: accents, The, Ltd
    ("Cleaning Services", "2023-05-02", 2000, "Hackney Cleaning Services Ltd"),  # the analyst's row
    ("Cleaning Services", "2023-05-03", 500, "Hackney Cleaning Servces"),  # fuzzy, to the analyst's row
    ("Building Repairs", "2023-05-04", 3000, "Acme Builders Ltd"),  # namesake in liquidation
    ("Residential Care", "2023-05-05", 4000, "Park Care Services"),  # two live namesakes: ambiguous
    ("Grants to Voluntary Organisations", "2023-05-06", 1500, "HACKNEY MIGRANT CENTRE"),  # charity + company
    ("Youth Services", "2023-05-07", 800, "Dalston Youth Project CIO"),  # a charity (CIO) only
    ("Building Repairs", "2023-05-08", 700, "J Smith Plumbing"),  # an analyst's decision
    ("Computer Software", "2023-05-09", 900, "Oldco Digital Ltd"),  # a previous name
    ("Stationery", "2023-05-10", 1200, "Mega Supplies plc"),  # PUBLIC LIMITED COMPANY in the register
    ("Youth Services", "2023-05-11", 300, "Bow Arts CIC"),  # a Community Interest Company
    ("Cleaning Services", "2023-05-12", 100, "Joe Bloggs Window Cleaning"),  # in no register
    ("Catering Services", "2023-05-13", 600, "Hackney Catering Services"),  # a known non-match (88)
    ("Residential Care", "2023-05-14", 250, "REDACTED PERSONAL DATA"),  # never takes part
    ("Legal Fees", "2023-05-15", 450, "Smith and Jones LLP"),  # '&' and 'and'
]
COMPANIES = [
    L.company("GREEN CAFE LIMITED", "01234567", "E8 1AA", sic=("56101 - Licensed restaurants",)),
    L.company(
        "HACKNEY CLEANING SERVICES LTD",
        "02345678",
        "E8 2BB",
        accounts="SMALL",
        sic=(
            "81210 - General cleaning of buildings",
            "81229 - Other building and industrial cleaning activities",
        ),
    ),
    L.company("ACME BUILDERS LIMITED", "03456789", "M1 1AA", status="Liquidation", accounts="FULL"),
    L.company(
        "ACME BUILDERS LTD",
        "09876543",
        "SE1 1AA",
        accounts="TOTAL EXEMPTION FULL",
        sic=("41100 - Development of building projects",),
    ),
    L.company("PARK CARE SERVICES LIMITED", "04567890", "E8 1AA"),
    L.company("PARK CARE SERVICES LTD", "SC123456", "M1 1AA"),
    L.company(
        "HACKNEY MIGRANT CENTRE",
        "05678901",
        "E8 1AA",
        category="PRI/LTD BY GUAR/NSC (Private, limited by guarantee, no share capital)",
        accounts="TOTAL EXEMPTION FULL",
        sic=("88990 - Other social work activities without accommodation n.e.c.",),
    ),
    L.company(
        "SMITH PLUMBING SERVICES LIMITED",
        "06789012",
        "EC2V 7HH",
        sic=("43220 - Plumbing, heat and air-conditioning installation",),
    ),
    L.company(
        "NEWCO DIGITAL LIMITED",
        "07890123",
        "E8 2BB",
        previous=("OLDCO DIGITAL LIMITED",),
        sic=("62020 - Information technology consultancy activities",),
    ),
    L.company(
        "MEGA SUPPLIES PUBLIC LIMITED COMPANY",
        "00849633",
        "EC2V 7HH",
        category="Public Limited Company",
        accounts="FULL",
    ),
    L.company("BOW ARTS CIC", "08901234", "E8 2BB", category="Community Interest Company"),
    L.company(
        "SMITH & JONES LLP",
        "OC301234",
        "EC2V 7HH",
        category="Limited Liability Partnership",
        accounts="MEDIUM",
    ),
    L.company(
        "DORMANT HACKNEY LIMITED", "09999999", "E8 1AA", accounts="DORMANT", sic=("99999 - Dormant Company",)
    ),
]
CHARITIES = [
    L.charity("1098765", "Hackney Migrant Centre", "N16 7AA", company_number="5678901"),  # no leading zero
    L.charity("1112223", "Dalston Youth Project", "E8 2BB", cio=True),
    L.charity("1112223", "Dalston Youth Project Endowment", "E8 2BB", linked="1"),
    L.charity("1000001", "Old Hackney Trust", "E8 1AA", status="Removed"),
]
ANALYST_ROW = ["Hackney Cleaning Services Ltd", "", "", "", "No", "", "Yes", "", "", "", ""]
CATEGORIES = [
    ["Catering Services", "Catering", "yes"],
    ["Cleaning Services", "Facilities management", "yes"],
    ["Building Repairs", "Construction and repairs", "yes"],
]


def dataset(root: Path, *, analyst=True, decisions=True) -> Path:
    tiny_dataset(root, spend={"a1": SPEND}, suppliers=[ANALYST_ROW] if analyst else [], categories=CATEGORIES)
    if decisions:
        write_csv(
            root / "supplier_matches.csv",
            ["spend_name", "register_name", "company_number"],
            [["J Smith Plumbing", "SMITH PLUMBING SERVICES LIMITED", "6789012"]],
        )
    return root


@pytest.fixture()
def files(tmp_path) -> dict[str, Path]:
    d = tmp_path / "downloads"
    return {
        "zip": L.write_companies(d / "BasicCompanyDataAsOneFile-2024-05-01.zip", COMPANIES, zipped=True),
        "csv": L.write_companies(d / "BasicCompanyDataAsOneFile-2024-05-01.csv", COMPANIES),
        "part1": L.write_companies(d / "BasicCompanyData-2024-05-01-part1_2.csv", COMPANIES[:6]),
        "part2": L.write_companies(d / "BasicCompanyData-2024-05-01-part2_2.zip", COMPANIES[6:], zipped=True),
        "tsv": L.write_charities(d / "publicextract.charity.txt", CHARITIES),
        "json": L.write_charities(d / "publicextract.charity.json", CHARITIES, as_json=True),
    }


@pytest.fixture()
def built(tmp_path, files):
    root = dataset(tmp_path / "ds")
    return root, build_register(root, [files["zip"]], files["tsv"])


def by_name(df: pd.DataFrame, column: str = "supplier_name") -> dict:
    return {r[column]: r for r in df.to_dict("records")}


def test_matches_by_method_as_worked_by_hand(built):
    _, result = built
    m = by_name(result.matches, "payee")
    assert "REDACTED PERSONAL DATA" not in m and len(m) == 14
    want = {
        "The Green Café Ltd": ("exact", "01234567", "GREEN CAFE LIMITED"),
        "Hackney Cleaning Services Ltd": ("exact", "02345678", "Hackney Cleaning Services Ltd"),
        "Hackney Cleaning Servces": ("fuzzy", "02345678", "Hackney Cleaning Services Ltd"),
        "Acme Builders Ltd": ("exact", "09876543", "ACME BUILDERS LTD"),  # the live one, not 03456789
        "HACKNEY MIGRANT CENTRE": ("exact", "05678901", "HACKNEY MIGRANT CENTRE"),
        "Dalston Youth Project CIO": ("exact", "1112223", "Dalston Youth Project"),
        "J Smith Plumbing": ("override", "06789012", "SMITH PLUMBING SERVICES LIMITED"),
        "Oldco Digital Ltd": ("exact", "07890123", "NEWCO DIGITAL LIMITED"),
        "Mega Supplies plc": ("exact", "00849633", "MEGA SUPPLIES PUBLIC LIMITED COMPANY"),
        "Bow Arts CIC": ("exact", "08901234", "BOW ARTS CIC"),
        "Smith and Jones LLP": ("exact", "OC301234", "SMITH & JONES LLP"),
    }
    for payee, (method, ident, supplier) in want.items():
        assert (m[payee]["method"], m[payee]["id"], m[payee]["supplier_name"]) == (method, ident, supplier), (
            payee
        )
    assert m["Hackney Cleaning Servces"]["score"] == pytest.approx(98.0)
    assert "ACME BUILDERS LIMITED (company 03456789, Liquidation)" in m["Acme Builders Ltd"]["note"]
    park = m["Park Care Services"]
    assert (
        park["method"] == "ambiguous" and park["id"] == "04567890;SC123456" and pd.isna(park["supplier_name"])
    )
    assert m["Joe Bloggs Window Cleaning"]["method"] == "none" and pd.isna(
        m["Joe Bloggs Window Cleaning"]["candidate"]
    )
    # 'HACKNEY CATERING SERVICES' v 'HACKNEY CLEANING SERVICES' scores 88 < 90: a suggestion, named as the
    # register already lists that company
    catering = m["Hackney Catering Services"]
    assert catering["method"] == "none" and catering["candidate"] == "Hackney Cleaning Services Ltd"
    assert catering["score"] == pytest.approx(88.0) and "suggestion" in catering["note"]
    assert list(result.matches["payee"])[:3] == [
        "Park Care Services",
        "Acme Builders Ltd",
        "Hackney Cleaning Services Ltd",
    ]


def test_report_shares_and_location_known(built):
    _, result = built
    r = result.report
    assert r["payees"] == 14 and r["spend"] == 17050.0
    got = {m: (v["payees"], v["spend"]) for m, v in r["methods"].items()}
    assert got == {
        "exact": (9, 11150.0),
        "fuzzy": (1, 500.0),
        "override": (1, 700.0),
        "ambiguous": (1, 4000.0),
        "none": (2, 700.0),
    }
    assert r["methods"]["exact"]["spend_share"] == pytest.approx(11150 / 17050)
    # known after: every matched supplier's postcode is in geography/postcodes.csv; unknown: 4000 + 100 + 600
    assert r["addressable_spend_location_known_share"]["before"] == 0.0
    assert r["addressable_spend_location_known_share"]["after"] == pytest.approx(12350 / 17050)
    assert r["register"]["rows_before"] == 1 and r["register"]["rows_added"] == 9
    filled = r["register"]["blanks_filled"]
    assert filled["postcode"] == 1 and filled["company_number"] == 1 and filled["is_vcse"] == 1
    assert filled["is_sme"] == 0  # the analyst's 'No' stays
    assert r["choices"]["register_rules"]["name"] == "anchorlib register rules v1"
    assert r["population"]["rows"] == 7


def test_suppliers_flags_and_locations(built):
    root, result = built
    written = pd.read_csv(root / "suppliers.csv", dtype=str, keep_default_na=False)
    assert list(written.columns[:11]) == [
        "supplier_name", "postcode", "company_number", "charity_number", "is_sme", "is_vcse",
        "bame_led", "women_led", "youth_led", "hq_only", "categories",
    ]  # fmt: skip
    rows = by_name(written)
    analyst = rows["Hackney Cleaning Services Ltd"]
    assert (analyst["is_sme"], analyst["bame_led"]) == ("No", "Yes")  # as the analyst wrote them
    assert (analyst["postcode"], analyst["company_number"], analyst["is_vcse"]) == (
        "E8 2BB",
        "02345678",
        "no",
    )
    assert analyst["source"] == "suppliers.csv+companies_house" and analyst["sic_codes"] == "81210;81229"
    migrant = rows["HACKNEY MIGRANT CENTRE"]  # one row: the company and the charity
    assert (migrant["company_number"], migrant["charity_number"]) == ("05678901", "1098765")
    assert (migrant["is_sme"], migrant["is_vcse"]) == (
        "yes",
        "yes",
    )  # TOTAL EXEMPTION FULL; registered charity
    assert (migrant["postcode"], migrant["location_source"]) == ("E8 1AA", "companies_house")
    assert migrant["source"] == "companies_house+charity_commission"
    dalston = rows["Dalston Youth Project"]
    assert (dalston["is_sme"], dalston["is_vcse"], dalston["postcode"]) == ("", "yes", "E8 2BB")
    assert (
        dalston["location_source"] == "charity_commission"
        and dalston["aliases"] == "Dalston Youth Project CIO"
    )
    assert (
        rows["MEGA SUPPLIES PUBLIC LIMITED COMPANY"]["is_sme"],
        rows["MEGA SUPPLIES PUBLIC LIMITED COMPANY"]["is_vcse"],
    ) == (
        "no",
        "no",
    )  # FULL; a Public Limited Company
    assert rows["MEGA SUPPLIES PUBLIC LIMITED COMPANY"]["aliases"] == "Mega Supplies plc"
    assert rows["NEWCO DIGITAL LIMITED"]["aliases"] == "OLDCO DIGITAL LIMITED"
    assert (rows["BOW ARTS CIC"]["is_vcse"], rows["SMITH & JONES LLP"]["is_vcse"]) == ("yes", "no")
    assert (rows["ACME BUILDERS LTD"]["company_status"], rows["ACME BUILDERS LTD"]["postcode"]) == (
        "Active",
        "SE1 1AA",
    )
    assert not {"PARK CARE SERVICES LIMITED", "PARK CARE SERVICES LTD", "ACME BUILDERS LIMITED"} & set(rows)
    assert {r["register_rules"] for r in rows.values()} == {"anchorlib register rules v1"}


def test_the_dataset_resolves_payees_as_the_report_says(built):
    root, result = built
    ds = open_dataset(root)
    t = ds.matches.set_index("spend_name")
    for r in result.matches.itertuples():
        got = t.loc[r.payee, "match_method"]
        assert got == ("none" if r.method == "ambiguous" else r.method), r.payee
    assert t.loc["Oldco Digital Ltd", "register_name"] == "NEWCO DIGITAL LIMITED"


def test_population_and_its_availability(built):
    root, _ = built
    pop = pd.read_csv(root / "population.csv", dtype=str)
    assert sorted(pop["name"]) == [
        "BOW ARTS CIC",
        "Dalston Youth Project",
        "GREEN CAFE LIMITED",
        "HACKNEY CLEANING SERVICES LTD",
        "HACKNEY MIGRANT CENTRE",
        "NEWCO DIGITAL LIMITED",
        "PARK CARE SERVICES LIMITED",
    ]  # fmt: skip  (dormant, removed, outside Hackney: not in it)
    manifest = json.loads((root / "population.json").read_text())
    assert manifest["rows"] == 7 and manifest["areas"] == ["the anchors' home areas (E09000012)"]
    ds = open_dataset(root)
    p = metrics.select(ds, ["a1"], None)
    eq = metrics.equity(ds, p, pool="population").set_index("group")
    # SME: 6 of the 6 known (Dalston's size unknown, 1 of 7); VCSE: Migrant Centre, Bow Arts, Dalston: 3 of 7;
    # IMD 1-2: the three at E8 1AA (decile 1): 3 of 7
    assert eq.loc["sme", "availability"] == pytest.approx(1.0)
    assert eq.loc["sme", "availability_unknown_share"] == pytest.approx(1 / 7)
    assert eq.loc["vcse", "availability"] == pytest.approx(3 / 7)
    assert eq.loc["imd_1_2", "availability"] == pytest.approx(3 / 7)
    assert pd.isna(eq.loc["bame_led", "availability"])  # not in the registers
    assert eq.attrs["choices"]["availability_pool"].startswith(
        "the local business population (population.csv): 7"
    )
    reg = metrics.equity(ds, p).attrs["choices"]
    assert (
        reg["availability_pool"].startswith("the supplier register")
        and "register rules v1" in reg["supplier_flags"]
    )
    by_cat = metrics.equity(ds, p, by="category", pool="population")
    fm = by_cat[(by_cat["category"] == "Facilities management")].set_index("group")
    assert fm.loc["sme", "availability"] == pytest.approx(1.0)  # the one cleaner (SIC 81210) is SMALL
    assert "SIC codes map to it" in by_cat.attrs["choices"]["availability_by_category"]
    s = metrics.summary(ds, pool="population")
    assert s["choices"]["availability_pool"].startswith("the local business population")
    with pytest.raises(ParameterError, match="unknown availability pool 'people'"):
        metrics.equity(ds, p, pool="people")


def test_opportunities_count_local_businesses_by_sic(built):
    root, _ = built
    ds = open_dataset(root)
    p = metrics.select(ds, ["a1"], None)
    home = ds.area("home", "a1")
    opp = metrics.opportunities(ds, p, home, 1, pool="population").set_index("category")
    # Construction and repairs leaks £3,700 (Acme in Southwark, Smith Plumbing in the City), but no local
    # business has a construction SIC code; Facilities management's cleaner is local: no leakage
    assert "Construction and repairs" not in opp.index
    assert opp.loc["Catering", "local_businesses_in_population"] == 1  # GREEN CAFE (56101)
    assert opp.loc["Catering", "leakage"] == pytest.approx(600)  # Hackney Catering Services: unknown location
    reg = metrics.opportunities(ds, p, home, 1).set_index("category")
    assert (
        reg.loc["Catering", "local_suppliers_in_register"] == 1
    )  # by its SIC code: suppliers.csv lists none


def test_same_register_from_plain_csv_parts_and_json(tmp_path, files, built):
    _, first = built
    for companies, charities in (
        ([files["csv"]], files["json"]),
        ([files["part1"], files["part2"]], files["tsv"]),
    ):
        root = dataset(tmp_path / f"ds-{companies[0].stem}-{charities.suffix}")
        result = build_register(root, companies, charities)
        pd.testing.assert_frame_equal(result.suppliers, first.suppliers)
        pd.testing.assert_frame_equal(result.matches, first.matches)


def test_rebuild_keeps_analyst_values_and_picks_up_review_decisions(built, files):
    root, _ = built
    reg = pd.read_csv(root / "suppliers.csv", dtype=str, keep_default_na=False)
    reg.loc[reg["supplier_name"] == "GREEN CAFE LIMITED", "women_led"] = (
        "yes"  # the analyst adds what they know
    )
    reg.to_csv(root / "suppliers.csv", index=False)
    write_csv(
        root / "supplier_matches.csv",
        ["spend_name", "register_name", "company_number"],
        [
            ["J Smith Plumbing", "SMITH PLUMBING SERVICES LIMITED", "06789012"],
            ["Park Care Services", "PARK CARE SERVICES LIMITED", "04567890"],  # accepted: the Hackney one
            ["Acme Builders Ltd", "", ""],  # rejected
        ],
    )
    again = build_register(root, [files["zip"]], files["tsv"])
    m = by_name(again.matches, "payee")
    assert (m["Park Care Services"]["method"], m["Park Care Services"]["id"]) == ("override", "04567890")
    assert m["Acme Builders Ltd"]["method"] == "none"
    rows = by_name(again.suppliers)
    assert rows["GREEN CAFE LIMITED"]["women_led"] == "yes"
    assert (
        "ACME BUILDERS LTD" not in rows
    )  # added by the first build, used by nothing now, nothing written in it
    assert again.report["register"]["rows_dropped"] == 1 and again.report["register"]["rows_added"] == 1
    assert sum(again.report["register"]["blanks_filled"].values()) == 0
    assert (
        open_dataset(root).matches.set_index("spend_name").loc["Park Care Services", "match_method"]
        == "override"
    )


def test_errors_name_the_file_and_line(tmp_path, files):
    root = dataset(tmp_path / "ds")
    bad = tmp_path / "BasicCompanyDataAsOneFile-2024-05-01.csv"
    bad.write_text('CompanyName, CompanyNumber,RegAddress.PostCode\r\n"A LTD","1","E8 1AA"\r\n')
    with pytest.raises(
        DatasetError, match=r"BasicCompanyDataAsOneFile-2024-05-01.csv:1: not a Companies House"
    ):
        build_register(root, [bad], None)
    write_csv(
        root / "supplier_matches.csv", ["spend_name", "register_name"], [["Joe Bloggs", "NOBODY AT ALL LTD"]]
    )
    with pytest.raises(
        DatasetError, match=r"supplier_matches.csv:2: register_name 'NOBODY AT ALL LTD' is in neither"
    ):
        build_register(root, [files["zip"]], files["tsv"])
    write_csv(
        root / "supplier_matches.csv", ["spend_name", "register_name"], [["Park", "PARK CARE SERVICES LTD"]]
    )
    with pytest.raises(DatasetError, match=r"names 2 register entries .*company 04567890.*company SC123456"):
        build_register(root, [files["zip"]], files["tsv"])
    empty_zip = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty_zip, "w") as z:
        z.writestr("readme.txt", "nothing")
    with pytest.raises(DatasetError, match="empty.zip: the zip holds no .csv file"):
        build_register(root, [empty_zip], None)


def test_rows_the_files_cannot_give_are_reported_with_their_line(tmp_path, files):
    root = dataset(tmp_path / "ds", decisions=False)
    tsv = files["tsv"].read_text().splitlines()
    tsv.insert(2, "123\tbroken row")
    tsv.insert(
        3, "\t".join(["2024-05-01", "9", "", "0", "No Number Trust"] + [""] * (len(L.CHARITY_FIELDS) - 5))
    )
    (tmp_path / "charities.txt").write_text("\n".join(tsv) + "\n")
    csv_text = L.companies_text(COMPANIES).split("\r\n")
    csv_text.insert(3, '"BROKEN LTD","11111111","","",')  # too few fields
    (tmp_path / "companies.csv").write_text("\r\n".join(csv_text))
    r = build_register(root, [tmp_path / "companies.csv"], tmp_path / "charities.txt").report
    ch = r["registers_read"]["companies_house"]
    assert ch["rows"] == len(COMPANIES) and ch["rows_skipped"] == 1
    assert ch["skipped"][0]["reason"] == "5 fields where the header has 55"
    cc = r["registers_read"]["charity_commission"]
    assert cc["rows_skipped"] == 2
    assert [s["line"] for s in cc["skipped"]] == [3, 4]
    assert cc["skipped"][0]["reason"].startswith("2 fields, header has 34")


def test_company_numbers_keep_leading_zeros_and_prefixes():
    got = company_number(pd.Series(["849633", "00849633", "sc123456", " OC301234 ", "", None]))
    assert got.tolist()[:4] == ["00849633", "00849633", "SC123456", "OC301234"]
    assert got.isna().tolist()[4:] == [True, True]


def test_cli_register_build(tmp_path, files):
    root = dataset(tmp_path / "ds")
    exe = [sys.executable, "-m", "anchorlib.cli", "register", "build", "--data", str(root)]
    out = subprocess.run(
        [*exe, "--companies", str(files["zip"]), "--charities", str(files["tsv"]), "--json"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["methods"]["exact"]["payees"] == 9 and (root / "register_matches.csv").exists()
    text = subprocess.run([*exe, "--companies", str(files["zip"])], capture_output=True, text=True)
    assert text.returncode == 0 and "addressable spend whose supplier's location is known" in text.stdout
    parts = str(files["part1"].parent / "BasicCompanyData-2024-05-01-part*")  # a glob: every part, as quoted
    glob = subprocess.run(
        [*exe, "--companies", parts, "--charities", str(files["tsv"]), "--json"],
        capture_output=True,
        text=True,
    )
    assert glob.returncode == 0, glob.stderr
    assert json.loads(glob.stdout)["methods"] == report["methods"]
    assert len(json.loads(glob.stdout)["registers_read"]["companies_house"]["files"]) == 2
    bad = subprocess.run([*exe, "--companies", str(tmp_path / "missing.zip")], capture_output=True, text=True)
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        f"anchorlib: error: {tmp_path / 'missing.zip'}: Companies House file is missing"
    ]


def test_no_register_yet(tmp_path, files):
    root = dataset(tmp_path / "ds", analyst=False, decisions=False)
    (root / "suppliers.csv").unlink()
    result = build_register(root, [files["zip"]], files["tsv"])
    assert result.report["register"]["rows_before"] == 0 and (root / "suppliers.csv").exists()
    assert by_name(result.matches, "payee")["Hackney Cleaning Services Ltd"]["id"] == "02345678"
    shutil.rmtree(root / ".anchorlib-cache", ignore_errors=True)


def test_a_register_row_repeated_as_written(tmp_path, files):
    """The dataset reads a row repeating an earlier one once; the build keeps both as written and fills
    both, and still knows which rows the payees use."""
    root = dataset(tmp_path / "ds", decisions=False)
    write_csv(
        root / "suppliers.csv",
        ["supplier_name", "postcode", "is_sme"],
        [["Old Trading Co", "", ""], ["Old Trading Co", "", ""], ["Hackney Cleaning Services Ltd", "", "No"]],
    )
    result = build_register(root, [files["zip"]], files["tsv"])
    rows = result.suppliers
    assert rows["supplier_name"].tolist()[:3] == [
        "Old Trading Co",
        "Old Trading Co",
        "Hackney Cleaning Services Ltd",
    ]
    assert rows.loc[2, "company_number"] == "02345678" and rows.loc[2, "is_sme"] == "No"
    m = result.matches.set_index("payee")
    assert m.loc["Hackney Cleaning Servces", "supplier_name"] == "Hackney Cleaning Services Ltd"
    assert result.report["register"]["rows_dropped"] == 0
