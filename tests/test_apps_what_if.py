"""The what-if app without a browser: tiles equal metrics.shift_scenario, categories come from
metrics.leakage_by (leaking, largest first), the LM3 treatment is named, failures are plain."""

from __future__ import annotations

import pandas as pd
import pytest

from anchorlib import metrics
from anchorlib.apps import what_if
from anchorlib.charts import what_if as charts_what_if
from anchorlib.formatting import money, pct


@pytest.fixture(scope="module")
def app(sample_ds):
    return what_if(sample_ds).view


def test_categories_are_the_leaking_ones_largest_first(app, sample_ds):
    a = sample_ds.anchor_ids[0]
    by = metrics.leakage_by(metrics.select(sample_ds, [a]), sample_ds.home_area(a), "category")
    leaking = by.loc[by["leakage"] > 0, "category"].astype(str).tolist()
    assert list(app.categories.options) == leaking and list(app.categories.value) == leaking[:3]


def test_slider_change_shows_the_shift_scenario(app, sample_ds):
    a = sample_ds.anchor_ids[0]
    cats = list(app.categories.value)
    app.slider.value = 30
    s = metrics.shift_scenario(sample_ds, metrics.select(sample_ds, [a]), sample_ds.home_area(a), cats, 0.30)
    assert s.added_local_spend == pytest.approx(0.30 * s.leakage_in_scope)
    for key, value in [
        ("added", money(s.added_local_spend)),
        ("after", pct(s.local_share_after)),
        ("before", pct(s.local_share_before)),
        ("lm3-value", money(s.added_local_value)),
    ]:
        assert f"al-{key}'>{value}<" in app.tiles.value, key
    assert s.lm3_ratio is not None and f"({s.lm3_ratio:.2f})" in app.tiles.value
    assert "R3 = 0" in app.note.value  # how unsurveyed local suppliers were treated
    rows = next(v for v in app.by_category.chart.to_dict()["datasets"].values() if v and "part" in v[0])
    moved = sum(r["amount"] for r in rows if r["part"] == "Moved to local suppliers")
    assert moved == pytest.approx(s.added_local_spend)
    app.slider.value = 10


def test_area_change_keeps_leaking_categories(app, sample_ds):
    app.area.value = "london"
    assert app.status.value == "" and set(app.model.categories) <= set(app.categories.options)
    assert "London" in app.by_category.chart.to_dict()["title"]["subtitle"]
    app.area.value = "home"


def test_no_category_is_a_plain_message(app):
    before = app.tiles.value
    app.categories.value = ()
    assert "pick at least one category" in app.status.value and app.tiles.value == before
    app.categories.value = tuple(app.categories.options[:3])
    assert app.status.value == ""


def test_bad_share_is_a_plain_message(sample_ds):
    assert "between 0% and 100%" in what_if(sample_ds, share=1.5).view.value


def test_without_a_survey_no_value_is_claimed(sample_ds):
    ds = sample_ds.replace(lm3_survey=None)
    view = what_if(ds).view
    assert "al-lm3-value'>n/a (no survey)<" in view.tiles.value and "no LM3 ratio" in view.note.value


def test_shift_chart_specs():
    df = charts_what_if.shift_data(
        [{"category": "ICT", "leakage_in_scope": 100.0, "added_local_spend": 25.0}]
    )
    assert df["amount"].tolist() == [25.0, 75.0]
    spec = charts_what_if.shift_chart(df, "Leakage moved").to_dict()
    assert spec["encoding"]["x"]["title"] == "Leakage (£)" and "still leaking" in spec["description"]
    assert [t["field"] for t in spec["encoding"]["tooltip"]] == ["category", "part", "amount", "leakage"]
    spec = charts_what_if.before_after_chart(0.2, 0.3, "Local share").to_dict()
    assert spec["encoding"]["y"]["title"] == "Local share (%)" and spec["title"]["text"] == "Local share"
    rows = pd.DataFrame(next(iter(spec["datasets"].values())))
    assert rows[["when", "local_share"]].to_dict("list") == {
        "when": ["Today", "With the shift"],
        "local_share": [0.2, 0.3],
    }
