"""The register build on the real published files (../shared/real; skipped when absent).

Every payee of the twelve real spend files goes through the builder against a Charity Commission extract
written in the published layout (tab-separated ``publicextract.charity.txt``) from the real 360Giving
recipients: their real names, charity numbers, company numbers and postcodes. Real Lambeth and Devon files
then go through ``anchorlib summary``, every report and every app, first with an empty register and then
with the built one, saying plainly what is unknown. Geography: the real ONS lookup Lewisham published and
the real IoD2019 File 1.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from anchorlib import apps, metrics, open_dataset
from anchorlib.data.ingest import load_spend_file
from anchorlib.data.registers.builder import build_register
from anchorlib.formatting import NO_KNOWN_LOCATION
from anchorlib.paths import PROJECT_DIR
from tests import register_layouts as L
from tests.builders import write_csv

pytestmark = pytest.mark.real

FILES = {
    "lambeth": ["lambeth_2012-06_payments_transactions.csv", "lambeth_2011-07_payments_by_supplier.csv"],
    "devon": [
        "devon_DCCSpendingOver500_201101.csv",
        "devon_DCCSpendingOver500_202403.csv",
        "devon_DCCSpendingOver500_202603.csv",
    ],
    "leeds": ["leeds_raw_2011-09.csv"],
    "manchester": ["manchester_2022-05_clean.csv"],
    "calderdale": ["calderdale_2022-08_clean.csv"],
    "gla": ["gla_2008-2013_consolidated.csv", "gla_2016-P03_clean.csv"],
    "tfl": ["tfl_2023-P05_clean.csv"],
    "cabinet_office": ["cabinetoffice_2022-07_over25k_clean.csv"],
}
LONDON = ";".join(f"E090000{i:02d}" for i in range(1, 34))
HOME = {
    "lambeth": "E09000022",
    "devon": "E07000040;E07000041;E07000042;E07000043;E07000044;E07000045;E07000046;E07000047",
    "leeds": "E08000035",
    "manchester": "E08000003",
    "calderdale": "E08000033",
    "gla": LONDON,
    "tfl": LONDON,
    "cabinet_office": "E09000033",
}


def charity_extract(real: Path, path: Path) -> Path:
    """publicextract.charity.txt from the 360Giving recipients with a Charity Commission number."""
    grants = json.loads((real / "grants_360giving" / "covid19_tracker_grants_data_2020-05.json").read_text())
    rows = {}
    for g in grants["grants"]:
        for o in g.get("recipientOrganization", []):
            n = str(o.get("charityNumber") or "").strip()
            if n.isdigit() and n not in rows:
                rows[n] = L.charity(
                    n, o["name"], o.get("postalCode") or "", company_number=str(o.get("companyNumber") or "")
                )
    return L.write_charities(path, list(rows.values()))


def real_dataset(real: Path, root: Path, anchors: dict[str, list[str]]) -> Path:
    for a, files in anchors.items():
        (root / "spend" / a).mkdir(parents=True)
        for f in files:
            shutil.copyfile(real / "spend" / f, root / "spend" / a / f)
    write_csv(
        root / "anchors.csv",
        ["anchor_id", "name", "kind", "home_lads"],
        [[a, a, "council", HOME[a]] for a in anchors],
    )
    (root / "geography").mkdir()
    shutil.copyfile(
        real / "postcodes" / "lewisham_lbl_postcode_oa11_lsoa11_msoa11_wd22.csv",
        root / "geography" / "postcodes.csv",
    )
    shutil.copyfile(
        real / "imd" / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv", root / "geography" / "imd.csv"
    )
    write_csv(root / "suppliers.csv", ["supplier_name", "postcode"], [])
    return root


@pytest.fixture(scope="module")
def extract(real_dir, tmp_path_factory) -> Path:
    return charity_extract(real_dir, tmp_path_factory.mktemp("cc") / "publicextract.charity.txt")


def test_every_real_payee_goes_through_the_builder(real_dir, tmp_path, extract):
    root = real_dataset(real_dir, tmp_path / "real", FILES)
    result = build_register(root, [], extract, population=False)
    payees = set()
    for files in FILES.values():
        for f in files:
            df, _ = load_spend_file(real_dir / "spend" / f)
            payees |= set(df.loc[~df["redacted"].astype(bool), "supplier_name"].dropna())
    m = result.matches
    assert set(m["payee"]) == payees and m["payee"].is_unique  # every payee, once; no redacted one
    r = result.report
    assert r["payees"] == len(payees) == sum(v["payees"] for v in r["methods"].values())
    rates = {
        k: (v["payees"], round(v["payee_share"], 4), round(v["spend_share"], 4))
        for k, v in r["methods"].items()
    }
    print(f"\nreal payees {len(payees):,}; by method (payees, share of payees, share of spend): {rates}")
    got = m.set_index("payee")
    # read by eye against the 360Giving file: real charities, real payees
    assert tuple(got.loc["NATIONAL LITERACY TRUST", ["method", "id"]]) == ("exact", "1116260")
    assert tuple(got.loc["NORTHAM CARE TRUST THE", ["method", "id"]]) == ("exact", "1081784")  # ', The'
    assert tuple(got.loc["St Christophers Fellowship", ["method", "id"]]) == ("fuzzy", "207782")
    assert tuple(got.loc["D Y S SPACE LTD", ["method", "id"]]) == ("fuzzy", "10229618")  # spaced differently
    assert got.loc["Opera North", "register"] == "charity_commission"
    assert got.loc["Opera North", "company_number"] == "01550778"  # the charity's company number, zero kept
    assert got.loc["AGE UK LONDON", "method"] == "none"  # 'Age UK Croydon' scores 81.5: a suggestion only
    assert r["methods"]["exact"]["payees"] >= 50 and r["methods"]["fuzzy"]["payees"] >= 10


def test_the_threshold_measurement_on_real_names(real_dir):
    out = subprocess.run(
        [
            sys.executable,
            str(PROJECT_DIR / "benchmarks" / "bench_register_threshold.py"),
            str(real_dir),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    r = json.loads(out.stdout)["by_threshold"]
    assert r["90"]["non_matches_at_or_above"] == 0 and r["88"]["non_matches_at_or_above"] >= 1
    assert r["90"]["variants_wrong"] == 0 and r["90"]["variants_right"] > 0.8


def _run(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "anchorlib.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=900
    )


def _texts(widget) -> list[str]:
    import ipywidgets as w

    out = [widget.value] if isinstance(widget, w.HTML) else []
    for c in getattr(widget, "children", ()):
        out += _texts(c)
    return out


@pytest.mark.slow
def test_real_lambeth_and_devon_without_a_register_then_with_the_built_one(real_dir, tmp_path, extract):
    root = real_dataset(real_dir, tmp_path / "ld", {a: FILES[a] for a in ("lambeth", "devon")})
    for stage in ("empty register", "built register"):
        if stage == "built register":
            built = build_register(root, [], extract)
            assert built.report["registers_read"]["charity_commission"]["rows"] > 1000
        summary = _run("summary", "--data", str(root), cwd=tmp_path)
        assert summary.returncode == 0, (stage, summary.stderr)
        s = json.loads(_run("summary", "--data", str(root), "--json", cwd=tmp_path).stdout)
        if stage == "empty register":
            assert all(a["local_share"] is None for a in s["anchors"])  # nothing is located: unknown, not 0
            assert f"local share n/a: {NO_KNOWN_LOCATION}" in summary.stdout
        reports = _run(
            "reports", "--data", str(root), "--out", str(tmp_path / stage), "--no-progress", cwd=tmp_path
        )
        assert reports.returncode == 0, (stage, reports.stdout[-2000:], reports.stderr[-2000:])
        for nb in (tmp_path / stage).glob("*.ipynb"):
            outputs = [o for c in json.loads(nb.read_text())["cells"] for o in c.get("outputs", [])]
            assert not [o for o in outputs if o["output_type"] == "error"], (stage, nb.name)
        html = (tmp_path / stage / "network.html").read_text()
        if stage == "empty register":
            assert "Local share n/a" in html
        ds = open_dataset(root)
        for name in ("leakage", "equity", "what_if", "network"):
            shell = getattr(apps, name)(ds)
            texts = " ".join(_texts(shell.view if hasattr(shell, "view") else shell))
            assert "Could not" not in texts and "Traceback" not in texts, (stage, name)
            if name == "leakage" and stage == "empty register":
                assert "no supplier location known" in texts
        review = apps.register_review(root, 10)
        assert "Traceback" not in review.note.value
    p = metrics.select(ds, ["lambeth"], None)
    pop = metrics.equity(ds, p, pool="population")
    assert pop.attrs["choices"]["availability_pool"].startswith("the local business population")
    assert pd.isna(pop.set_index("group").loc["bame_led", "availability"])  # not in the registers
