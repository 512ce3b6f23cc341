"""The apps' update path without a browser: AppChart's unvalidated specs are Altair's validated ones
compiled to Vega, an unchanged chart is not sent again, Memo keeps the latest choices, the what-if bars per
category equal one shift_scenario per category, and under Voila the charts import one served module."""

from __future__ import annotations

import altair as alt
import pandas as pd
import pytest

from anchorlib import apps, chart_module, metrics
from anchorlib.apps.common import AppChart, Memo, app_values, vega_spec

CHARTS = {"leakage": ["trend", "categories", "suppliers"], "equity": ["gaps", "deciles"],
          "what_if": ["by_category", "before_after"], "network": ["chart", "shared_chart"]}


@pytest.mark.parametrize("app", list(CHARTS))
def test_app_chart_specs_equal_altairs_validated_specs(app, sample_ds):
    view = getattr(apps, app)(sample_ds).view
    for name in CHARTS[app]:
        jc = getattr(view, name)
        assert isinstance(jc, AppChart) and jc.spec == vega_spec(jc.chart.to_dict()), name
        assert jc.spec["$schema"].startswith("https://vega.github.io/schema/vega/v")


def test_an_equal_chart_is_not_sent_again():
    df = pd.DataFrame({"x": ["a", "b"], "y": [1.0, None]})
    jc = AppChart(alt.Chart(df).mark_bar().encode(x="x:N", y="y:Q"))
    first, sent = jc.spec, []
    jc.observe(lambda change: sent.append(change), "spec")
    jc.chart = alt.Chart(df.copy()).mark_bar().encode(x="x:N", y="y:Q")  # a new object, the same spec
    assert sent == [] and jc.spec is first
    values = next(d["values"] for d in first["data"] if "values" in d)
    assert values == [{"x": "a", "y": 1.0}, {"x": "b", "y": None}]  # NaN is null
    jc.chart = alt.Chart(df.assign(y=[2.0, 3.0])).mark_bar().encode(x="x:N", y="y:Q")
    assert len(sent) == 1 and next(d["values"] for d in jc.spec["data"] if "values" in d)[0] == {"x": "a", "y": 2.0}


def test_app_values_keeps_the_max_rows_guard():
    with pytest.raises(alt.MaxRowsError):
        app_values(pd.DataFrame({"x": range(5001)}))


def test_memo_keeps_the_most_recent_choices():
    calls = []
    memo = Memo(size=2)

    def make(k):
        return lambda: calls.append(k) or k * 10

    assert [memo.get(k, make(k)) for k in (1, 2, 1, 3, 2, 1)] == [10, 20, 10, 30, 20, 10]
    assert calls == [1, 2, 3, 2, 1]  # 1 was used again before 3 came, so 2 went first; then 1 went for 2


def test_what_if_bars_equal_one_shift_scenario_per_category(sample_ds):
    view = apps.what_if(sample_ds, share=0.25).view
    m = view.model
    rows = m.per_category().set_index(["category", "part"])["amount"]
    for c in m.categories:
        s = metrics.shift_scenario(sample_ds, metrics.select(sample_ds, m.anchor_ids), m.area(), [c], 0.25)
        assert rows[(c, "Moved to local suppliers")] == pytest.approx(s.added_local_spend)
        assert rows[(c, "Still leaking")] == pytest.approx(s.leakage_in_scope - s.added_local_spend)


def test_under_voila_charts_import_the_served_module(tmp_path):
    name = chart_module.ensure_bundle(tmp_path)
    path = tmp_path / "voila" / "templates" / "anchorlib" / "static" / name
    assert path.stat().st_size > 100_000 and "vega" in path.read_text()[:200_000]
    esm = chart_module.loader({chart_module.ENV: name, "VOILA_BASE_URL": "/base/"})
    assert f'"/base/voila/templates/anchorlib/static/{name}"' in esm and "location.origin" in esm
    assert "export default" in esm and len(esm) < 300
    assert chart_module.loader({chart_module.ENV: name}) is None  # not under Voila: the inline bundle


def test_a_preheated_kernel_warms_the_other_areas_once(sample_ds, monkeypatch):
    from anchorlib.apps.common import Guarded

    monkeypatch.setenv("VOILA_PREHEAT", "True")
    monkeypatch.setattr(Guarded, "_warmed", False)
    view = apps.leakage(sample_ds).view
    m = view.model
    assert m.area_id == "home" and view.area.value == "home" and view.status.value == ""
    warmed = {k[-1] for k in m._memo.items if k[0] == "headline"}
    assert warmed == {"home", "city_hackney", "london", "nel", "inner_east"}  # every area offered (areas.csv too)
    home = view.tiles.value
    view.area.value = "london"
    assert view.tiles.value != home and "London" in view.categories.chart.to_dict()["title"]["subtitle"]
    assert len(apps.leakage(sample_ds).view.model._memo.items) < len(m._memo.items)  # the next view does not warm
