"""A small valid dataset folder with every file of the contract, and what a user sees when one is damaged:
the shared part of tests/test_dataset_hostile.py (hypothesis and the example table)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from anchorlib import metrics, open_dataset
from anchorlib.cli import app
from anchorlib.errors import AnchorlibError
from anchorlib.social_value import commitments, tenders
from tests.builders import supplier, tiny_dataset, write_csv
from tests.test_social_value import HEADER as TENDER_HEADER
from tests.test_social_value_commitments import HEADER as COMMITMENT_HEADER

#: every file of the folder contract the valid folder holds (relative paths)
FILES = [
    "anchors.csv",
    "suppliers.csv",
    "geography/postcodes.csv",
    "geography/imd.csv",
    "areas.csv",
    "categories.csv",
    "lm3_survey.csv",
    "supplier_matches.csv",
    "social_value/tenders.csv",
    "social_value/commitments.csv",
    "spend/a1/spend.csv",
    "spend/a2/spend.csv",
]


def valid_folder(root: Path) -> Path:
    """Two anchors (a1 home Hackney; a2 home Hackney and the City), four register suppliers, two spend
    files, and every optional file. a1's addressable £1,750 (the £300 pension fund payment is excluded):
    Acme £1,000 local (E8 1AA, Hackney), Beta £500 in Southwark, City Law £250 in the City: home local
    share 1,000 / 1,750."""
    tiny_dataset(
        root,
        anchors=[
            ["a1", "Anchor One", "council", "E09000012"],
            ["a2", "Anchor Two", "nhs_trust", "E09000012;E09000001"],
        ],
        suppliers=[
            supplier("Acme Ltd", "E8 1AA", sme="yes", vcse="no", cats="Cleaning"),
            supplier("Beta Services Ltd", "SE1 1AA", sme="no", bame="yes", cats="Cleaning"),
            supplier("City Law LLP", "EC2V 7HH", sme="no", vcse="no", hq="yes", cats="Legal"),
            supplier("Manchester Widgets Ltd", "M1 1AA", sme="yes", cats="Supplies"),
        ],
        spend={
            "a1": [
                ("Cleaning", "01/05/2023", "1000.00", "Acme Ltd"),
                ("Cleaning", "02/05/2023", "500.00", "Beta Services"),
                ("Legal", "03/05/2023", "250.00", "City Law LLP"),
                ("Pension Fund Contributions", "04/05/2023", "300.00", "London Pensions Fund Authority"),
            ],
            "a2": [
                ("Supplies", "01/06/2023", "400.00", "Manchester Widgets Ltd"),
                ("Cleaning", "02/06/2023", "600.00", "ACME LIMITED"),
            ],
        },
        categories=[["Cleaning", "Facilities", "yes"], ["Legal", "Professional", ""]],
        survey=[["Acme Ltd", "0.4", "0.2"], ["Beta Services Ltd", "0.1", "0.1"]],
    )
    write_csv(root / "areas.csv", ["area_id", "name", "lads"], [["inner", "Inner", "E09000012;E09000001"]])
    write_csv(
        root / "supplier_matches.csv",
        ["spend_name", "register_name"],
        [["Beta Services", "Beta Services Ltd"], ["Unknown Payee", ""]],
    )
    write_csv(
        root / "social_value" / "tenders.csv",
        TENDER_HEADER,
        [
            ["T1", "Acme Ltd", "1000", "60", "80", "0.5", "0.45", "0.05", "yes", "yes", "no"],
            ["T1", "Beta Services Ltd", "900", "55", "40", "0.5", "0.45", "0.05", "no", "no", "no"],
            ["T2", "City Law LLP", "500", "70", "20", "0.6", "0.3", "0.1", "no", "no", ""],
            ["T2", "Acme Ltd", "520", "65", "90", "0.6", "0.3", "0.1", "yes", "yes", "no"],
        ],
    )
    write_csv(
        root / "social_value" / "commitments.csv",
        COMMITMENT_HEADER,
        [
            ["C1", "Acme Ltd", "a1", "Apprenticeships", "weeks", "52", "40", "2023-04-01", "2024-03-31"],
            ["C1", "Acme Ltd", "a1", "Local jobs", "jobs", "3", "3", "2023-04-01", "2024-03-31"],
            ["C2", "Beta Services Ltd", "a2", "Local jobs", "jobs", "2", "0", "", ""],
        ],
    )
    return root


def outcome(root: Path, social: bool = True) -> tuple:
    """What a user sees from ``open_dataset`` and everything a dataset feeds (the summary, the LM3 survey,
    the match table, and with ``social`` the tenders and commitments): ('ok', summary JSON, notes) or
    ('error', class, message).
    Anything but one of the project's own errors propagates, failing the test that calls it."""
    try:
        ds = open_dataset(root)
        result = metrics.summary(ds)
        _ = ds.survey_suppliers, ds.matches
        if social and ds.tenders is not None:
            bids = tenders.load_tenders(ds)
            tenders.score_bids(bids, 0.2)
            for _, one in bids.groupby("tender_id"):
                tenders.tipping_point(one)
        if social and ds.commitments is not None:
            commitments.totals(commitments.rate(commitments.load_commitments(ds)), "anchor_id")
    except AnchorlibError as err:
        assert "\n" not in str(err), repr(str(err))
        return ("error", type(err).__name__, str(err))
    return ("ok", json.loads(json.dumps(result, default=str)), tuple(ds.notes))


def cli_summary(root: Path) -> tuple[int, str, str]:
    """``anchorlib summary --data root`` in this process: (exit code, stdout, stderr). Anything but exit 0,
    or exit 2 with one line, fails here."""
    result = CliRunner().invoke(app, ["summary", "--data", str(root), "--json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 2), (result.exit_code, result.stderr)
    if result.exit_code == 2:
        line = result.stderr.strip()
        assert line.startswith("anchorlib: error: ") and "\n" not in line, repr(result.stderr)
    return result.exit_code, result.stdout, result.stderr.strip()


def copy_of(base: Path, dst: Path) -> Path:
    shutil.copytree(base, dst, ignore=shutil.ignore_patterns(".anchorlib-cache"))
    return dst
