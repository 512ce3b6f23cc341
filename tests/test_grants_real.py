"""The real 360Giving file (../shared/real/grants_360giving: 1,978 COVID-19 grants from many funders) through
the grants reader and a dataset: every grant accounted for, the GBP total to the penny, the USD grant
apart, and the grants placed by the recipient's postcode and by the beneficiary location counted here from
the published files with nothing of anchorlib (docs/methodology.md#placing-a-grant)."""

from __future__ import annotations

import csv
import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from anchorlib import metrics, open_dataset
from anchorlib.data.ingest.grants import load_grant_file
from tests.builders import write_csv

pytestmark = pytest.mark.real

GRANTS = Path("grants_360giving") / "covid19_tracker_grants_data_2020-05.json"
POSTCODES = Path("postcodes") / "lewisham_lbl_postcode_oa11_lsoa11_msoa11_wd22.csv"
IMD = Path("imd") / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv"
WARDS = Path("lookups") / "ons_WD19_to_LAD19_UK.csv"
LAD_PREFIXES = ("E06", "E07", "E08", "E09", "W06", "S12", "N09")


def _grants(real: Path) -> list[dict]:
    return json.loads((real / GRANTS).read_text(encoding="utf-8"))["grants"]


def test_every_real_grant_is_accounted_for(real_dir):
    grants = _grants(real_dir)
    frame, report = load_grant_file(real_dir / GRANTS)
    assert report.records == len(grants) == 1978
    assert report.unaccounted == 0 and report.rows_rejected == 0 and not report.rejections
    gbp = [g for g in grants if g["currency"] == "GBP"]
    usd = [g for g in grants if g["currency"] == "USD"]
    assert len(frame) == report.grants_loaded == len(gbp) == 1977
    # the loaded pounds are the file's GBP amountAwarded, to the penny (summed exactly, as published)
    exact = sum(Decimal(str(g["amountAwarded"])) for g in gbp)
    assert Decimal(str(report.net_total)) == exact
    assert round(Decimal(repr(float(frame["amount"].sum()))), 2) == exact
    # the one USD grant never reaches the pounds: reported apart with its count and amount
    assert report.other_currency_grants == 1
    assert report.other_currencies == {"USD": {"grants": 1, "amount": float(usd[0]["amountAwarded"])}}
    assert report.totals["USD"] == float(usd[0]["amountAwarded"])
    assert usd[0]["id"] not in set(frame["transaction_id"])
    assert "USD 32,500.00 (1 grant)" in report.summary_line()


def _real_dataset(real: Path, root: Path) -> Path:
    write_csv(
        root / "anchors.csv",
        ["anchor_id", "name", "kind", "home_lads"],
        [["lew", "Lew", "council", "E09000023"]],
    )
    write_csv(
        root / "spend" / "lew" / "spend.csv",
        ["Payment Date", "Amount", "Supplier Name"],
        [["01/04/2020", 1, "A"]],
    )
    write_csv(root / "suppliers.csv", ["supplier_name", "postcode"], [])
    (root / "geography").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(real / POSTCODES, root / "geography" / "postcodes.csv")
    shutil.copyfile(real / IMD, root / "geography" / "imd.csv")
    shutil.copyfile(real / WARDS, root / "geography" / "wards.csv")
    (root / "grants" / "lew").mkdir(parents=True)
    shutil.copyfile(real / GRANTS, root / "grants" / "lew" / GRANTS.name)
    return root


def _expected_placing(real: Path) -> tuple[int, int, int]:
    """(placed by recipient postcode, by beneficiary location, by neither) of the GBP grants, from the
    published files alone: a postcode the Lewisham directory lists; else the grant's one district (its
    beneficiary location's code: a district's own, a ward's by the ONS ward lookup, an LSOA's by the IoD
    file); a code is whichever of geoCode and geoCodeType has the shape of one."""
    with (real / POSTCODES).open(encoding="utf-8-sig", newline="") as fh:
        postcodes = {r["PostcodeNatural"].strip().upper() for r in csv.DictReader(fh)}
    with (real / WARDS).open(encoding="utf-8-sig", newline="") as fh:
        ward_lad = {r["WD19CD"]: r["LAD19CD"] for r in csv.DictReader(fh)}
    with (real / IMD).open(encoding="utf-8-sig", newline="") as fh:
        lsoa_lad = {
            r["LSOA code (2011)"]: r["Local Authority District code (2019)"] for r in csv.DictReader(fh)
        }
    by_postcode = by_beneficiary = neither = 0
    for g in _grants(real):
        if g["currency"] != "GBP":
            continue
        org = (g.get("recipientOrganization") or [{}])[0]
        postcode = " ".join(str(org.get("postalCode") or "").upper().split())
        if postcode in postcodes:
            by_postcode += 1
            continue
        lads = set()
        for loc in g.get("beneficiaryLocation") or []:
            for value in (str(loc.get("geoCode") or ""), str(loc.get("geoCodeType") or "")):
                code = value.strip().upper()
                if len(code) == 9 and code[0].isalpha() and code[1:].isdigit():
                    if code[:3] in LAD_PREFIXES:
                        lads.add(code)
                    elif code in ward_lad:
                        lads.add(ward_lad[code])
                    elif code in lsoa_lad:
                        lads.add(lsoa_lad[code])
                    break
        if len(lads) == 1:
            by_beneficiary += 1
        else:
            neither += 1
    return by_postcode, by_beneficiary, neither


def test_real_grants_are_placed_by_postcode_then_beneficiary_location(real_dir, tmp_path):
    ds = open_dataset(_real_dataset(real_dir, tmp_path / "real"))
    by_postcode, by_beneficiary, neither = _expected_placing(real_dir)
    assert by_postcode == 9 and by_beneficiary > 900  # what the published files hold
    placing = ds.grant_placing().set_index("placed_by")["grants"].to_dict()
    assert placing.get("recipient postcode", 0) == by_postcode
    assert placing.get("beneficiary location", 0) == by_beneficiary
    assert placing.get("unknown location", 0) == neither
    assert sum(placing.values()) == 1977
    # the grant flow sums the loaded pounds; the spend-only figure is the spend file's one pound
    lew = ds.area("home", "lew")
    grant = metrics.local_share(metrics.select(ds, flow="grant"), lew)
    assert round(grant.total_spend, 2) == round(float(ds.grants["amount"].sum()), 2)
    assert metrics.local_share(metrics.select(ds), lew).total_spend == 1.0


def test_the_beneficiary_option_places_by_beneficiary_location_first(real_dir, tmp_path):
    ds = open_dataset(_real_dataset(real_dir, tmp_path / "real"))
    first = ds.with_flow("grant", grant_location="beneficiary")
    placed = first.payments["placed_by"].astype("string").fillna("unknown location").value_counts().to_dict()
    by_postcode, by_beneficiary, neither = _expected_placing(real_dir)
    # every grant a beneficiary location places is placed by it; the rest by postcode where they can be
    assert placed.get("beneficiary location", 0) >= by_beneficiary
    assert sum(placed.values()) == 1977
    assert first.choices["grant_location"].startswith("beneficiary")
