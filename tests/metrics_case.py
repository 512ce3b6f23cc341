"""One small network worked by hand for the metrics tests (tests/test_metrics_*.py).

Postcodes (tests/builders.py): E8 1AA Hackney decile 1, E8 2BB Hackney decile 5, EC2V 7HH City
decile 9, SE1 1AA Southwark decile 2, M1 1AA Manchester decile 1. Both anchors' home is Hackney.

Register (sme, vcse, bame_led, women_led; youth_led blank for all, so no youth-led group):
  R0 Hackney Cleaners Ltd   E8 1AA   Y N Y N   Cleaning;Supplies
  R1 Dalston Catering Ltd   E8 2BB   Y Y N Y   Catering;Supplies
  R2 Clapton Catering CIC   E8 1AA   Y Y Y -   Catering;Cleaning;Supplies   (never paid)
  R3 City Law LLP           EC2V 7HH N N N N   Legal
  R4 Northern Supplies Ltd  M1 1AA   N N - N   Supplies;Cleaning
  R5 Bermondsey Builders    SE1 1AA  Y N N N   Construction

a1's payments (amount, payee as written -> resolved supplier):
  Cleaning      01/05/2023  1000  Hackney Cleaners Limited   R0  local       FY 2023-24
  Cleaning      31/03/2024   500  HACKNEY CLEANERS LTD.      R0  local       FY 2023-24 (last day)
  Catering      01/04/2024  2000  Dalston Catering Ltd       R1  local       FY 2024-25 (first day)
  Legal         02/05/2023  3000  City Law LLP               R3  not local
  Supplies      03/05/2023  4000  Northern Supplies Ltd      R4  not local
  Supplies      04/05/2023   600  Unknown Traders Ltd        unmatched: unknown location
  Supplies      05/05/2023   400  Unknown Traders Limited    the same unmatched supplier
  Construction  05/05/2023  1500  Bermondsey Builders Ltd    R5  not local
  Cleaning      06/06/2023   800  Northern Supplies Ltd      R4  not local
  Pension Fund Contributions 07/05/2023 5000 Some Pension Fund   not addressable
Totals: total 18,800; addressable 13,800; local 3,500; unknown location 1,000; known 12,800;
local share 3,500 / 12,800 = 0.2734375; leakage 13,800 - 3,500 = 10,300 (known leakage 9,300).

a2's payments: Cleaning 700 Hackney Cleaners Ltd (R0), Supplies 300 Northern Supplies (R4),
Legal 200 Other Law Firm (unmatched).
"""

from __future__ import annotations

from pathlib import Path

from tests.builders import supplier, tiny_dataset

A1 = [
    ("Cleaning", "01/05/2023", "1000", "Hackney Cleaners Limited"),
    ("Cleaning", "31/03/2024", "500", "HACKNEY CLEANERS LTD."),
    ("Catering", "01/04/2024", "2000", "Dalston Catering Ltd"),
    ("Legal", "02/05/2023", "3000", "City Law LLP"),
    ("Supplies", "03/05/2023", "4000", "Northern Supplies Ltd"),
    ("Supplies", "04/05/2023", "600", "Unknown Traders Ltd"),
    ("Supplies", "05/05/2023", "400", "Unknown Traders Limited"),
    ("Construction", "05/05/2023", "1500", "Bermondsey Builders Ltd"),
    ("Cleaning", "06/06/2023", "800", "Northern Supplies Ltd"),
    ("Pension Fund Contributions", "07/05/2023", "5000", "Some Pension Fund"),
]
A2 = [
    ("Cleaning", "01/06/2023", "700", "Hackney Cleaners Ltd"),
    ("Supplies", "01/06/2023", "300", "Northern Supplies"),
    ("Legal", "01/06/2023", "200", "Other Law Firm"),
]
REGISTER = [
    supplier("Hackney Cleaners Ltd", "E8 1AA", "yes", "no", "yes", "no", cats="Cleaning;Supplies"),
    supplier("Dalston Catering Ltd", "E8 2BB", "yes", "yes", "no", "yes", cats="Catering;Supplies"),
    supplier("Clapton Catering CIC", "E8 1AA", "yes", "yes", "yes", "", cats="Catering;Cleaning;Supplies"),
    supplier("City Law LLP", "EC2V 7HH", "no", "no", "no", "no", cats="Legal"),
    supplier("Northern Supplies Ltd", "M1 1AA", "no", "no", "", "no", cats="Supplies;Cleaning"),
    supplier("Bermondsey Builders Ltd", "SE1 1AA", "yes", "no", "no", "no", cats="Construction"),
]


def network_case(root: Path, *, survey: bool = True, youth: list[str] | None = None) -> Path:
    """The dataset above; ``survey``: lm3_survey.csv with Hackney Cleaners (0.4 + 0.2, a spelling of R0)
    and City Law (0.5 + 0.5, not local to Hackney); ``youth``: youth_led values for R0..R5."""
    reg = [list(r) for r in REGISTER]
    for r, y in zip(reg, youth or []):
        r[8] = y
    return tiny_dataset(
        root,
        anchors=[["a1", "Anchor One", "council", "E09000012"], ["a2", "Anchor Two", "nhs", "E09000012"]],
        suppliers=reg,
        spend={"a1": A1, "a2": A2},
        survey=[["Hackney Cleaners Limited", "0.4", "0.2"], ["City Law LLP", "0.5", "0.5"]]
        if survey
        else None,
    )
