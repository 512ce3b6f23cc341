"""The sample's grants: 360Giving files for the four anchors (``grants/<anchor_id>/``), invented like the
rest of the sample and written in the standard's three forms (docs/methodology.md#grants):

* the City of London Corporation: a City Bridge-like independent funder's grants to London charities,
  as a 360Giving JSON data package (with one grant in euros, which is reported apart);
* Hackney Council: community grants to local groups, as a CSV with the standard's column titles, a few
  to individuals (counted, never named);
* East London NHS Foundation Trust: mental-health VCSE grants, as an XLSX;
* NHS North East London ICB: a VCSE health inequalities fund, as JSON.

Recipients are the register's VCSEs (by charity number, GB-CHC-..., or a CIC's company number,
GB-COH-..., often under a name other than the register's), charities the register does not hold (placed
by their postcode) and groups known only by a publisher's own identifier (360G-...) with no postcode,
whose grants a beneficiary location (an LSOA or a borough) places. Drawn from a random generator of
their own so the spend files stay byte-identical to a sample without grants.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

YEARS = {"2021-22": 2021, "2022-23": 2022, "2023-24": 2023}
STREAM = 360  # the grants' own random stream: np.random.default_rng([seed, STREAM])


@dataclass(frozen=True)
class Fund:
    anchor_id: str
    funder_id: str
    funder_name: str
    programmes: tuple[str, ...]
    n: int
    low: int
    high: int
    form: str  # json, csv, xlsx
    lads: tuple[str, ...]  # where its recipients mostly are
    individuals: int = 0
    other_currency: str | None = None


HOME = ("E09000012", "E09000001")
NEL = ("E09000012", "E09000001", "E09000030", "E09000025", "E09000002", "E09000026", "E09000016", "E09000031")
LONDON = (
    *NEL,
    "E09000019",
    "E09000014",
    "E09000007",
    "E09000028",
    "E09000033",
    "E09000022",
)
FUNDS = [
    Fund(
        "city_of_london",
        "GB-CHC-1035628",
        "Bridge Fund (City of London Corporation)",
        ("London Community Fund", "Bridging Divides", "Cost of Living Support"),
        140,
        5_000,
        150_000,
        "json",
        LONDON,
        other_currency="EUR",
    ),
    Fund(
        "hackney",
        "GB-LAE-HCK",
        "Hackney Council",
        ("Community Grants", "Small Grants", "Hackney Giving"),
        120,
        500,
        20_000,
        "csv",
        ("E09000012",) * 4 + ("E09000001", "E09000030"),
        individuals=6,
    ),
    Fund(
        "elft",
        "GB-NHS-RWK",
        "East London NHS Foundation Trust",
        ("Mental Health Community Grants",),
        30,
        2_000,
        40_000,
        "xlsx",
        ("E09000012", "E09000030", "E09000025", "E09000001"),
    ),
    Fund(
        "nel_icb",
        "GB-NHS-QMF",
        "NHS North East London ICB",
        ("VCSE Health Inequalities Fund", "Winter Wellbeing Grants"),
        45,
        5_000,
        80_000,
        "json",
        NEL,
    ),
]
_PLACES = [
    "Dalston",
    "Hoxton",
    "Clapton",
    "Homerton",
    "Shoreditch",
    "Stoke Newington",
    "Aldgate",
    "Bow",
    "Stratford",
]
_WORDS = [
    "Youth",
    "Food",
    "Elders",
    "Refugee",
    "Arts",
    "Wellbeing",
    "Carers",
    "Sports",
    "Women's",
    "Tenants'",
]
_KINDS = ["Project", "Network", "Association", "Trust", "Collective", "Forum", "Hub"]
TITLES = [
    "Identifier",
    "Title",
    "Description",
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
    "Last Modified",
]


def _recipients(rng, suppliers: pd.DataFrame, postcodes: pd.DataFrame, lsoas: pd.DataFrame, fund: Fund):
    """One recipient per grant: (org dict or None, individual dict or None, beneficiary location or None)."""
    vcse = suppliers[suppliers["is_vcse"].astype(bool) & suppliers["_zone"].isin(["home", "london"])]
    live = postcodes[postcodes["doterm"] == ""]
    names = dict(zip(lsoas["lsoa"], lsoas["lsoa_name"]))
    boroughs = dict(zip(lsoas["lad"], lsoas["lad_name"]))
    out = []
    for k in range(fund.n):
        u = rng.random()
        lad = str(rng.choice(fund.lads))
        if u < 0.45 and len(vcse):  # a VCSE of the register, found by its number
            s = vcse.iloc[int(rng.integers(0, len(vcse)))]
            charity, company = str(s["charity_number"] or ""), str(s["company_number"] or "")
            name = str(s["supplier_name"])
            if rng.random() < 0.4:  # funders name them as their own records do
                name = f"The {name}" if not name.startswith("The ") else name[4:]
            org = {"name": name, "postalCode": str(s["postcode"]).strip().upper()}
            if charity:
                org.update(id=f"GB-CHC-{charity}", charityNumber=charity)
            elif company:
                org.update(id=f"GB-COH-{company}", companyNumber=company)
            else:
                org["id"] = f"360G-{fund.anchor_id}-org-{k:04d}"
            out.append((org, None, None))
        elif u < 0.80:  # a charity the register does not hold, at its postcode
            pcs = live.loc[live["laua"] == lad, "pcds"].to_numpy()
            number = str(int(rng.integers(1_050_000, 1_199_999)))
            name = f"{rng.choice(_PLACES)} {rng.choice(_WORDS)} {rng.choice(_KINDS)}"
            org = {
                "id": f"GB-CHC-{number}",
                "name": name,
                "charityNumber": number,
                "postalCode": str(rng.choice(pcs)),
            }
            out.append((org, None, None))
        else:  # a group known by the funder's own identifier, placed by where it works
            name = f"{rng.choice(_PLACES)} {rng.choice(_WORDS)} Group"
            org = {"id": f"360G-{fund.anchor_id}-org-{k:04d}", "name": name}
            if rng.random() < 0.6:
                area = lsoas[lsoas["lad"] == lad]
                code = str(area["lsoa"].iloc[int(rng.integers(0, len(area)))])
                loc = {"name": names[code], "geoCode": code, "geoCodeType": "LSOA"}
            else:
                loc = {"name": boroughs[lad], "geoCode": lad, "geoCodeType": "LONB"}
            out.append((org, None, loc))
    for k in range(fund.individuals):  # bursaries to people: counted, never named
        home = lsoas[lsoas["lad"] == fund.lads[0]]
        code = str(home["lsoa"].iloc[int(rng.integers(0, len(home)))])
        person = {"id": f"360G-{fund.anchor_id}-ind-{k:04d}", "name": f"Individual {k + 1}"}
        out.append((None, person, {"name": names[code], "geoCode": code, "geoCodeType": "LSOA"}))
    return out


def _grants(rng, suppliers, postcodes, lsoas, fund: Fund) -> list[dict]:
    grants = []
    recipients = _recipients(rng, suppliers, postcodes, lsoas, fund)
    for k, (org, person, loc) in enumerate(recipients):
        year = int(rng.choice(list(YEARS.values())))
        day = pd.Timestamp(year, 4, 1) + pd.Timedelta(days=int(rng.integers(0, 365)))
        small = person is not None
        amount = (
            float(rng.integers(200, 1_500))
            if small
            else float(np.exp(rng.uniform(np.log(fund.low), np.log(fund.high))))
        )
        amount = round(amount, 0) if amount > 2_000 else round(amount, 2)
        programme = str(rng.choice(fund.programmes))
        g = {
            "id": f"360G-{fund.anchor_id}-{year}-{k:04d}",
            "title": f"{programme}: {'bursary' if small else 'grant'} {k + 1}",
            "description": "Synthetic sample grant (anchorlib sample).",
            "currency": "GBP",
            "amountAwarded": amount,
            "awardDate": day.strftime("%Y-%m-%d"),
            "fundingOrganization": [{"id": fund.funder_id, "name": fund.funder_name}],
            "grantProgramme": [{"title": programme}],
            "dateModified": "2024-04-01T00:00:00Z",
        }
        if org is not None:
            g["recipientOrganization"] = [org]
        if person is not None:
            g["recipientIndividual"] = person
        if loc is not None:
            g["beneficiaryLocation"] = [loc]
        grants.append(g)
    if fund.other_currency:  # a partner abroad: never summed with pounds
        g = dict(grants[0])
        g.update(
            id=f"360G-{fund.anchor_id}-fx-0001",
            currency=fund.other_currency,
            amountAwarded=25_000.0,
            recipientOrganization=[
                {"id": f"360G-{fund.anchor_id}-org-fx", "name": "European Partner Network"}
            ],
        )
        g.pop("beneficiaryLocation", None)
        grants.append(g)
    return grants


def _row(g: dict) -> list[object]:
    org = (g.get("recipientOrganization") or [{}])[0]
    ind = g.get("recipientIndividual") or {}
    loc = (g.get("beneficiaryLocation") or [{}])[0]
    fund, prog = g["fundingOrganization"][0], g["grantProgramme"][0]
    return [
        g["id"],
        g["title"],
        g["description"],
        g["currency"],
        g["amountAwarded"],
        g["awardDate"],
        org.get("id", ""),
        org.get("name", ""),
        org.get("charityNumber", ""),
        org.get("companyNumber", ""),
        org.get("postalCode", ""),
        ind.get("id", ""),
        ind.get("name", ""),
        fund["id"],
        fund["name"],
        prog["title"],
        loc.get("name", ""),
        loc.get("geoCode", ""),
        loc.get("geoCodeType", ""),
        g["dateModified"],
    ]


def write_grants(
    out: Path, seed: int, suppliers: pd.DataFrame, postcodes: pd.DataFrame, lsoas: pd.DataFrame, normalise
) -> None:
    """grants/<anchor_id>/ of the sample: one 360Giving file per anchor (``FUNDS``); ``normalise`` makes a
    workbook byte-identical from run to run (the generator's)."""
    rng = np.random.default_rng([seed, STREAM])
    for fund in FUNDS:
        grants = _grants(rng, suppliers, postcodes, lsoas, fund)
        folder = out / "grants" / fund.anchor_id
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{fund.anchor_id}_grants_360giving"
        if fund.form == "json":
            data = {"grants": grants, "last_updated": "2024-04-01T00:00:00"}
            (folder / f"{name}.json").write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        elif fund.form == "csv":
            with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as fh:
                w = csv.writer(fh, lineterminator="\n")
                w.writerow(TITLES)
                w.writerows(_row(g) for g in grants)
        else:
            import openpyxl

            wb = openpyxl.Workbook()
            ws = wb.active
            ws.title = "grants"
            ws.append(TITLES)
            for g in grants:
                ws.append(_row(g))
            path = folder / f"{name}.xlsx"
            wb.save(path)
            normalise(path)
