"""Hostile dataset folders (issue 20): a folder with one file damaged, in any of the ways a user's files go
wrong, either opens (with a named note where the data can still be used) or raises the project's own
one-line error; ``anchorlib summary`` exits 0, or 2 with that one line. Never a traceback, never another
exception, and the same answer on every open, cached or not.

The hypothesis test damages the files of a small valid folder (tests/hostile_folder.py) at random; the
example table below pins what a user sees, word for word, for each kind of damage."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anchorlib.data.dataset import SPEND_FILE_SUFFIXES
from tests.hostile_folder import FILES, cli_summary, copy_of, outcome, valid_folder

HOSTILE_VALUES = [
    "",
    " ",
    "HACKNEY",
    "Hackney",
    "E01000001",
    "E12000007",
    "E09000012",
    "E09000099",
    "e09000012",
    "E8 1AA",
    "maybe",
    "yes",
    "1.5",
    "-1",
    "101",
    "nan",
    "inf",
    "1e400",
    "abc",
    "£12",
    "40%",
    "1,234",
    '"',
    ",",
    "x\ny",
    "\x00",
    "\x1b[31m",
    "Café Crème",
    "\U0001f642",
    "<img src=x onerror=alert(1)>",
    "E09000012;E01000001",
    "../x",
    "a/b",
    "A" * 300,
    "2024-13-45",
    "NULL",
]
DAMAGES = [
    "bytes",
    "truncate",
    "drop_column",
    "rename_column",
    "duplicate_row",
    "blank_cell",
    "poison_cell",
    "extra_field",
    "encoding",
    "delete",
    "directory",
    "header_only",
    "empty",
    "blank_lines",
]
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI reproduces what a developer saw
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def _text(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def damage(path: Path, kind: str, draw) -> None:
    """Damage one file in place, in one of DAMAGES' ways (``draw`` picks the row, column, value, bytes)."""
    if not path.is_file():  # deleted or made a folder by an earlier damage
        return
    if kind == "delete":
        path.unlink()
        return
    if kind == "directory":
        path.unlink()
        path.mkdir()
        return
    raw = path.read_bytes()
    if kind == "bytes":
        path.write_bytes(draw(st.binary(max_size=400)))
        return
    if kind == "truncate":
        path.write_bytes(raw[: draw(st.integers(0, len(raw)))])
        return
    if kind == "empty":
        path.write_bytes(b"")
        return
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:  # an earlier damage left bytes: the text damages do not apply
        return
    if kind == "encoding":
        enc = draw(st.sampled_from(["utf-16", "utf-16-le", "utf-8-sig", "cp1252", "latin-1"]))
        path.write_bytes(text.encode(enc, errors="replace"))
        return
    rows = _rows(text)
    if not rows or not rows[0]:
        return
    header, body = rows[0], rows[1:]
    col = draw(st.integers(0, len(header) - 1))
    row = draw(st.integers(0, max(len(body) - 1, 0)))
    value = draw(st.one_of(st.sampled_from(HOSTILE_VALUES), st.text(max_size=12)))
    if kind == "header_only":
        body = []
    elif kind == "drop_column":
        header, body = header[:col] + header[col + 1 :], [r[:col] + r[col + 1 :] for r in body]
    elif kind == "rename_column":
        header = [value if i == col else h for i, h in enumerate(header)]
    elif kind == "duplicate_row" and body:
        body.insert(draw(st.integers(0, len(body))), list(body[row]))
    elif kind in ("blank_cell", "poison_cell") and body and col < len(body[row]):
        body[row][col] = "" if kind == "blank_cell" else value
    elif kind == "extra_field" and body:
        body[row].append(value)
    elif kind == "blank_lines":
        at = draw(st.integers(0, len(body)))
        path.write_text(_text([header, *body[:at]]) + "\n\n" + _text(body[at:]), encoding="utf-8")
        return
    path.write_text(_text([header, *body]), encoding="utf-8")


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    root = valid_folder(tmp_path_factory.mktemp("hostile") / "valid")
    state, _, _ = outcome(root)
    assert state == "ok"
    return root


@SETTINGS
@given(data=st.data())
def test_a_damaged_folder_opens_or_says_what_is_wrong_in_one_line(base, data):
    """One to two damages to one to two files of a valid folder. ``open_dataset`` and all that reads a
    dataset give a figure or one of the project's errors; ``anchorlib summary`` exits 0 or 2 with one line,
    the same line; a second open (from the cache) gives exactly what the first gave."""
    with tempfile.TemporaryDirectory() as tmp:
        root = copy_of(base, Path(tmp) / "ds")
        for _ in range(data.draw(st.integers(1, 2), label="files")):
            rel = data.draw(st.sampled_from(FILES), label="file")
            for kind in data.draw(st.lists(st.sampled_from(DAMAGES), min_size=1, max_size=2), label="damage"):
                damage(root / rel, kind, data.draw)
        code, stdout, stderr = cli_summary(root)  # reads the files, and stores the tables' cache entry
        seen = outcome(root)  # from that entry
        if code == 2:
            assert seen[0] == "error" and stderr == f"anchorlib: error: {seen[2]}", (stderr, seen)
        elif seen[0] == "ok":
            assert json.loads(stdout) == seen[1]
        else:  # the summary does not read the tenders and commitments: only they may fail after it
            assert seen[2].startswith("social_value/"), seen


def test_the_valid_folder_and_its_hand_worked_share(base):
    state, summary, notes = outcome(base)
    a1 = summary["anchors"][0]
    assert (a1["addressable_spend"], a1["local_spend"]) == (1750, 1000)
    assert a1["local_share"] == pytest.approx(1000 / 1750)
    assert notes == ()
    assert os.path.isdir(base / ".anchorlib-cache")


# --- every kind of damage and what the user sees, word for word -------------------------------------------
LAD_RULE = "E06, E07, E08, E09, W06, S12 or N09 and six digits, e.g. E09000012"
SUFFIXES = ", ".join(sorted(SPEND_FILE_SUFFIXES))


def put(rel: str, content: str | bytes):
    def edit(root: Path) -> None:
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))

    return edit


def line(rel: str, n: int, text: str):
    """Line ``n`` of ``rel`` replaced by ``text`` (which may hold several lines, or none: '')."""

    def edit(root: Path) -> None:
        p = root / rel
        lines = p.read_text(encoding="utf-8").splitlines()
        lines[n - 1 : n] = [text] if text else []
        p.write_text("\n".join(lines) + "\n", encoding="utf-8")

    return edit


def add(rel: str, text: str):
    def edit(root: Path) -> None:
        with (root / rel).open("a", encoding="utf-8") as fh:
            fh.write(text + "\n")

    return edit


def recode(rel: str, encoding: str, text: str | None = None):
    def edit(root: Path) -> None:
        p = root / rel
        p.write_bytes((text or p.read_text(encoding="utf-8")).encode(encoding))

    return edit


def remove(rel: str):
    def edit(root: Path) -> None:
        p = root / rel
        shutil.rmtree(p) if p.is_dir() else p.unlink()

    return edit


def both(*edits):
    def edit(root: Path) -> None:
        for e in edits:
            e(root)

    return edit


ANCHORS = "anchor_id,name,kind,home_lads\n"
POSTCODES = "pcds,laua,lsoa11,rgn\n"
IMD = "LSOA code (2011),Index of Multiple Deprivation (IMD) Decile\n"
#: (damage, edit of the valid folder, what the user sees: ('error', the exact line), or ('note', the exact
#: note in Dataset.notes, with the figures still computed)
CASES = [
    # anchors.csv
    ("anchors.csv missing", remove("anchors.csv"), ("error", "anchors.csv: required file is missing")),
    ("anchors.csv empty (0 bytes)", put("anchors.csv", ""), ("error", "anchors.csv: the file is empty")),
    (
        "anchors.csv blank lines only",
        put("anchors.csv", "\n \n"),
        ("error", "anchors.csv: the file is empty"),
    ),
    (
        "anchors.csv header only",
        put("anchors.csv", ANCHORS),
        ("error", "anchors.csv: lists no anchors (a header and no rows)"),
    ),
    (
        "anchors.csv a folder",
        both(remove("anchors.csv"), lambda r: (r / "anchors.csv").mkdir()),
        ("error", "anchors.csv: is a folder, not a CSV file"),
    ),
    (
        "anchors.csv column renamed",
        line("anchors.csv", 1, "anchor_id,name,kind,home_lad"),
        ("error", "anchors.csv: missing column(s) home_lads; found anchor_id, name, kind, home_lad"),
    ),
    (
        "anchors.csv column twice",
        put("anchors.csv", "anchor_id,name,name,kind,home_lads\na1,A,B,council,E09000012\n"),
        ("error", "anchors.csv:1: column 'name' appears twice in the header"),
    ),
    (
        "anchors.csv anchor twice",
        add("anchors.csv", "a1,Anchor One again,council,E09000012"),
        ("error", "anchors.csv:4: anchor_id 'a1' appears twice (first on line 2)"),
    ),
    (
        "anchors.csv anchor twice, after a blank line (lines counted as in the file)",
        add("anchors.csv", "\n\na1,Anchor One again,council,E09000012"),
        ("error", "anchors.csv:6: anchor_id 'a1' appears twice (first on line 2)"),
    ),
    (
        "anchors.csv blank anchor_id",
        line("anchors.csv", 3, ",Anchor Two,nhs_trust,E09000012"),
        ("error", "anchors.csv:3: anchor_id is blank"),
    ),
    (
        "anchors.csv two anchor_ids differing in case only",
        add("anchors.csv", "A1,Anchor One again,council,E09000012"),
        (
            "error",
            "anchors.csv:4: anchor_id 'A1' differs from 'a1' (line 2) only in case: on Windows and macOS "
            "the two would share one spend folder",
        ),
    ),
    (
        "anchors.csv separated by semicolons",
        recode(
            "anchors.csv",
            "utf-8",
            ANCHORS.replace(",", ";")
            + "a1;Anchor One;council;E09000012\na2;Anchor Two;nhs_trust;E09000012,E09000001\n",
        ),
        ("same", None),
    ),
    (
        "anchors.csv with Excel's sep= line",
        recode(
            "anchors.csv",
            "utf-8",
            "sep=,\n"
            + ANCHORS
            + "a1,Anchor One,council,E09000012\na2,Anchor Two,nhs_trust,E09000012;E09000001\n",
        ),
        ("same", None),
    ),
    (
        "anchors.csv anchor_id that is a path",
        line("anchors.csv", 2, "../a1,Anchor One,council,E09000012"),
        (
            "error",
            (
                "anchors.csv:2: anchor_id '../a1' cannot name a folder of spend/ (no '/' or "
                "'\\', not starting with '.')"
            ),
        ),
    ),
    (
        "anchors.csv blank name",
        line("anchors.csv", 2, "a1,,council,E09000012"),
        ("error", "anchors.csv:2: name is blank"),
    ),
    (
        "anchors.csv blank home_lads",
        line("anchors.csv", 2, "a1,Anchor One,council,"),
        (
            "error",
            (
                "anchors.csv:2: home_lads is blank: give the anchor's home local authority "
                "district codes, e.g. E09000012, ';'-joined"
            ),
        ),
    ),
    (
        "anchors.csv home_lads a name (HACKNEY)",
        line("anchors.csv", 2, "a1,Anchor One,council,HACKNEY"),
        (
            "error",
            (
                "anchors.csv:2: home_lads: 'HACKNEY' is a name, not a local authority district "
                f"code ({LAD_RULE})"
            ),
        ),
    ),
    (
        "anchors.csv home_lads an LSOA code",
        line("anchors.csv", 3, "a2,Anchor Two,nhs_trust,E09000012;E01000001"),
        (
            "error",
            (
                "anchors.csv:3: home_lads: 'E01000001' is an LSOA code, not a local authority "
                f"district code ({LAD_RULE})"
            ),
        ),
    ),
    (
        "anchors.csv home_lads a region code",
        line("anchors.csv", 2, "a1,Anchor One,council,E12000007"),
        (
            "error",
            (
                "anchors.csv:2: home_lads: 'E12000007' is a region code, not a local authority "
                f"district code ({LAD_RULE})"
            ),
        ),
    ),
    (
        "anchors.csv home_lads a postcode",
        line("anchors.csv", 2, "a1,Anchor One,council,E8 1AA"),
        (
            "error",
            (
                "anchors.csv:2: home_lads: 'E8 1AA' is a postcode, not a local authority "
                f"district code ({LAD_RULE})"
            ),
        ),
    ),
    (
        "anchors.csv home LAD no postcode maps to",
        line("anchors.csv", 2, "a1,Anchor One,council,E09000099"),
        (
            "note",
            (
                "anchors.csv: no postcode of geography/postcodes.csv is in E09000099 (the home "
                "area of anchor 'a1'): no supplier can be local to it"
            ),
        ),
    ),
    (
        "anchors.csv one of two home LADs no postcode maps to",
        line("anchors.csv", 3, "a2,Anchor Two,nhs_trust,E09000012;E09000099"),
        (
            "note",
            (
                "anchors.csv: no postcode of geography/postcodes.csv is in E09000099, of the "
                "home area of anchor 'a2': no supplier there can be local"
            ),
        ),
    ),
    (
        "anchors.csv codes in lower case",
        line("anchors.csv", 2, "a1,Anchor One,council,e09000012"),
        ("same", None),
    ),
    ("anchors.csv saved as UTF-16", recode("anchors.csv", "utf-16"), ("same", None)),
    ("anchors.csv saved as UTF-16 without a BOM", recode("anchors.csv", "utf-16-le"), ("same", None)),
    ("anchors.csv saved as UTF-8 with a BOM", recode("anchors.csv", "utf-8-sig"), ("same", None)),
    (
        "anchors.csv saved as Windows-1252",
        recode(
            "anchors.csv",
            "cp1252",
            ANCHORS + "a1,Café Crème,council,E09000012\na2,Anchor Two,nhs_trust,E09000012;E09000001\n",
        ),
        ("name", "Café Crème"),
    ),
    (
        "anchors.csv binary (NUL bytes)",
        put("anchors.csv", bytes(range(256))),
        ("error", "anchors.csv: holds binary content (NUL bytes), not CSV text"),
    ),
    (
        "anchors.csv bytes of no text encoding",
        put("anchors.csv", b"\x81\x8d,\x8f\n"),
        ("error", "anchors.csv: is not text in UTF-8, UTF-16 or Windows-1252 (byte 0x81 at offset 0)"),
    ),
    (
        "anchors.csv control characters",
        put("anchors.csv", ANCHORS + "a1,\x01\x02\x03\x04\x05\x06\x07\x08\x0e,council,E09000012\n"),
        ("error", "anchors.csv: holds binary content (control characters), not CSV text"),
    ),
    (
        "anchors.csv a workbook saved under a .csv name",
        put("anchors.csv", b"PK\x03\x04\x14\x00\x06\x00"),
        (
            "error",
            "anchors.csv: is a zip file (an .xlsx or .ods workbook?), not CSV text; save it as CSV (UTF-8)",
        ),
    ),
    (
        "anchors.csv a line with an extra field",
        line("anchors.csv", 3, "a2,Anchor Two,nhs_trust,E09000012,extra"),
        ("error", "anchors.csv:3: the line has 5 fields but the header has 4"),
    ),
    (
        "anchors.csv trailing empty fields",
        line("anchors.csv", 3, "a2,Anchor Two,nhs_trust,E09000012;E09000001,,"),
        ("same", None),
    ),
    (
        "anchors.csv an unclosed quote",
        line("anchors.csv", 3, 'a2,"Anchor Two,nhs_trust,E09000012'),
        ("error", 'anchors.csv:3: a quote (") opened on this line is never closed'),
    ),
    (
        "anchors.csv truncated mid-line",
        put("anchors.csv", ANCHORS + "a1,Anchor One,coun"),
        (
            "error",
            (
                "anchors.csv:2: home_lads is blank: give the anchor's home local authority "
                "district codes, e.g. E09000012, ';'-joined"
            ),
        ),
    ),
    # geography/postcodes.csv
    (
        "postcodes.csv column renamed",
        line("geography/postcodes.csv", 1, "postcode_x,laua,lsoa11,rgn"),
        ("error", "geography/postcodes.csv: missing column(s) pcds; found postcode_x, laua, lsoa11, rgn"),
    ),
    (
        "postcodes.csv header only",
        put("geography/postcodes.csv", POSTCODES),
        ("error", "geography/postcodes.csv: holds no postcodes: no supplier could be located"),
    ),
    (
        "postcodes.csv a postcode in two districts",
        add("geography/postcodes.csv", "E8 1AA,E09000028,E01900004,E12000007"),
        (
            "note",
            (
                "geography/postcodes.csv: 1 postcode maps to two or more districts (first E8 "
                "1AA, lines 2, 7: E09000012, E09000028): location unknown"
            ),
        ),
    ),
    (
        "postcodes.csv a postcode in two LSOAs of one district",
        add("geography/postcodes.csv", "E8 1AA,E09000012,E01900002,E12000007"),
        (
            "note",
            (
                "geography/postcodes.csv: 1 postcode maps to two or more LSOAs of one district "
                "(first E8 1AA, lines 2, 7: E01900001, E01900002): LSOA and IMD decile unknown"
            ),
        ),
    ),
    (
        "postcodes.csv a postcode repeated as it was",
        add("geography/postcodes.csv", "E8 1AA,E09000012,E01900001,E12000007"),
        ("same", None),
    ),
    (
        "postcodes.csv a district that is a name",
        add("geography/postcodes.csv", "E9 9ZZ,Hackney,E01900001,E12000007"),
        (
            "error",
            (
                "geography/postcodes.csv:7: column laua: 'Hackney' is a name, not a local "
                f"authority district code ({LAD_RULE})"
            ),
        ),
    ),
    (
        "postcodes.csv LSOA codes in the district column",
        line("geography/postcodes.csv", 1, "pcds,lsoa11,laua,rgn"),
        (
            "error",
            (
                "geography/postcodes.csv:2: column laua: 'E01900001' is an LSOA code, not a "
                f"local authority district code ({LAD_RULE})"
            ),
        ),
    ),
    (
        "postcodes.csv a region that is a name",
        add("geography/postcodes.csv", "E9 9ZZ,E09000012,E01900001,London"),
        (
            "error",
            (
                "geography/postcodes.csv:7: column rgn: 'London' is a name, not a region code "
                "(E12 and six digits)"
            ),
        ),
    ),
    (
        "postcodes.csv district codes in the LSOA column",
        add("geography/postcodes.csv", "E9 9ZZ,E09000012,E09000012,E12000007"),
        (
            "error",
            (
                "geography/postcodes.csv:7: column lsoa11: 'E09000012' is a local authority "
                "district code, not an LSOA code"
            ),
        ),
    ),
    (
        "postcodes.csv a row without a postcode",
        add("geography/postcodes.csv", "NOT A POSTCODE,E09000012,E01900001,E12000007"),
        (
            "note",
            (
                "geography/postcodes.csv: 1 of 6 rows with a blank or malformed postcode (first "
                "on line 7: 'NOT A POSTCODE'): not used"
            ),
        ),
    ),
    (
        "postcodes.csv no row with a postcode",
        put("geography/postcodes.csv", POSTCODES + "E09000012,E09000012,E01900001,E12000007\n"),
        (
            "error",
            (
                "geography/postcodes.csv: no row has a well-formed UK postcode in column pcds "
                "(line 2: 'E09000012')"
            ),
        ),
    ),
    (
        "postcodes.csv ONS pseudo codes (Channel Islands)",
        add("geography/postcodes.csv", "JE2 3AB,L99999999,L99999999,L99999999"),
        ("same", None),
    ),
    # geography/imd.csv
    (
        "imd.csv an LSOA twice with two deciles",
        add("geography/imd.csv", "E01900001,3"),
        ("error", "geography/imd.csv:7: LSOA E01900001 has IMD decile 3 here and 1 on line 2"),
    ),
    ("imd.csv an LSOA twice with one decile", add("geography/imd.csv", "E01900001,1"), ("same", None)),
    (
        "imd.csv a decile of 11",
        line("geography/imd.csv", 3, "E01900002,11"),
        ("error", "geography/imd.csv:3: IMD decile '11' is not a whole number from 1 to 10"),
    ),
    (
        "imd.csv a decile of 2.5",
        line("geography/imd.csv", 3, "E01900002,2.5"),
        ("error", "geography/imd.csv:3: IMD decile '2.5' is not a whole number from 1 to 10"),
    ),
    (
        "imd.csv a decile that is not a number",
        line("geography/imd.csv", 3, "E01900002,ten"),
        ("error", "geography/imd.csv:3: column imd_decile: 'ten' is not a number"),
    ),
    (
        "imd.csv a blank decile",
        line("geography/imd.csv", 3, "E01900002,"),
        ("error", "geography/imd.csv:3: IMD decile is blank"),
    ),
    (
        "imd.csv a blank LSOA",
        line("geography/imd.csv", 3, ",5"),
        ("error", "geography/imd.csv:3: LSOA code is blank"),
    ),
    (
        "imd.csv district codes in the LSOA column",
        line("geography/imd.csv", 3, "E09000012,5"),
        (
            "error",
            (
                "geography/imd.csv:3: column lsoa11: 'E09000012' is a local authority district "
                "code, not an LSOA code"
            ),
        ),
    ),
    (
        "imd.csv header only",
        put("geography/imd.csv", IMD),
        ("note", "geography/imd.csv lists no LSOAs: IMD deciles unknown"),
    ),
    (
        "imd.csv LSOAs of another kind than the directory's",
        put("geography/imd.csv", IMD + "E01999999,3\n"),
        (
            "note",
            (
                "no LSOA of the postcode directory is in the IMD file (e.g. E01900001 is not): "
                "IMD deciles unknown"
            ),
        ),
    ),
    (
        "imd.csv of the other LSOA vintage",
        put(
            "geography/imd.csv", "LSOA code (2021),Index of Multiple Deprivation (IMD) Decile\nE01900001,3\n"
        ),
        (
            "note",
            (
                "postcode directory uses LSOA 2011 but the IMD file is IoD2025 (LSOA 2021): IMD "
                "deciles left unknown rather than joined across LSOA vintages"
            ),
        ),
    ),
    # suppliers.csv
    ("suppliers.csv missing", remove("suppliers.csv"), ("error", "suppliers.csv: required file is missing")),
    (
        "suppliers.csv postcode column missing",
        put("suppliers.csv", "supplier_name,post_code\nAcme Ltd,E8 1AA\n"),
        ("error", "suppliers.csv: missing column(s) postcode; found supplier_name, post_code"),
    ),
    (
        "suppliers.csv blank name",
        add("suppliers.csv", ",E8 1AA,,,yes,,,,,,"),
        ("error", "suppliers.csv:6: supplier_name is blank"),
    ),
    (
        "suppliers.csv a flag that is not yes/no",
        line("suppliers.csv", 3, "Beta Services Ltd,SE1 1AA,,,maybe,,yes,,,,Cleaning"),
        ("error", "suppliers.csv:3: column is_sme: 'maybe' is not yes/no/true/false/1/0 or blank"),
    ),
    (
        "suppliers.csv one supplier twice, two postcodes",
        add("suppliers.csv", "ACME LIMITED,SE1 1AA,,,yes,no,,,,,Cleaning"),
        (
            "error",
            (
                "suppliers.csv:6: 'ACME LIMITED' is the supplier of line 2 ('Acme Ltd', same "
                "name once normalised) with postcode SE1 1AA, not E8 1AA: keep one row, or name "
                "them apart"
            ),
        ),
    ),
    (
        "suppliers.csv one supplier twice, two flags",
        add("suppliers.csv", "Acme Limited,e81aa,,,no,no,,,,,Cleaning"),
        (
            "error",
            (
                "suppliers.csv:6: 'Acme Limited' is the supplier of line 2 ('Acme Ltd', same "
                "name once normalised) with is_sme no, not yes: keep one row, or name them apart"
            ),
        ),
    ),
    (
        "suppliers.csv one supplier twice, fact for fact",
        add("suppliers.csv", "ACME LIMITED,e81aa,,,Y,No,,,,,Cleaning"),
        (
            "note",
            (
                "suppliers.csv: 1 row repeating an earlier row of the same supplier (first on "
                "line 6, as line 2): each supplier counted once"
            ),
        ),
    ),
    (
        "suppliers.csv a name of punctuation only",
        add("suppliers.csv", "---,E8 1AA,,,,,,,,,"),
        (
            "note",
            (
                "suppliers.csv: 1 name with nothing but punctuation or legal forms (first on "
                "line 6: '---'): never matched"
            ),
        ),
    ),
    (
        "suppliers.csv header only",
        both(put("suppliers.csv", "supplier_name,postcode\n"), remove("supplier_matches.csv")),
        (
            "note",
            (
                "suppliers.csv lists no suppliers: no payee is matched to the register, "
                "locations come from the spend files' own postcodes, and availability is unknown"
            ),
        ),
    ),
    (
        "suppliers.csv a malformed postcode",
        add("suppliers.csv", "Gamma Ltd,E8 ZZZ,,,,,,,,,"),
        (
            "note",
            (
                "suppliers.csv: 1 of 5 suppliers have an unknown location (1 malformed postcode, "
                "0 blank, 0 not in geography/postcodes.csv)"
            ),
        ),
    ),
    # areas.csv
    (
        "areas.csv lads a name",
        line("areas.csv", 2, "inner,Inner,Hackney"),
        (
            "error",
            f"areas.csv:2: lads: 'Hackney' is a name, not a local authority district code ({LAD_RULE})",
        ),
    ),
    (
        "areas.csv an area twice",
        add("areas.csv", "inner,Inner again,E09000012"),
        ("error", "areas.csv:3: area_id 'inner' appears twice (first on line 2)"),
    ),
    (
        "areas.csv a built-in id",
        line("areas.csv", 2, "london,London boroughs,E09000012"),
        (
            "error",
            "areas.csv:2: area_id 'london' is built in (home, city_hackney, london, uk): choose another",
        ),
    ),
    (
        "areas.csv blank lads",
        line("areas.csv", 2, "inner,Inner,"),
        ("error", "areas.csv:2: lads is blank: give ONS LAD codes, e.g. E09000012, ';'-joined"),
    ),
    (
        "areas.csv lads of separators only",
        line("areas.csv", 2, "inner,Inner,;;"),
        ("error", "areas.csv:2: lads names no code: give ONS LAD codes, ';'-joined"),
    ),
    (
        "areas.csv a LAD no postcode maps to",
        line("areas.csv", 2, "inner,Inner,E09000012;E09000099"),
        (
            "note",
            (
                "areas.csv: no postcode of geography/postcodes.csv is in E09000099, of area "
                "'inner': no supplier there can be local"
            ),
        ),
    ),
    # categories.csv
    (
        "categories.csv blank expense type",
        add("categories.csv", ",Other,no"),
        ("error", "categories.csv:4: expense_type is blank"),
    ),
    (
        "categories.csv a flag that is not yes/no",
        line("categories.csv", 3, "Legal,Professional,maybe"),
        ("error", "categories.csv:3: column addressable: 'maybe' is not yes/no/true/false/1/0 or blank"),
    ),
    (
        "categories.csv an expense type twice, two categories",
        add("categories.csv", " cleaning ,Other,yes"),
        (
            "error",
            (
                "categories.csv:4: expense type 'cleaning' is also on line 2 with category "
                "'Facilities', here 'Other'"
            ),
        ),
    ),
    (
        "categories.csv an expense type twice, as it was",
        add("categories.csv", "CLEANING,Facilities,yes"),
        ("same", None),
    ),
    # lm3_survey.csv
    (
        "lm3_survey.csv a share above 1",
        line("lm3_survey.csv", 3, "Beta Services Ltd,1.5,0.1"),
        ("error", "lm3_survey.csv:3: local_staff_share must be a fraction from 0 to 1, not '1.5'"),
    ),
    (
        "lm3_survey.csv a negative share",
        line("lm3_survey.csv", 3, "Beta Services Ltd,0.1,-0.1"),
        ("error", "lm3_survey.csv:3: local_supplier_share must be a fraction from 0 to 1, not '-0.1'"),
    ),
    (
        "lm3_survey.csv a percentage",
        line("lm3_survey.csv", 3, "Beta Services Ltd,40%,0.1"),
        (
            "error",
            (
                "lm3_survey.csv:3: local_staff_share '40%' is a percentage: give a fraction from "
                "0 to 1 (0.40 for 40%)"
            ),
        ),
    ),
    (
        "lm3_survey.csv a blank share",
        line("lm3_survey.csv", 3, "Beta Services Ltd,,0.1"),
        ("error", "lm3_survey.csv:3: local_staff_share is blank: give a fraction from 0 to 1 (0.40 for 40%)"),
    ),
    (
        "lm3_survey.csv a share that is not a number",
        line("lm3_survey.csv", 3, "Beta Services Ltd,abc,0.1"),
        ("error", "lm3_survey.csv:3: column local_staff_share: 'abc' is not a number"),
    ),
    (
        "lm3_survey.csv an infinite share",
        line("lm3_survey.csv", 3, "Beta Services Ltd,inf,0.1"),
        ("error", "lm3_survey.csv:3: column local_staff_share: 'inf' is not a number"),
    ),
    (
        "lm3_survey.csv a blank supplier",
        add("lm3_survey.csv", ",0.1,0.1"),
        ("error", "lm3_survey.csv:4: supplier_name is blank"),
    ),
    (
        "lm3_survey.csv a supplier surveyed twice",
        add("lm3_survey.csv", "ACME LIMITED,0.1,0.1"),
        (
            "error",
            "lm3_survey.csv:4: supplier 'ACME LIMITED' is surveyed twice (the same supplier as line 2)",
        ),
    ),
    # supplier_matches.csv
    (
        "supplier_matches.csv a register name not in the register",
        add("supplier_matches.csv", "Zed,Nobody Ltd"),
        ("error", "supplier_matches.csv:4: register_name 'Nobody Ltd' is not in suppliers.csv"),
    ),
    (
        "supplier_matches.csv one payee decided twice, differently",
        add("supplier_matches.csv", "BETA SERVICES,"),
        (
            "error",
            (
                "supplier_matches.csv:4: spend_name 'BETA SERVICES' is decided on line 2 too "
                "('Beta Services Ltd'), differently"
            ),
        ),
    ),
    (
        "supplier_matches.csv a blank payee",
        add("supplier_matches.csv", ",Acme Ltd"),
        ("error", "supplier_matches.csv:4: spend_name is blank"),
    ),
    (
        "supplier_matches.csv a payee of punctuation only",
        add("supplier_matches.csv", "---,Acme Ltd"),
        ("error", "supplier_matches.csv:4: spend_name '---' is nothing but legal forms or punctuation"),
    ),
    # social_value/
    (
        "tenders.csv a price that is not a number",
        line("social_value/tenders.csv", 3, "T1,Beta Services Ltd,abc,55,40,0.5,0.45,0.05,no,no,no"),
        ("error", "social_value/tenders.csv:3: column price: 'abc' is not a number"),
    ),
    (
        "tenders.csv a flag that is not yes/no",
        line("social_value/tenders.csv", 3, "T1,Beta Services Ltd,900,55,40,0.5,0.45,0.05,perhaps,no,no"),
        (
            "error",
            "social_value/tenders.csv:3: column is_local: 'perhaps' is not yes/no/true/false/1/0 or blank",
        ),
    ),
    (
        "tenders.csv a bidder twice",
        add("social_value/tenders.csv", "T1,Acme Ltd,1000,60,80,0.5,0.45,0.05,yes,yes,no"),
        ("error", "social_value/tenders.csv:6: bidder 'Acme Ltd' appears twice in tender T1"),
    ),
    (
        "commitments.csv an anchor not in anchors.csv",
        add("social_value/commitments.csv", "C3,Acme Ltd,zz,Local jobs,jobs,1,1,,"),
        ("error", "social_value/commitments.csv:5: anchor_id 'zz' is not in anchors.csv"),
    ),
    (
        "commitments.csv a date that is not a date",
        line("social_value/commitments.csv", 4, "C2,Beta Services Ltd,a2,Local jobs,jobs,2,0,31/03/2024,"),
        ("error", "social_value/commitments.csv:4: period_start '31/03/2024' is not a date like 2024-03-31"),
    ),
    # spend/
    ("spend folder missing", remove("spend/a2"), ("error", "spend/a2/: no spend folder for anchor 'a2'")),
    (
        "spend folder named in another case",
        lambda r: (r / "spend" / "a2").rename(r / "spend" / "A2"),
        (
            "error",
            (
                "spend/a2/: no spend folder for anchor 'a2' (there is spend/A2/: the folder must "
                "be named as the anchor_id)"
            ),
        ),
    ),
    (
        "spend folder with no spend file",
        both(remove("spend/a2/spend.csv"), put("spend/a2/notes.pdf", "%PDF")),
        ("error", f"spend/a2/: no spend files ({SUFFIXES}) for anchor 'a2'; it holds notes.pdf"),
    ),
    (
        "spend folder empty",
        remove("spend/a2/spend.csv"),
        ("error", f"spend/a2/: no spend files ({SUFFIXES}) for anchor 'a2'"),
    ),
    (
        "spend folder holding a file of another kind",
        put("spend/a1/old.xls", "\xd0\xcf"),
        ("note", f"spend/a1/: 1 entry not read (not a {SUFFIXES} file): old.xls"),
    ),
    (
        "spend folder holding a subfolder",
        put("spend/a1/2022/spend.csv", "x"),
        ("note", f"spend/a1/: 1 entry not read (not a {SUFFIXES} file): 2022/"),
    ),
    (
        "spend/ holding a folder of no anchor",
        put("spend/a3/spend.csv", "x"),
        (
            "note",
            (
                "spend/: 1 entry not read (an anchor's files go in spend/<anchor_id>/, named as "
                "in anchors.csv): a3/"
            ),
        ),
    ),
]


@pytest.fixture(scope="module")
def valid(base) -> tuple:
    return outcome(base)


@pytest.mark.parametrize("what, edit, seen", CASES, ids=[c[0] for c in CASES])
def test_each_kind_of_damage_and_what_the_user_sees(base, valid, tmp_path, what, edit, seen):
    """The exact line, from ``anchorlib summary`` (exit 2) and from open_dataset and what reads a dataset,
    on every open (nothing of a bad file is kept); or the exact note, with the figures still given ('same':
    those of the valid folder; 'name': the first anchor's name as read). (That the cached tables give what
    the files gave is the hypothesis test's to check, on every example.)"""
    root = copy_of(base, tmp_path / "ds")
    edit(root)
    social = what.startswith(("tenders", "commitments"))
    got = outcome(root, social)
    kind, expected = seen
    if kind == "error":
        assert got[0] == "error" and got[2] == expected
        assert outcome(root, social) == got
        if not social:
            assert cli_summary(root)[::2] == (2, f"anchorlib: error: {expected}")
    elif kind == "note":
        assert got[0] == "ok" and expected in got[2], got
    elif kind == "name":
        assert got[0] == "ok" and got[1]["anchors"][0]["name"] == expected
    else:
        assert got[0] == "ok" and got[1:] == valid[1:], got


def test_a_dangling_link_in_the_folder_is_named_and_the_summary_still_runs(base, tmp_path):
    """A link whose target is gone: the summary's cache key cannot look at it (no stored result, no
    traceback), and the spend folder's note names it as not read."""
    root = copy_of(base, tmp_path / "ds")
    (root / "spend" / "a1" / "gone.csv").symlink_to(tmp_path / "nowhere.csv")
    code, stdout, stderr = cli_summary(root)
    note = f"spend/a1/: 1 entry not read (not a {SUFFIXES} file): gone.csv"
    assert (code, stderr) == (0, f"anchorlib: note: {note}")  # the note, and nothing else
    state, summary, notes = outcome(root)
    assert json.loads(stdout) == summary
    assert note in notes
