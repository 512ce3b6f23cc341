"""benchmarks/run.py prints the JSON contract of the scale issue (docs/performance.md) on a small
dataset."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from anchorlib.paths import PROJECT_DIR

STEPS = {"ingest", "open_cached", "summary", "equity_by_category", "opportunities", "app_update"}


def test_run_json_has_every_step(tmp_path):
    out = subprocess.run(
        [
            sys.executable,
            str(PROJECT_DIR / "benchmarks" / "run.py"),
            "--rows",
            "2000",
            "--data",
            str(tmp_path / "ds"),
            "--json",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(out.stdout)
    assert result["rows"] == 2000
    assert STEPS <= set(result["steps"])
    for name in STEPS:
        s = result["steps"][name]
        assert set(s) >= {"project_s", "reference_s", "ratio", "peak_mb"}
        assert s["project_s"] > 0 and s["peak_mb"] > 0
        if name in {"summary", "equity_by_category", "opportunities", "app_update"}:
            assert s["reference_s"] > 0
            assert s["ratio"] == pytest.approx(
                s["project_s"] / s["reference_s"], rel=0.05
            )  # from unrounded times
    assert result["steps"]["ingest"]["reference_s"] is None
    assert result["steps"]["sample"]["project_s"] > 0  # generated, as the folder was absent
    assert (
        result["steps"]["cli_summary"]["project_s"] > 0
        and result["steps"]["cli_summary_cached"]["project_s"] > 0
    )
    assert (
        result["peak_mb"]
        >= max(s["peak_mb"] for s in result["steps"].values() if s["peak_mb"] is not None) * 0.9
    )
