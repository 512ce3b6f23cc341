"""The local business population: every live company and registered charity located in the dataset's
areas, from the same bulk files as the register (docs/methodology.md#availability-pools).

``anchorlib register build`` writes it once, beside the dataset, because it comes from multi-gigabyte
files: ``population.csv`` (one row per business) and ``population.json`` (what it was built from).
The data layer reads it (``read_population``), applying the current rule set and SIC mapping, so that
editing ``register_rules.csv`` or ``sic_categories.csv`` takes effect without rebuilding; the metrics use
it by name, as the availability pool ``population``.

``population.csv`` columns: name, source (companies_house, charity_commission or both, joined by '+'),
company_number, charity_number, postcode, location_source, company_status, company_category,
account_category, sic_codes (';'-joined SIC 2007 codes), charity_status. Who is in it: companies whose
``CompanyStatus`` is Active, that are not dormant (AccountCategory DORMANT or SIC 99999) and whose
registered office postcode lies in one of the areas; registered main charities whose contact postcode
lies in one of them, unless they are a charitable company located elsewhere. A charitable company is
one row with both numbers.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

POPULATION_FILE = "population.csv"
MANIFEST_FILE = "population.json"
COLUMNS = [
    "name",
    "source",
    "company_number",
    "charity_number",
    "postcode",
    "location_source",
    "company_status",
    "company_category",
    "account_category",
    "sic_codes",
    "charity_status",
]
POOL_NAMES = {
    "register": "the supplier register (suppliers.csv)",
    "population": "the local business population (population.csv)",
}


def manifest(root: Path) -> dict:
    """population.json: built, files, areas, lads, rows; {} when absent or unreadable."""
    try:
        return json.loads((Path(root) / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def describe(root: Path, rows: int) -> str:
    """How the population pool reads in every output's choices."""
    m = manifest(root)
    areas = ", ".join(m.get("areas", [])) or "areas not recorded"
    built = m.get("built", "date not recorded")
    files = "; ".join(m.get("files", [])) or "files not recorded"
    return (
        f"{POOL_NAMES['population']}: {rows:,} live companies and registered charities located in "
        f"{areas} (built {built} from {files})"
    )


def read_population(root: Path, geography) -> pd.DataFrame | None:
    """``population.csv`` located (postcode, lad, rgn, lsoa, imd_decile) and flagged by the current rule
    set (is_sme, is_vcse) and SIC mapping (categories); None without the file. One-line errors name the
    file for a missing column."""
    from anchorlib.data.registers.rules import read_rules, read_sic_categories
    from anchorlib.data.tables import read_table

    root = Path(root)
    path = root / POPULATION_FILE
    if not path.exists():
        return None
    df = read_table(path, ["name", "postcode", "company_number", "charity_number"], COLUMNS, root=root)
    for c in COLUMNS:
        if c not in df.columns:
            df[c] = pd.Series(pd.NA, index=df.index, dtype="string")
    rules, sic = read_rules(root), read_sic_categories(root)
    located = geography.locate(df["postcode"])
    df["postcode_raw"] = df["postcode"]
    for c in ("postcode", "lad", "rgn", "lsoa", "imd_decile"):
        df[c] = located[c]
    registered = df["charity_status"].astype("string").str.lower().eq("registered").fillna(False)
    df["is_sme"] = rules.is_sme(df["account_category"])
    df["is_vcse"] = rules.is_vcse(df["company_category"], registered)
    df["categories"] = sic.categories(df["sic_codes"])
    df.attrs["availability_pool"] = describe(root, len(df))
    df.attrs["register_rules"] = rules.name
    df.attrs["sic_categories"] = sic.name
    return df
