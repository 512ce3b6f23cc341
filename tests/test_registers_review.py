"""The analyst's review loop: the queue of payees worth a look, decisions written to supplier_matches.csv,
and a rebuild that applies them (the register built from the files of tests/test_registers.py)."""

from __future__ import annotations

import pandas as pd
import pytest

from anchorlib import apps, open_dataset
from anchorlib.data.registers import review as rv
from anchorlib.data.registers.builder import build_register
from anchorlib.errors import ParameterError
from anchorlib.paths import SAMPLE_DIR
from tests import register_layouts as L
from tests.test_registers import CHARITIES, COMPANIES, dataset


@pytest.fixture()
def built(tmp_path):
    root = dataset(tmp_path / "ds")
    files = [
        L.write_companies(tmp_path / "BasicCompanyDataAsOneFile-2024-05-01.zip", COMPANIES, zipped=True),
        L.write_charities(tmp_path / "publicextract.charity.txt", CHARITIES),
    ]
    build_register(root, [files[0]], files[1])
    return root, files


def test_queue_lists_the_largest_unsettled_payees_with_their_candidate(built):
    root, _ = built
    q = rv.queue(root, 10)
    assert q.attrs["source"] == "register_matches.csv"
    assert q[["payee", "method"]].values.tolist() == [
        ["Park Care Services", "ambiguous"],
        ["Hackney Catering Services", "none"],
        ["Hackney Cleaning Servces", "fuzzy"],
        ["Joe Bloggs Window Cleaning", "none"],
    ]
    catering = q.iloc[1]
    # the suggestion is a company the register already lists: under the register's own name
    assert (catering["candidate"], catering["company_number"]) == (
        "Hackney Cleaning Services Ltd",
        "02345678",
    )
    assert q["decided"].tolist() == ["", "", "", ""]


def test_decisions_are_written_replaced_and_picked_up_by_a_rebuild(built):
    root, files = built
    rv.decide(root, "Joe Bloggs Window Cleaning", True, "HACKNEY CLEANING SERVICES LTD", "02345678")
    rv.decide(root, "JOE BLOGGS WINDOW CLEANING", False)  # the same payee, normalised: replaces the first
    q = rv.queue(root, 10)
    q = q.iloc[1]
    rv.decide(root, q["payee"], True, q["candidate"], q["company_number"])
    written = pd.read_csv(root / "supplier_matches.csv", dtype=str, keep_default_na=False)
    assert written.values.tolist() == [
        ["J Smith Plumbing", "SMITH PLUMBING SERVICES LIMITED", "6789012", ""],
        ["JOE BLOGGS WINDOW CLEANING", "", "", ""],
        ["Hackney Catering Services", "Hackney Cleaning Services Ltd", "02345678", ""],
    ]
    assert rv.queue(root, 10).set_index("payee").loc["Hackney Catering Services", "decided"] == (
        "accepted Hackney Cleaning Services Ltd"
    )
    again = build_register(root, [files[0]], files[1])
    m = again.matches.set_index("payee")
    assert m.loc["Hackney Catering Services", "method"] == "override"
    assert m.loc["Hackney Catering Services", "id"] == "02345678"
    assert m.loc["Joe Bloggs Window Cleaning", "method"] == "none"
    t = open_dataset(root).matches.set_index("spend_name")
    assert t.loc["Hackney Catering Services", "register_name"] == "Hackney Cleaning Services Ltd"
    with pytest.raises(ParameterError, match="needs the register name"):
        rv.decide(root, "Someone", True, None)


def test_the_review_table_writes_what_is_clicked(built):
    root, _ = built
    view = apps.register_review(root, 10)
    assert len(view.grid.children) == 8 * 5  # a header row and four payees
    accept = view.grid.children[8 * 2 + 7].children[0]  # row 1: Hackney Catering Services
    assert view.grid.children[8 * 1 + 7].children[0].disabled  # ambiguous: no single candidate to accept
    accept.click()
    assert view.grid.children[8 * 2 + 6].value == "accepted Hackney Cleaning Services Ltd"
    assert "Hackney Catering Services" in (root / "supplier_matches.csv").read_text()
    view.grid.children[8 * 4 + 7].children[1].click()  # reject Joe Bloggs
    assert rv.decisions(root)["JOE BLOGGS WINDOW CLEANING"] == "rejected"


def test_the_review_runs_on_the_sample_as_it_stands():
    before = (SAMPLE_DIR / "supplier_matches.csv").exists()
    view = apps.register_review(None, 5)
    assert "matching against suppliers.csv" in view.note.value
    assert view.queue["method"].isin(["fuzzy", "none", "ambiguous"]).all() and len(view.queue) == 5
    assert view.queue["spend"].is_monotonic_decreasing
    assert (SAMPLE_DIR / "supplier_matches.csv").exists() == before  # nothing is written until a click
