"""The network overview without a browser: tiles equal metrics.summary, pooled and mean both shown."""

from __future__ import annotations

import pandas as pd

from anchorlib import metrics
from anchorlib.apps import network
from anchorlib.charts import network as network_charts
from anchorlib.formatting import money, pct


def test_tiles_follow_the_area_and_equal_summary(sample_ds):
    view = network(sample_ds).view
    home = metrics.summary(sample_ds, None, "home")["network"]
    assert f">{pct(home['local_share'])}<" in view.tiles.value
    assert f">{pct(home['mean_anchor_local_share'])}<" in view.tiles.value
    view.area.value = "london"
    ldn = metrics.summary(sample_ds, None, "london")["network"]
    assert f">{money(ldn['local_spend'])}<" in view.tiles.value and view.status.value == ""
    spec = view.chart.chart.to_dict()
    assert spec["title"]["subtitle"] == "Area: London"


def test_network_chart_spec():
    df = pd.DataFrame(
        {
            "anchor": ["A", "B"],
            "local_share": [0.2, 0.6],
            "local_spend": [2.0, 6.0],
            "addressable_spend": [10.0, 10.0],
        }
    )
    spec = network_charts.network_chart(df, 0.4, 0.4, "Local share by anchor").to_dict()
    assert "pooled share" in spec["description"] and spec["title"]["text"] == "Local share by anchor"
    bars, _rules = spec["layer"]
    assert bars["encoding"]["x"]["title"] == "Local share of addressable spend (%)"
    assert [t["field"] for t in bars["encoding"]["tooltip"]] == [
        "anchor",
        "local_share",
        "local_spend",
        "addressable_spend",
    ]
    lines = next(v for k, v in spec["datasets"].items() if any("measure" in r for r in v))
    assert {r["measure"] for r in lines} == {"Pooled (ratio of sums)", "Mean of anchors' shares"}


def test_shared_suppliers_equal_metrics(sample_ds):
    view = network(sample_ds).view
    shared = metrics.shared_suppliers(sample_ds)
    assert len(shared) > 0 and (shared["n_anchors"] >= 2).all()
    assert f"al-shared'>{len(shared):,}<" in view.shared_tiles.value
    assert f">{money(float(shared['combined_spend'].sum()))}<" in view.shared_tiles.value
    spec = view.shared_chart.chart.to_dict()
    rows = next(v for v in spec["datasets"].values() if v and "paid_by" in v[0])
    assert [r["supplier"] for r in rows] == shared["supplier"].astype(str).head(12).tolist()
    assert spec["encoding"]["x"]["title"] == "Combined addressable spend (£)"
    assert [t["field"] for t in spec["encoding"]["tooltip"]] == [
        "supplier",
        "n_anchors",
        "paid_by",
        "location",
        "combined_spend",
    ]
    # located by name and code, as everywhere a place is shown
    assert [r["location"] for r in rows] == [sample_ds.place_names.label(c) for c in shared["lad"].head(12)]
    assert rows[0]["location"] == "Newham (E09000025)"
    names = set(sample_ds.anchors["name"])
    assert all(set(r["paid_by"].split(", ")) <= names for r in rows)
