"""Notebooks: committed without outputs, parameters as papermill sees them, and a papermill run
of the leakage notebook for every sample anchor."""

from __future__ import annotations

import json

import papermill as pm
import pytest

from anchorlib.paths import NOTEBOOKS_DIR

NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_are_committed_without_outputs(path):
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [] and cell.get("execution_count") is None, path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_have_a_parameters_cell(path):
    nb = json.loads(path.read_text())
    tagged = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, path.name


@pytest.mark.notebook
@pytest.mark.parametrize("anchor_id", ["hackney", "city_of_london", "elft", "nel_icb"])
def test_leakage_notebook_runs_for_every_sample_anchor(tmp_path, anchor_id, sample_ds):
    out = tmp_path / f"{anchor_id}.ipynb"
    pm.execute_notebook(str(NOTEBOOKS_DIR / "01_spend_leakage.ipynb"), str(out), kernel_name="python3",
                        parameters={"anchor_id": anchor_id, "financial_year": "2023-24"}, progress_bar=False,
                        execution_timeout=300)
    nb = json.loads(out.read_text())
    text = json.dumps(nb["cells"])
    assert "image/svg+xml" in text  # the chart rendered offline as SVG
    from anchorlib import metrics
    ls = metrics.local_share(metrics.select(sample_ds, [anchor_id], ["2023-24"]), sample_ds.area("home", anchor_id))
    assert f"{100 * ls.local_share:.1f}%" in text


@pytest.mark.notebook
def test_bad_parameter_fails_with_a_clear_line(tmp_path):
    with pytest.raises(pm.PapermillExecutionError) as err:
        pm.execute_notebook(str(NOTEBOOKS_DIR / "01_spend_leakage.ipynb"), str(tmp_path / "x.ipynb"),
                            kernel_name="python3", parameters={"anchor_id": "nope"}, progress_bar=False)
    assert "unknown anchor 'nope'" in str(err.value)
