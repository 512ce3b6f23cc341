"""Small register files written in the exact published layouts, for the register tests.

Companies House's Free Company Data Product: the header line as published (some names start with a
space, the header is not quoted), every value quoted, CRLF line ends, UTF-8; a company is given by the
fields the tests care about and the rest are blank or as Companies House fills them. The Charity
Commission register extract's main table ``publicextract.charity``: tab-separated with a header row, or a
JSON array of objects with the same field names.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

#: Copied from the published file (BasicCompanyData, 2021 onwards): note ' CompanyNumber',
#: ' RegAddress.AddressLine2', ' PreviousName_N.CompanyName', ' PreviousName_2.CONDATE' and
#: ' ConfStmtLastMadeUpDate'.
COMPANIES_HEADER = (
    "CompanyName, CompanyNumber,RegAddress.CareOf,RegAddress.POBox,RegAddress.AddressLine1, "
    "RegAddress.AddressLine2,RegAddress.PostTown,RegAddress.County,RegAddress.Country,RegAddress.PostCode,"
    "CompanyCategory,CompanyStatus,CountryOfOrigin,DissolutionDate,IncorporationDate,Accounts.AccountRefDay,"
    "Accounts.AccountRefMonth,Accounts.NextDueDate,Accounts.LastMadeUpDate,Accounts.AccountCategory,"
    "Returns.NextDueDate,Returns.LastMadeUpDate,Mortgages.NumMortCharges,Mortgages.NumMortOutstanding,"
    "Mortgages.NumMortPartSatisfied,Mortgages.NumMortSatisfied,SICCode.SicText_1,SICCode.SicText_2,"
    "SICCode.SicText_3,SICCode.SicText_4,LimitedPartnerships.NumGenPartners,"
    "LimitedPartnerships.NumLimPartners,URI,PreviousName_1.CONDATE, PreviousName_1.CompanyName, "
    "PreviousName_2.CONDATE, PreviousName_2.CompanyName,PreviousName_3.CONDATE, PreviousName_3.CompanyName,"
    "PreviousName_4.CONDATE, PreviousName_4.CompanyName,PreviousName_5.CONDATE, PreviousName_5.CompanyName,"
    "PreviousName_6.CONDATE, PreviousName_6.CompanyName,PreviousName_7.CONDATE, PreviousName_7.CompanyName,"
    "PreviousName_8.CONDATE, PreviousName_8.CompanyName,PreviousName_9.CONDATE, PreviousName_9.CompanyName,"
    "PreviousName_10.CONDATE, PreviousName_10.CompanyName,ConfStmtNextDueDate, ConfStmtLastMadeUpDate"
)
COMPANIES_COLUMNS = COMPANIES_HEADER.split(",")

CHARITY_FIELDS = [
    "date_of_extract",
    "organisation_number",
    "registered_charity_number",
    "linked_charity_number",
    "charity_name",
    "charity_type",
    "charity_registration_status",
    "date_of_registration",
    "date_of_removal",
    "charity_reporting_status",
    "latest_acc_fin_period_start_date",
    "latest_acc_fin_period_end_date",
    "latest_income",
    "latest_expenditure",
    "charity_contact_address1",
    "charity_contact_address2",
    "charity_contact_address3",
    "charity_contact_address4",
    "charity_contact_address5",
    "charity_contact_postcode",
    "charity_contact_phone",
    "charity_contact_email",
    "charity_contact_web",
    "charity_company_registration_number",
    "charity_insolvent",
    "charity_in_administration",
    "charity_previously_excepted",
    "charity_is_cdf_or_cif",
    "charity_is_cio",
    "cio_is_dissolved",
    "date_cio_dissolution_notice",
    "charity_activities",
    "charity_gift_aid",
    "charity_has_land",
]


def company(
    name: str,
    number: str,
    postcode: str = "",
    category: str = "Private Limited Company",
    status: str = "Active",
    accounts: str = "MICRO ENTITY",
    sic: tuple[str, ...] = ("70229 - Management consultancy activities other than financial management",),
    previous: tuple[str, ...] = (),
) -> dict:
    """One company as its published row: the named fields, the rest as Companies House fills them."""
    row = {c.strip(): "" for c in COMPANIES_COLUMNS}
    row.update(
        {
            "CompanyName": name,
            "CompanyNumber": number,
            "RegAddress.AddressLine1": "1 HIGH STREET",
            "RegAddress.PostTown": "LONDON",
            "RegAddress.PostCode": postcode,
            "CompanyCategory": category,
            "CompanyStatus": status,
            "CountryOfOrigin": "United Kingdom",
            "IncorporationDate": "29/06/2011",
            "Accounts.AccountRefDay": "31",
            "Accounts.AccountRefMonth": "3",
            "Accounts.NextDueDate": "31/12/2025",
            "Accounts.LastMadeUpDate": "31/03/2024",
            "Accounts.AccountCategory": accounts,
            "Mortgages.NumMortCharges": "0",
            "Mortgages.NumMortOutstanding": "0",
            "Mortgages.NumMortPartSatisfied": "0",
            "Mortgages.NumMortSatisfied": "0",
            "LimitedPartnerships.NumGenPartners": "0",
            "LimitedPartnerships.NumLimPartners": "0",
            "URI": f"http://business.data.gov.uk/id/company/{number}",
            "ConfStmtNextDueDate": "13/07/2025",
            "ConfStmtLastMadeUpDate": "29/06/2024",
        }
    )
    for i, s in enumerate(sic[:4], 1):
        row[f"SICCode.SicText_{i}"] = s
    for i, p in enumerate(previous[:10], 1):
        row[f"PreviousName_{i}.CONDATE"] = "15/07/2011"
        row[f"PreviousName_{i}.CompanyName"] = p
    return row


def companies_text(rows: list[dict]) -> str:
    """The published CSV: the header unquoted, every value quoted, CRLF."""
    out = io.StringIO()
    out.write(COMPANIES_HEADER + "\r\n")
    w = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    for r in rows:
        w.writerow([r[c.strip()] for c in COMPANIES_COLUMNS])
    return out.getvalue()


def write_companies(path: Path, rows: list[dict], *, zipped: bool = False, member: str | None = None) -> Path:
    """``BasicCompanyDataAsOneFile-YYYY-MM-DD.csv`` (or a zip holding it under ``member``) at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = companies_text(rows)
    if zipped:
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
            z.writestr(member or path.with_suffix(".csv").name, text.encode("utf-8"))
    else:
        path.write_bytes(text.encode("utf-8"))
    return path


def charity(
    number: str,
    name: str,
    postcode: str = "",
    *,
    linked: str = "0",
    status: str = "Registered",
    company_number: str = "",
    cio: bool = False,
) -> dict:
    row = {f: "" for f in CHARITY_FIELDS}
    row.update(
        {
            "date_of_extract": "2024-05-01",
            "organisation_number": str(abs(hash((number, linked))) % 10**7),
            "registered_charity_number": number,
            "linked_charity_number": linked,
            "charity_name": name,
            "charity_type": "CIO" if cio else ("Charitable company" if company_number else "Trust"),
            "charity_registration_status": status,
            "date_of_registration": "2001-04-01 00:00:00",
            "date_of_removal": "2020-01-01 00:00:00" if status == "Removed" else "",
            "charity_reporting_status": "Submission Received",
            "latest_income": "125000.00",
            "latest_expenditure": "120000.00",
            "charity_contact_address1": "1 Mare Street",
            "charity_contact_postcode": postcode,
            "charity_company_registration_number": company_number,
            "charity_insolvent": "False",
            "charity_in_administration": "False",
            "charity_previously_excepted": "False",
            "charity_is_cdf_or_cif": "",
            "charity_is_cio": "True" if cio else "False",
            "cio_is_dissolved": "False" if cio else "",
            "charity_activities": "Advice and support for people in Hackney",
            "charity_gift_aid": "True",
            "charity_has_land": "False",
        }
    )
    return row


def write_charities(path: Path, rows: list[dict], *, as_json: bool = False) -> Path:
    """``publicextract.charity.txt`` (tab-separated) or ``.json`` (an array of objects) at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if as_json:
        items = []
        for r in rows:
            item = {}
            for f in CHARITY_FIELDS:
                v = r[f]
                if f in ("registered_charity_number", "linked_charity_number", "organisation_number") and v:
                    item[f] = int(v)
                elif f in ("latest_income", "latest_expenditure") and v:
                    item[f] = float(v)
                elif v in ("True", "False"):
                    item[f] = v == "True"
                else:
                    item[f] = v if v else None
            items.append(item)
        path.write_text(json.dumps(items, indent=1), encoding="utf-8-sig")
    else:
        lines = ["\t".join(CHARITY_FIELDS)] + ["\t".join(r[f] for f in CHARITY_FIELDS) for r in rows]
        path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path
