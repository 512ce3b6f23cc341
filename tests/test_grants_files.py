"""360Giving files as published: a JSON data package, and the same grants as a CSV and an XLSX with the
standard's column titles (Identifier, Amount Awarded, Recipient Org:Identifier, Beneficiary
Location:Geographic Code...) load to the same grants; every grant is loaded, in another currency,
rejected with its line or index and reason, or blank; grants to individuals are counted, never named."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from anchorlib.data.grants import charity_key, company_key, org_prefix
from anchorlib.data.ingest.grants import load_grant_file
from anchorlib.errors import GrantFileError
from tests.builders import write_xlsx

TITLES = [
    "Identifier",
    "Title",
    "Currency",
    "Amount Awarded",
    "Award Date",
    "Recipient Org:Identifier",
    "Recipient Org:Name",
    "Recipient Org:Charity Number",
    "Recipient Org:Company Number",
    "Recipient Org:Postal Code",
    "Recipient Ind:Identifier",
    "Recipient Ind:Name",
    "Funding Org:Identifier",
    "Funding Org:Name",
    "Grant Programme:Title",
    "Beneficiary Location:Name",
    "Beneficiary Location:Geographic Code",
    "Beneficiary Location:Geographic Code Type",
]


def _org(g: dict, key: str) -> str:
    o = (g.get("recipientOrganization") or [{}])[0]
    return "" if o.get(key) is None else str(o[key])


def rows_of(grants: list[dict]) -> list[list[object]]:
    """The grants as the standard's spreadsheet rows (one beneficiary location column set: the first)."""
    out = []
    for g in grants:
        ind = g.get("recipientIndividual") or {}
        loc = (g.get("beneficiaryLocation") or [{}])[0]
        fund = (g.get("fundingOrganization") or [{}])[0]
        prog = (g.get("grantProgramme") or [{}])[0]
        out.append(
            [
                g.get("id", ""),
                g.get("title", ""),
                g.get("currency", ""),
                g.get("amountAwarded", ""),
                g.get("awardDate", ""),
                _org(g, "id"),
                _org(g, "name"),
                _org(g, "charityNumber"),
                _org(g, "companyNumber"),
                _org(g, "postalCode"),
                ind.get("id", ""),
                ind.get("name", ""),
                fund.get("id", ""),
                fund.get("name", ""),
                prog.get("title", ""),
                loc.get("name", ""),
                loc.get("geoCode", ""),
                loc.get("geoCodeType", ""),
            ]
        )
    return out


def write_three(grants: list[dict], folder: Path) -> tuple[Path, Path, Path]:
    """The grants as a JSON data package, a CSV and an XLSX in the standard's titles."""
    folder.mkdir(parents=True, exist_ok=True)
    js = folder / "grants.json"
    js.write_text(json.dumps({"grants": grants}), encoding="utf-8")
    cs = folder / "grants.csv"
    with cs.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(TITLES)
        w.writerows(rows_of(grants))
    xl = write_xlsx(folder / "grants.xlsx", [("grants", [TITLES, *rows_of(grants)])])
    return js, cs, xl


def grant(i, amount, *, currency="GBP", org=None, ind=None, loc=None, date="2024-05-01", **extra) -> dict:
    g = {
        "id": f"360G-test-{i}",
        "title": f"Grant {i}",
        "currency": currency,
        "amountAwarded": amount,
        "awardDate": date,
        "fundingOrganization": [{"id": "GB-CHC-1035628", "name": "Bridge Fund"}],
        "grantProgramme": [{"title": "Community Grants"}],
    }
    if org is not None:
        g["recipientOrganization"] = [org]
    if ind is not None:
        g["recipientIndividual"] = ind
    if loc is not None:
        g["beneficiaryLocation"] = [loc]
    g.update(extra)
    return g


SMALL = [
    grant(
        1,
        12500,
        org={
            "id": "GB-CHC-1136547",
            "name": "Hoxton Trust",
            "charityNumber": "1136547",
            "postalCode": "N1 6HU",
        },
    ),
    grant(
        2,
        4999.99,
        org={"id": "GB-COH-09275579", "name": "Arch CIC", "companyNumber": "9275579"},
        loc={"name": "Hackney", "geoCode": "E09000012", "geoCodeType": "LONB"},
    ),
    grant(
        3,
        300,
        ind={"id": "360G-test-ind-3", "name": "A Person"},
        loc={"name": "Hackney", "geoCode": "E01000001", "geoCodeType": "LSOA"},
    ),
    grant(4, 1000, currency="USD", org={"id": "360G-test-o4", "name": "US Friends"}),
    grant(5, "n/a", org={"id": "GB-CHC-1", "name": "Bad Amount"}),
    grant(6, 750.5, org={"id": "GB-SC-SC012345", "name": "Scottish Charity"}, date="2024-06-30T00:00:00"),
    grant(7, 100, org={"id": "GB-CHC-2", "name": "No Currency"}, currency=""),
]


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    cols = [c for c in a.columns if c not in ("source_file", "source_line")]
    pd.testing.assert_frame_equal(a[cols].reset_index(drop=True), b[cols].reset_index(drop=True))


def test_csv_and_xlsx_in_the_standard_titles_load_to_the_json_grants(tmp_path):
    js, cs, xl = write_three(SMALL, tmp_path)
    (gj, rj), (gc, rc), (gx, rx) = load_grant_file(js), load_grant_file(cs), load_grant_file(xl)
    _same(gj, gc)
    _same(gj, gx)
    for r in (rj, rc, rx):
        assert (r.records, r.grants_loaded, r.other_currency_grants, r.rows_rejected, r.unaccounted) == (
            7,
            4,
            1,
            2,
            0,
        )
        assert r.net_total == 18550.49  # 12,500 + 4,999.99 + 300 + 750.50
        assert r.other_currencies == {"USD": {"grants": 1, "amount": 1000.0}}
        assert r.individuals == {"grants": 1, "amount": 300.0}
        assert r.with_postcode == 1 and r.with_beneficiary_code == 2
    # where each rejection is: the JSON's index in its grants list, the CSV's line, the sheet's row
    assert [(x.index, x.reason) for x in rj.rejections] == [
        (4, "Amount Awarded 'n/a' is not a number"),
        (6, "no Currency (a grant's currency is never assumed to be pounds)"),
    ]
    assert [x.line for x in rc.rejections] == [6, 8]
    assert [(x.sheet, x.line) for x in rx.rejections] == [("grants", 6), ("grants", 8)]
    # the individual is counted and never named: no name, postcode or identifier kept
    person = gj[gj["redacted"]]
    assert len(person) == 1 and person["supplier_name"].isna().all() and person["recipient_id"].isna().all()
    assert "A Person" not in gj.to_csv() and "A Person" not in gx.to_csv()
    assert gj["beneficiary_codes"].astype(object).where(gj["beneficiary_codes"].notna(), None).tolist() == [
        None,
        "E09000012",
        "E01000001",
        None,
    ]
    assert str(gj.loc[gj["transaction_id"] == "360G-test-6", "payment_date"].iloc[0].date()) == "2024-06-30"


@pytest.mark.real
def test_the_real_file_as_csv_and_xlsx_loads_to_the_same_grants(real_dir, tmp_path):
    grants = json.loads(
        (real_dir / "grants_360giving" / "covid19_tracker_grants_data_2020-05.json").read_bytes()
    )
    # one beneficiary location per grant in the real file, so one column set holds them all
    assert all(len(g.get("beneficiaryLocation") or []) <= 1 for g in grants["grants"])
    js, cs, xl = write_three(grants["grants"], tmp_path)
    (gj, rj), (gc, rc), (gx, rx) = load_grant_file(js), load_grant_file(cs), load_grant_file(xl)
    assert len(gj) == 1977
    _same(gj, gc)
    _same(gj, gx)
    assert rj.net_total == rc.net_total == rx.net_total
    assert rj.other_currencies == rc.other_currencies == rx.other_currencies


def test_a_file_that_is_not_360giving_is_one_line(tmp_path):
    bad = tmp_path / "g.json"
    bad.write_text('{"releases": []}', encoding="utf-8")
    with pytest.raises(GrantFileError, match='has no "grants" list'):
        load_grant_file(bad)
    bad.write_text('{"grants": [', encoding="utf-8")
    with pytest.raises(GrantFileError, match="is not valid JSON"):
        load_grant_file(bad)
    nocur = tmp_path / "g.csv"
    nocur.write_text(
        "Identifier,Amount Awarded,Award Date,Recipient Org:Name\nx,1,2024-01-01,A\n", encoding="utf-8"
    )
    with pytest.raises(GrantFileError, match="has no 'Currency' column"):
        load_grant_file(nocur)


def test_organisation_identifiers():
    assert org_prefix("GB-CHC-1136547") == "GB-CHC" and org_prefix("360G-camden-1") == "360G"
    assert org_prefix("gb-coh-09275579") == "GB-COH" and org_prefix("") is None
    assert company_key("9275579") == "09275579" and company_key("sc123456") == "SC123456"
    assert charity_key("1136547-1") == "CHC:1136547" and charity_key("SC012345") == "SC:SC012345"
    assert charity_key("12345", "NIC") == "NIC:12345"
