"""Build small dataset folders by hand so tests can check metrics against hand-computed numbers."""

from __future__ import annotations

import csv
from pathlib import Path

POSTCODE_HEADER = ["pcds", "laua", "lsoa11", "rgn"]
IMD_HEADER = ["LSOA code (2011)", "Index of Multiple Deprivation (IMD) Decile"]
SUPPLIER_HEADER = [
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
SPEND_HEADER = [
    "Body Name",
    "Expenses Type",
    "Service Area",
    "Payment Date",
    "Transaction Number",
    "Net Amount",
    "Supplier Name",
]


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def tiny_dataset(
    root: Path,
    *,
    anchors=None,
    postcodes=None,
    imd=None,
    suppliers=None,
    spend=None,
    categories=None,
    survey=None,
) -> Path:
    """A dataset folder. ``spend`` maps anchor_id -> rows of (expense_type, date, amount, supplier)."""
    anchors = anchors or [["a1", "Anchor One", "council", "E09000012"]]
    write_csv(root / "anchors.csv", ["anchor_id", "name", "kind", "home_lads"], anchors)
    postcodes = postcodes or [
        ["E8 1AA", "E09000012", "E01900001", "E12000007"],  # Hackney, decile 1
        ["E8 2BB", "E09000012", "E01900002", "E12000007"],  # Hackney, decile 5
        ["EC2V 7HH", "E09000001", "E01900003", "E12000007"],  # City, decile 9
        ["SE1 1AA", "E09000028", "E01900004", "E12000007"],  # Southwark, decile 2
        ["M1 1AA", "E08000003", "E01900005", "E12000002"],  # Manchester, decile 1
    ]
    write_csv(root / "geography" / "postcodes.csv", POSTCODE_HEADER, postcodes)
    imd = imd or [["E01900001", 1], ["E01900002", 5], ["E01900003", 9], ["E01900004", 2], ["E01900005", 1]]
    write_csv(root / "geography" / "imd.csv", IMD_HEADER, imd)
    write_csv(root / "suppliers.csv", SUPPLIER_HEADER, suppliers or [])
    for anchor_id, rows in (spend or {}).items():
        write_csv(
            root / "spend" / anchor_id / "spend.csv",
            SPEND_HEADER,
            [
                ["Anchor", etype, "Area", date, f"T{i}", amount, supplier]
                for i, (etype, date, amount, supplier) in enumerate(rows)
            ],
        )
    if categories is not None:
        write_csv(root / "categories.csv", ["expense_type", "category", "addressable"], categories)
    if survey is not None:
        write_csv(
            root / "lm3_survey.csv", ["supplier_name", "local_staff_share", "local_supplier_share"], survey
        )
    return root


def supplier(name, postcode, sme="", vcse="", bame="", women="", youth="", hq="", cats=""):
    """A register row in SUPPLIER_HEADER order."""
    return [name, postcode, "", "", sme, vcse, bame, women, youth, hq, cats]
