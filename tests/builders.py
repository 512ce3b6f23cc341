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


# --- workbooks ----------------------------------------------------------------------------------
#
# A sheet is (name, rows) or (name, rows, hidden); a row is a list of cells: str, int, float, ``Money``
# (a currency cell in an .ods), datetime.date / datetime.datetime, or None (empty).


class Money(float):
    """An amount written as a currency cell (.ods ``office:value-type="currency"``, GBP); a number in
    an .xlsx."""


def _sheet_spec(sheet) -> tuple[str, list[list[object]], bool]:
    name, rows, *hidden = sheet
    return name, rows, bool(hidden and hidden[0])


def write_xlsx(path: Path, sheets: list) -> Path:
    """An .xlsx with these sheets, in order (openpyxl)."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for sheet in sheets:
        name, rows, hidden = _sheet_spec(sheet)
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append([float(c) if isinstance(c, Money) else c for c in row])
        if hidden:
            ws.sheet_state = "hidden"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


_ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0" office:version="1.2"'
)
_ODS_MIME = "application/vnd.oasis.opendocument.spreadsheet"


def _ods_cell(value: object) -> str:
    import datetime as dt
    from xml.sax.saxutils import escape

    if value is None or value == "":
        return "<table:table-cell/>"
    if isinstance(value, Money):
        attrs, text = f'"currency" office:currency="GBP" office:value="{float(value)!r}"', f"£{value:,.2f}"
    elif isinstance(value, bool):
        attrs, text = f'"boolean" office:boolean-value="{str(value).lower()}"', str(value).upper()
    elif isinstance(value, (int, float)):
        attrs, text = f'"float" office:value="{value!r}"', str(value)
    elif isinstance(value, (dt.date, dt.datetime)):
        attrs, text = f'"date" office:date-value="{value.isoformat()}"', value.isoformat()
    else:
        attrs, text = '"string"', str(value)
    return f"<table:table-cell office:value-type={attrs}><text:p>{escape(text)}</text:p></table:table-cell>"


def _ods_rows(rows: list[list[object]]) -> str:
    """Rows as LibreOffice writes them: a run of empty cells, and of empty rows, as one repeated element."""
    out, empty = [], 0
    for row in [*rows, None]:
        if row is not None and not any(c not in (None, "") for c in row):
            empty += 1
            continue
        if empty:
            out.append(
                f'<table:table-row table:number-rows-repeated="{empty}"><table:table-cell/></table:table-row>'
            )
            empty = 0
        if row is None:
            break
        cells, gap = [], 0
        for c in row:
            if c in (None, ""):
                gap += 1
                continue
            if gap:
                cells.append(f'<table:table-cell table:number-columns-repeated="{gap}"/>')
                gap = 0
            cells.append(_ods_cell(c))
        out.append("<table:table-row>" + "".join(cells) + "</table:table-row>")
    return "".join(out)


def write_ods(path: Path, sheets: list) -> Path:
    """An OpenDocument spreadsheet with these sheets, in order: a zip of ``mimetype`` (first, stored),
    ``META-INF/manifest.xml`` and ``content.xml``, with a hidden sheet's table style ``table:display=
    "false"`` and, as LibreOffice saves them, the unused rest of each sheet as one repeated empty row."""
    import zipfile
    from xml.sax.saxutils import quoteattr

    tables = []
    for sheet in sheets:
        name, rows, hidden = _sheet_spec(sheet)
        tables.append(
            f'<table:table table:name={quoteattr(name)} table:style-name="{"ta2" if hidden else "ta1"}">'
            '<table:table-column table:number-columns-repeated="1024"/>'
            + _ods_rows(rows)
            + '<table:table-row table:number-rows-repeated="1048000">'
            '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>'
            "</table:table>"
        )
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODS_NS}>'
        "<office:automatic-styles>"
        '<style:style style:name="ta1" style:family="table"><style:table-properties table:display="true"/>'
        "</style:style>"
        '<style:style style:name="ta2" style:family="table"><style:table-properties table:display="false"/>'
        "</style:style>"
        "</office:automatic-styles>"
        f"<office:body><office:spreadsheet>{''.join(tables)}</office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2">'
        f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{_ODS_MIME}"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), _ODS_MIME, compress_type=zipfile.ZIP_STORED)
        z.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return path


WORKBOOK_WRITERS = {".xlsx": write_xlsx, ".ods": write_ods}
