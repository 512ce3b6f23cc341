"""``anchorlib tenders``: the JSON from the sample, the table, and one-line errors."""

from __future__ import annotations

import json
import shutil

import pytest

from anchorlib.paths import SAMPLE_DIR
from anchorlib.social_value import tenders as sv
from tests.test_cli import run


def test_tenders_json_matches_the_simulator(sample_ds):
    r = run("tenders", "--data", SAMPLE_DIR, "--json")
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)["tenders"]
    t = sv.load_tenders(sample_ds)
    assert len(got) == 24
    for g in got:
        bids = t[t["tender_id"] == g["tender_id"]]
        assert g["winner_at"] == {f"{w:.2f}": sv.winner_at(bids, w) for w in (0.05, 0.10, 0.20)}
        tp = sv.tipping_point(bids)
        assert g["tipping_weight"] == (None if tp.weight is None else pytest.approx(tp.weight))
    flips = [g["tender_id"] for g in got if g["winner_at"]["0.05"] != g["winner_at"]["0.10"]]
    assert len(flips) == 5
    # a tipping weight between 5% and 10% is exactly a tender that changes hands by 10%
    assert sorted(flips) == sorted(
        g["tender_id"] for g in got if g["tipping_weight"] is not None and g["tipping_weight"] <= 0.10
    )


def test_tenders_table_states_the_definition():
    r = run("tenders", "--data", SAMPLE_DIR)
    assert r.returncode == 0, r.stderr
    assert "none up to 30%" in r.stdout and "5 of 24 tenders change hands at 10%" in r.stdout
    assert "smallest social value weight above the tender's own weight" in r.stdout


def test_bad_tenders_file_is_one_line_exit_2(tmp_path):
    root = tmp_path / "ds"
    shutil.copytree(SAMPLE_DIR, root)
    f = root / "social_value" / "tenders.csv"
    lines = f.read_text().splitlines()
    lines[3] = lines[3].split(",")
    lines[3][3] = ""  # quality_score missing on line 4
    lines[3] = ",".join(lines[3])
    f.write_text("\n".join(lines) + "\n")
    r = run("tenders", "--data", root, "--json")
    assert r.returncode == 2 and r.stdout == "" and "Traceback" not in r.stderr
    assert r.stderr.strip().count("\n") == 0
    assert "social_value/tenders.csv:4: quality_score is missing" in r.stderr


def test_dataset_without_tenders_is_one_line_exit_2(tmp_path):
    root = tmp_path / "ds"
    shutil.copytree(SAMPLE_DIR, root, ignore=shutil.ignore_patterns("social_value"))
    r = run("tenders", "--data", root)
    assert r.returncode == 2 and r.stderr.strip() == (
        "anchorlib: error: social_value/tenders.csv: the dataset has no tenders file"
    )
