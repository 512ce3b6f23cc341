"""The metrics core: pure functions over ``Dataset.payments`` following DESIGN.md's definitions.

The one public entry point: local share and leakage by every cut (``leakage``), equity and IMD reach
(``equity``), LM3 and shift scenarios (``lm3``), concentration, opportunities, shared suppliers, the
network view and the summary JSON. Every result names the choices it used (area, addressable rule
set, IMD vintage, pooling) in ``choices`` (``df.attrs["choices"]`` for a DataFrame). From
``ENGINE_MIN_ROWS`` payments (``$ANCHORLIB_ENGINE=pandas|duckdb`` overrides) the aggregations run on
DuckDB (``engine_duckdb``) with the same results.
"""

from __future__ import annotations

import math

import pandas as pd

from anchorlib.data.dataset import Dataset
from anchorlib.data.places import Area
from anchorlib.metrics.definitions import (
    SHARE_COLUMNS,
    SUPPLIER,
    LocalShare,
    div,
    engine_for,
    local_shares,
    share_sums,
    to_local_share,
)
from anchorlib.metrics.disparity import equity
from anchorlib.metrics.leakage import (
    sums,
)
from anchorlib.metrics.multiplier import UNSURVEYED, anchor_lm3s
from anchorlib.metrics.selection import select

POOLED = "pooled: the network's local spend / its addressable spend with known location (ratio of sums)"
MEAN = "mean of the anchors' local shares (each anchor weighs the same; not the network's share)"


def local_share(payments: pd.DataFrame, area: Area, ruleset_name: str = "") -> LocalShare:
    """Local share, leakage and the unknown-location bucket for a set of payments (DESIGN.md).
    The rule set's name defaults to the one ``select`` carried in ``payments.attrs``."""
    ruleset_name = ruleset_name or payments.attrs.get("addressable_rule_set", "")
    if engine_for(payments) == "duckdb":
        from anchorlib.metrics.engine import duckdb_engine as engine_duckdb

        return engine_duckdb.local_share(payments, area, ruleset_name)
    return to_local_share(share_sums(payments, area, []).iloc[0], area, ruleset_name)


def local_share_per(
    payments: pd.DataFrame, area: Area, by: str, ruleset_name: str = ""
) -> dict[str, LocalShare]:
    """``local_share`` for each value of the column ``by`` that the payments have (e.g. each financial
    year), in one aggregation; keys are the values as text, in sorted order."""
    ruleset_name = ruleset_name or payments.attrs.get("addressable_rule_set", "")
    present = {
        str(v) for v in payments[by].dropna().unique()
    }  # (a categorical's unused values are not years)
    rows = {str(r[by]): r for _, r in sums(payments, area, [by]).iterrows() if pd.notna(r[by])}
    return {k: to_local_share(rows[k], area, ruleset_name) for k in sorted(present)}


def _anchor_shares(ds: Dataset, ids: list[str], area_id: str | None) -> dict[str, LocalShare]:
    """Each anchor's LocalShare, all anchors' sums in one aggregation (local: each anchor's own area)."""
    areas = {a: ds.area(area_id, a) for a in ids}
    return local_shares(sums(select(ds, ids), areas, []), areas, ds.ruleset.name)


def _network_of(shares: dict[str, LocalShare], area_id: str | None) -> dict:
    """Pooled (ratio of sums) and mean-of-shares local share of anchors' LocalShares, both labelled."""
    tot = {
        k: sum(getattr(s, k) for s in shares.values())
        for k in ("total_spend", "addressable_spend", "local_spend", "unknown_location_spend")
    }
    known = tot["addressable_spend"] - tot["unknown_location_spend"]
    each = [s.local_share for s in shares.values() if s.local_share is not None]
    return {
        **{k: round(v, 2) for k, v in tot.items()},
        "leakage": round(tot["addressable_spend"] - tot["local_spend"], 2),
        "local_share": div(tot["local_spend"], known),
        "local_share_label": POOLED,
        "mean_anchor_local_share": sum(each) / len(each) if each else None,
        "mean_anchor_local_share_label": MEAN,
        "n_anchors": len(shares),
        "anchors_in_mean": len(each),
        "choices": {"area": area_id or "home (each anchor's own home LADs)", "pooling": POOLED},
    }


def network(ds: Dataset, anchor_ids: list[str] | None = None, area_id: str | None = None) -> dict:
    """The network view (DESIGN.md, Pooling): totals, the pooled local share and the mean of the anchors'
    shares, each labelled. With ``area_id`` None every anchor counts local as its own home area."""
    ids = anchor_ids or ds.anchor_ids
    out = _network_of(_anchor_shares(ds, ids, area_id), area_id)
    out["choices"]["addressable_rule_set"] = ds.ruleset.name
    return out


def _num(x) -> float | None:
    """A JSON-ready float: None for NA/NaN."""
    if x is None or x is pd.NA:
        return None
    x = float(x)
    return None if math.isnan(x) else x


def _groups_json(eq: pd.DataFrame) -> dict[str, dict]:
    """anchor_id -> group -> the summary JSON's figures, from ``equity(ds, payments, by="anchor_id")`` in one pass."""
    out: dict[str, dict] = {}
    for r in eq.to_dict("records"):
        below = r["below_four_fifths"]
        out.setdefault(str(r["anchor_id"]), {})[r["group"]] = {
            "utilisation": _num(r["utilisation"]),
            "availability": _num(r["availability"]),
            "disparity_index": _num(r["disparity_index"]),
            "below_four_fifths": None if pd.isna(below) else bool(below),
            "utilisation_unknown_share": _num(r["utilisation_unknown_share"]),
            "availability_unknown_share": _num(r["availability_unknown_share"]),
        }
    return out


def summary(ds: Dataset, anchor_ids: list[str] | None = None, area_id: str | None = None) -> dict:
    """The JSON of ``anchorlib summary --json`` (DESIGN.md, Contracts): per anchor local share, leakage,
    unknown-location £, LM3 (None without a survey) and the equity groups; the network block from ``network``.
    Computed over the payments rolled up to what it reads (anchorlib/rollup.py: the same sums from a
    fraction of the rows, kept beside a cached dataset), so a new process sums thousands of rows, not millions."""
    from anchorlib.data.rollup import SUMMARY_COLUMNS, rolled_dataset

    ds = rolled_dataset(ds, SUMMARY_COLUMNS, resolved=True)
    ids = anchor_ids or ds.anchor_ids
    areas = {a: ds.area(area_id, a) for a in ids}
    p = select(ds, ids)
    per_supplier = sums(p, areas, [SUPPLIER], names=False)  # one aggregation for the local shares and LM3
    shares = local_shares(
        per_supplier.groupby("anchor_id", observed=True, sort=False)[SHARE_COLUMNS].sum().reset_index(),
        areas,
        ds.ruleset.name,
    )
    lm3s = anchor_lm3s(ds, per_supplier, areas)
    groups = _groups_json(equity(ds, p, by="anchor_id"))
    rows = []
    for a, area in areas.items():
        ls, m = shares[a], lm3s[a]
        rows.append(
            {
                "anchor_id": a,
                "name": str(ds.anchor(a)["name"]),
                "area": area.describe(),
                "total_spend": round(ls.total_spend, 2),
                "addressable_spend": round(ls.addressable_spend, 2),
                "local_spend": round(ls.local_spend, 2),
                "unknown_location_spend": round(ls.unknown_location_spend, 2),
                "local_share": ls.local_share,
                "leakage": round(ls.leakage, 2),
                "local_share_excluding_hq_only": ls.local_share_excluding_hq_only,
                "lm3": m.lm3,
                "lm3_detail": {
                    "r1": round(m.r1, 2),
                    "r2": round(m.r2, 2),
                    "r3": None if m.r3 is None else round(m.r3, 2),
                    "surveyed_suppliers": m.surveyed_suppliers,
                    "unsurveyed_treatment": m.unsurveyed_treatment,
                },
                "groups": groups.get(a, {}),
            }
        )
    net = _network_of(shares, area_id)
    return {
        "anchors": rows,
        "network": {k: v for k, v in net.items() if k != "choices"},
        "choices": {
            "area": area_id or "home",
            "addressable_rule_set": ds.ruleset.name,
            "imd_vintage": ds.geography.imd_vintage,
            "pooling": "network local_share is the ratio of sums; mean_anchor_local_share is the mean of anchors' shares",
            "lm3": f"from lm3_survey.csv; {UNSURVEYED}"
            if ds.lm3_survey is not None
            else "no lm3_survey.csv: LM3 null",
            "groups": "utilisation over addressable £ with known membership; availability over the supplier register; "
            "disparity index = 100 x utilisation / availability",
            "engine": engine_for(p),
        },
    }
