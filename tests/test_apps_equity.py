"""The equity gaps app without a browser: tiles and charts carry metrics.equity / imd_distribution figures,
the area restricts both spend and the availability pool, failures are plain, chart specs are complete."""

from __future__ import annotations

import pandas as pd
import pytest

from anchorlib import metrics
from anchorlib.apps import equity
from anchorlib.apps.equity_gaps import EquityModel
from anchorlib.charts import equity as charts_equity


@pytest.fixture(scope="module")
def app(sample_ds):
    return equity(sample_ds).view


def test_tiles_equal_metrics_equity(app, sample_ds):
    p = metrics.select(sample_ds, [sample_ds.anchor_ids[0]])
    eq = metrics.equity(sample_ds, p).set_index("group")
    for g, row in eq.iterrows():
        assert f"al-di-{g}'>{row['disparity_index']:.0f}<" in app.tiles.value
    assert "youth_led" in eq.index  # the sample's register knows youth-led suppliers
    spec = app.gaps.chart.to_dict()
    rows = next(v for v in spec["datasets"].values() if v and "category" in v[0])
    by = metrics.equity(sample_ds, p, by="category")
    sme = by[by["group"] == "sme"].set_index("category")["disparity_index"]
    assert {r["category"]: r["disparity_index"] for r in rows} == pytest.approx(sme.to_dict(), nan_ok=True)


def test_group_change_redraws_by_category(app, sample_ds):
    app.group.value = "vcse"
    assert app.status.value == "" and app.gaps.chart.to_dict()["title"]["text"].startswith("VCSE")
    app.group.value = "sme"


def test_area_restricts_spend_and_pool(sample_ds):
    m = EquityModel(sample_ds, area_id="london")
    area = sample_ds.area("london")
    p = metrics.select(sample_ds, [sample_ds.anchor_ids[0]])
    local_p = p[metrics.is_local(p, area)]
    reg = sample_ds.suppliers[metrics.is_local(sample_ds.suppliers, area)]
    sme = m.overall().set_index("group").loc["sme"]
    util = (
        local_p.loc[local_p["addressable"] & local_p["is_sme"].fillna(False).astype(bool), "amount"].sum()
        / local_p.loc[local_p["addressable"] & local_p["is_sme"].notna(), "amount"].sum()
    )
    avail = reg["is_sme"].fillna(False).astype(bool).sum() / reg["is_sme"].notna().sum()
    assert sme["utilisation"] == pytest.approx(util) and sme["availability"] == pytest.approx(avail)
    assert len(sample_ds.suppliers) > len(reg)  # the dataset itself is untouched


def test_imd_deciles_equal_metrics(app, sample_ds):
    imd = metrics.imd_distribution(metrics.select(sample_ds, [sample_ds.anchor_ids[0]]))
    rows = next(v for v in app.deciles.chart.to_dict()["datasets"].values() if v and "imd_decile" in v[0])
    assert [r["imd_decile"] for r in rows] == [*map(str, range(1, 11)), "unknown"]
    assert [r["spend"] for r in rows] == pytest.approx(imd["spend"].tolist())


def test_no_organisation_is_a_plain_message(app):
    app.anchors.value = ()
    assert "pick at least one organisation" in app.status.value and "Traceback" not in app.status.value
    app.anchors.value = (app.model.ds.anchor_ids[0],)
    assert app.status.value == ""


def test_unknown_group_is_a_plain_message(sample_ds):
    shell = equity(sample_ds, group="left_handed")
    assert "unknown group &#x27;left_handed&#x27;" in shell.view.value and "Traceback" not in shell.view.value


def _eq_frame():
    return pd.DataFrame(
        {
            "category": ["Catering", "ICT"],
            "utilisation": [0.1, 0.5],
            "availability": [0.4, 0.4],
            "disparity_index": [25.0, 125.0],
            "spend_in_group": [10.0, 50.0],
            "utilisation_unknown_share": [0.0, 0.2],
        }
    )


def test_gaps_chart_spec_has_the_80_line_labels_once_titles_and_tooltips():
    spec = charts_equity.gaps_chart(_eq_frame(), "SME").to_dict()
    (bars, line), (util, ticks) = (c["layer"] for c in spec["hconcat"])
    assert (
        spec["title"]["text"] == "SME: disparity index by category" and "four-fifths" in spec["description"]
    )
    assert spec["resolve"]["scale"]["y"] == "shared"  # one row per category across both halves
    assert (
        bars["encoding"]["y"]["sort"]
        == util["encoding"]["y"]["sort"]
        == {"field": "rank", "op": "min", "order": "ascending"}
    )
    assert util["encoding"]["y"]["axis"]["labels"] is False and "axis" not in bars["encoding"]["y"]
    assert bars["encoding"]["x"]["title"] == "Disparity index (100 = parity)"
    assert line["mark"]["type"] == "rule" and next(
        v for v in spec["datasets"].values() if v and "x" in v[0]
    ) == [{"x": 80.0}]
    assert [t["field"] for t in bars["encoding"]["tooltip"]][:4] == [
        "category",
        "utilisation",
        "availability",
        "disparity_index",
    ]
    rows = next(v for v in spec["datasets"].values() if v and "gap" in v[0])
    assert [r["gap"] for r in rows] == ["below 80 (substantial disparity)", "80 or more"]
    assert {r["category"]: r["rank"] for r in rows} == {
        "Catering": 0,
        "ICT": 1,
    }  # lowest disparity index first
    assert "(%)" in util["encoding"]["x"]["title"] and ticks["mark"]["type"] == "tick"
    assert ticks["encoding"]["x"]["field"] == "availability"


def test_imd_chart_spec():
    imd = pd.DataFrame(
        {
            "imd_decile": [*map(str, range(1, 11)), "unknown"],
            "spend": [1.0] * 11,
            "share": [0.1] * 10 + [None],
            "n_suppliers": [1] * 11,
        }
    )
    spec = charts_equity.imd_chart(imd, "Spend by IMD decile").to_dict()
    assert (
        spec["encoding"]["y"]["title"] == "Addressable spend (£)" and "most deprived" in spec["description"]
    )
    assert [t["field"] for t in spec["encoding"]["tooltip"]] == [
        "imd_decile",
        "spend",
        "share",
        "n_suppliers",
    ]
