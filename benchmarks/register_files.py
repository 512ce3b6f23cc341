"""Synthetic registers in the published layouts, for the register benchmark (``bench_register.py``).

``write_companies`` writes a Companies House Free Company Data Product file
(``BasicCompanyDataAsOneFile-YYYY-MM-DD.csv``: the published header, with its leading spaces, and every
value quoted) of any size, with realistic names (surnames, places and invented words, then trade words
and a legal form), statuses, categories, account categories, SIC codes, previous names and postcodes: a
share of them in the benchmark dataset's own postcodes, so that matched suppliers and the local business
population have a place. ``payee_names`` draws the spend files' payees: most are companies of the file as
a council's finance system writes them (title case, Ltd for Limited, '&' for AND, a typo, a dropped legal
form), the rest are not in it. Nothing here describes a real company.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.register_layouts import COMPANIES_HEADER as HEADER  # noqa: E402  (the published header, one copy)

COLUMNS = HEADER.split(",")

SURNAMES = (
    "SMITH JONES WILLIAMS TAYLOR BROWN DAVIES EVANS WILSON THOMAS JOHNSON ROBERTS ROBINSON THOMPSON WRIGHT "
    "WALKER WHITE EDWARDS HUGHES GREEN HALL LEWIS HARRIS CLARKE PATEL JACKSON WOOD TURNER MARTIN COOPER HILL "
    "WARD MORRIS MOORE CLARK LEE KING BAKER HARRISON MORGAN ALLEN JAMES SCOTT PHILLIPS WATSON DAVIS PARKER "
    "PRICE BENNETT YOUNG GRIFFITHS MITCHELL KELLY COOK CARTER RICHARDSON BAILEY COLLINS BELL SHAW MURPHY "
    "MILLER COX RICHARDS KHAN MARSHALL ANDERSON SIMPSON ELLIS ADAMS SINGH BEGUM WILKINSON FOSTER CHAPMAN "
    "POWELL WEBB ROGERS GRAY MASON ALI HUNT HUSSAIN CAMPBELL MATTHEWS OWEN PALMER HOLMES MILLS BARNES KNIGHT "
    "LLOYD BUTLER RUSSELL BARKER FISHER STEVENS JENKINS MURRAY DIXON HARVEY AHMED OKAFOR ADEYEMI NGUYEN "
    "KOWALSKI OZTURK YILMAZ CHEN WANG MENSAH OKONKWO DASILVA"
).split()
PLACES = (
    "LONDON HACKNEY DALSTON SHOREDITCH HOMERTON CLAPTON STOKE NEWINGTON ISLINGTON CAMDEN BOW STRATFORD "
    "LEYTON WALTHAMSTOW TOTTENHAM HARINGEY ENFIELD BARNET BRENT EALING HOUNSLOW CROYDON LEWISHAM GREENWICH "
    "SOUTHWARK LAMBETH BRIXTON PECKHAM WANDSWORTH PUTNEY KINGSTON RICHMOND HARROW WEMBLEY ROMFORD ILFORD "
    "BARKING DAGENHAM BEXLEY BROMLEY SUTTON MERTON MANCHESTER LEEDS BIRMINGHAM BRISTOL EXETER PLYMOUTH "
    "DEVON CORNWALL KENT ESSEX SURREY SUSSEX YORKSHIRE LANCASHIRE CHESHIRE MIDLANDS NORTHERN SOUTHERN "
    "EASTERN WESTERN NORTH SOUTH EAST WEST CENTRAL THAMES MERSEY PENNINE CHILTERN COTSWOLD"
).split()
GENERIC = (
    "A1 ABC AAA ACE ALPHA APEX ARROW ATLAS BLUE BRIGHT CITY CLEAR COUNTY CROWN DIRECT EAGLE ELITE EXCEL "
    "FIRST FOCUS FUTURE GLOBAL GOLD GRAND GREEN HORIZON IDEAL IMPERIAL JD JJ KEY LINK MAX METRO MODERN "
    "NATIONAL NEW NOVA OAK OMEGA ONE OPTIMUM PREMIER PRIME PRO QUALITY RED REGAL ROYAL SAFE SMART SOLO STAR "
    "SUN SUPREME SWIFT TOP TOTAL TRUST UNITED UNIVERSAL URBAN VICTORIA VISION WISE ZEN THE MR DR UK GB"
).split()
SYLLABLES = (
    "AR BEL CAM DOR EL FEN GAR HAL IN JAR KEL LAN MOR NOR OL PEN QUA RIS SAN TOR UL VAN WEL XAN YOR ZEN "
    "BRO CLA DRA FLO GRA KRA PLA PRI STA TRE VEN WIN ZAR MIR LUX NEX TEC GEN VAL RO MA KA TI LO NA SI VE"
).split()
TRADES = (
    "SERVICES CONSULTING CONSULTANCY PROPERTIES PROPERTY HOLDINGS TRADING CONSTRUCTION BUILDERS BUILDING "
    "CARE "
    "HOMECARE SOLUTIONS MANAGEMENT DEVELOPMENTS INVESTMENTS TECHNOLOGIES TECHNOLOGY DESIGN MEDIA GROUP "
    "ENTERPRISES LOGISTICS TRANSPORT CLEANING CATERING SECURITY ELECTRICAL PLUMBING ROOFING SCAFFOLDING "
    "RECRUITMENT STAFFING LEGAL ACCOUNTANCY ESTATES LETTINGS VENTURES PARTNERS ASSOCIATES INTERNATIONAL "
    "HEALTHCARE NURSING PHARMACY DENTAL FOODS BAKERY RESTAURANT CAFE MOTORS CARS COURIERS PRINT SIGNS "
    "SOFTWARE DIGITAL SYSTEMS NETWORKS ENERGY ENVIRONMENTAL LANDSCAPES GARDENS MAINTENANCE REPAIRS "
    "FACILITIES "
    "EDUCATION TRAINING ACADEMY NURSERY CHILDCARE FOSTERING SUPPORT LIVING HOMES HOUSING TRUST FOUNDATION"
).split()
SUFFIXES = np.array(
    [
        " LIMITED",
        " LTD",
        " LTD.",
        " PLC",
        " LLP",
        " CIC",
        " COMMUNITY INTEREST COMPANY",
        " PUBLIC LIMITED COMPANY",
    ]
)
SUFFIX_P = np.array([0.86, 0.05, 0.01, 0.004, 0.02, 0.01, 0.01, 0.036])
STATUSES = np.array(
    [
        "Active",
        "Active - Proposal to Strike off",
        "Liquidation",
        "In Administration",
        "Voluntary Arrangement",
        "Receivership",
    ]
)
STATUS_P = np.array([0.915, 0.05, 0.028, 0.004, 0.002, 0.001])
CATEGORIES = np.array(
    [
        "Private Limited Company",
        "PRI/LTD BY GUAR/NSC (Private, limited by guarantee, no share capital)",
        "Limited Liability Partnership",
        "Community Interest Company",
        "Public Limited Company",
        "PRI/LBG/NSC (Private, Limited by guarantee, no share capital, use of 'Limited' exemption)",
        "Registered Society",
        "Limited Partnership",
        "Private Unlimited Company",
        "Charitable Incorporated Organisation",
        "Overseas Entity",
    ]
)
CATEGORY_P = np.array([0.934, 0.025, 0.01, 0.007, 0.002, 0.005, 0.003, 0.008, 0.002, 0.002, 0.002])
ACCOUNTS = np.array(
    [
        "MICRO ENTITY",
        "TOTAL EXEMPTION FULL",
        "DORMANT",
        "NO ACCOUNTS FILED",
        "UNAUDITED ABRIDGED",
        "SMALL",
        "FULL",
        "GROUP",
        "TOTAL EXEMPTION SMALL",
        "AUDIT EXEMPTION SUBSIDIARY",
        "MEDIUM",
        "AUDITED ABRIDGED",
        "ACCOUNTS TYPE NOT AVAILABLE",
        "INITIAL",
        "PARTIAL EXEMPTION",
        "FILING EXEMPTION SUBSIDIARY",
    ]
)
ACCOUNTS_P = np.array(
    [0.35, 0.2, 0.12, 0.1, 0.08, 0.03, 0.03, 0.01, 0.02, 0.01, 0.005, 0.005, 0.02, 0.012, 0.001, 0.002]
)
SIC = np.array(
    [
        "70229 - Management consultancy activities other than financial management",
        "68209 - Other letting and operating of own or leased real estate",
        "41100 - Development of building projects",
        "43390 - Other building completion and finishing",
        "62020 - Information technology consultancy activities",
        "56101 - Licensed restaurants",
        "56210 - Event catering activities",
        "81210 - General cleaning of buildings",
        "81100 - Combined facilities support activities",
        "80100 - Private security activities",
        "87300 - Residential care activities for the elderly and disabled",
        "88100 - Social work activities without accommodation for the elderly and disabled",
        "88910 - Child day-care activities",
        "69102 - Solicitors",
        "69201 - Accounting and auditing activities",
        "78200 - Temporary employment agency activities",
        "49320 - Taxi operation",
        "53202 - Unlicensed carrier",
        "18129 - Printing n.e.c.",
        "35110 - Production of electricity",
        "86900 - Other human health activities",
        "46460 - Wholesale of pharmaceutical goods",
        "47110 - Retail sale in non-specialised stores with food, beverages or tobacco predominating",
        "47710 - Retail sale of clothing in specialised stores",
        "96020 - Hairdressing and other beauty treatment",
        "94990 - Activities of other membership organisations n.e.c.",
        "88990 - Other social work activities without accommodation n.e.c.",
        "64209 - Activities of other holding companies n.e.c.",
        "82990 - Other business support service activities n.e.c.",
        "99999 - Dormant Company",
        "None Supplied",
    ]
)
TOWNS = np.array(["LONDON", "MANCHESTER", "LEEDS", "BIRMINGHAM", "BRISTOL", "EXETER", "CARDIFF", "GLASGOW"])
OUTWARD = np.array(
    "E1 E2 E5 E8 E9 E10 E17 N1 N4 N16 N17 NW1 NW10 SE1 SE5 SE15 SW1A SW9 W1 W2 EC1V EC2A EC2V EC3M EC4M WC1 "
    "WC2H M1 M4 M14 LS1 LS11 B1 B5 BS1 BS8 EX1 EX4 PL1 CF10 G1 EH1 CM1 CR0 BR1 IG1 RM1 HA1 UB1 TW1".split()
)
LETTERS = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))


def _pick(rng, values, n, p=None) -> np.ndarray:
    p = None if p is None else np.asarray(p) / np.sum(p)
    return np.asarray(values, dtype=object)[rng.choice(len(values), n, p=p)]


def _words(rng, n: int) -> np.ndarray:
    """First words: a surname, a place or a common trade-name word half the time, else an invented word
    (two to four syllables), so that the file has a long tail of distinct first words as the real one has."""
    kind = rng.random(n)
    invented = _pick(rng, SYLLABLES, n) + _pick(rng, SYLLABLES, n)
    more = rng.random(n)
    invented = np.where(more < 0.6, invented + _pick(rng, SYLLABLES, n), invented)
    invented = np.where(more < 0.2, invented + _pick(rng, SYLLABLES, n), invented)
    common = np.where(
        kind < 0.2,
        _pick(rng, SURNAMES, n),
        np.where(kind < 0.35, _pick(rng, PLACES, n), _pick(rng, GENERIC, n)),
    )
    return np.where(kind < 0.45, common, invented)


def company_names(rng, n: int, seen: list | None = None) -> np.ndarray:
    """``n`` company names, unique among themselves and (``seen``: the hashes of names already written,
    extended here) across calls."""
    first = _words(rng, n)
    second = np.where(rng.random(n) < 0.55, " " + _words(rng, n), "")
    amp = np.where(rng.random(n) < 0.06, " & " + _pick(rng, SURNAMES, n), "")
    trade = np.where(rng.random(n) < 0.85, " " + _pick(rng, TRADES, n), "")
    trade2 = np.where(rng.random(n) < 0.2, " " + _pick(rng, TRADES, n), "")
    num = np.where(rng.random(n) < 0.03, " " + rng.integers(1, 2025, n).astype(str).astype(object), "")
    the = np.where(rng.random(n) < 0.02, "THE ", "")
    stem = the + first + second + amp + trade + trade2 + num
    earlier = np.concatenate(seen) if seen else np.zeros(0, dtype=np.uint64)
    for _ in range(4):  # names are unique in the register, as Companies House's naming rules make them
        h = pd.util.hash_array(stem.astype(str).astype(object))
        dup = pd.Series(stem).duplicated().to_numpy() | np.isin(h, earlier)
        if not dup.any():
            break
        stem = np.where(dup, stem + " " + _words(rng, n), stem)
    if seen is not None:
        seen.append(pd.util.hash_array(stem.astype(str).astype(object)))
    return stem + _pick(rng, SUFFIXES, n, SUFFIX_P)


def _dates(rng, n: int, start: int, end: int) -> np.ndarray:
    y = rng.integers(start, end, n).astype(str).astype(object)
    return (
        np.char.zfill(rng.integers(1, 29, n).astype(str), 2).astype(object)
        + "/"
        + np.char.zfill(rng.integers(1, 13, n).astype(str), 2).astype(object)
        + "/"
        + y
    )


def postcodes(rng, n: int, local: np.ndarray, local_share: float) -> np.ndarray:
    made = (
        _pick(rng, OUTWARD, n)
        + " "
        + rng.integers(1, 10, n).astype(str).astype(object)
        + _pick(rng, LETTERS, n)
        + _pick(rng, LETTERS, n)
    )
    return np.where(rng.random(n) < local_share, _pick(rng, local, n), made) if len(local) else made


def write_companies(
    path: Path, rows: int, *, local_postcodes: np.ndarray, seed: int = 7, chunk: int = 500_000
) -> Path:
    """The Companies House file of ``rows`` companies at ``path`` (written to a temporary name, then renamed):
    2% of them registered at one of ``local_postcodes``."""
    rng = np.random.default_rng(seed)
    tmp = path.with_suffix(".part")
    empty = {c: None for c in COLUMNS}
    seen: list = []
    with open(tmp, "wb") as f:
        f.write((HEADER + "\r\n").encode())
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            i = np.arange(start + 1, start + n + 1)
            number = np.char.zfill(i.astype(str), 8).astype(object)
            six = np.char.zfill((i // 25).astype(str), 6).astype(
                object
            )  # unique per prefix: SC and OC numbers
            number = np.where(i % 25 == 0, "SC" + six, np.where(i % 25 == 1, "OC" + six, number))
            cols = dict(empty)
            cols["CompanyName"] = company_names(rng, n, seen)
            cols[" CompanyNumber"] = number
            cols["RegAddress.AddressLine1"] = (
                rng.integers(1, 400, n).astype(str).astype(object) + " " + _pick(rng, SURNAMES, n) + " ROAD"
            )
            cols["RegAddress.PostTown"] = _pick(rng, TOWNS, n)
            cols["RegAddress.Country"] = _pick(rng, ["ENGLAND", "UNITED KINGDOM", ""], n, [0.6, 0.3, 0.1])
            cols["RegAddress.PostCode"] = postcodes(rng, n, local_postcodes, 0.02)
            cols["CompanyCategory"] = _pick(rng, CATEGORIES, n, CATEGORY_P)
            cols["CompanyStatus"] = _pick(rng, STATUSES, n, STATUS_P)
            cols["CountryOfOrigin"] = np.full(n, "United Kingdom", dtype=object)
            cols["IncorporationDate"] = _dates(rng, n, 1950, 2025)
            cols["Accounts.AccountRefDay"] = rng.integers(1, 29, n).astype(str).astype(object)
            cols["Accounts.AccountRefMonth"] = rng.integers(1, 13, n).astype(str).astype(object)
            cols["Accounts.NextDueDate"] = _dates(rng, n, 2025, 2027)
            cols["Accounts.LastMadeUpDate"] = _dates(rng, n, 2022, 2025)
            cols["Accounts.AccountCategory"] = _pick(rng, ACCOUNTS, n, ACCOUNTS_P)
            for c in ("Mortgages.NumMortCharges", "Mortgages.NumMortOutstanding"):
                cols[c] = rng.integers(0, 3, n).astype(str).astype(object)
            for c in ("Mortgages.NumMortPartSatisfied", "Mortgages.NumMortSatisfied"):
                cols[c] = np.full(n, "0", dtype=object)
            cols["SICCode.SicText_1"] = _pick(rng, SIC, n)
            cols["SICCode.SicText_2"] = np.where(rng.random(n) < 0.25, _pick(rng, SIC[:-2], n), "")
            cols["LimitedPartnerships.NumGenPartners"] = np.full(n, "0", dtype=object)
            cols["LimitedPartnerships.NumLimPartners"] = np.full(n, "0", dtype=object)
            cols["URI"] = "http://business.data.gov.uk/id/company/" + number
            renamed = rng.random(n) < 0.12
            cols["PreviousName_1.CONDATE"] = np.where(renamed, _dates(rng, n, 1990, 2024), "")
            cols[" PreviousName_1.CompanyName"] = np.where(renamed, company_names(rng, n), "")
            cols["ConfStmtNextDueDate"] = _dates(rng, n, 2025, 2027)
            cols[" ConfStmtLastMadeUpDate"] = _dates(rng, n, 2023, 2025)
            arrays = [
                pa.array(cols[c] if cols[c] is not None else np.full(n, "", dtype=object)) for c in COLUMNS
            ]
            table = pa.Table.from_arrays(arrays, names=[f"c{i}" for i in range(len(COLUMNS))])
            pacsv.write_csv(
                table,
                f,
                write_options=pacsv.WriteOptions(
                    include_header=False, quoting_style="all_valid", eol=b"\r\n"
                ),
            )
    tmp.replace(path)
    return path


def sample_names(path: Path, n: int, seed: int = 11) -> list[tuple[str, str]]:
    """(CompanyName, CompanyNumber) of ``n`` companies spread over the file, read back from it."""
    import pyarrow.compute as pc

    rng = np.random.default_rng(seed)
    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(block_size=64 << 20),
        convert_options=pacsv.ConvertOptions(
            include_columns=["CompanyName", " CompanyNumber"],
            column_types={"CompanyName": pa.string(), " CompanyNumber": pa.string()},
        ),
    )
    out: list[tuple[str, str]] = []
    batches = list(reader)
    per = -(-n // max(len(batches), 1))
    for b in batches:
        take = np.sort(rng.choice(b.num_rows, min(per, b.num_rows), replace=False))
        t = b.take(pa.array(take))
        out += list(zip(t.column(0).to_pylist(), t.column(1).to_pylist()))
        del t
    del pc
    return out[:n]


def payee_names(companies: list[str], n: int, seed: int = 13) -> list[str]:
    """``n`` distinct payee names as a finance system writes them: ~65% companies of the file (as written,
    in title case, Ltd for LIMITED, '&' for AND, one letter wrong in a long word, the legal form dropped),
    the rest invented names that are not in it."""
    rng = np.random.default_rng(seed)
    out: set[str] = set()
    k = 0
    while len(out) < n:
        if rng.random() < 0.65 and k < len(companies):
            name = companies[k]
            k += 1
            r = rng.random()
            if r < 0.35:
                name = name.title().replace(" Limited", " Ltd")
            elif r < 0.5:
                name = name.replace(" AND ", " & ")
            elif r < 0.6:
                words = name.split()
                i = int(np.argmax([len(w) for w in words]))
                if len(words[i]) >= 6:
                    j = int(rng.integers(2, len(words[i]) - 1))
                    words[i] = words[i][:j] + chr(ord("A") + int(rng.integers(0, 26))) + words[i][j + 1 :]
                name = " ".join(words)
            elif r < 0.7:
                name = name.rsplit(" ", 1)[0] if " " in name else name
        else:
            name = f"{str(_words(rng, 1)[0]).title()} {str(_pick(rng, TRADES, 1)[0]).title()} Services"
        out.add(name)
    return sorted(out)
