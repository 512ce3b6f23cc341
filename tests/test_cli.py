"""The console script as users call it: exit codes, one-line errors, the summary JSON."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from anchorlib import metrics
from anchorlib.paths import SAMPLE_DIR

CLI = [sys.executable, "-m", "anchorlib.cli"]


def run(*args):
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=300)


def test_summary_json_matches_the_metrics_core(sample_ds):
    r = run("summary", "--data", SAMPLE_DIR, "--json")
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    want = metrics.summary(sample_ds)
    assert [a["anchor_id"] for a in got["anchors"]] == sample_ds.anchor_ids
    for g, w in zip(got["anchors"], want["anchors"]):
        for key in (
            "total_spend",
            "addressable_spend",
            "local_spend",
            "unknown_location_spend",
            "local_share",
            "leakage",
        ):
            assert g[key] == pytest.approx(w[key]), key
        assert set(g["groups"]) >= {"sme", "vcse", "bame_led", "women_led", "imd_1_2"}
        assert "lm3" in g
    assert set(got["network"]) >= {"total_spend", "local_spend", "local_share", "mean_anchor_local_share"}


def test_summary_table_and_one_anchor():
    r = run("summary", "--data", SAMPLE_DIR, "--anchor", "hackney")
    assert r.returncode == 0, r.stderr
    assert "hackney" in r.stdout and "city_of_london" not in r.stdout and "pooled" in r.stdout


def test_summary_bad_anchor_and_missing_folder_are_one_line_exit_2(tmp_path):
    r = run("summary", "--data", SAMPLE_DIR, "--anchor", "nope")
    assert r.returncode == 2 and r.stderr.strip().count("\n") == 0 and "unknown anchor 'nope'" in r.stderr
    r = run("summary", "--data", tmp_path / "absent")
    assert r.returncode == 2 and "dataset folder does not exist" in r.stderr and "Traceback" not in r.stderr


def test_validate_json_contract():
    f = SAMPLE_DIR / "spend" / "hackney" / "hackney_payments_over_500_2023-24.csv"
    r = run("validate", f, "--json")
    assert r.returncode == 0, r.stderr
    (rep,) = json.loads(r.stdout)
    assert {
        "file",
        "layout",
        "rows_loaded",
        "rows_rejected",
        "net_total",
        "declared_total",
        "reconciled",
        "rejections",
    } <= set(rep)
    assert rep["reconciled"] is True and rep["net_total"] == pytest.approx(rep["declared_total"])
    assert all(set(x) == {"line", "reason"} for x in rep["rejections"])


def test_validate_unreadable_file_exits_2(tmp_path):
    bad = tmp_path / "junk.csv"
    bad.write_text("nothing,to,see\n1,2,3\n")
    r = run("validate", bad)
    assert r.returncode == 2 and str(bad) in r.stderr and r.stderr.strip().count("\n") == 0


def test_summary_says_the_datasets_notes_on_stderr_every_time(tmp_path):
    """A dataset that can still be used despite a problem opens with a note; the command prints it on
    stderr beside its figures, computed and again from its stored result."""
    import shutil

    from anchorlib.data.storage.cache import CACHE_DIRNAME

    data = tmp_path / "ds"
    shutil.copytree(SAMPLE_DIR, data, ignore=shutil.ignore_patterns(CACHE_DIRNAME))
    reg = data / "suppliers.csv"
    lines = reg.read_text(encoding="utf-8").splitlines()
    reg.write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8")  # one supplier repeated as it is
    for _ in range(2):
        r = run("summary", "--data", data, "--json")
        assert r.returncode == 0, r.stderr
        notes = [x for x in r.stderr.splitlines() if x.startswith("anchorlib: note: ")]
        assert len(notes) == 1 and "repeating an earlier row of the same supplier" in notes[0], r.stderr
        assert json.loads(r.stdout)["anchors"]
