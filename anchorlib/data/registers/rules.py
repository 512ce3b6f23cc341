"""The named, editable rule sets that turn register fields into the supplier register's flags, and the
SIC-to-category mapping (docs/methodology.md#register-rules, #sic-categories).

- **SME** from Companies House's ``Accounts.AccountCategory``: the accounts a company may file say its
  size (Companies Act 2006 ss. 382-384A, 465-467: micro-entities, small and medium-sized companies).
- **VCSE** from the charity register (a registered charity) and Companies House's ``CompanyCategory``
  (a Community Interest Company, a Charitable Incorporated Organisation or a Registered Society is VCSE;
  a Private or Public Limited Company or an LLP is not).
- **Location** from the registered office (``RegAddress.PostCode``), else the charity's contact
  postcode; ``location_source`` says which.

A dataset's ``register_rules.csv`` (``rule, value, flag``) edits the first two: ``rule`` is
``account_category`` or ``company_category``, ``value`` the published text (compared trimmed, in any
case, before any ' (...)' gloss), ``flag`` yes / no / blank (unknown). ``sic_categories.csv``
(``sic, category``) edits the mapping: ``sic`` a SIC 2007 code or its first 2-4 digits (the longest
prefix given wins), ``category`` the category it serves (blank: none). The names then say so, and every
output shows them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

RULES_NAME = "anchorlib register rules v1"
SIC_NAME = "anchorlib SIC categories v1"
RULES_FILE = "register_rules.csv"
SIC_FILE = "sic_categories.csv"

#: Accounts.AccountCategory -> is_sme (absent: unknown).
SME_BY_ACCOUNTS: dict[str, bool] = {
    "MICRO ENTITY": True,
    "SMALL": True,
    "MEDIUM": True,
    "TOTAL EXEMPTION FULL": True,
    "TOTAL EXEMPTION SMALL": True,
    "UNAUDITED ABRIDGED": True,
    "AUDITED ABRIDGED": True,
    "FULL": False,
    "GROUP": False,
    "AUDIT EXEMPTION SUBSIDIARY": False,
    "FILING EXEMPTION SUBSIDIARY": False,
}
#: CompanyCategory (before any ' (...)' gloss, upper case) -> is_vcse (absent: unknown).
VCSE_BY_CATEGORY: dict[str, bool] = {
    "COMMUNITY INTEREST COMPANY": True,
    "CHARITABLE INCORPORATED ORGANISATION": True,
    "REGISTERED SOCIETY": True,
    "PRIVATE LIMITED COMPANY": False,
    "PUBLIC LIMITED COMPANY": False,
    "LIMITED LIABILITY PARTNERSHIP": False,
}
LOCATION_SOURCES = {
    "companies_house": "Companies House registered office (RegAddress.PostCode)",
    "charity_commission": "Charity Commission contact postcode (charity_contact_postcode)",
    "suppliers.csv": "suppliers.csv, as the analyst gave it",
}
HEAD_OFFICE_NOTE = (
    "register postcodes are registered offices and charities' contact addresses, often a head office or "
    "an accountant's address, not where the work is done (docs/methodology.md#head-office-effect)"
)

#: SIC 2007 code prefix -> category (anchorlib's categories; the longest prefix wins). Source: ONS, UK
#: Standard Industrial Classification of Economic Activities 2007 (SIC 2007).
DEFAULT_SIC_CATEGORIES: dict[str, str] = {
    **{p: "Facilities management" for p in ("811", "812", "813", "801", "802", "803")},
    **{p: "Construction and repairs" for p in ("41", "42", "43")},
    **{p: "Catering" for p in ("56", "463", "107")},
    **{p: "Adult social care" for p in ("871", "872", "873", "881")},
    **{p: "Children and young people's services" for p in ("879", "8891", "851")},
    **{p: "Community and voluntary sector grants" for p in ("8899", "949")},
    **{p: "Professional services" for p in ("69", "70", "71", "73", "74")},
    "78": "Agency staff",
    **{p: "Transport and fleet" for p in ("49", "53", "771", "452", "473")},
    **{p: "Print, stationery and office supplies" for p in ("181", "1723", "4762", "4665", "4666", "3101")},
    **{p: "ICT and software" for p in ("62", "63", "582", "61", "4651", "4652", "951")},
    **{p: "Energy and utilities" for p in ("35", "36", "37")},
    **{p: "Waste management" for p in ("38", "39")},
    **{p: "Pharmaceuticals and medical supplies" for p in ("21", "4646", "4773", "4774", "325")},
    "86": "Clinical services (independent sector)",
}


def category_key(text: object) -> str:
    """A CompanyCategory or AccountCategory as compared: trimmed, upper case, before any ' (...)' gloss."""
    if text is None or pd.isna(text):
        return ""
    return str(text).split(" (", 1)[0].strip().upper()


@dataclass
class RegisterRules:
    """The rule set deriving is_sme and is_vcse from register fields, by name."""

    name: str = RULES_NAME
    sme: dict[str, bool] = field(default_factory=lambda: dict(SME_BY_ACCOUNTS))
    vcse: dict[str, bool] = field(default_factory=lambda: dict(VCSE_BY_CATEGORY))

    def is_sme(self, account_category: pd.Series) -> pd.Series:
        return _lookup(account_category, self.sme)

    def is_vcse(self, company_category: pd.Series, registered_charity: pd.Series) -> pd.Series:
        """VCSE: a registered charity always; else by the company category; else unknown."""
        by_category = _lookup(company_category, self.vcse)
        charity = registered_charity.astype("boolean").fillna(False)
        return by_category.mask(charity.to_numpy(), True).astype("boolean")

    def describe(self) -> dict:
        return {
            "name": self.name,
            "sme": "Accounts.AccountCategory: SME for "
            + ", ".join(k for k, v in self.sme.items() if v)
            + "; not SME for "
            + ", ".join(k for k, v in self.sme.items() if not v)
            + "; unknown otherwise",
            "vcse": "a registered charity (Charity Commission, or a charity number in suppliers.csv); by "
            "CompanyCategory VCSE for "
            + ", ".join(k.title() for k, v in self.vcse.items() if v)
            + "; not VCSE for "
            + ", ".join(k.title() for k, v in self.vcse.items() if not v)
            + "; unknown otherwise",
            "location": "registered office postcode, else the charity's contact postcode (location_source)",
            "head_office_effect": HEAD_OFFICE_NOTE,
        }


def _lookup(values: pd.Series, table: dict[str, bool]) -> pd.Series:
    keys = values.astype("object").map(category_key)
    return keys.map(table).astype("boolean")


def read_rules(root: Path) -> RegisterRules:
    """The default rules, edited by ``root/register_rules.csv`` when present."""
    from anchorlib.data.tables import parse_flag, read_table
    from anchorlib.errors import DatasetError

    path = Path(root) / RULES_FILE
    rules = RegisterRules()
    if not path.exists():
        return rules
    df = read_table(path, ["rule", "value", "flag"], root=root)
    flags = parse_flag(df["flag"], path=RULES_FILE, column="flag")
    for i, r in df.iterrows():
        which = str(r["rule"]).strip().lower() if pd.notna(r["rule"]) else ""
        table = {"account_category": rules.sme, "company_category": rules.vcse}.get(which)
        if table is None:
            raise DatasetError(
                f"rule '{r['rule']}' is not account_category or company_category", path=RULES_FILE, line=i + 2
            )
        key = category_key(r["value"])
        if not key:
            raise DatasetError("value is blank", path=RULES_FILE, line=i + 2)
        if pd.isna(flags[i]):
            table.pop(key, None)
        else:
            table[key] = bool(flags[i])
    rules.name = f"{RULES_NAME} + {RULES_FILE}"
    return rules


@dataclass
class SicCategories:
    """SIC 2007 code prefix -> category, by name."""

    name: str = SIC_NAME
    prefixes: dict[str, str | None] = field(default_factory=lambda: dict(DEFAULT_SIC_CATEGORIES))

    def category(self, code: str) -> str | None:
        for n in range(min(len(code), 5), 1, -1):
            hit = self.prefixes.get(code[:n], "")
            if hit != "":
                return hit
        return None

    def categories(self, sic_codes: pd.Series) -> pd.Series:
        """';'-joined SIC codes -> ';'-joined categories they serve (<NA> for none)."""
        memo: dict[str, str | None] = {}

        def one(text):
            if text is None or pd.isna(text) or not str(text).strip():
                return None
            if text not in memo:
                cats = []
                for code in str(text).split(";"):
                    c = self.category(code.strip())
                    if c and c not in cats:
                        cats.append(c)
                memo[text] = ";".join(cats) or None
            return memo[text]

        return sic_codes.astype("object").map(one).astype("string")


def read_sic_categories(root: Path) -> SicCategories:
    """The default mapping, edited by ``root/sic_categories.csv`` when present."""
    from anchorlib.data.tables import read_table
    from anchorlib.errors import DatasetError

    path = Path(root) / SIC_FILE
    mapping = SicCategories()
    if not path.exists():
        return mapping
    df = read_table(path, ["sic", "category"], root=root)
    for i, r in df.iterrows():
        code = "" if pd.isna(r["sic"]) else str(r["sic"]).strip()
        if not code.isdigit() or not 2 <= len(code) <= 5:
            raise DatasetError(
                f"sic '{code}' is not a SIC 2007 code or its first 2-4 digits", path=SIC_FILE, line=i + 2
            )
        mapping.prefixes[code] = None if pd.isna(r["category"]) else str(r["category"]).strip()
    mapping.name = f"{SIC_NAME} + {SIC_FILE}"
    return mapping


def sic_code(text: pd.Series) -> pd.Series:
    """'47710 - Retail sale of clothing in specialised stores' -> '47710'; 'None Supplied', blank -> <NA>."""
    return text.astype("string").str.extract(r"^\s*(\d{4,5})\b", expand=False).astype("string")
