"""The social value charts (specs, not pixels) and the app's model and view without a browser."""

from __future__ import annotations

import pytest

from anchorlib.apps.social_value import SocialValueModel, social_value_app
from anchorlib.charts import social_value as cs
from anchorlib.paths import SAMPLE_DIR
from anchorlib.social_value import commitments as cm
from anchorlib.social_value import tenders as sv


@pytest.fixture(scope="module")
def tenders(sample_ds):
    return sv.load_tenders(sample_ds)


def test_outcomes_chart_spec(tenders):
    spec = cs.outcomes_chart(sv.outcomes_by_weight(tenders), 0.10).to_dict()
    assert spec["title"]["text"] == "Who wins as the social value weight rises" and spec["description"]
    panels = spec["hconcat"]
    assert [p["title"] for p in panels] == ["Share of tenders won", "Share of contract value won"]
    line = panels[0]["layer"][0]
    enc = line["encoding"]
    assert enc["x"]["title"] == "Social value weight (%)" and enc["y"]["title"] == "Share (%)"
    assert {t["field"] for t in enc["tooltip"]} == {"group", "weight", "share", "won", "known"}
    assert enc["color"]["scale"]["domain"] == ["Local", "SME", "VCSE"]
    rules = panels[0]["layer"][1]["layer"]
    values = [d for r in rules for d in spec["datasets"][r["data"]["name"]]]
    assert {v["weight"] for v in values} == {0.05, 0.10, 0.20}
    assert {v["label"] for v in values} >= {"5% today", "10% PPN 06/20", "20%", "slider 10.0%"}


def test_ratings_chart_spec(sample_ds):
    counts = cm.rating_counts(cm.rate(cm.load_commitments(sample_ds)), "anchor_id")
    spec = cs.ratings_chart(counts, "anchor_id").to_dict()
    enc = spec["encoding"]
    assert enc["color"]["scale"]["domain"] == [
        "good",
        "approaching target",
        "requires improvement",
        "inadequate",
    ]
    assert enc["x"]["title"] == "Commitments (contract x measure)" and enc["y"]["field"] == "anchor_id"
    assert spec["title"]["text"].endswith("per anchor") and spec["description"]


def test_model_follows_the_weight(tenders, sample_ds):
    m = SocialValueModel(tenders, cm.load_commitments(sample_ds), tender_id="T2023-001")
    assert m.winner() == "Victoria Logistics Care Ltd"
    m.sv_weight = 0.10
    assert m.winner() == "Moorgate Builders Collective Limited"
    r = m.ranking()
    assert r["Bidder"].iloc[0] == "Moorgate Builders Collective Limited" and r.columns[-1].startswith(
        "Total (price 47.4%"
    )
    assert (m.all_tenders()["Changed"] == "yes").sum() == 5
    assert "5 of 24 tenders" in m.headline() and "local bidders win 50% of tenders" in m.headline()
    with pytest.raises(Exception, match="0% to 30%"):
        m.sv_weight = 0.31
    with pytest.raises(Exception, match="outside 0-1"):
        m.sv_weight = -0.1


def test_view_updates_in_place_and_reports_errors_in_the_status_line():
    app = social_value_app(SAMPLE_DIR, 0.05, "T2023-024")
    chart = app.outcomes
    assert "Northgate Systems Solutions" in app.winner.value and app.status.value == ""
    app.slider.value = 10.0
    assert "Willow Bakery Co-operative" in app.winner.value and app.outcomes is chart
    assert "slider 10.0%" in str(chart.chart.to_dict())
    app.proxy_boxes["Apprenticeships"].value = "oops"
    assert "is not a number" in app.status.value and "Traceback" not in app.status.value
    app.proxy_boxes["Apprenticeships"].value = "£1,000"
    assert app.status.value == "" and "£" in app.money.value
    bad = social_value_app(SAMPLE_DIR, 0.10, "T9999")
    assert "unknown tender 'T9999'" in bad.status.value.replace("&#x27;", "'")


def test_user_proxies_fill_the_monetised_view_and_bad_ones_are_reported():
    app = social_value_app(SAMPLE_DIR, proxies={"Apprenticeships": 250})
    assert app.proxy_boxes["Apprenticeships"].value == "250" and app.status.value == ""
    m, unpriced = app.model.monetised()
    assert len(m) == 4 and "Apprenticeships" not in unpriced
    bad = social_value_app(SAMPLE_DIR, proxies={"Trees planted": 5})
    assert "unknown measure" in bad.status.value


def test_commitments_show_anchor_names_and_switch_to_suppliers():
    app = social_value_app(SAMPLE_DIR)
    assert "East London NHS Foundation Trust" in app.totals.value and "elft" not in app.totals.value
    app.by.value = "supplier_name"
    assert "<th>Supplier</th>" in app.totals.value and app.status.value == ""
    assert app.ratings.chart.to_dict()["encoding"]["y"]["field"] == "supplier_name"
