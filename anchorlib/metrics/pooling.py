"""The network of anchors (docs/methodology.md#pooling): the pooled local share (ratio of sums) beside
the mean of the anchors' shares, each labelled. Public through ``anchorlib.metrics``."""

from __future__ import annotations

from anchorlib.data.dataset import Dataset
from anchorlib.data.rollup import SHARE_COLUMNS as SHARE_INPUTS
from anchorlib.metrics.definitions import LocalShare, div, local_shares
from anchorlib.metrics.engine import Engine, choose, rollup_runner
from anchorlib.metrics.selection import subset

POOLED = "pooled: the network's local spend / its addressable spend with known location (ratio of sums)"
MEAN = "mean of the anchors' local shares (each anchor weighs the same; not the network's share)"


def network_of(shares: dict[str, LocalShare], area_id: str | None, ruleset_name: str) -> dict:
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
        "choices": {
            "area": area_id or "home (each anchor's own home LADs)",
            "pooling": POOLED,
            "addressable_rule_set": ruleset_name,
        },
    }


def anchor_shares(
    ds: Dataset,
    anchor_ids: list[str] | None = None,
    area_id: str | None = None,
    *,
    engine: Engine | str | None = None,
) -> dict[str, LocalShare]:
    """anchor_id -> LocalShare of each anchor (``area_id`` None: local is each anchor's own home area), all
    from one aggregation of the dataset's rollup by anchor (``Dataset.rollup``)."""
    ids = anchor_ids or ds.anchor_ids
    areas = {a: ds.area(area_id, a) for a in ids}
    p = subset(ds, ds.rollup(["anchor_id", *SHARE_INPUTS], run=rollup_runner(ds.payments, engine)), ids)
    return local_shares(choose(p, engine).share_sums(p, areas, []), areas, ds.ruleset.name)


def network(
    ds: Dataset,
    anchor_ids: list[str] | None = None,
    area_id: str | None = None,
    *,
    engine: Engine | str | None = None,
) -> dict:
    """The network view: totals, the pooled local share and the mean of the anchors' shares, each
    labelled. With ``area_id`` None every anchor counts local as its own home area (``anchor_shares``)."""
    return network_of(anchor_shares(ds, anchor_ids, area_id, engine=engine), area_id, ds.ruleset.name)
