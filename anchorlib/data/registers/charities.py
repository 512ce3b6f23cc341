"""The Charity Commission for England and Wales register extract, read as published.

The daily full download has one table per file; anchorlib reads the main one, ``publicextract.charity``,
as tab-separated text (``.txt``, header row, UTF-8) or JSON (``.json``, an array of objects with the
same field names), plain or zipped. A main charity has ``linked_charity_number`` 0; its linked
(subsidiary) charities share its ``registered_charity_number``. ``charity_registration_status`` is
Registered or Removed; ``charity_company_registration_number`` joins a charitable company to Companies
House. A row without a charity number or name is reported with its line (or, in JSON, its item), never
dropped silently.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pandas as pd

from anchorlib.data.registers.companies import Skipped
from anchorlib.errors import DatasetError

#: Published field -> anchorlib's column.
FIELDS = {
    "registered_charity_number": "charity_number",
    "linked_charity_number": "linked_charity_number",
    "charity_name": "name",
    "charity_type": "charity_type",
    "charity_registration_status": "charity_status",
    "date_of_removal": "date_of_removal",
    "charity_contact_postcode": "postcode",
    "charity_company_registration_number": "company_number",
    "charity_insolvent": "insolvent",
    "charity_in_administration": "in_administration",
    "charity_is_cio": "is_cio",
    "latest_income": "latest_income",
}
REQUIRED = [
    "registered_charity_number",
    "linked_charity_number",
    "charity_name",
    "charity_registration_status",
    "charity_contact_postcode",
    "charity_company_registration_number",
]


def _text(path: Path) -> tuple[str, str]:
    """(text, shown name) of the extract: the file, or the one .txt/.json inside a zip."""
    if not path.exists():
        raise DatasetError("Charity Commission extract is missing", path=path)
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            names = [n for n in z.namelist() if n.lower().endswith((".txt", ".json", ".tsv"))]
            if len(names) != 1:
                raise DatasetError(
                    f"the zip should hold one publicextract.charity .txt or .json file, not {len(names)}",
                    path=path,
                )
            raw, shown = z.read(names[0]), f"{path.name}/{names[0]}"
    else:
        raw, shown = path.read_bytes(), path.name
    try:
        return raw.decode("utf-8-sig"), shown
    except UnicodeDecodeError:
        return raw.decode("cp1252"), shown


def _check(columns, shown: str, line: int | None) -> None:
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise DatasetError(
            f"not a Charity Commission publicextract.charity table: no {', '.join(missing)} field",
            path=shown,
            line=line,
        )


def read_charities(path: str | Path) -> tuple[pd.DataFrame, list[Skipped], int]:
    """(charities, rows skipped with their line and reason, rows read) of an extract, tab-separated or
    JSON. Columns: ``FIELDS``' values, text, plus ``line`` (the row's line, or the JSON item's number)."""
    path = Path(path)
    text, shown = _text(path)
    skipped: list[Skipped] = []
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            items = json.loads(stripped)
        except json.JSONDecodeError as err:
            raise DatasetError(f"cannot parse JSON ({err.msg})", path=shown, line=err.lineno) from err
        if not isinstance(items, list) or (items and not isinstance(items[0], dict)):
            raise DatasetError("expected a JSON array of charity objects", path=shown)
        _check(set().union(*(i.keys() for i in items[:1000])) if items else REQUIRED, shown, None)
        rows = [{k: (None if i.get(k) is None else str(i.get(k))) for k in FIELDS} for i in items]
        df = pd.DataFrame(rows, columns=list(FIELDS), dtype="string")
        df["line"] = range(1, len(df) + 1)
        unit = "item"
    else:
        reader = csv.reader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE)
        header = [h.strip() for h in next(reader, [])]
        _check(header, shown, 1)
        at = {c: header.index(c) for c in FIELDS if c in header}
        rows, lines = [], []
        for record in reader:
            if not record or not any(v.strip() for v in record):
                continue
            if len(record) != len(header):
                skipped.append(
                    Skipped(shown, reader.line_num, f"{len(record)} fields, header has {len(header)}")
                )
                continue
            rows.append([record[at[c]] if c in at else None for c in FIELDS])
            lines.append(reader.line_num)
        df = pd.DataFrame(rows, columns=list(FIELDS), dtype="string")
        df["line"] = lines
        unit = "line"
    df = df.rename(columns=FIELDS)
    for c in FIELDS.values():
        df[c] = df[c].str.strip().replace("", pd.NA)
    n = len(df)
    bad = (
        df["charity_number"].isna()
        | ~df["charity_number"].fillna("").str.fullmatch(r"\d+")
        | df["name"].isna()
    )
    for r in df[bad].itertuples():
        why = "no charity_name" if pd.isna(r.name) else f"registered_charity_number '{r.charity_number}'"
        skipped.append(Skipped(shown, int(r.line), f"{why} ({unit} {r.line})"))
    df = df[~bad].reset_index(drop=True)
    df["linked_charity_number"] = df["linked_charity_number"].fillna("0")
    df["source_file"] = shown
    return df, skipped, n
