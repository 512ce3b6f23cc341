"""The headline figures per anchor and for the network: the JSON of ``anchorlib summary --json``.

The dataset's payments rolled up to what the summary reads (``Dataset.rollup``: the same sums from a
fraction of the rows, stored beside a cached dataset), one rollup per sum, are read from the data
layer and handed to one engine for two sums, per anchor and supplier (local shares and LM3) and per
anchor and group (equity); the definitions then compose the figures.
"""

from __future__ import annotations

import pandas as pd

from anchorlib.data.dataset import Dataset
from anchorlib.data.rollup import GROUP_COLUMNS, SUPPLIER_COLUMNS
from anchorlib.data.rollup import SHARE_COLUMNS as SHARE_INPUTS
from anchorlib.formatting import num
from anchorlib.metrics.definitions import SHARE_COLUMNS, SUPPLIER, local_shares
from anchorlib.metrics.disparity import equity
from anchorlib.metrics.engine import Engine, choose, rollup_runner
from anchorlib.metrics.multiplier import UNSURVEYED, anchor_lm3s
from anchorlib.metrics.pooling import network_of
from anchorlib.metrics.pools import check_pool
from anchorlib.metrics.selection import subset

#: What ``summary`` reads of the payments, in two rollups: per anchor and supplier, what local share and
#: LM3 read (the rollup ``shared_suppliers`` sums too); per anchor, what the equity groups read. Two
#: narrow rollups cost less than one of every column: at 100M payments a GROUP BY of 16 columns took
#: 1.2x the CPU of both (docs/performance.md).
SUMMARY_SHARE_COLUMNS = ["anchor_id", *SHARE_INPUTS, *SUPPLIER_COLUMNS]
SUMMARY_GROUP_COLUMNS = ["anchor_id", "addressable", *GROUP_COLUMNS]
SUMMARY_COLUMNS = list(dict.fromkeys([*SUMMARY_SHARE_COLUMNS, *SUMMARY_GROUP_COLUMNS]))


def _groups_json(eq: pd.DataFrame) -> dict[str, dict]:
    """anchor_id -> group -> the summary JSON's figures, from ``equity(ds, payments, by="anchor_id")`` in one
    pass."""
    out: dict[str, dict] = {}
    for r in eq.to_dict("records"):
        below = r["below_four_fifths"]
        out.setdefault(str(r["anchor_id"]), {})[r["group"]] = {
            "utilisation": num(r["utilisation"]),
            "availability": num(r["availability"]),
            "disparity_index": num(r["disparity_index"]),
            "below_four_fifths": None if pd.isna(below) else bool(below),
            "utilisation_unknown_share": num(r["utilisation_unknown_share"]),
            "availability_unknown_share": num(r["availability_unknown_share"]),
        }
    return out


def _sums(ds: Dataset, ids: list[str], areas: dict, pool: str | None, engine):
    """(engine, per anchor and supplier share sums, equity per anchor, local shares per anchor) of the
    payments of ``ds`` (a flow view sums its flow), from its two rollups."""
    run = rollup_runner(ds.payments, engine)
    p = subset(ds, ds.rollup(SUMMARY_SHARE_COLUMNS, resolved=True, run=run), ids)
    q = subset(ds, ds.rollup(SUMMARY_GROUP_COLUMNS, run=run), ids)
    # two sums on one engine: per anchor and supplier (local shares and LM3), per anchor and group (equity)
    eng = choose(p, engine)
    per_supplier = eng.share_sums(p, areas, [SUPPLIER], names=False)
    eq = equity(ds, q, by="anchor_id", pool=check_pool(pool), engine=eng)
    per_anchor = per_supplier.groupby("anchor_id", observed=True, sort=False)[SHARE_COLUMNS].sum()
    shares = local_shares(per_anchor.reset_index(), areas, ds.ruleset.name)
    return eng, per_supplier, eq, shares


def _utilisation(eq: pd.DataFrame, group: str) -> dict[str, float | None]:
    """anchor_id -> the group's utilisation, from ``equity(..., by="anchor_id")``."""
    rows = eq[eq["group"] == group]
    return {str(a): num(u) for a, u in zip(rows["anchor_id"], rows["utilisation"])}


def _flow_figures(ds: Dataset, flow: str, ids: list[str], areas: dict, pool, engine) -> dict[str, dict]:
    """anchor_id -> the figures of one flow ('grant', 'both') beside the summary's: total, addressable and
    local £, local share, VCSE and IMD deciles 1-2 utilisation (docs/methodology.md#grants)."""
    _, _, eq, shares = _sums(ds.with_flow(flow), ids, areas, pool, engine)
    vcse, imd = _utilisation(eq, "vcse"), _utilisation(eq, "imd_1_2")
    return {
        a: {
            "total": round(shares[a].total_spend, 2),
            "addressable": round(shares[a].addressable_spend, 2),
            "local": round(shares[a].local_spend, 2),
            "unknown_location": round(shares[a].unknown_location_spend, 2),
            "local_share": shares[a].local_share,
            "vcse_share": vcse.get(a),
            "imd_1_2_share": imd.get(a),
        }
        for a in ids
    }


def _grant_facts(ds: Dataset, ids: list[str]) -> dict[str, dict]:
    """anchor_id -> what its grant files held beyond the pounds: grants in other currencies (count and
    amount per currency, never added to pounds), grants to individuals (counted, never named), and what
    placed the grants (docs/methodology.md#placing-a-grant)."""
    placing = ds.grant_placing()
    out = {}
    for a in ids:
        reports = ds.grant_reports.get(a, [])
        other: dict[str, dict] = {}
        for r in reports:
            for cur, v in r.other_currencies.items():
                got = other.setdefault(cur, {"grants": 0, "amount": 0.0})
                got["grants"] += int(v["grants"])
                got["amount"] = round(got["amount"] + float(v["amount"]), 2)
        rows = placing[placing["anchor_id"] == a]
        out[a] = {
            "grants": int(sum(r.grants_loaded for r in reports)),
            "rejected": int(sum(r.rows_rejected for r in reports)),
            "other_currencies": dict(sorted(other.items())),
            "to_individuals": {
                "grants": int(sum(int(r.individuals["grants"]) for r in reports)),
                "amount": round(sum(float(r.individuals["amount"]) for r in reports), 2),
            },
            "placed_by": {str(k): int(v) for k, v in zip(rows["placed_by"], rows["grants"])},
        }
    return out


def summary(
    ds: Dataset,
    anchor_ids: list[str] | None = None,
    area_id: str | None = None,
    *,
    pool: str | None = None,
    engine: Engine | str | None = None,
    flow: str | None = None,
    grant_location: str | None = None,
) -> dict:
    """The JSON of ``anchorlib summary --json`` (README, "Point it at your own data"): per anchor local
    share, leakage, unknown-location £, LM3 (None without a survey) and the equity groups, whose
    availability is counted over ``pool`` ('register', the default, or 'population':
    docs/methodology.md#availability-pools); the network block pooled and as the mean of the anchors'
    shares. The figures are of ``flow`` ('spend', the default; 'grant'; 'both': ``Dataset.with_flow``);
    a dataset with grants adds, per anchor, ``vcse_share_of_spend_and_grants`` beside the groups' VCSE
    utilisation, ``grants`` (the grant flow's figures and what its files held) and ``spend_and_grants``,
    placed by ``grant_location`` (docs/methodology.md#grants)."""
    if flow is not None or grant_location is not None:
        ds = ds.with_flow(flow if flow is not None else ds.flow, grant_location)
    # the inputs, read from the data layer once
    ids = anchor_ids or ds.anchor_ids
    areas = {a: ds.area(area_id, a) for a in ids}
    names = {a: str(ds.anchor(a)["name"]) for a in ids}
    eng, per_supplier, eq, shares = _sums(ds, ids, areas, pool, engine)
    groups = _groups_json(eq)
    # the figures, composed from the sums
    lm3s = anchor_lm3s(ds, per_supplier, areas)
    grants = both = facts = None
    if ds.has_grants:
        grants = _flow_figures(ds, "grant", ids, areas, pool, eng)
        both = _flow_figures(ds, "both", ids, areas, pool, eng)
        facts = _grant_facts(ds, ids)
    rows = []
    for a, area in areas.items():
        ls, m = shares[a], lm3s[a]
        row = {
            "anchor_id": a,
            "name": names[a],
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
        if grants is not None:
            row["vcse_share_of_spend_and_grants"] = both[a]["vcse_share"]
            row["grants"] = {**grants[a], **facts[a]}
            row["spend_and_grants"] = both[a]
        rows.append(row)
    net = network_of(shares, area_id, ds.ruleset.name)
    choices = {
        "area": area_id or "home",
        "addressable_rule_set": ds.ruleset.name,
        "imd_vintage": ds.geography.imd_vintage,
        "pooling": "network local_share is the ratio of sums; mean_anchor_local_share is the mean of "
        "anchors' shares",
        "lm3": f"from lm3_survey.csv; {UNSURVEYED}"
        if ds.lm3_survey is not None
        else "no lm3_survey.csv: LM3 null",
        "groups": "utilisation over addressable £ with known membership; availability over the "
        "availability pool; disparity index = 100 x utilisation / availability",
        "availability_pool": eq.attrs["choices"]["availability_pool"],
        "supplier_flags": eq.attrs["choices"]["supplier_flags"],
        "engine": eng.name,
    }
    if ds.has_grants or ds.flow != "spend":
        choices["flow"] = ds.choices["flow"]
        choices["grant_location"] = ds.with_flow("both").choices["grant_location"]
        choices["grants"] = (
            "360Giving grants in pounds (other currencies reported apart, never added); a registered "
            "charity's grant counts as VCSE; grants to individuals counted in totals, never named"
        )
    return {"anchors": rows, "network": {k: v for k, v in net.items() if k != "choices"}, "choices": choices}
