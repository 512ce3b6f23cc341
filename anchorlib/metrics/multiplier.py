"""LM3 (NEF, Sacks 2002) and shift scenarios (docs/methodology.md#lm3, #shift-scenario). Public through
``anchorlib.metrics``.

R1 = the anchor's addressable spend; R2 = the part of R1 spent with local suppliers; R3 = sum over
surveyed local suppliers s of R2_s x (local_staff_share_s + local_supplier_share_s), from
``lm3_survey.csv``; LM3 = (R1 + R2 + R3) / R1. Unsurveyed local suppliers count with R3 = 0.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import pandas as pd

from anchorlib.data.dataset import Dataset
from anchorlib.errors import ParameterError
from anchorlib.metrics.definitions import SUPPLIER, base_choices, div
from anchorlib.metrics.engine import Engine, choose

UNSURVEYED = "unsurveyed local suppliers counted with R3 = 0 (conservative)"


@dataclass
class LM3:
    """Local Multiplier 3 of a set of payments; ``lm3`` and ``r3`` are None without a survey."""

    r1: float
    r2: float
    r3: float | None
    lm3: float | None
    surveyed_suppliers: int
    surveyed_local_spend: float
    unsurveyed_local_spend: float
    unsurveyed_treatment: str
    choices: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Shift:
    """Moving ``share`` of the leakage in ``categories`` to local suppliers
    (docs/methodology.md#shift-scenario)."""

    share: float
    categories: list[str]
    leakage_in_scope: float
    added_local_spend: float
    local_spend_before: float
    local_spend_after: float
    local_share_before: float | None
    local_share_after: float | None
    lm3_ratio: float | None
    added_local_value: float | None
    choices: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def lm3(
    ds: Dataset,
    payments: pd.DataFrame,
    area,
    *,
    survey: pd.DataFrame | None = None,
    engine: Engine | str | None = None,
) -> LM3:
    """LM3 = (R1 + R2 + R3) / R1 for ``payments`` with local meaning ``area``; None without lm3_survey.csv.
    ``survey``: the survey's resolved suppliers (default ``ds.survey_suppliers``)."""
    s = choose(payments, engine).share_sums(payments, area, [SUPPLIER], names=False)
    hit = _surveyed(ds, s, survey)
    return _lm3_of(ds, float(s["addressable_spend"].sum()), float(s["local_spend"].sum()), hit, area)


def anchor_lm3s(
    ds: Dataset, supplier_sums: pd.DataFrame, areas: dict, *, survey: pd.DataFrame | None = None
) -> dict[str, LM3]:
    """``lm3`` of each anchor in ``areas`` (anchor_id -> the area local means for it) from the per anchor and
    resolved supplier sums of its payments, ``engine.share_sums(payments, areas, [SUPPLIER])`` (one
    aggregation)."""
    s = supplier_sums.assign(anchor_id=supplier_sums["anchor_id"].astype(str))
    r = s.groupby("anchor_id", sort=False)[["addressable_spend", "local_spend"]].sum()
    hit = _surveyed(ds, s, survey)
    hits = {a: h for a, h in hit.groupby("anchor_id", sort=False)} if hit is not None else {}
    return {
        a: _lm3_of(
            ds,
            float(r.at[a, "addressable_spend"]) if a in r.index else 0.0,
            float(r.at[a, "local_spend"]) if a in r.index else 0.0,
            None if hit is None else hits.get(a, hit.iloc[:0]),
            ar,
        )
        for a, ar in areas.items()
    }


def _surveyed(ds, s: pd.DataFrame, survey: pd.DataFrame | None) -> pd.DataFrame | None:
    """The local suppliers of per-supplier sums ``s`` that the survey covers, with their re-spend share
    (None without lm3_survey.csv)."""
    if ds.lm3_survey is None:
        return None
    local = s[s["local_spend"] != 0]
    return local.merge(ds.survey_suppliers if survey is None else survey, on="supplier_id", how="inner")


def _lm3_of(ds, r1: float, r2: float, hit: pd.DataFrame | None, area) -> LM3:
    """LM3 from R1, R2 and the surveyed local suppliers (``_surveyed``) of one set of payments."""
    choices = base_choices(
        area,
        ds.ruleset.name,
        **{k: v for k, v in ds.choices.items() if k in ("flow", "grant_location")},
        r1="addressable spend",
        r2="addressable spend with local suppliers",
        r3="sum over surveyed local suppliers of R2_s x (local_staff_share + local_supplier_share)",
        unsurveyed=UNSURVEYED,
    )
    if hit is None:
        choices["survey"] = "no lm3_survey.csv: R3 and LM3 unknown"
        return LM3(r1, r2, None, None, 0, 0.0, r2, UNSURVEYED, choices)
    r3 = float((hit["local_spend"] * hit["re_spend"]).sum())
    surveyed = float(hit["local_spend"].sum())
    choices["survey"] = (
        f"lm3_survey.csv: {len(ds.lm3_survey)} suppliers surveyed, "
        f"{len(hit)} of them local suppliers paid in these payments"
    )
    if hit["capped"].any():
        lines = ", ".join(map(str, sorted(hit.loc[hit["capped"], "line"])))
        choices["survey_capped"] = (
            f"local_staff_share + local_supplier_share above 1 counted as 1 (lines {lines})"
        )
    ratio = div(r1 + r2 + r3, r1)
    return LM3(r1, r2, r3, ratio, len(hit), surveyed, r2 - surveyed, UNSURVEYED, choices)


def shift_scenario(
    ds: Dataset,
    payments: pd.DataFrame,
    area,
    categories: list[str],
    share: float,
    *,
    lm3_of: LM3 | None = None,
    engine: Engine | str | None = None,
) -> Shift:
    """Move ``share`` (0-1) of the leakage (addressable - local spend) in ``categories`` to local suppliers:
    adds share x leakage to R2 (local spend), and share x leakage x LM3 to local economic value.

    The moved £ becomes local spend with a known location, so the unknown-location part of the moved
    leakage joins the local share's denominator. ``lm3_of``: ``lm3(ds, payments, area)`` when the
    caller already has it (it depends on neither the categories nor the share)."""
    share = float(share)
    if not 0 <= share <= 1:
        raise ParameterError(f"share must be a fraction from 0 to 1, not {share:g}")
    cats = [str(c) for c in categories]
    eng = choose(payments, engine)
    every = eng.share_sums(payments, area, ["category"])
    local, known = float(every["local_spend"].sum()), float(every["known_addressable_spend"].sum())
    by = every[every["category"].notna()]
    known_cats = set(by["category"].astype(str))
    missing = [c for c in cats if c not in known_cats]
    if missing:
        raise ParameterError(f"unknown categor{'y' if len(missing) == 1 else 'ies'}: {', '.join(missing)}")
    scope = by[by["category"].astype(str).isin(cats)]
    leak = float((scope["addressable_spend"] - scope["local_spend"]).sum())
    unknown = float(scope["unknown_location_spend"].sum())
    added = share * leak
    m = lm3(ds, payments, area, engine=eng) if lm3_of is None else lm3_of
    choices = {
        **m.choices,
        "categories": cats,
        "share": share,
        "leakage": "addressable - local spend (includes unknown-location spend)",
        "value": "added local spend x LM3 ratio (None without a survey)",
    }
    return Shift(
        share=share,
        categories=cats,
        leakage_in_scope=leak,
        added_local_spend=added,
        local_spend_before=local,
        local_spend_after=local + added,
        local_share_before=div(local, known),
        local_share_after=div(local + added, known + share * unknown),
        lm3_ratio=m.lm3,
        added_local_value=None if m.lm3 is None else added * m.lm3,
        choices=choices,
    )
