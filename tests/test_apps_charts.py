"""The apps' update path without a browser: what AppChart's spec and updates draw is Altair's validated
spec compiled to Vega, a new area sends rows and titles but no new spec, an unchanged chart is not sent
again, Memo keeps the latest choices, the what-if bars per category equal one shift_scenario per
category, and under Voila the charts import one served module."""

from __future__ import annotations

import copy
import json

import altair as alt
import pandas as pd
import pytest

from anchorlib import apps, charts, metrics
from anchorlib.apps import chart_bundle
from anchorlib.apps.app_chart import TITLE_SIGNALS, AppChart, app_values, vega_spec
from anchorlib.apps.memo import Memo

CHARTS = {
    "leakage": ["trend", "categories", "suppliers"],
    "equity": ["gaps", "deciles"],
    "what_if": ["by_category", "before_after"],
    "network": ["chart", "shared_chart"],
}


def drawn(jc: AppChart) -> dict:
    """What the browser draws (static/app_chart.js): ``spec`` with ``updates`` applied and the title signals
    put back as text, datasets named by their order, so it compares with Altair's own compiled spec."""
    spec = copy.deepcopy(jc.spec)
    rows = {u["data"]: u["values"] for u in jc.updates if "data" in u}
    titles = {s["name"]: s["value"] for s in spec.get("signals", []) if s["name"] in TITLE_SIGNALS.values()}
    titles |= {u["signal"]: u["value"] for u in jc.updates if "signal" in u}
    for d in spec["data"]:
        if d["name"] in rows:
            d["values"] = rows[d["name"]]
    if isinstance(spec.get("title"), dict):
        spec["title"] = {
            k: titles[v["signal"]] if isinstance(v, dict) and "signal" in v else v
            for k, v in spec["title"].items()
        }
    spec["signals"] = [s for s in spec.get("signals", []) if s["name"] not in titles]
    for u in jc.updates:
        if "description" in u:
            spec["description"] = u["description"]
    return _by_order(spec)


def _by_order(spec: dict) -> dict:
    text = json.dumps({k: v for k, v in spec.items() if v != []}, sort_keys=True)
    for i, d in enumerate(d for d in spec["data"] if "values" in d):
        text = text.replace(json.dumps(d["name"]), json.dumps(f"dataset{i}"))
    return json.loads(text)


@pytest.mark.parametrize("app", list(CHARTS))
def test_app_charts_draw_altairs_validated_specs(app, sample_ds):
    view = getattr(apps, app)(sample_ds).view
    for name in CHARTS[app]:
        jc = getattr(view, name)
        assert isinstance(jc, AppChart) and drawn(jc) == _by_order(vega_spec(jc.chart.to_dict())), name
        assert jc.spec["$schema"].startswith("https://vega.github.io/schema/vega/v")


def test_a_new_area_sends_rows_and_titles_not_a_new_spec(sample_ds):
    view = apps.leakage(sample_ds).view
    charts = [getattr(view, n) for n in CHARTS["leakage"]]
    specs, sent = [jc.spec for jc in charts], []
    for jc in charts:
        jc.observe(lambda change: sent.append(change.name), ["spec", "updates"])
    view.area.value = "london"
    assert sent == ["updates"] * 3 and all(jc.spec is s for jc, s in zip(charts, specs))
    for jc in charts:
        assert drawn(jc) == _by_order(vega_spec(jc.chart.to_dict()))
        assert {u["signal"]: u["value"] for u in jc.updates if "signal" in u}["al_subtitle"].startswith(
            "London"
        )
    view.anchors.value = tuple(
        sample_ds.anchor_ids[:2]
    )  # other rows, other category order: still the same specs
    assert all(jc.spec is s for jc, s in zip(charts, specs))
    assert all(drawn(jc) == _by_order(vega_spec(jc.chart.to_dict())) for jc in charts)


def test_another_group_sends_the_gaps_rows_titles_and_description(sample_ds):
    view = apps.equity(sample_ds).view
    spec, sent = view.gaps.spec, []
    view.gaps.observe(lambda change: sent.append(change.name), ["spec", "updates"])
    view.group.value = "vcse"
    assert sent == ["updates"] and view.gaps.spec is spec
    assert next(u["description"] for u in view.gaps.updates if "description" in u).startswith(
        "VCSE: disparity index"
    )
    assert drawn(view.gaps) == _by_order(vega_spec(view.gaps.chart.to_dict()))


def test_an_equal_chart_is_not_sent_again():
    df = pd.DataFrame({"x": ["a", "b"], "y": [1.0, None]})
    jc = AppChart(alt.Chart(df).mark_bar().encode(x="x:N", y="y:Q"))
    first, sent = jc.spec, []
    jc.observe(lambda change: sent.append(change), ["spec", "updates"])
    jc.chart = alt.Chart(df.copy()).mark_bar().encode(x="x:N", y="y:Q")  # a new object, the same spec
    assert sent == [] and jc.spec is first
    values = next(d["values"] for d in first["data"] if "values" in d)
    assert values == [{"x": "a", "y": 1.0}, {"x": "b", "y": None}]  # NaN is null
    jc.chart = alt.Chart(df.assign(y=[2.0, 3.0])).mark_bar().encode(x="x:N", y="y:Q")
    assert [c.name for c in sent] == ["updates"] and jc.spec is first
    assert jc.updates == [{"data": "al_data_0", "values": [{"x": "a", "y": 2.0}, {"x": "b", "y": 3.0}]}]
    jc.chart = alt.Chart(df).mark_line().encode(x="x:N", y="y:Q")  # another shape: a new spec
    assert [c.name for c in sent][-1] == "spec" and jc.updates == []
    assert next(d["values"] for d in jc.spec["data"] if "values" in d) == values


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
    name = chart_bundle.ensure_bundle(tmp_path)
    path = tmp_path / "voila" / "templates" / "anchorlib" / "static" / name
    assert path.stat().st_size > 100_000 and "vega" in path.read_text()[:200_000]
    esm = chart_bundle.loader({chart_bundle.ENV: name, "VOILA_BASE_URL": "/base/"})
    assert f'"/base/voila/templates/anchorlib/static/{name}"' in esm and "location.origin" in esm
    assert "export default" in esm and len(esm) < 300
    assert chart_bundle.loader({chart_bundle.ENV: name}) is None  # not under Voila: the inline bundle
    preload = (path.parents[1] / chart_bundle.PRELOAD).read_text()
    assert preload == (
        '<link rel="modulepreload" href="{{ resources.base_url }}voila/templates/anchorlib/static/'
        f'{name}">\n'
    )


def test_a_preheated_kernel_warms_the_other_areas_once(sample_ds, monkeypatch):
    from anchorlib.apps.common import Guarded

    monkeypatch.setenv("VOILA_PREHEAT", "True")
    monkeypatch.setattr(Guarded, "_warmed", False)
    view = apps.leakage(sample_ds).view
    m = view.model
    assert m.area_id == "home" and view.area.value == "home" and view.status.value == ""
    warmed = {k[-1] for k in m._memo.items if k[0] == "headline"}
    assert warmed == {
        "home",
        "city_hackney",
        "london",
        "nel",
        "inner_east",
    }  # every area offered (areas.csv too)
    home = view.tiles.value
    view.area.value = "london"
    assert view.tiles.value != home and "London" in view.categories.chart.to_dict()["title"]["subtitle"]
    assert len(apps.leakage(sample_ds).view.model._memo.items) < len(
        m._memo.items
    )  # the next view does not warm


def test_a_chart_on_a_frame_takes_the_frames_shape_and_only_its_rows(sample_ds):
    """charts.on_frame charts (the equity gaps chart): after the first, chart_parts reuses the frame's shape
    and converts only the top-level rows; the parts equal those built from the chart's whole Vega-Lite."""
    from anchorlib.apps import app_chart
    from anchorlib.charts import equity as charts_equity

    eq = metrics.equity(sample_ds, sample_ds.payments, by="category")
    made = [
        charts_equity.gaps_chart(eq[eq["group"] == g], metrics.GROUP_LABELS[g], sub)
        for g, sub in (("sme", "suppliers anywhere"), ("vcse", ""), ("women_led", "suppliers in London"))
    ]
    app_chart._FRAMES.items.clear()
    for chart in made:
        fast, (whole, _) = app_chart.chart_parts(chart), app_chart._parts(chart)
        assert fast == whole
    assert len(app_chart._FRAMES.items) == 1  # one frame, one shape: every chart after the first took it
    assert made[0].__dict__[charts.FRAME] is made[1].__dict__[charts.FRAME]
    assert charts.FRAME not in json.dumps(made[0].to_dict())  # not part of the chart's Vega-Lite
    frame = made[0].__dict__[charts.FRAME]
    assert (frame.data, frame.title, frame.description) == (
        alt.Undefined,
    ) * 3  # the charts' data and titles are theirs
    assert made[0].to_dict()["title"]["subtitle"] != made[2].to_dict()["title"]["subtitle"]
    rebuilt = frame.copy(deep=False)  # Altair's own copy, with the first chart's data and titles
    rebuilt.data, rebuilt.title, rebuilt.description = made[0].data, made[0].title, made[0].description
    assert rebuilt.to_dict() == made[0].to_dict()


def test_under_voila_an_app_freezes_what_it_built_and_not_in_jupyterlab(sample_ds, monkeypatch):
    """gc.freeze under Voila (VOILA_PREHEAT set): a later full collection does not walk the app's objects.
    In JupyterLab nothing is frozen; a dataset opened from the picker freezes the new view too."""
    import gc

    gc.unfreeze()
    gc.collect()  # earlier tests' garbage is not frozen with the app (the swap's collection would free it)
    try:
        monkeypatch.delenv("VOILA_PREHEAT", raising=False)
        apps.network(sample_ds)
        assert gc.get_freeze_count() == 0
        monkeypatch.setenv("VOILA_PREHEAT", "False")  # a page's own kernel
        monkeypatch.setenv("ANCHORLIB_APPS_WARM", "0")
        shell = apps.network(sample_ds)
        frozen = gc.get_freeze_count()
        assert frozen > 1000
        old = shell.view
        shell._swap(sample_ds)
        assert (
            shell.view is not old and gc.get_freeze_count() > frozen
        )  # the new view's objects are frozen too
    finally:
        gc.unfreeze()
