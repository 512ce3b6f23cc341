"""The metrics core: pure functions over ``Dataset.payments`` following DESIGN.md's definitions.

Every result names the choices it used (area, addressable rule set, IMD vintage, pooling) in
``choices``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import pandas as pd

from .dataset import Dataset
from .places import Area

GROUPS = {"sme": "is_sme", "vcse": "is_vcse", "bame_led": "bame_led", "women_led": "women_led",
          "youth_led": "youth_led", "imd_1_2": "imd_1_2"}
GROUP_LABELS = {"sme": "SME", "vcse": "VCSE", "bame_led": "BAME-led", "women_led": "Women-led",
                "youth_led": "Youth-led", "imd_1_2": "IMD deciles 1-2"}
FOUR_FIFTHS = 80.0


def _div(a: float, b: float) -> float | None:
    return None if b == 0 else a / b


@dataclass
class LocalShare:
    """Local share (DESIGN.md): local addressable spend / addressable spend with known location.

    ``leakage`` = addressable spend - local spend, as DESIGN.md defines it, so it includes the
    unknown-location £ (shown beside it); ``known_leakage`` excludes it.
    """

    total_spend: float
    addressable_spend: float
    local_spend: float
    unknown_location_spend: float
    local_share: float | None
    leakage: float
    known_leakage: float
    local_spend_excluding_hq_only: float
    local_share_excluding_hq_only: float | None
    choices: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def is_local(payments: pd.DataFrame, area: Area) -> pd.Series:
    """True where the supplier's postcode maps to a LAD inside ``area`` (unknown location -> False)."""
    return area.contains(payments["lad"], payments["rgn"])


def local_share(payments: pd.DataFrame, area: Area, ruleset_name: str = "") -> LocalShare:
    """Local share, leakage and the unknown-location bucket for a set of payments."""
    amount = payments["amount"]
    addressable = payments["addressable"].astype(bool)
    known = payments["lad"].notna()
    local = is_local(payments, area) & addressable
    hq = payments["hq_only"].fillna(False).astype(bool)
    total = float(amount.sum())
    add = float(amount[addressable].sum())
    add_known = float(amount[addressable & known].sum())
    loc = float(amount[local].sum())
    unknown = float(amount[addressable & ~known].sum())
    loc_ex_hq = float(amount[local & ~hq].sum())
    known_ex_hq = float(amount[addressable & known & ~hq].sum())
    return LocalShare(
        total_spend=total, addressable_spend=add, local_spend=loc, unknown_location_spend=unknown,
        local_share=_div(loc, add_known), leakage=add - loc, known_leakage=add_known - loc,
        local_spend_excluding_hq_only=loc_ex_hq, local_share_excluding_hq_only=_div(loc_ex_hq, known_ex_hq),
        choices={"area": area.describe(), "addressable_rule_set": ruleset_name},
    )


def select(ds: Dataset, anchor_ids: list[str] | None = None, financial_years: list[str] | None = None) -> pd.DataFrame:
    """The payments of some anchors and financial years (all when None)."""
    p = ds.payments
    if anchor_ids:
        for a in anchor_ids:
            ds.anchor(a)  # raises a clear error for an unknown anchor
        p = p[p["anchor_id"].isin(anchor_ids)]
    if financial_years:
        p = p[p["financial_year"].isin(financial_years)]
    return p


def summary(ds: Dataset, anchor_ids: list[str] | None = None, area_id: str | None = None) -> dict:
    """The JSON of ``anchorlib summary --json`` (DESIGN.md, Contracts). Fields not yet computed are None."""
    ids = anchor_ids or ds.anchor_ids
    rows = []
    pooled = {"total": 0.0, "local": 0.0, "known_addressable": 0.0}
    for a in ids:
        p = select(ds, [a])
        area = ds.area(area_id, a)
        ls = local_share(p, area, ds.ruleset.name)
        rows.append({
            "anchor_id": a, "name": str(ds.anchor(a)["name"]), "area": area.describe(),
            "total_spend": round(ls.total_spend, 2), "addressable_spend": round(ls.addressable_spend, 2),
            "local_spend": round(ls.local_spend, 2), "unknown_location_spend": round(ls.unknown_location_spend, 2),
            "local_share": ls.local_share, "leakage": round(ls.leakage, 2),
            "local_share_excluding_hq_only": ls.local_share_excluding_hq_only,
            "lm3": None, "groups": {g: {"utilisation": None, "availability": None, "disparity_index": None}
                                    for g in ("sme", "vcse", "bame_led", "women_led", "imd_1_2")},
        })
        pooled["total"] += ls.total_spend
        pooled["local"] += ls.local_spend
        pooled["known_addressable"] += ls.addressable_spend - ls.unknown_location_spend
    shares = [r["local_share"] for r in rows if r["local_share"] is not None]
    return {
        "anchors": rows,
        "network": {"total_spend": round(pooled["total"], 2), "local_spend": round(pooled["local"], 2),
                    "local_share": _div(pooled["local"], pooled["known_addressable"]),
                    "mean_anchor_local_share": sum(shares) / len(shares) if shares else None},
        "choices": {"area": area_id or "home", "addressable_rule_set": ds.ruleset.name,
                    "imd_vintage": ds.geography.imd_vintage,
                    "pooling": "network local_share is the ratio of sums; mean_anchor_local_share is the mean of anchors' shares"},
    }
