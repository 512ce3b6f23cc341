"""A deterministic, synthetic but true-to-life City & Hackney dataset (``anchorlib sample``).

Everything here is invented: supplier names, postcodes, LSOA codes (E019xxxxx, outside the real
range) and deprivation deciles. Only the LAD and region codes are real ONS codes, so that areas
nest as they do in life. The story it tells, on purpose:

* facilities, construction, catering and care leak out of the borough although local suppliers
  exist; pharmaceuticals, national ICT and energy cannot be local;
* every anchor's local share improves a little each financial year (2021-22 to 2023-24);
* BAME-led and women-led suppliers are available in the register but under-used;
* some "local" suppliers are national firms whose registered office sits in the City (hq_only);
* a few payees appear under two spellings, some are not in the register (unknown location), and
  payments to individuals are redacted.

Files are written in the layouts these bodies publish (LGTC spend over £500, as CSV for Hackney and
as Excel for the City; central-government spend over £25k for the NHS bodies) with their quirks:
title rows, £ signs and thousands separators, bracketed credits, redacted payees and total rows.
"""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 2024
DEFAULT_ROWS = 24_000
YEARS = ["2021-22", "2022-23", "2023-24"]
#: Above this many rows a year, the City's files are written as CSV, not .xlsx (real spend workbooks hold a
#: few thousand rows). At 1M rows, with the limit at 200k, three ~100k-row workbooks made ``anchorlib sample``
#: take 73 s (8.6 s as CSV) and the first open 14.4 s (8.0 s).
XLSX_MAX_ROWS = 50_000
_FIXED_ZIP_TIME = (2024, 4, 1, 0, 0, 0)
#: Above this many rows a year, a body's spend is written as a file a month (as many publish): a national
#: sample's files stay the size real ones are, and each is parsed on its own.
FILE_MAX_ROWS = 2_000_000

LONDON = "E12000007"
# LAD code, name, region, postcode districts, LSOA count, IMD decile weights (1..10)
LADS = [
    ("E09000012", "Hackney", LONDON, ["E8", "E9", "E5", "N16"], 40, [24, 28, 20, 12, 7, 4, 3, 1, 1, 0]),
    (
        "E09000001",
        "City of London",
        LONDON,
        ["EC1A", "EC2V", "EC2M", "EC3V", "EC4M", "EC2Y"],
        6,
        [0, 2, 1, 0, 1, 2, 3, 3, 4, 4],
    ),
    ("E09000030", "Tower Hamlets", LONDON, ["E1", "E3", "E14"], 15, [20, 26, 20, 14, 8, 5, 4, 2, 1, 0]),
    ("E09000025", "Newham", LONDON, ["E13", "E15", "E16", "E7"], 15, [18, 30, 24, 14, 7, 4, 2, 1, 0, 0]),
    ("E09000019", "Islington", LONDON, ["N1", "N7", "N19"], 12, [10, 20, 20, 15, 12, 8, 6, 5, 3, 1]),
    ("E09000031", "Waltham Forest", LONDON, ["E17", "E10", "E11"], 12, [6, 15, 22, 20, 15, 10, 6, 4, 2, 0]),
    ("E09000014", "Haringey", LONDON, ["N15", "N17", "N22"], 12, [14, 22, 18, 12, 10, 8, 7, 5, 3, 1]),
    ("E09000007", "Camden", LONDON, ["NW1", "NW3", "NW5"], 12, [5, 10, 12, 12, 12, 12, 12, 10, 9, 6]),
    ("E09000028", "Southwark", LONDON, ["SE1", "SE15", "SE5"], 12, [8, 18, 20, 16, 12, 10, 8, 5, 2, 1]),
    ("E09000033", "Westminster", LONDON, ["W1D", "SW1A", "W2"], 12, [4, 8, 10, 10, 10, 12, 14, 14, 10, 8]),
    ("E09000002", "Barking and Dagenham", LONDON, ["IG11", "RM9"], 10, [15, 30, 28, 15, 7, 3, 2, 0, 0, 0]),
    ("E09000026", "Redbridge", LONDON, ["IG1", "IG2"], 10, [3, 8, 12, 16, 18, 16, 12, 8, 5, 2]),
    ("E09000016", "Havering", LONDON, ["RM1", "RM3"], 10, [2, 6, 8, 12, 14, 16, 16, 12, 9, 5]),
    ("E09000022", "Lambeth", LONDON, ["SW9", "SE11"], 10, [8, 18, 22, 18, 12, 8, 6, 4, 3, 1]),
    ("E08000025", "Birmingham", "E12000005", ["B1", "B5", "B11"], 12, [25, 18, 12, 10, 8, 7, 7, 6, 4, 3]),
    ("E08000003", "Manchester", "E12000002", ["M1", "M4", "M13"], 12, [30, 18, 12, 10, 8, 7, 6, 4, 3, 2]),
    ("E08000035", "Leeds", "E12000003", ["LS1", "LS11"], 10, [15, 10, 10, 10, 10, 10, 10, 10, 8, 7]),
    ("E06000038", "Reading", "E12000008", ["RG1", "RG2"], 8, [3, 6, 8, 10, 12, 14, 15, 14, 10, 8]),
    (
        "E06000023",
        "Bristol, City of",
        "E12000009",
        ["BS1", "BS2"],
        8,
        [10, 10, 10, 10, 10, 10, 10, 10, 10, 10],
    ),
    ("E07000008", "Cambridge", "E12000006", ["CB1", "CB2"], 8, [1, 2, 4, 8, 10, 14, 18, 18, 15, 10]),
]
LAD_NAMES = {code: name for code, name, *_ in LADS}
HOME = ("E09000012", "E09000001")
REST_LONDON = [code for code, _, rgn, *_ in LADS if rgn == LONDON and code not in HOME]
REST_UK = [code for code, _, rgn, *_ in LADS if rgn != LONDON]

ANCHORS = [
    # anchor_id, name, kind, home LADs, layout, share of transactions
    ("hackney", "Hackney Council", "council", "E09000012", "lgtc_csv", 0.45),
    ("city_of_london", "City of London Corporation", "council", "E09000001", "lgtc_xlsx", 0.30),
    (
        "elft",
        "East London NHS Foundation Trust",
        "nhs_trust",
        "E09000012;E09000001;E09000030;E09000025",
        "nhs_csv",
        0.15,
    ),
    (
        "nel_icb",
        "NHS North East London ICB (formerly City & Hackney CCG)",
        "icb",
        "E09000012;E09000001;E09000030;E09000025;E09000002;E09000026;E09000016;E09000031",
        "nhs_csv_bom",
        0.10,
    ),
]


@dataclass(frozen=True)
class Category:
    name: str
    expense_types: tuple[str, ...]
    addressable: bool
    home_share: float  # share of the register's suppliers for this category based in City & Hackney
    london_share: float  # ... in the rest of London (the rest are elsewhere in the UK)
    p_local: float  # chance a payment goes to a City & Hackney supplier in 2021-22
    uplift: float  # added to p_local each later year
    mean_amount: float  # typical payment, £
    n_suppliers: int


CATEGORIES = [
    Category(
        "Facilities management",
        ("Cleaning Services", "Security Services", "Grounds Maintenance"),
        True,
        0.30,
        0.35,
        0.14,
        0.04,
        9_000,
        260,
    ),
    Category(
        "Construction and repairs",
        ("Building Repairs", "Capital Works - Construction", "Responsive Repairs"),
        True,
        0.28,
        0.37,
        0.18,
        0.04,
        30_000,
        300,
    ),
    Category("Catering", ("Catering Services", "Provisions"), True, 0.40, 0.30, 0.16, 0.05, 3_500, 140),
    Category(
        "Adult social care",
        ("Residential Care", "Home Care Services", "Supported Living"),
        True,
        0.32,
        0.38,
        0.26,
        0.04,
        14_000,
        240,
    ),
    Category(
        "Children and young people's services",
        ("Youth Services", "Early Years Provision", "Children's Placements"),
        True,
        0.40,
        0.35,
        0.34,
        0.03,
        6_000,
        180,
    ),
    Category(
        "Community and voluntary sector grants",
        ("Grants to Voluntary Organisations", "Community Grants"),
        True,
        0.70,
        0.20,
        0.62,
        0.02,
        8_000,
        180,
    ),
    Category(
        "Professional services",
        ("Legal Fees", "Consultancy", "Audit Fees"),
        True,
        0.30,
        0.45,
        0.30,
        0.02,
        12_000,
        220,
    ),
    Category("Agency staff", ("Agency Staff", "Interim Staff"), True, 0.08, 0.50, 0.06, 0.01, 7_000, 90),
    Category(
        "Transport and fleet",
        ("Vehicle Hire", "Taxi and Courier Services", "Fuel"),
        True,
        0.20,
        0.40,
        0.16,
        0.02,
        2_500,
        110,
    ),
    Category(
        "Print, stationery and office supplies",
        ("Printing", "Stationery", "Office Furniture"),
        True,
        0.22,
        0.38,
        0.18,
        0.02,
        1_800,
        110,
    ),
    Category(
        "ICT and software",
        ("Computer Software", "ICT Hardware", "Telephony"),
        True,
        0.05,
        0.30,
        0.03,
        0.005,
        20_000,
        120,
    ),
    Category(
        "Energy and utilities",
        ("Electricity", "Gas", "Water Charges"),
        True,
        0.00,
        0.10,
        0.00,
        0.0,
        25_000,
        25,
    ),
    Category(
        "Pharmaceuticals and medical supplies",
        ("Drugs", "Medical and Surgical Equipment", "Clinical Consumables"),
        True,
        0.00,
        0.05,
        0.00,
        0.0,
        40_000,
        45,
    ),
    Category(
        "Clinical services (independent sector)",
        ("Healthcare Services from Non-NHS Bodies", "Mental Health Placements"),
        True,
        0.18,
        0.40,
        0.14,
        0.03,
        60_000,
        100,
    ),
    Category(
        "Payments to other public bodies",
        ("Payments to NHS Bodies", "GLA Precept", "Payments to Other Local Authorities"),
        False,
        0.0,
        0.0,
        0.0,
        0.0,
        120_000,
        0,
    ),
    Category("Pensions", ("Pension Fund Contributions",), False, 0.0, 0.0, 0.0, 0.0, 150_000, 0),
    Category("Tax", ("HMRC - PAYE and NI",), False, 0.0, 0.0, 0.0, 0.0, 200_000, 0),
    Category(
        "Payments to individuals",
        ("Foster Carer Allowances", "Direct Payments"),
        False,
        0.0,
        0.0,
        0.0,
        0.0,
        1_200,
        0,
    ),
]
CAT_BY_NAME = {c.name: c for c in CATEGORIES}

# anchor_id -> category weights (share of transactions)
ANCHOR_MIX = {
    "hackney": {
        "Facilities management": 10,
        "Construction and repairs": 14,
        "Catering": 4,
        "Adult social care": 16,
        "Children and young people's services": 10,
        "Community and voluntary sector grants": 6,
        "Professional services": 6,
        "Agency staff": 6,
        "Transport and fleet": 4,
        "Print, stationery and office supplies": 3,
        "ICT and software": 4,
        "Energy and utilities": 2,
        "Payments to other public bodies": 3,
        "Pensions": 1,
        "Tax": 1,
        "Payments to individuals": 10,
    },
    "city_of_london": {
        "Facilities management": 16,
        "Construction and repairs": 18,
        "Catering": 7,
        "Adult social care": 4,
        "Children and young people's services": 3,
        "Community and voluntary sector grants": 7,
        "Professional services": 14,
        "Agency staff": 5,
        "Transport and fleet": 4,
        "Print, stationery and office supplies": 5,
        "ICT and software": 7,
        "Energy and utilities": 3,
        "Payments to other public bodies": 2,
        "Pensions": 1,
        "Tax": 1,
        "Payments to individuals": 3,
    },
    "elft": {
        "Facilities management": 14,
        "Construction and repairs": 10,
        "Catering": 6,
        "Agency staff": 12,
        "Professional services": 6,
        "ICT and software": 10,
        "Energy and utilities": 4,
        "Pharmaceuticals and medical supplies": 18,
        "Clinical services (independent sector)": 10,
        "Transport and fleet": 3,
        "Payments to other public bodies": 5,
        "Pensions": 1,
        "Tax": 1,
    },
    "nel_icb": {
        "Clinical services (independent sector)": 28,
        "Pharmaceuticals and medical supplies": 14,
        "Community and voluntary sector grants": 10,
        "Professional services": 8,
        "ICT and software": 8,
        "Facilities management": 4,
        "Agency staff": 4,
        "Payments to other public bodies": 22,
        "Tax": 1,
        "Pensions": 1,
    },
}

PUBLIC_BODIES = {
    "Payments to other public bodies": [
        ("Barts Health NHS Trust", "E1 1BB", "E09000030"),
        ("Homerton Healthcare NHS Foundation Trust", "E9 6SR", "E09000012"),
        ("Greater London Authority", "SE1 2AA", "E09000028"),
        ("London Borough of Tower Hamlets", "E14 2BG", "E09000030"),
        ("London Borough of Islington", "N1 2UD", "E09000019"),
    ],
    "Pensions": [("London Pensions Fund Authority", "SE1 8DZ", "E09000028")],
    "Tax": [("HM Revenue & Customs", "BS1 9HB", "E06000023")],
}

_FIRST = [
    "Acme",
    "Albion",
    "Arch",
    "Aspire",
    "Beacon",
    "Bridge",
    "Canal",
    "Cedar",
    "Clarity",
    "Compass",
    "Crown",
    "Dalston",
    "Delta",
    "Eastway",
    "Ember",
    "Forge",
    "Fountain",
    "Green",
    "Harbour",
    "Hazel",
    "Horizon",
    "Kestrel",
    "Lea",
    "Linden",
    "Marsh",
    "Meridian",
    "Mill",
    "Northgate",
    "Oak",
    "Orbit",
    "Pioneer",
    "Quay",
    "Riverside",
    "Rowan",
    "Sapphire",
    "Shore",
    "Silver",
    "Spire",
    "Summit",
    "Thames",
    "Unity",
    "Vale",
    "Victoria",
    "Willow",
    "Wick",
    "Zenith",
    "Kingsland",
    "Mare Street",
    "Clapton",
    "Hoxton",
    "Shoreditch",
    "Aldgate",
    "Barbican",
    "Moorgate",
    "Stratford",
    "Bow",
    "Ridley",
    "Abney",
    "Amhurst",
]
_SECOND = [
    "Partners",
    "Group",
    "Associates",
    "Services",
    "Solutions",
    "Works",
    "Collective",
    "Trading",
    "& Sons",
    "Brothers",
    "Enterprises",
    "Co-operative",
    "Holdings",
    "Network",
    "Projects",
    "Support",
    "Care",
]
_CAT_WORD = {
    "Facilities management": ["Cleaning", "Security", "Facilities", "Maintenance"],
    "Construction and repairs": ["Builders", "Construction", "Roofing", "Electrical", "Plumbing"],
    "Catering": ["Catering", "Kitchen", "Foods", "Bakery"],
    "Adult social care": ["Care", "Homecare", "Living", "Support"],
    "Children and young people's services": ["Youth", "Nursery", "Families", "Play"],
    "Community and voluntary sector grants": ["Community", "Trust", "Foundation", "Association", "Centre"],
    "Professional services": ["Legal", "Consulting", "Accountants", "Advisory"],
    "Agency staff": ["Recruitment", "Staffing", "Personnel"],
    "Transport and fleet": ["Transport", "Cars", "Couriers", "Logistics"],
    "Print, stationery and office supplies": ["Print", "Office", "Supplies"],
    "ICT and software": ["Digital", "Systems", "Software", "Networks"],
    "Energy and utilities": ["Energy", "Power", "Water"],
    "Pharmaceuticals and medical supplies": ["Pharma", "Medical", "Healthcare", "Surgical"],
    "Clinical services (independent sector)": ["Clinic", "Health", "Therapies", "Hospitals"],
}


def _lsoas(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    serial = 900001
    for code, name, rgn, districts, n, weights in LADS:
        w = np.array(weights, dtype=float)
        deciles = rng.choice(np.arange(1, 11), size=n, p=w / w.sum())
        for i in range(n):
            rows.append(
                {
                    "lsoa": f"E0{serial}",
                    "lsoa_name": f"{name} {i + 1:03d}{'ABCD'[i % 4]}",
                    "lad": code,
                    "lad_name": name,
                    "rgn": rgn,
                    "district": districts[i % len(districts)],
                    "decile": int(deciles[i]),
                }
            )
            serial += 1
    return pd.DataFrame(rows)


def _postcodes(rng: np.random.Generator, lsoas: pd.DataFrame, per_lsoa: int = 8) -> pd.DataFrame:
    letters = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))
    seen: set[str] = set()
    rows = []
    for r in lsoas.itertuples(index=False):
        made = 0
        while made < per_lsoa:
            pc = f"{r.district} {rng.integers(1, 10)}{''.join(rng.choice(letters, 2))}"
            if pc in seen:
                continue
            seen.add(pc)
            made += 1
            terminated = rng.random() < 0.04
            rows.append(
                {
                    "pcd": pc.replace(" ", "").ljust(7) if len(pc) < 8 else pc.replace(" ", ""),
                    "pcds": pc,
                    "dointr": "198001",
                    "doterm": "201906" if terminated else "",
                    "laua": r.lad,
                    "rgn": r.rgn,
                    "ctry": "E92000001",
                    "lsoa11": r.lsoa,
                }
            )
    df = pd.DataFrame(rows)
    # 7-character form: outward code padded to 4 characters, then inward code
    df["pcd"] = df["pcds"].map(
        lambda s: (
            s.split(" ")[0].ljust(4) + s.split(" ")[1] if len(s.split(" ")[0]) < 4 else s.replace(" ", "")
        )
    )
    return df


def _imd(lsoas: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    band = 32844 / 10
    ranks = [int(rng.integers(int((d - 1) * band) + 1, int(d * band))) for d in lsoas["decile"]]
    return pd.DataFrame(
        {
            "LSOA code (2011)": lsoas["lsoa"],
            "LSOA name (2011)": lsoas["lsoa_name"],
            "Local Authority District code (2019)": lsoas["lad"],
            "Local Authority District name (2019)": lsoas["lad_name"],
            "Index of Multiple Deprivation (IMD) Rank": [f"{r:,}" for r in ranks],
            "Index of Multiple Deprivation (IMD) Decile": lsoas["decile"].astype(int),
        }
    )


def _flag(values: np.ndarray, known: np.ndarray) -> list[str]:
    return ["" if not k else ("Yes" if v else "No") for v, k in zip(values, known)]


def _suppliers(rng: np.random.Generator, postcodes: pd.DataFrame) -> pd.DataFrame:
    live = postcodes[postcodes["doterm"] == ""]
    by_lad = {lad: g["pcds"].to_numpy() for lad, g in live.groupby("laua")}
    rows = []
    used: set[str] = set()
    for cat in CATEGORIES:
        if cat.n_suppliers == 0:
            continue
        for _ in range(cat.n_suppliers):
            u = rng.random()
            zone = (
                "home" if u < cat.home_share else "london" if u < cat.home_share + cat.london_share else "uk"
            )
            lad = (
                rng.choice(list(HOME), p=[0.8, 0.2])
                if zone == "home"
                else rng.choice(REST_LONDON)
                if zone == "london"
                else rng.choice(REST_UK)
            )
            for _attempt in range(50):
                name = f"{rng.choice(_FIRST)} {rng.choice(_CAT_WORD[cat.name])} {rng.choice(_SECOND)}"
                if name not in used:
                    break
            used.add(name)
            vcse_p = (
                0.55
                if cat.name == "Community and voluntary sector grants"
                else 0.18
                if zone == "home"
                else 0.06
            )
            is_vcse = rng.random() < vcse_p
            if is_vcse:
                name = name.replace("& Sons", "Trust").replace("Holdings", "Trust")
                suffix = rng.choice(["", " CIC", " Trust"], p=[0.5, 0.3, 0.2])
            else:
                suffix = rng.choice([" Ltd", " Limited", " PLC", " LLP", ""], p=[0.55, 0.2, 0.05, 0.1, 0.1])
            name = name + suffix
            large = (not is_vcse) and rng.random() < (0.35 if zone != "home" else 0.12)
            hq_only = bool(large and lad == "E09000001" and rng.random() < 0.7)
            if large and zone != "home" and rng.random() < 0.10:  # national firms registered in the City
                lad, hq_only = "E09000001", True
            postcode = rng.choice(by_lad[lad])
            written = rng.choice(
                [postcode, postcode.lower(), postcode.replace(" ", ""), f" {postcode} "],
                p=[0.85, 0.05, 0.07, 0.03],
            )
            bame = rng.random() < (0.34 if zone == "home" else 0.18)
            women = rng.random() < (0.30 if zone == "home" else 0.22)
            youth = rng.random() < 0.06
            rows.append(
                {
                    "supplier_name": name,
                    "postcode": written,
                    "company_number": ""
                    if is_vcse and rng.random() < 0.6
                    else f"{int(rng.integers(1_000_000, 15_000_000)):08d}",
                    "charity_number": f"{int(rng.integers(200_000, 1_200_000))}"
                    if is_vcse and rng.random() < 0.7
                    else "",
                    "is_sme": not large,
                    "is_vcse": is_vcse,
                    "bame_led": bame,
                    "women_led": women,
                    "youth_led": youth,
                    "hq_only": hq_only,
                    "categories": cat.name,
                    "_zone": zone,
                    "_large": large,
                    "_sme_known": rng.random() > 0.04,
                    "_vcse_known": True,
                    "_bame_known": rng.random() > 0.22,
                    "_women_known": rng.random() > 0.18,
                    "_youth_known": rng.random() > 0.7,
                }
            )
    for cat_name, bodies in PUBLIC_BODIES.items():
        for name, pc, _lad in bodies:
            rows.append(
                {
                    "supplier_name": name,
                    "postcode": pc,
                    "company_number": "",
                    "charity_number": "",
                    "is_sme": False,
                    "is_vcse": False,
                    "bame_led": False,
                    "women_led": False,
                    "youth_led": False,
                    "hq_only": False,
                    "categories": cat_name,
                    "_zone": "public",
                    "_large": True,
                    "_sme_known": True,
                    "_vcse_known": True,
                    "_bame_known": False,
                    "_women_known": False,
                    "_youth_known": False,
                }
            )
    df = pd.DataFrame(rows)
    # public-body postcodes are invented too; add them to the directory so they locate
    return df


def _write_csv(
    path: Path,
    header: list[str],
    blocks: Iterable[Iterable],
    preamble: list[list[str]] = (),
    encoding: str = "utf-8",
) -> None:
    """Write a CSV as ``csv.writer`` does (minimal quoting, CRLF). ``blocks`` hold rows (lists, written
    by csv.writer) or text already formatted (str, from ``_csv_blocks``); consumed once, never held whole."""
    with open(path, "w", encoding=encoding, newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        for line in preamble:
            w.writerow(line)
        w.writerow(header)
        for block in blocks:
            for part in block:
                if isinstance(part, str):
                    f.write(part)
                else:
                    w.writerow(part)


@dataclass(frozen=True)
class Serial:
    """Transaction numbers: ``prefix`` then the 1-based row number, zero-padded to ``width``."""

    prefix: str
    width: int

    def text(self, i: int) -> str:
        return f"{self.prefix}{i + 1:0{self.width}d}"


@dataclass(frozen=True)
class Money:
    """Amounts as publishers print them. With ``style`` (a uniform draw per row), as councils do:
    '£1,234.50' or '1234.50', credits '(12.00)' or '-£12.00'; without, '1,234.50' / '-12.00'. Formatted
    by Arrow kernels, as Python's ``f"{x:,.2f}"`` would (tests/test_sample.py compares them)."""

    amount: np.ndarray
    style: np.ndarray | None = None

    def texts(self, a: int, b: int):
        import pyarrow as pa
        import pyarrow.compute as pc

        x = self.amount[a:b]
        cents = np.rint(np.abs(x) * 100).astype(np.int64)
        pounds, pence = cents // 100, cents % 100

        def text(v):
            return pc.cast(pa.array(v), pa.string())

        def pad(v, n):
            return pc.utf8_lpad(text(v), n, "0")

        groups = [pounds % 1000, (pounds // 1000) % 1000, (pounds // 10**6) % 1000, pounds // 10**9]
        commas = text(groups[0])
        for i in range(1, 4):  # each step: the number with one more group of three digits in front
            longer = pc.binary_join_element_wise(
                text(groups[i]), *[pad(g, 3) for g in reversed(groups[:i])], ","
            )
            commas = pc.if_else(pa.array(pounds >= 1000**i), longer, commas)
        tail = pc.binary_join_element_wise(".", pad(pence, 2), "")
        grouped = pc.binary_join_element_wise(commas, tail, "")
        negative = pa.array(x < 0)
        if self.style is None:
            return pc.if_else(negative, pc.binary_join_element_wise("-", grouped, ""), grouped)
        r = self.style[a:b]
        plain = pc.binary_join_element_wise(text(pounds), tail, "")
        positive = pc.if_else(pa.array(r < 0.7), pc.binary_join_element_wise("£", grouped, ""), plain)
        credit = pc.if_else(
            pa.array(r < 0.5),
            pc.binary_join_element_wise("(", grouped, ")", ""),
            pc.binary_join_element_wise("-£", grouped, ""),
        )
        return pc.if_else(negative, credit, positive)


_CSV_SPECIAL = '[",\r\n]'  # csv.writer's minimal quoting: a field holding one of these is quoted
CSV_BLOCK_ROWS = 200_000


def _quoted(values):
    """Arrow strings quoted as csv.writer quotes them."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = values if isinstance(values, (pa.Array, pa.ChunkedArray)) else pa.array(values, type=pa.string())
    need = pc.match_substring_regex(arr, _CSV_SPECIAL)
    if not pc.any(need).as_py():
        return arr
    return pc.if_else(
        need, pc.binary_join_element_wise('"', pc.replace_substring(arr, '"', '""'), '"', ""), arr
    )


def _csv_blocks(cols: list, a: int, b: int) -> Iterable[str]:
    """The CSV text of rows a..b, ``CSV_BLOCK_ROWS`` at a time. Each column is a constant (str),
    (distinct texts, codes per row), a ``Serial``, ``Money``, or one text per row."""
    import pyarrow as pa
    import pyarrow.compute as pc

    const = {i: _quoted([c]).to_pylist()[0] for i, c in enumerate(cols) if isinstance(c, str)}
    vocab = {i: _quoted(c[0]) for i, c in enumerate(cols) if isinstance(c, tuple)}
    for start in range(a, b, CSV_BLOCK_ROWS):
        stop = min(b, start + CSV_BLOCK_ROWS)
        fields = []
        for i, c in enumerate(cols):
            if i in const:
                fields.append(pa.scalar(const[i]))
            elif i in vocab:
                fields.append(vocab[i].take(pa.array(c[1][start:stop])))
            elif isinstance(c, Serial):
                number = pc.cast(pa.array(np.arange(start + 1, stop + 1)), pa.string())
                fields.append(pc.binary_join_element_wise(c.prefix, pc.utf8_lpad(number, c.width, "0"), ""))
            elif isinstance(c, Money):
                fields.append(_quoted(c.texts(start, stop)))
            else:
                fields.append(_quoted(list(c[start:stop])))
        lines = pc.binary_join_element_wise(
            pc.binary_join_element_wise(*fields, ","), "", "\r\n"
        )  # line + CRLF
        yield pc.binary_join(pa.ListArray.from_arrays([0, len(lines)], lines), "")[0].as_py()


def _normalise_xlsx(path: Path) -> None:
    """Rewrite an .xlsx with fixed zip timestamps and document dates so regeneration is byte-identical."""
    with zipfile.ZipFile(path) as zin:
        items = [(info.filename, zin.read(info.filename)) for info in zin.infolist()]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zout:
        for name, data in items:
            if name == "docProps/core.xml":
                import re

                data = re.sub(
                    rb"<dcterms:(created|modified)([^>]*)>[^<]*<",
                    rb"<dcterms:\1\2>2024-04-01T00:00:00Z<",
                    data,
                )
            info = zipfile.ZipInfo(name, date_time=_FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(info, data)


def _year_days(rng: np.random.Generator, fy: str, n: int) -> tuple[np.ndarray, pd.DatetimeIndex]:
    """Sorted day offsets of ``n`` payments in financial year ``fy`` and the year's 365 dates."""
    days = np.sort(rng.integers(0, 365, size=n))
    return days, pd.date_range(f"{fy[:4]}-04-01", periods=365, freq="D")


def _payments(rng, anchor_id: str, kind: str, fy_index: int, n: int, suppliers: pd.DataFrame) -> dict:
    """Vectorised payments for one anchor and year: codes into ``names`` (category) and ``vocab``
    ((category, expense type) pairs), supplier register rows (-2 redacted) and amounts."""
    mix = ANCHOR_MIX[anchor_id]
    names = list(mix)
    w = np.array([mix[k] for k in names], dtype=float)
    cats = rng.choice(len(names), size=n, p=w / w.sum())
    supplier_row = np.full(n, -1, dtype=np.int64)
    amount = np.zeros(n)
    floor = 25_000.0 if kind in ("nhs_trust", "icb") else 500.0
    for ci, cname in enumerate(names):
        sel = np.flatnonzero(cats == ci)
        if sel.size == 0:
            continue
        cat = CAT_BY_NAME[cname]
        pool = suppliers.index[suppliers["categories"] == cname].to_numpy()
        if cname == "Payments to individuals":
            supplier_row[sel] = -2  # redacted
        else:
            zone = suppliers.loc[pool, "_zone"].to_numpy()
            local_pool, other_pool = pool[zone == "home"], pool[zone != "home"]
            p_local = min(0.95, cat.p_local + cat.uplift * fy_index)
            go_local = rng.random(sel.size) < p_local
            for chosen, sub in ((local_pool, sel[go_local]), (other_pool, sel[~go_local])):
                if sub.size == 0:
                    continue
                if chosen.size == 0:
                    chosen = pool
                s = suppliers.loc[chosen]
                # popularity: a few big suppliers take most payments; under-used groups get fewer
                weight = 1.0 / np.arange(1, chosen.size + 1) ** 0.7
                weight = weight * np.where(s["_large"], 3.0, 1.0)
                weight = weight * np.where(s["bame_led"] & ~s["_large"], 0.35, 1.0)
                weight = weight * np.where(s["women_led"] & ~s["_large"], 0.6, 1.0)
                supplier_row[sub] = rng.choice(chosen, size=sub.size, p=weight / weight.sum())
        size = np.where(
            supplier_row[sel] >= 0,
            np.where(suppliers["_large"].to_numpy()[np.maximum(supplier_row[sel], 0)], 2.5, 1.0),
            1.0,
        )
        amount[sel] = cat.mean_amount * size * rng.lognormal(-0.5, 1.0, size=sel.size)
    amount = np.maximum(amount, floor * (1 + rng.random(n) * 0.2))
    amount = np.round(amount, 2)
    credits = rng.random(n) < 0.015
    amount[credits] = -np.round(amount[credits] * rng.uniform(0.05, 0.5, credits.sum()), 2)
    # one draw per row, as rng.choice(expense_types) row by row would make (same stream, same bytes)
    etype_idx = rng.integers(0, np.array([len(CAT_BY_NAME[c].expense_types) for c in names])[cats])
    vocab = [(c, e) for c in names for e in CAT_BY_NAME[c].expense_types]
    first = np.cumsum([0] + [len(CAT_BY_NAME[c].expense_types) for c in names])[:-1]
    return {
        "names": names,
        "category": cats,
        "vocab": vocab,
        "etype": first[cats] + etype_idx,
        "supplier_row": supplier_row,
        "amount": amount,
    }


AREAS_BY_CATEGORY = {
    "council": {
        "Adult social care": "Adults, Health and Integration",
        "Children and young people's services": "Children and Education",
        "Construction and repairs": "Housing Services",
        "Facilities management": "Neighbourhoods and Housing",
        "Payments to individuals": "Children and Education",
    },
    "nhs": {
        "Pharmaceuticals and medical supplies": "Pharmacy",
        "Clinical services (independent sector)": "Commissioning",
        "Facilities management": "Estates and Facilities",
        "Construction and repairs": "Estates and Facilities",
    },
}


def _spend_name(rng, suppliers: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    """The payee as printed: usually the register's name, sometimes another spelling or an unregistered payee.

    Random draws are taken in blocks in the order a row-by-row loop would take them, so the output
    is the same for a seed whatever the size."""
    base = np.where(
        rows >= 0,
        suppliers["supplier_name"].to_numpy(dtype=object)[np.maximum(rows, 0)],
        "REDACTED PERSONAL DATA",
    )
    out = base.astype(object)
    u = rng.random(rows.size)
    variant = np.flatnonzero((rows >= 0) & (u < 0.04))
    ltd = np.array([" LTD" in out[i] for i in variant], dtype=bool)
    the = rng.random(int((~ltd).sum())) < 0.5
    for i, n in zip(variant[ltd], out[variant[ltd]]):
        out[i] = n.upper().replace(" LTD", " LIMITED")
    for i, n, t in zip(variant[~ltd], out[variant[~ltd]], the):
        out[i] = "The " + n if t else n.upper()
    typo = np.flatnonzero((rows >= 0) & (u >= 0.04) & (u < 0.05))
    cut = 1 + rng.integers(0, np.array([max(1, len(out[i]) - 2) for i in typo], dtype=np.int64))
    for i, j in zip(typo, cut.tolist()):
        n = out[i]
        out[i] = n[:j] + n[j + 1 :] if n[j] != " " else n  # a dropped letter: fuzzy matching territory
    unregistered = np.flatnonzero((rows >= 0) & (u >= 0.05) & (u < 0.07))
    words = (_FIRST, ["Sundries", "Hire", "Events", "Training"], ["Ltd", "Co", ""])
    picks = rng.integers(0, np.tile([len(w) for w in words], unregistered.size)).reshape(-1, 3)
    for i, (a, b, c) in zip(unregistered, picks.tolist()):
        out[i] = f"{words[0][a]} {words[1][b]} {words[2][c]}".strip()
    redact_alt = rows == -2
    alts = np.array(
        ["REDACTED PERSONAL DATA", "Redacted Personal Information", "REDACTED UNDER DP ACT"], dtype=object
    )
    out[redact_alt] = alts[rng.integers(0, 3, redact_alt.sum())]
    return out


def _files(days: np.ndarray, year: pd.DatetimeIndex, n: int) -> list[tuple[str, int, int]]:
    """(file name suffix, first row, end row) of each file of a year's ``n`` payments (``days`` sorted):
    one file, or above ``FILE_MAX_ROWS`` a file a month ('_01' is April), as many bodies publish."""
    if n <= FILE_MAX_ROWS:
        return [("", 0, n)]
    starts = np.flatnonzero(np.r_[True, np.diff(year.month.to_numpy()) != 0])  # first day of each month
    bounds = [*np.searchsorted(days, starts).tolist(), n]
    return [(f"_{i + 1:02d}", a, b) for i, (a, b) in enumerate(zip(bounds, bounds[1:])) if b > a]


def _write_spend(out: Path, rng, anchor, suppliers: pd.DataFrame, n_total: int) -> None:
    anchor_id, name, kind, _home, layout, share = anchor
    folder = out / "spend" / anchor_id
    folder.mkdir(parents=True, exist_ok=True)
    per_year = max(30, int(n_total * share / len(YEARS)))
    for fy_index, fy in enumerate(YEARS):
        n = int(per_year * (1 + 0.04 * fy_index))
        p = _payments(rng, anchor_id, kind, fy_index, n, suppliers)
        days, year = _year_days(rng, fy, n)
        payee = _spend_name(rng, suppliers, p["supplier_row"])
        area_map = AREAS_BY_CATEGORY["council" if kind == "council" else "nhs"]
        areas = (
            [area_map.get(c, "Corporate Services" if kind == "council" else "Corporate") for c in p["names"]],
            p["category"],
        )
        etypes = ([e for _, e in p["vocab"]], p["etype"])
        txn = Serial(f"{anchor_id[:3].upper()}{fy[:4]}", 6)
        u = rng.random(n)
        amount = p["amount"]
        if layout == "lgtc_csv":
            header = [
                "Body Name",
                "Body",
                "Service Area",
                "Expenses Type",
                "Payment Date",
                "Transaction Number",
                "Net Amount",
                "Supplier Name",
            ]
            cols = [
                name,
                "E09000012",
                areas,
                etypes,
                (year.strftime("%d/%m/%Y").tolist(), days),
                txn,
                Money(amount, u),
                payee,
            ]
            for suffix, a, b in _files(days, year, n):
                total = float(np.round(amount[a:b].sum(), 2))
                # months joined by hand: the header repeated mid-file, and a blank line (a year's file only)
                half = (a + b) // 2 if b - a > 400 and not suffix else b
                blocks = [
                    _csv_blocks(cols, a, half),
                    [[""] * 8, header] if half < b else [],
                    _csv_blocks(cols, half, b),
                    [["Total", "", "", "", "", "", f"£{total:,.2f}", ""]],
                ]
                _write_csv(
                    folder / f"hackney_payments_over_500_{fy}{suffix}.csv",
                    header,
                    blocks,
                    preamble=[
                        ["London Borough of Hackney"],
                        [f"Payments to suppliers over £500, financial year {fy}"],
                        [],
                    ],
                )
        elif layout == "lgtc_xlsx" and n <= XLSX_MAX_ROWS:
            import openpyxl

            wb = openpyxl.Workbook()
            ws = wb.active
            ws.title = "Spend over £500"
            ws.append([f"City of London Corporation: expenditure over £500, {fy}"])
            ws.append([])
            ws.append(
                [
                    "Organisation Name",
                    "Organisation Code",
                    "Service Area",
                    "Expense Type",
                    "Date",
                    "Transaction Number",
                    "Amount",
                    "Supplier Name",
                ]
            )
            dates = year.to_pydatetime()
            for i, (c, e, d, v, s) in enumerate(zip(p["category"], p["etype"], days, amount.tolist(), payee)):
                ws.append([name, "E09000001", areas[0][c], etypes[0][e], dates[d], txn.text(i), v, s])
            for row in ws.iter_rows(min_row=4, min_col=5, max_col=5):
                row[0].number_format = "DD/MM/YYYY"
            path = folder / f"city_of_london_spend_over_500_{fy}.xlsx"
            wb.save(path)
            _normalise_xlsx(path)
        else:  # NHS: central-government spend over £25k layout (and the City's when too big for Excel)
            bom = layout == "nhs_csv_bom"
            header = [
                "Department Family",
                "Entity",
                "Date" if not bom else "Payment Date",
                "Expense Type",
                "Expense Area",
                "Supplier",
                "Transaction Number",
                "Amount" if not bom else "Value (£)",
            ]
            fmt = "%d-%b-%Y" if not bom else "%Y-%m-%d"
            cols = [
                "Department of Health and Social Care" if kind != "council" else "Local Government",
                name,
                (year.strftime(fmt).tolist(), days),
                etypes,
                areas,
                payee,
                txn,
                Money(amount),
            ]
            pre = [[f"{name} - expenditure over £25,000 - {fy}"], []] if not bom else []
            for suffix, a, b in _files(days, year, n):
                _write_csv(
                    folder / f"{anchor_id}_over_25k_{fy}{suffix}.csv",
                    header,
                    [_csv_blocks(cols, a, b)],
                    preamble=pre,
                    encoding="utf-8-sig" if bom else "utf-8",
                )


def write_sample(out: str | Path, rows: int = DEFAULT_ROWS, seed: int = SEED) -> Path:
    """Write the synthetic dataset folder to ``out`` (deterministic for a given rows and seed)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    lsoas = _lsoas(rng)
    postcodes = _postcodes(rng, lsoas)
    suppliers = _suppliers(rng, postcodes)
    # public bodies' postcodes join the directory so their location is known
    extra = [
        {
            "pcd": pc.replace(" ", ""),
            "pcds": pc,
            "dointr": "198001",
            "doterm": "",
            "laua": lad,
            "rgn": next(r for c, _, r, *_ in LADS if c == lad),
            "ctry": "E92000001",
            "lsoa11": lsoas.loc[lsoas["lad"] == lad, "lsoa"].iloc[0],
        }
        for bodies in PUBLIC_BODIES.values()
        for _, pc, lad in bodies
    ]
    postcodes = pd.concat([postcodes, pd.DataFrame(extra)], ignore_index=True).drop_duplicates("pcds")
    (out / "geography").mkdir(exist_ok=True)
    postcodes.to_csv(out / "geography" / "postcodes.csv", index=False, lineterminator="\n")
    _imd(lsoas, rng).to_csv(
        out / "geography" / "imd.csv", index=False, encoding="utf-8-sig", lineterminator="\n"
    )

    pd.DataFrame(
        [{"anchor_id": a, "name": n, "kind": k, "home_lads": h} for a, n, k, h, *_ in ANCHORS]
    ).to_csv(out / "anchors.csv", index=False, lineterminator="\n")
    pd.DataFrame(
        [
            {
                "area_id": "nel",
                "name": "North East London",
                "lads": "E09000001;E09000012;E09000030;E09000025;E09000002;E09000026;E09000016;E09000031",
            },
            {
                "area_id": "inner_east",
                "name": "Inner East London",
                "lads": "E09000001;E09000012;E09000030;E09000025",
            },
        ]
    ).to_csv(out / "areas.csv", index=False, lineterminator="\n")

    register = suppliers.copy()
    for flag, known in [
        ("is_sme", "_sme_known"),
        ("is_vcse", "_vcse_known"),
        ("bame_led", "_bame_known"),
        ("women_led", "_women_known"),
        ("youth_led", "_youth_known"),
    ]:
        register[flag] = _flag(register[flag].to_numpy(), register[known].to_numpy())
    register["hq_only"] = np.where(register["hq_only"], "Yes", "")
    cols = [
        "supplier_name",
        "postcode",
        "company_number",
        "charity_number",
        "is_sme",
        "is_vcse",
        "bame_led",
        "women_led",
        "youth_led",
        "hq_only",
        "categories",
    ]
    register[cols].to_csv(out / "suppliers.csv", index=False, lineterminator="\n")

    pd.DataFrame(
        [
            {"expense_type": e, "category": c.name, "addressable": "yes" if c.addressable else "no"}
            for c in CATEGORIES
            for e in c.expense_types
        ]
    ).to_csv(out / "categories.csv", index=False, lineterminator="\n")

    for anchor in ANCHORS:
        _write_spend(out, rng, anchor, suppliers, rows)

    local = suppliers[(suppliers["_zone"] == "home") & ~suppliers["_large"]].index.to_numpy()
    surveyed = rng.choice(local, size=min(60, local.size), replace=False)
    staff = np.round(rng.uniform(0.3, 0.85, surveyed.size), 2)
    # a supplier re-spends at most what it receives: staff + supplier shares stay within 1
    # (docs/methodology.md#lm3)
    supply = np.round(np.minimum(rng.uniform(0.1, 0.45, surveyed.size), 1 - staff), 2)
    pd.DataFrame(
        {
            "supplier_name": suppliers.loc[np.sort(surveyed), "supplier_name"].to_numpy(),
            "local_staff_share": staff,
            "local_supplier_share": supply,
        }
    ).to_csv(out / "lm3_survey.csv", index=False, lineterminator="\n")

    from anchorlib.sample.social_value import write_social_value

    write_social_value(out, rng, suppliers)
    from anchorlib.sample.grants import write_grants

    write_grants(out, seed, suppliers, postcodes, lsoas, _normalise_xlsx)  # a random stream of their own
    return out
