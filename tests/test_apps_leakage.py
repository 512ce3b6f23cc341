"""The leakage explorer without a browser: the model calls metrics, the view shows its figures,
failures become a plain status line; the trend chart's spec has titles, units, tooltips, ARIA text."""

from __future__ import annotations

import pytest

from anchorlib import metrics
from anchorlib.apps import leakage
from anchorlib.charts import leakage as charts_apps
from anchorlib.formatting import money, pct


@pytest.fixture(scope="module")
def app(sample_ds):
    return leakage(sample_ds).view


def test_tiles_show_metrics_figures_and_follow_the_area(app, sample_ds):
    a = sample_ds.anchor_ids[0]
    home = metrics.local_share(metrics.select(sample_ds, [a]), sample_ds.home_area(a), sample_ds.ruleset.name)
    assert f">{pct(home.local_share)}<" in app.tiles.value
    assert f">{money(home.leakage)}<" in app.tiles.value
    app.area.value = "london"
    ldn = metrics.local_share(
        metrics.select(sample_ds, [a]), sample_ds.area("london"), sample_ds.ruleset.name
    )
    assert ldn.local_share != home.local_share
    assert f">{pct(ldn.local_share)}<" in app.tiles.value and app.status.value == ""
    trend = app.trend.chart.to_dict()["datasets"]
    rows = next(v for v in trend.values() if v and "financial_year" in v[0])
    assert {r["financial_year"] for r in rows} == set(app.model.all_years)
    app.area.value = "home"


def test_all_spend_counts_every_payment_as_addressable(app, sample_ds):
    app.scope.value = False
    p = metrics.select(sample_ds, app.model.anchor_ids)
    assert app.model.headline().addressable_spend == pytest.approx(float(p["amount"].sum()))
    app.scope.value = True
    assert app.model.headline().addressable_spend < float(p["amount"].sum())


def test_empty_choice_is_a_plain_message_and_recovers(app):
    before = app.tiles.value
    app.years.value = ()
    assert "pick at least one financial year" in app.status.value and "Traceback" not in app.status.value
    assert app.tiles.value == before
    app.years.value = tuple(app.model.all_years)
    assert app.status.value == ""


def test_several_anchors_home_is_the_union_of_home_boroughs(app, sample_ds):
    ids = sample_ds.anchor_ids[:2]
    app.anchors.value = tuple(ids)
    lads = set().union(*(sample_ds.home_area(a).lads for a in ids))
    assert set(app.model.area().lads) == lads
    app.anchors.value = (ids[0],)


def test_unreadable_folder_is_a_plain_message(tmp_path):
    shell = leakage(str(tmp_path / "missing"))
    assert "Could not open the data" in shell.view.value


def test_data_picker_opens_a_folder_and_reports_plain_errors(sample_ds, tmp_path):
    from anchorlib.paths import SAMPLE_DIR

    shell = leakage(sample_ds)
    shell.picker.path.value = str(tmp_path / "nowhere")
    shell.picker.open_folder()
    assert "there is no folder" in shell.picker.message.value
    (tmp_path / "empty").mkdir()
    shell.picker.path.value = str(tmp_path / "empty")
    shell.picker.open_folder()
    assert (
        "Could not open the data" in shell.picker.message.value
        and "Traceback" not in shell.picker.message.value
    )
    old = shell.view
    shell.picker.path.value = str(SAMPLE_DIR)
    shell.picker.open_folder()
    assert shell.view is not old and shell.children[0] is shell.view
    assert "Opened" in shell.picker.message.value and "al-report" in shell.picker.message.value


def test_trend_chart_spec_shows_the_head_office_effect():
    df = charts_apps.trend_data(
        [
            {
                "financial_year": "2022-23",
                "local_share": 0.4,
                "local_share_excluding_hq_only": 0.3,
                "local_spend": 4.0,
                "local_spend_excluding_hq_only": 3.0,
                "leakage": 6.0,
            }
        ]
    )
    assert df["local_share"].tolist() == [0.4, 0.3] and df["local_spend"].tolist() == [4.0, 3.0]
    spec = charts_apps.trend_chart(df, "Local share by year", "London").to_dict()
    assert spec["title"]["text"] == "Local share by year" and "head-office only" in spec["description"]
    assert (
        spec["encoding"]["y"]["title"] == "Local share (%)"
        and spec["encoding"]["xOffset"]["field"] == "measure"
    )
    assert [t["field"] for t in spec["encoding"]["tooltip"]] == [
        "financial_year",
        "measure",
        "local_share",
        "local_spend",
        "leakage",
    ]


def test_top_suppliers_equal_metrics_top_leaking(app, sample_ds):
    a = sample_ds.anchor_ids[0]
    top = metrics.top_leaking(metrics.select(sample_ds, [a]), sample_ds.home_area(a), n=10)
    rows = next(v for v in app.suppliers.chart.to_dict()["datasets"].values() if v and "supplier" in v[0])
    assert [r["supplier"] for r in rows] == top["supplier"].astype(str).tolist()
    assert [r["leakage"] for r in rows] == pytest.approx(top["leakage"].tolist())
    spec = charts_apps.top_suppliers_chart(top, "Top 10 non-local suppliers").to_dict()
    assert spec["encoding"]["x"]["title"] == "Spend with a non-local supplier (£)"
    assert [t["field"] for t in spec["encoding"]["tooltip"]] == [
        "supplier",
        "location",
        "leakage",
        "addressable_spend",
    ]


def test_head_office_effect_per_year_equals_metrics(app, sample_ds):
    a = sample_ds.anchor_ids[0]
    p = metrics.select(sample_ds, [a])
    year = app.model.all_years[0]
    ls = metrics.local_share(p[p["financial_year"] == year], sample_ds.home_area(a))
    rows = next(v for v in app.trend.chart.to_dict()["datasets"].values() if v and "measure" in v[0])
    got = {r["measure"]: r["local_share"] for r in rows if r["financial_year"] == year}
    assert got == pytest.approx(
        {
            "All local suppliers": ls.local_share,
            "Without head-office-only suppliers": ls.local_share_excluding_hq_only,
        }
    )
