"""Notebooks: committed without outputs, parameters as papermill sees them, and a papermill run
of the leakage notebook for every sample anchor."""

from __future__ import annotations

import json
import re

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
    pm.execute_notebook(
        str(NOTEBOOKS_DIR / "01_spend_leakage.ipynb"),
        str(out),
        kernel_name="python3",
        parameters={"anchor_id": anchor_id, "financial_year": "2023-24"},
        progress_bar=False,
        execution_timeout=300,
    )
    nb = json.loads(out.read_text())
    text = json.dumps(nb["cells"])
    assert "image/svg+xml" in text  # the chart rendered offline as SVG
    from anchorlib import metrics

    ls = metrics.local_share(
        metrics.select(sample_ds, [anchor_id], ["2023-24"]), sample_ds.area("home", anchor_id)
    )
    assert f"{100 * ls.local_share:.1f}%" in text
    # tables read like reports: the load report's totals in £, no index column, no scientific notation
    from anchorlib.formatting import money

    html = " ".join(
        "".join(o["data"]["text/html"])
        for c in nb["cells"]
        for o in c.get("outputs", [])
        if "text/html" in o.get("data", {})
    )
    for report in sample_ds.load_reports[anchor_id]:
        assert money(report.net_total) in html
    assert not re.search(
        r"\d\.\d+e[+-]\d\d", html
    )  # no index column: not a bare DataFrame's HTML, no Styler row headings
    assert 'class="dataframe"' not in html and "row_heading" not in html


@pytest.mark.notebook
@pytest.mark.parametrize(
    "notebook,parameters,message",
    [
        ("01_spend_leakage.ipynb", {"anchor_id": "nope"}, "unknown anchor 'nope'"),
        (
            "04_equity_and_value.ipynb",
            {"shift_categories": "Moon rocks"},
            "no addressable spend in category 'Moon rocks'",
        ),
    ],
)
def test_bad_parameter_fails_with_a_clear_line(tmp_path, notebook, parameters, message):
    with pytest.raises(pm.PapermillExecutionError) as err:
        pm.execute_notebook(
            str(NOTEBOOKS_DIR / notebook),
            str(tmp_path / "x.ipynb"),
            kernel_name="python3",
            parameters=parameters,
            progress_bar=False,
        )
    assert message in str(err.value)


@pytest.mark.notebook
def test_equity_and_value_notebook_shows_the_metrics(tmp_path, sample_ds):
    """Notebook 04 on the sample shows metrics' LM3, shift scenario and disparity indices as computed."""
    from anchorlib import metrics

    out = tmp_path / "04.ipynb"
    pm.execute_notebook(
        str(NOTEBOOKS_DIR / "04_equity_and_value.ipynb"),
        str(out),
        kernel_name="python3",
        parameters={
            "anchor_id": "elft",
            "financial_year": "2022-23",
            "shift_share": 0.25,
            "shift_categories": "Agency staff",
        },
        progress_bar=False,
        execution_timeout=300,
    )
    text = json.dumps(json.loads(out.read_text())["cells"], ensure_ascii=False)
    p = metrics.select(sample_ds, ["elft"], ["2022-23"])
    area = sample_ds.area("home", "elft")
    m3 = metrics.lm3(sample_ds, p, area)
    shift = metrics.shift_scenario(sample_ds, p, area, ["Agency staff"], 0.25)
    assert f"{m3.lm3:.2f}" in text and f"£{shift.added_local_spend:,.0f}" in text
    assert f"£{shift.added_local_value:,.0f}" in text and "shift 25% of the leakage in Agency staff" in text
    sme = metrics.equity(sample_ds, p).set_index("group").loc["sme", "disparity_index"]
    assert f">{sme:.0f}</td>" in text
    assert "image/svg+xml" in text  # the IMD chart drew offline
