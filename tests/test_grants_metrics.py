"""Grants beside spend, worked by hand (docs/methodology.md#grants): local share, VCSE utilisation and
the IMD deciles 1-2 share for spend only, grants only and both, on pandas and on DuckDB; the recipient
found in the register by its charity or company number; placing by the recipient's postcode or the
beneficiary location (the named option); grants to individuals and to public bodies counted, not
addressable; a USD grant never summed with pounds; spend-only figures unchanged by grants.

The dataset (home area Hackney, E09000012; tests/builders.py's postcodes and deciles):

spend (all addressable, 'Services'), £5,000:
  Local Co       E8 1AA  Hackney decile 1   not VCSE   £1,000
  Far Ltd        M1 1AA  Manchester d1      not VCSE   £3,000
  Hoxton Charity E8 2BB  Hackney d5         VCSE       £1,000
  -> local 2,000 / 5,000 = 0.4; VCSE 1,000 / 5,000 = 0.2; IMD 1-2 4,000 / 5,000 = 0.8

grants, £6,000 in pounds (+ USD 999 apart):
  G1 £2,000 'Hoxton Community Trust' GB-CHC-1000001 -> the register's Hoxton Charity by its charity
     number: Hackney d5, VCSE (its beneficiary location: Southwark's district, E09000028)
  G2 £500 360G- identifier, no postcode, beneficiary LSOA E01900004 -> Southwark d2, VCSE unknown
  G3 £1,500 GB-COH-9275579 -> the register's Arch Services Ltd (09275579) by company number: SE1 1AA
     Southwark d2, not VCSE
  G4 £300 to an individual, beneficiary Hackney's district: counted in totals, not addressable
  G5 £1,000 to GB-LAE-HCK, a local authority: not addressable
  G6 USD 999: never in the pounds
  G7 £700 GB-CHC-2000002 (not in the register) at E8 1AA -> Hackney d1, VCSE by its charity prefix
  addressable 2,000 + 500 + 1,500 + 700 = 4,700
  -> local (G1, G7) 2,700 / 4,700; VCSE 2,700 / known 4,200 (G2 unknown); IMD 1-2 2,700 / 4,700
both: local 4,700 / 9,700; VCSE 3,700 / 9,200; IMD 1-2 6,700 / 9,700
beneficiary location first: G1 in Southwark (district only: decile unknown) -> grants local 700 / 4,700,
  IMD 1-2 2,700 / 2,700 known
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from anchorlib import metrics, open_dataset
from anchorlib.errors import ParameterError
from tests.builders import SUPPLIER_HEADER, tiny_dataset, write_csv

pytestmark = pytest.mark.usefixtures("engine")


def _g(i, amount, *, currency="GBP", org=None, ind=None, loc=None) -> dict:
    g = {
        "id": f"360G-hw-{i}",
        "title": f"Grant {i}",
        "currency": currency,
        "amountAwarded": amount,
        "awardDate": "2024-06-01",
        "fundingOrganization": [{"id": "GB-LAE-HCK", "name": "Hackney Council"}],
        "grantProgramme": [{"title": "Community Grants"}],
    }
    if org:
        g["recipientOrganization"] = [org]
    if ind:
        g["recipientIndividual"] = ind
    if loc:
        g["beneficiaryLocation"] = [{"geoCode": loc[0], "geoCodeType": loc[1]}]
    return g


GRANTS = [
    _g(1, 2000, org={"id": "GB-CHC-1000001", "name": "Hoxton Community Trust"}, loc=("E09000028", "LONB")),
    _g(2, 500, org={"id": "360G-hw-org-2", "name": "Unregistered Group"}, loc=("E01900004", "LSOA")),
    _g(3, 1500, org={"id": "GB-COH-9275579", "name": "Newco", "companyNumber": "9275579"}),
    _g(4, 300, ind={"id": "360G-hw-person-4", "name": "A Person"}, loc=("E09000012", "LONB")),
    _g(5, 1000, org={"id": "GB-LAE-HCK", "name": "London Borough of Hackney"}),
    _g(6, 999, currency="USD", org={"id": "360G-hw-org-6", "name": "Friends Abroad"}),
    _g(7, 700, org={"id": "GB-CHC-2000002", "name": "St Mary Charity", "postalCode": "E8 1AA"}),
]


def _row(name, postcode, company="", charity="", sme="", vcse=""):
    return [name, postcode, company, charity, sme, vcse, "", "", "", "", ""]


@pytest.fixture
def root(tmp_path):
    root = tiny_dataset(
        tmp_path / "hw",
        suppliers=[
            _row("Local Co", "E8 1AA", sme="yes", vcse="no"),
            _row("Far Ltd", "M1 1AA", sme="no", vcse="no"),
            _row("Hoxton Charity", "E8 2BB", charity="1000001", sme="yes", vcse="yes"),
            _row("Arch Services Ltd", "SE1 1AA", company="09275579", sme="yes", vcse="no"),
        ],
        spend={
            "a1": [
                ("Services", "01/05/2024", 1000, "Local Co"),
                ("Services", "02/05/2024", 3000, "Far Ltd"),
                ("Services", "03/05/2024", 1000, "Hoxton Charity"),
            ]
        },
    )
    assert SUPPLIER_HEADER[2:4] == ["company_number", "charity_number"]
    (root / "grants" / "a1").mkdir(parents=True)
    (root / "grants" / "a1" / "grants.json").write_text(json.dumps({"grants": GRANTS}), encoding="utf-8")
    return root


def _figures(ds, flow, location=None):
    area = ds.area("home", "a1")
    p = metrics.select(ds, flow=flow, grant_location=location)
    ls = metrics.local_share(p, area)
    eq = metrics.equity(ds, p).set_index("group")
    return ls, eq.loc["vcse", "utilisation"], eq.loc["imd_1_2", "utilisation"], p


def test_spend_only_grants_only_and_both_by_hand(root):
    ds = open_dataset(root)
    ls, vcse, imd, p = _figures(ds, "spend")
    assert (ls.total_spend, ls.addressable_spend, ls.local_spend) == (5000, 5000, 2000)
    assert ls.local_share == pytest.approx(0.4) and vcse == pytest.approx(0.2) and imd == pytest.approx(0.8)
    assert ls.choices["flow"] == "spend"

    ls, vcse, imd, p = _figures(ds, "grant")
    assert ls.total_spend == pytest.approx(6000)  # G6's USD 999 is not pounds
    assert ls.addressable_spend == pytest.approx(4700)  # G4 (a person) and G5 (a council) are not
    assert ls.local_spend == pytest.approx(2700) and ls.unknown_location_spend == 0
    assert ls.local_share == pytest.approx(2700 / 4700)
    assert vcse == pytest.approx(2700 / 4200) and imd == pytest.approx(2700 / 4700)
    assert ls.choices["flow"] == "grants" and ls.choices["grant_location"].startswith("recipient")

    ls, vcse, imd, p = _figures(ds, "both")
    assert ls.total_spend == pytest.approx(11000) and ls.addressable_spend == pytest.approx(9700)
    assert ls.local_share == pytest.approx(4700 / 9700)
    assert vcse == pytest.approx(3700 / 9200) and imd == pytest.approx(6700 / 9700)
    assert ls.choices["flow"] == "spend and grants"


def test_the_beneficiary_location_option_by_hand(root):
    ds = open_dataset(root)
    ls, vcse, imd, p = _figures(ds, "grant", "beneficiary")
    assert ls.local_spend == pytest.approx(700) and ls.local_share == pytest.approx(700 / 4700)
    assert vcse == pytest.approx(2700 / 4200) and imd == pytest.approx(1.0)  # G1's decile unknown
    assert ls.choices["grant_location"].startswith("beneficiary")


def test_recipients_are_matched_placed_and_classified(root):
    ds = open_dataset(root)
    g = ds.with_flow("grant").payments.set_index("transaction_id")
    assert g.loc["360G-hw-1", "match_method"] == "charity number"
    assert g.loc["360G-hw-1", "register_name"] == "Hoxton Charity"
    assert g.loc["360G-hw-3", "match_method"] == "company number"
    assert g.loc["360G-hw-3", "register_name"] == "Arch Services Ltd"
    placed = g["placed_by"].astype("string").fillna("none").to_dict()
    assert placed == {
        "360G-hw-1": "recipient postcode",
        "360G-hw-2": "beneficiary location",
        "360G-hw-3": "recipient postcode",
        "360G-hw-4": "beneficiary location",
        "360G-hw-5": "none",
        "360G-hw-7": "recipient postcode",
    }
    assert g.loc["360G-hw-2", "lad"] == "E09000028" and g.loc["360G-hw-2", "imd_decile"] == 2
    assert g.loc["360G-hw-4", "exclusion"] == "grant to an individual" and bool(
        g.loc["360G-hw-4", "redacted"]
    )
    assert g.loc["360G-hw-5", "exclusion"].startswith("grant to another public body")
    assert pd_na(g.loc["360G-hw-4", "supplier_name"])  # never named
    assert bool(g.loc["360G-hw-7", "is_vcse"]) and pd_na(g.loc["360G-hw-2", "is_vcse"])
    rep = ds.grant_report_frame().iloc[0]
    assert (rep["grants_loaded"], rep["other_currency_grants"], rep["other_currencies"]) == (
        6,
        1,
        "USD 999.00 (1 grant)",
    )


def pd_na(value) -> bool:
    import pandas as pd

    return bool(pd.isna(value))


def test_grants_leave_spend_only_figures_unchanged(root, tmp_path):
    with_grants = open_dataset(root)
    import shutil

    bare = tmp_path / "bare"
    shutil.copytree(root, bare, ignore=shutil.ignore_patterns(".anchorlib-cache"))
    shutil.rmtree(bare / "grants")
    without = open_dataset(bare)
    a, b = metrics.summary(with_grants), metrics.summary(without)
    for key, value in b["anchors"][0].items():
        assert a["anchors"][0][key] == value, key  # every spend-only figure as it was
    assert b["network"] == a["network"]
    assert set(a["anchors"][0]) - set(b["anchors"][0]) == {
        "vcse_share_of_spend_and_grants",
        "grants",
        "spend_and_grants",
    }
    assert set(b["choices"]) <= set(a["choices"])
    x = a["anchors"][0]
    assert x["vcse_share_of_spend_and_grants"] == pytest.approx(3700 / 9200)
    assert x["grants"]["total"] == 6000 and x["grants"]["other_currencies"] == {
        "USD": {"grants": 1, "amount": 999.0}
    }
    assert x["grants"]["to_individuals"] == {"grants": 1, "amount": 300.0}
    assert x["grants"]["placed_by"] == {
        "beneficiary location": 2,
        "recipient postcode": 3,
        "unknown location": 1,
    }
    assert x["spend_and_grants"]["local_share"] == pytest.approx(4700 / 9700)
    both = metrics.summary(with_grants, flow="both")
    assert both["anchors"][0]["local_share"] == pytest.approx(4700 / 9700)
    assert both["choices"]["flow"] == "spend and grants"


def test_a_flow_that_is_not_one_is_one_line(root):
    ds = open_dataset(root)
    with pytest.raises(ParameterError, match="flow must be 'spend', 'grant' or 'both'"):
        metrics.select(ds, flow="loans")
    with pytest.raises(ParameterError, match="grant_location must be 'recipient' or 'beneficiary'"):
        metrics.select(ds, flow="grant", grant_location="funder")


def test_cli_summary_flow_and_validate(root):
    cmd = [sys.executable, "-m", "anchorlib.cli"]
    out = subprocess.run(
        [*cmd, "summary", "--data", str(root), "--json", "--flow", "grant"], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    s = json.loads(out.stdout)
    assert s["anchors"][0]["local_share"] == pytest.approx(2700 / 4700) and s["choices"]["flow"] == "grants"
    bad = subprocess.run(
        [*cmd, "summary", "--data", str(root), "--flow", "loans"], capture_output=True, text=True
    )
    assert bad.returncode == 2 and bad.stderr.strip().count("\n") == 0 and "flow must be" in bad.stderr
    v = subprocess.run(
        [*cmd, "validate", str(root / "grants" / "a1" / "grants.json")], capture_output=True, text=True
    )
    assert v.returncode == 0, v.stderr
    assert (
        "6 grants loaded, £6,000.00, 1 in other currencies reported apart (USD 999.00 (1 grant))" in v.stdout
    )
    assert "1 to individuals (£300.00, never named)" in v.stdout and "A Person" not in v.stdout


def test_out_of_core_spend_and_grants_give_the_same_figures(root, monkeypatch):
    monkeypatch.setenv("ANCHORLIB_ENGINE", "duckdb")
    held = open_dataset(root)
    expected = {f: metrics.summary(held, flow=f)["anchors"][0] for f in ("spend", "grant", "both")}
    import shutil

    shutil.rmtree(root / ".anchorlib-cache", ignore_errors=True)
    monkeypatch.setenv("ANCHORLIB_OUT_OF_CORE_ROWS", "0")
    parts = open_dataset(root)
    from anchorlib.data.relation import is_relation

    assert is_relation(parts.payments) and is_relation(parts.with_flow("both").payments)
    for f, want in expected.items():
        got = metrics.summary(parts, flow=f)["anchors"][0]
        for key in ("total_spend", "addressable_spend", "local_spend", "local_share"):
            assert got[key] == pytest.approx(want[key]), (f, key)
        assert got["groups"]["vcse"]["utilisation"] == pytest.approx(want["groups"]["vcse"]["utilisation"])
    assert metrics.summary(parts)["anchors"][0]["local_share"] == pytest.approx(0.4)


def test_the_apps_show_grants_beside_spend(root):
    """The equity app's VCSE reach tile and the leakage explorer's grants tiles are the hand-worked
    figures; the Money dropdown switches every figure to grants or to both, and names the flow."""
    from anchorlib.apps.equity_gaps import EquityModel, EquityView, gaps_table
    from anchorlib.apps.leakage_explorer import LeakageModel, LeakageView
    from anchorlib.formatting import money, pct

    ds = open_dataset(root)
    eq = EquityView(EquityModel(ds, anchor_ids=["a1"]))
    assert eq.status.value == "" and eq.flow.layout.display == ""
    assert f"<div class='al-value al-vcse-reach'>{pct(3700 / 9200)}</div>" in eq.tiles.value
    assert f"spend only {pct(0.2)}" in eq.tiles.value
    eq.model.flow = "grant"
    assert eq.status.value == ""
    assert "Money: 360Giving grants only" in eq.note.value
    assert gaps_table(eq.model).choices["flow"] == "grants"

    lk = LeakageView(LeakageModel(ds, anchor_ids=["a1"]))
    assert lk.status.value == ""
    assert f"<div class='al-value al-grants'>{money(4700)}</div>" in lk.tiles.value
    assert f"local share {pct(2700 / 4700)}" in lk.tiles.value
    assert lk.tiles.value.count(pct(0.4)) >= 1
    lk.model.flow = "both"
    assert f"<div class='al-value al-share'>{pct(4700 / 9700)}</div>" in lk.tiles.value
    assert "spend and 360Giving grants" in lk.note.value


def test_the_anchor_report_table_of_grants_beside_spend(root):
    from anchorlib.reports import views
    from anchorlib.reports.workbook import anchor_sheets

    ds = open_dataset(root)
    t = views.grants_frame(ds, "a1", None)
    got = t.frame.set_index("Money")
    assert got.loc["Spend", "Local share"] == pytest.approx(0.4)
    assert got.loc["Grants (360Giving)", "Total (£)"] == pytest.approx(6000)
    assert got.loc["Grants (360Giving)", "VCSE share"] == pytest.approx(2700 / 4200)
    assert got.loc["Spend and grants", "IMD deciles 1-2 share"] == pytest.approx(6700 / 9700)
    assert "USD 999.00 (1 grant)" in t.caption and "1 grants to individuals" not in t.caption
    assert "1 grant to individuals counted in the totals, never named" in t.caption
    assert "grants beside spend" in [s.name for s in anchor_sheets(ds, "a1", None)]


def test_the_summary_table_shows_grants_beside_spend(root):
    from anchorlib.reports.text import summary_table

    text = summary_table(metrics.summary(open_dataset(root)))
    line = next(x for x in text.splitlines() if x.startswith("  a1: grants"))
    assert line == (
        f"  a1: grants £6,000, local share {100 * 2700 / 4700:.1f}%; VCSE share of spend 20.0%, of spend and "
        f"grants {100 * 3700 / 9200:.1f}%; not in pounds: USD 999.00 (1 grant)"
    )


def test_a_ward_places_a_grant_by_the_ward_lookup_and_a_bad_lookup_is_one_line(root):
    from anchorlib.errors import DatasetError

    grants = [
        _g(8, 400, org={"id": "360G-hw-org-8", "name": "Ward Group"}, loc=("E05009367", "WD")),
        _g(9, 100, org={"id": "360G-hw-org-9", "name": "Two Places"}, loc=("E05009367", "WD")),
    ]
    grants[1]["beneficiaryLocation"].append({"geoCode": "E09000028", "geoCodeType": "LONB"})
    (root / "grants" / "a1" / "more.json").write_text(json.dumps({"grants": grants}), encoding="utf-8")
    write_csv(
        root / "geography" / "wards.csv",
        ["WD23CD", "WD23NM", "LAD23CD"],
        [["E05009367", "De Beauvoir", "E09000012"]],
    )
    g = open_dataset(root).with_flow("grant").payments.set_index("transaction_id")
    assert (
        g.loc["360G-hw-8", "lad"] == "E09000012" and g.loc["360G-hw-8", "placed_by"] == "beneficiary location"
    )
    assert pd_na(g.loc["360G-hw-8", "imd_decile"])  # a ward has no decile
    assert pd_na(g.loc["360G-hw-9", "lad"])  # locations in two districts: unknown
    write_csv(root / "geography" / "wards.csv", ["WD23CD", "LAD23CD"], [["E05009367", "Hackney"]])
    with pytest.raises(DatasetError, match=r"wards.csv:2: .*local authority district code"):
        open_dataset(root)


def test_grant_folders_that_name_no_anchor_are_noted_and_a_broken_file_is_one_line(root):
    from anchorlib.errors import GrantFileError

    (root / "grants" / "nobody").mkdir()
    (root / "grants" / "a1" / "notes.txt").write_text("x", encoding="utf-8")
    notes = " ".join(open_dataset(root).notes)
    assert "grants/: 1 entry not read" in notes and "nobody/" in notes
    assert "grants/a1/: 1 entry not read" in notes and "notes.txt" in notes
    (root / "grants" / "a1" / "broken.json").write_text('{"grants": [', encoding="utf-8")
    with pytest.raises(GrantFileError, match=r"^grants/a1/broken.json: is not valid JSON"):
        open_dataset(root)


def test_the_network_report_table_of_vcse_reach(root):
    from anchorlib.reports import views
    from anchorlib.reports.workbook import network_sheets

    ds = open_dataset(root)
    t = views.network_grants_frame(metrics.summary(ds)).frame.iloc[0]
    assert t["Grants (£)"] == 6000 and t["VCSE share of spend"] == pytest.approx(0.2)
    assert t["VCSE share of spend and grants"] == pytest.approx(3700 / 9200)
    assert t["Grants in other currencies"] == "USD 999.00 (1 grant)"
    assert "grants beside spend" in [s.name for s in network_sheets(ds)]


def test_the_report_equity_table_has_vcse_over_spend_and_grants(root):
    from anchorlib.reports import views

    t = views.equity_frame(open_dataset(root), "a1", None)
    rows = t.frame.set_index("Group")["Utilisation (share of spend)"]
    assert rows["VCSE"] == pytest.approx(0.2) and rows["VCSE, spend and grants"] == pytest.approx(3700 / 9200)
    assert "VCSE, spend and grants" in t.caption


def test_the_network_overview_sums_the_chosen_flow(root):
    from anchorlib.apps.network_overview import NetworkModel, NetworkView
    from anchorlib.formatting import pct

    ds = open_dataset(root)
    view = NetworkView(NetworkModel(ds))
    assert view.status.value == "" and f"<div class='al-value al-pooled'>{pct(0.4)}</div>" in view.tiles.value
    view.model.flow = "both"
    assert f"<div class='al-value al-pooled'>{pct(4700 / 9700)}</div>" in view.tiles.value
    assert (
        "(spend and grants)" in view.shared_tiles.value
        and "Money: spend and 360Giving grants" in view.note.value
    )


def test_the_what_if_app_moves_grant_leakage_by_programme(root):
    from anchorlib.apps.what_if_shift import WhatIfModel, WhatIfView

    ds = open_dataset(root)
    view = WhatIfView(WhatIfModel(ds, anchor_ids=["a1"], flow="grant", share=0.5))
    m = view.model
    assert view.status.value == "" and m.categories == [
        "Community Grants"
    ]  # a grant's category: its programme
    s = m.shift()
    assert s.leakage_in_scope == pytest.approx(4700 - 2700) and s.added_local_spend == pytest.approx(1000)
    assert s.local_share_after == pytest.approx((2700 + 1000) / 4700)
    m.flow = "spend"
    assert view.status.value == "" and "Community Grants" not in m.categories
