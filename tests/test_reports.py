"""The papermill batch (`anchorlib reports`): parameters match the notebooks, checks before running,
the whole batch on the sample (figures in each HTML equal `anchorlib summary --json`), and a failing
anchor in the middle of a run."""

from __future__ import annotations

import html as html_lib
import json
import re
import subprocess
import sys

import papermill as pm
import pytest

from anchorlib import ParameterError, metrics, open_dataset
from anchorlib.errors import DatasetError
from anchorlib.formatting import FIGURE_LABELS
from anchorlib.paths import SAMPLE_DIR
from anchorlib.reports import batch as rp
from anchorlib.reports.views import HEADLINE_KEYS

SAMPLE_ANCHORS = ["hackney", "city_of_london", "elft", "nel_icb"]


def html_figures(html: str, table_id: str) -> dict:
    """The data-key/data-value pairs of the table with ``table_id`` in a report's HTML."""
    m = re.search(rf'<table[^>]*id="{re.escape(table_id)}"[^>]*>(.*?)</table>', html, re.DOTALL)
    assert m, f"no table {table_id}"
    return {
        k: (float(v) if v else None)
        for k, v in re.findall(r'data-key="([^"]+)" data-value="([^"]*)"', m.group(1))
    }


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "anchorlib.cli", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.parametrize(
    "notebook,params",
    [
        (rp.ANCHOR_NOTEBOOK, rp.anchor_parameters(SAMPLE_DIR, "hackney")),
        (rp.NETWORK_NOTEBOOK, rp.network_parameters(SAMPLE_DIR)),
    ],
)
def test_driver_passes_exactly_the_parameters_the_notebook_declares(notebook, params):
    declared = pm.inspect_notebook(str(notebook))
    assert set(params) == set(declared)
    for name, value in params.items():
        assert declared[name]["inferred_type_name"] == type(value).__name__, name


def test_plan_names_outputs_from_checked_anchor_ids(tmp_path):
    jobs = rp.plan(SAMPLE_DIR, tmp_path, ["elft", "hackney"])
    assert [j.name for j in jobs] == ["elft", "hackney", "network"]
    assert [j.html.name for j in jobs] == ["anchor-elft.html", "anchor-hackney.html", "network.html"]
    assert all(j.html.parent == tmp_path.resolve() for j in jobs)
    assert jobs[0].parameters == {
        "data_dir": str(SAMPLE_DIR.resolve()),
        "anchor_id": "elft",
        "financial_year": "",
        "area": "home",
        "availability_pool": "register",
    }


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"anchors": ["hackney", "../etc"]}, "unknown anchor '../etc'; this dataset has hackney"),
        ({"financial_year": "1999-00"}, "financial year '1999-00' has no payments"),
        ({"area": "atlantis"}, "atlantis"),
    ],
)
def test_plan_rejects_bad_parameters_in_one_line(tmp_path, kwargs, message):
    with pytest.raises(ParameterError) as err:
        rp.plan(SAMPLE_DIR, tmp_path, **kwargs)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_plan_rejects_a_missing_data_folder(tmp_path):
    with pytest.raises(DatasetError, match="dataset folder does not exist"):
        rp.plan(tmp_path / "nope", tmp_path)


def test_cli_bad_parameters_are_one_line_and_exit_2(tmp_path):
    for args, message in [
        (["--anchors", "hackney,nope"], "unknown anchor 'nope'"),
        (["--jobs", "0"], "--jobs must be at least 1"),
        (["--kernel", "no-such-kernel"], "no Jupyter kernel named 'no-such-kernel'"),
        (["--data", str(tmp_path / "missing")], "dataset folder does not exist"),
    ]:
        r = cli("reports", "--out", str(tmp_path / "out"), *args)
        assert r.returncode == 2, (args, r.stderr)
        assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not (tmp_path / "out").exists()


def test_default_kernel_falls_back_to_python3_with_a_note(monkeypatch):
    from jupyter_client.kernelspec import KernelSpecManager

    monkeypatch.setattr(KernelSpecManager, "find_kernel_specs", lambda self: {"python3": "/x"})
    name, note = rp.resolve_kernel(None)
    assert name == "python3" and "kernel 'anchorlib' is not registered" in note
    with pytest.raises(ParameterError, match="no Jupyter kernel named 'anchorlib'"):
        rp.resolve_kernel("anchorlib")


@pytest.fixture(scope="module")
def sample_batch(tmp_path_factory):
    """`anchorlib reports` on the sample, every anchor plus the network, two jobs."""
    out = tmp_path_factory.mktemp("reports")
    r = cli(
        "reports",
        "--data",
        str(SAMPLE_DIR),
        "--out",
        str(out),
        "--jobs",
        "2",
        "--kernel",
        "python3",
        "--no-progress",
    )
    return r, out


@pytest.mark.notebook
@pytest.mark.slow
def test_batch_on_the_sample_writes_every_report(sample_batch):
    r, out = sample_batch
    assert r.returncode == 0, r.stderr[-2000:]
    for a in SAMPLE_ANCHORS:
        assert (out / f"anchor-{a}.ipynb").is_file() and (out / f"anchor-{a}.html").is_file()
    assert (out / "network.html").is_file() and (out / "index.html").is_file()
    table = r.stdout
    assert re.search(r"^hackney\s+ok\s+[\d.]+s", table, re.MULTILINE) and "5 of 5 reports" in table


@pytest.mark.notebook
@pytest.mark.slow
def test_html_figures_equal_anchorlib_summary_json(sample_batch):
    r, out = sample_batch
    assert r.returncode == 0, r.stderr[-2000:]
    summary = json.loads(cli("summary", "--data", str(SAMPLE_DIR), "--json").stdout)
    index = (out / "index.html").read_text()
    for row in summary["anchors"]:
        a = row["anchor_id"]
        page = (out / f"anchor-{a}.html").read_text()
        got = html_figures(page, f"headline-{a}")
        for key in HEADLINE_KEYS:
            assert got[key] == pytest.approx(row[key], abs=0.01), (a, key)
        assert got["lm3"] == pytest.approx(row["lm3"])
        # the equity table shows each group's disparity index as summary --json gives it (rounded)
        for g, label in (("sme", "SME"), ("vcse", "VCSE"), ("women_led", "Women-led")):
            di = row["groups"][g]["disparity_index"]
            assert re.search(rf">{re.escape(label)}</td>.*?>{di:.0f}</td>", page, re.DOTALL), (a, g)
        assert "<svg" in page and "<script" not in page and "<input" not in page
        assert "all years (2021-22 to 2023-24)" in page  # the period is labelled
        assert "views.anchor_headline" not in page  # code cells hidden
        link = re.search(rf'<tr id="report-{a}">(.*?)</tr>', index, re.DOTALL).group(1)
        assert f'href="anchor-{a}.html"' in link
        assert float(
            re.search(r'data-key="local_share" data-value="([^"]+)"', link).group(1)
        ) == pytest.approx(row["local_share"])
    network_page = (out / "network.html").read_text()
    shared = metrics.shared_suppliers(open_dataset(SAMPLE_DIR))
    assert (
        html_lib.escape(shared["supplier"].iloc[0]) in network_page
        and "Suppliers shared across anchors" in network_page
    )
    net = html_figures(network_page, "headline-network")
    for key in (
        "total_spend",
        "addressable_spend",
        "local_spend",
        "local_share",
        "leakage",
        "mean_anchor_local_share",
    ):
        assert net[key] == pytest.approx(summary["network"][key], abs=0.01), key
    network_row = re.search(r'<tr id="report-network">(.*?)</tr>', index, re.DOTALL).group(1)
    for key in ("addressable_spend", "leakage"):  # the index's network row has every column filled
        got = float(re.search(rf'data-key="{key}" data-value="([^"]+)"', network_row).group(1))
        assert got == pytest.approx(summary["network"][key], abs=0.01), key
    assert net["local_share"] != pytest.approx(net["mean_anchor_local_share"])  # both shown, labelled


def _sheet(path, name: str) -> list[dict]:
    import openpyxl

    ws = openpyxl.load_workbook(path)[name]
    assert ws.freeze_panes == "A2"
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    return [dict(zip(rows[0], r)) for r in rows[1:]]


@pytest.mark.notebook
@pytest.mark.slow
def test_each_report_links_a_workbook_of_its_figures(sample_batch):
    """Beside each HTML report, a workbook of its figures (real numbers, formatted), linked from the report
    and from the index; its headline equals `anchorlib summary --json`, its suppliers are placed by name."""
    r, out = sample_batch
    assert r.returncode == 0, r.stderr[-2000:]
    summary = json.loads(cli("summary", "--data", str(SAMPLE_DIR), "--json").stdout)
    ds = open_dataset(SAMPLE_DIR)
    index = (out / "index.html").read_text()
    for row in summary["anchors"]:
        a = row["anchor_id"]
        book = out / f"anchor-{a}.xlsx"
        assert f'href="anchor-{a}.xlsx"' in (out / f"anchor-{a}.html").read_text()
        link = re.search(rf'<tr id="report-{a}">(.*?)</tr>', index, re.DOTALL).group(1)
        assert f'href="anchor-{a}.xlsx"' in link
        (headline,) = _sheet(book, "headline")
        for key in (*HEADLINE_KEYS, "lm3"):
            assert headline[FIGURE_LABELS[key]] == pytest.approx(row[key], abs=0.01), (a, key)
        equity = {e["Group"]: e for e in _sheet(book, "equity")}
        assert equity["SME"]["Disparity index"] == pytest.approx(row["groups"]["sme"]["disparity_index"])
        assert equity["SME"]["Below 80 (four-fifths rule)"] is row["groups"]["sme"]["below_four_fifths"]
        top = _sheet(book, "top suppliers")
        assert [t["Located in"] for t in top] == [ds.place_names.name(t["LAD code"]) for t in top]
        years = _sheet(book, "by year")
        assert [y["Financial year"] for y in years] == ["2021-22", "2022-23", "2023-24"]
        assert (
            sum(c["Addressable spend (£)"] for c in _sheet(book, "by category"))
            <= row["addressable_spend"] + 0.01
        )
    (net,) = _sheet(out / "network.xlsx", "headline")
    assert net[FIGURE_LABELS["local_share"]] == pytest.approx(summary["network"]["local_share"])
    shared = _sheet(out / "network.xlsx", "shared suppliers")
    assert shared[0]["Located in"] == ds.place_names.name(shared[0]["LAD code"])
    assert 'href="network.xlsx"' in index


@pytest.mark.notebook
@pytest.mark.slow
def test_a_failing_anchor_in_the_middle_does_not_stop_the_others(tmp_path):
    jobs = rp.plan(SAMPLE_DIR, tmp_path, ["hackney", "elft", "nel_icb"])
    jobs[1].parameters["financial_year"] = "1999-00"  # injected bad parameter for the middle anchor
    outcomes = rp.run_batch(jobs, n_jobs=2, kernel_name="python3", progress=False)
    assert [(o.name, o.status) for o in outcomes] == [
        ("hackney", "ok"),
        ("elft", "failed"),
        ("nel_icb", "ok"),
        ("network", "ok"),
    ]
    assert outcomes[1].error == (
        "ParameterError: financial year '1999-00' has no payments; this dataset has 2021-22, 2022-23, 2023-24"
    )
    for name in ("anchor-hackney.html", "anchor-nel_icb.html", "network.html"):
        assert (tmp_path / name).is_file()
    assert not (tmp_path / "anchor-elft.html").exists() and not (tmp_path / "anchor-elft.xlsx").exists()
    assert (tmp_path / "anchor-elft.ipynb").is_file()  # the executed notebook keeps the traceback
    table = rp.summary_table(outcomes)
    assert re.search(
        r"^elft\s+failed\s+[\d.]+s\s+ParameterError: financial year '1999-00'", table, re.MULTILINE
    )
    index = rp.write_index(tmp_path, jobs, outcomes, "all years").read_text()
    assert "failed: ParameterError" in index and 'href="anchor-elft.html"' not in index


@pytest.mark.notebook
def test_fail_fast_skips_the_reports_not_yet_started(tmp_path):
    jobs = rp.plan(SAMPLE_DIR, tmp_path, ["elft", "hackney"])
    jobs[0].parameters["area"] = "atlantis"  # fails at validation, straight after injection
    outcomes = rp.run_batch(jobs, n_jobs=1, kernel_name="python3", progress=False, continue_on_error=False)
    assert [(o.name, o.status) for o in outcomes] == [
        ("elft", "failed"),
        ("hackney", "skipped"),
        ("network", "skipped"),
    ]
    assert "atlantis" in outcomes[0].error and "\n" not in outcomes[0].error
    assert not (tmp_path / "anchor-hackney.ipynb").exists()
