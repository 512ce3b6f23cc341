"""Write anchorlib/data/ons_names.csv, the place names anchorlib ships, from ONS names-and-codes files as
published (docs/methodology.md#place-names).

    .venv/bin/python scripts/build_place_names.py [FILE ...] [--out anchorlib/data/ons_names.csv]

Each FILE is an ONS lookup CSV as published, with code and name columns side by side (``LAD23CD`` and
``LAD23NM``, ``LAD19CD`` and ``LAD19NM``, ...). Its local authority districts are kept (E06, E07, E08, E09,
W06, S12 and N09 codes); where two files name one code, the newer vintage (the year in the column name)
wins. The nine English regions and the four countries are added from ONS's fixed lists, written below.
Without FILEs the script reads the ONS files kept with the project's real test data (../shared/real,
see its PROVENANCE.md): the ward-to-district lookups of May 2023 and December 2019 (UK).

Contains public sector information licensed under the Open Government Licence v3.0 (ONS); the file
written says so in its header.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
from pathlib import Path

from anchorlib.data.names import name_columns  # the one reading of name columns, as the datasets' own

PROJECT = Path(__file__).resolve().parent.parent
OUT = PROJECT / "anchorlib" / "data" / "ons_names.csv"
REAL = PROJECT.parent / "shared" / "real" / "lookups"
DEFAULT_FILES = [
    REAL / "hackney_dataplatform_ons_ward_lookup_may_2023.csv",  # WD23/LAD23, UK
    REAL / "ons_WD19_to_LAD19_UK.csv",  # WD19/LAD19, UK: districts merged away since 2019 keep a name
]
LAD = re.compile(r"^(E0[6-9]|W06|S12|N09)[0-9]{6}$")
#: ONS, Regions (December 2023) Names and Codes in EN; Countries (December 2023) Names and Codes in the UK
REGIONS = {
    "E12000001": "North East",
    "E12000002": "North West",
    "E12000003": "Yorkshire and The Humber",
    "E12000004": "East Midlands",
    "E12000005": "West Midlands",
    "E12000006": "East of England",
    "E12000007": "London",
    "E12000008": "South East",
    "E12000009": "South West",
}
COUNTRIES = {
    "E92000001": "England",
    "W92000004": "Wales",
    "S92000003": "Scotland",
    "N92000002": "Northern Ireland",
}
HEADER = """# Place names by ONS (GSS) code, shipped with anchorlib: local authority districts, English
# regions and countries. Source: Office for National Statistics (ONS) names-and-codes lists, by the
# 'source' column:
{sources}
#   RGN23NM: Regions (December 2023) Names and Codes in EN
#   CTRY23NM: Countries (December 2023) Names and Codes in the UK
# Contains public sector information licensed under the Open Government Licence v3.0
# (https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/).
# Built by scripts/build_place_names.py from the files as published. Lines starting with '#' are notes.
"""
#: What each column the default files name their districts by is from.
LISTS = {
    "LAD23NM": "Ward to Local Authority District (May 2023) Lookup in the United Kingdom",
    "LAD19NM": "Ward to Local Authority District (December 2019) Lookup in the UK (districts merged since)",
}


def vintage(column: str) -> int:
    """The two-digit year in a column name (LAD23NM -> 23), 0 without one."""
    m = re.search(r"([0-9]{2})", column)
    return int(m.group(1)) if m else 0


def read(path: Path) -> list[tuple[str, str, str]]:
    """(code, name, source column) of every district the file names."""
    text = path.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header = rows[0]
    out = []
    for code_col, name_col in name_columns(header):
        i, j = header.index(code_col), header.index(name_col)
        for row in rows[1:]:
            if len(row) > max(i, j) and LAD.match(row[i].strip()) and row[j].strip():
                out.append((row[i].strip(), row[j].strip(), name_col))
    if not out:
        raise SystemExit(f"{path}: no local authority district code and name columns (e.g. LAD23CD, LAD23NM)")
    return out


def build(files: list[Path]) -> tuple[dict[str, tuple[str, str]], list[str]]:
    names: dict[str, tuple[str, str]] = {}
    sources = []
    found = [(vintage(src), code, name, src) for f in files for code, name, src in read(f)]
    for _, code, name, src in sorted(found, key=lambda r: -r[0]):  # newest vintage first: it wins
        names.setdefault(code, (name, src))
    for src in sorted({r[3] for r in found}, key=lambda s: -vintage(s)):
        sources.append(src)
    for code, name in {**REGIONS, **COUNTRIES}.items():
        names[code] = (name, "RGN23NM" if code.startswith("E12") else "CTRY23NM")
    return names, sources


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="*", type=Path, help="ONS lookup CSVs (default: ../shared/real's)")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    files = args.files or DEFAULT_FILES
    missing = [str(f) for f in files if not f.exists()]
    if missing:
        raise SystemExit(f"missing: {', '.join(missing)}")
    names, sources = build(files)
    out = io.StringIO(newline="")
    out.write(
        HEADER.format(sources="\n".join(f"#   {s}: {LISTS.get(s, 'as named in the file')}" for s in sources))
    )
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["code", "name", "source"])
    for code in sorted(names):
        w.writerow([code, *names[code]])
    args.out.write_text(out.getvalue(), encoding="utf-8")
    print(f"wrote {len(names)} names to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
