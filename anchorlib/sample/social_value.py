"""Synthetic tenders and social value commitments for the sample (see sample.py for the story).

Tenders are drawn until the mix is one worth discussing in a workshop: a few contracts change hands
between a 5% and a 10% social value weight, most do not.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from anchorlib.social_value.tenders import winner_at

N_TENDERS = 24
N_FLIP_5_TO_10 = 5
MEASURES = [
    ("Local jobs for 16-24 year olds", "jobs", 2, 12),
    ("Apprenticeships", "apprenticeship weeks", 52, 520),
    ("Jobs for residents from priority groups", "jobs", 2, 10),
    ("Spend with local VCSEs and SMEs", "£", 20_000, 400_000),
    ("Volunteering hours", "hours", 100, 1_500),
]


def _tender(rng, tid: str, suppliers: pd.DataFrame) -> pd.DataFrame:
    n = int(rng.integers(3, 6))
    pool = suppliers[suppliers["_zone"] != "public"]
    picks = pool.sample(n=n, random_state=int(rng.integers(0, 2**31 - 1)))
    base = rng.uniform(200_000, 3_000_000)
    local = (picks["_zone"] == "home").to_numpy()
    sme = ~picks["_large"].to_numpy()
    price = base * rng.uniform(0.9, 1.25, n) * np.where(sme, 1.05, 1.0)
    quality = np.clip(rng.normal(68, 9, n), 30, 95)
    sv = np.clip(rng.normal(45, 15, n) + np.where(local, 25, 0) + np.where(sme, 8, 0), 5, 100)
    pw = rng.choice([0.6, 0.5, 0.4])
    return pd.DataFrame(
        {
            "tender_id": tid,
            "bidder": picks["supplier_name"].to_numpy(),
            "price": np.round(price, 0),
            "quality_score": np.round(quality, 1),
            "social_value_score": np.round(sv, 1),
            "price_weight": pw,
            "quality_weight": round(0.95 - pw, 2),
            "social_value_weight": 0.05,
            "is_local": np.where(local, "yes", "no"),
            "is_sme": np.where(sme, "yes", "no"),
            "is_vcse": np.where(picks["is_vcse"].to_numpy(), "yes", "no"),
        }
    )


def write_social_value(out: Path, rng: np.random.Generator, suppliers: pd.DataFrame) -> None:
    flips, steady = [], []
    attempt = 0
    while (len(flips) < N_FLIP_5_TO_10 or len(steady) < N_TENDERS - N_FLIP_5_TO_10) and attempt < 2000:
        attempt += 1
        t = _tender(rng, "", suppliers)
        w5, w10 = winner_at(t, 0.05), winner_at(t, 0.10)
        if w5 != w10 and len(flips) < N_FLIP_5_TO_10:
            flips.append(t)
        elif w5 == w10 and len(steady) < N_TENDERS - N_FLIP_5_TO_10:
            steady.append(t)
    order = rng.permutation(len(flips) + len(steady))
    tenders = [(flips + steady)[i] for i in order]
    anchors = ["hackney", "city_of_london", "elft", "nel_icb"]
    for i, t in enumerate(tenders):
        t["tender_id"] = f"T{2023}-{i + 1:03d}"
    sv = pd.concat(tenders, ignore_index=True)
    (out / "social_value").mkdir(exist_ok=True)
    sv.to_csv(out / "social_value" / "tenders.csv", index=False, lineterminator="\n")

    rows = []
    for i, t in enumerate(tenders):
        win = winner_at(t, 0.05)
        tid = t["tender_id"].iloc[0]
        anchor = anchors[i % len(anchors)]
        for measure, unit, lo, hi in MEASURES:
            if rng.random() < 0.35:
                continue
            committed = float(np.round(rng.uniform(lo, hi), 0))
            ratio = rng.choice(
                [
                    rng.uniform(1.0, 1.2),
                    rng.uniform(0.8, 0.99),
                    rng.uniform(0.5, 0.79),
                    rng.uniform(0.1, 0.49),
                ],
                p=[0.35, 0.3, 0.2, 0.15],
            )
            rows.append(
                {
                    "contract_id": tid.replace("T", "C"),
                    "supplier_name": win,
                    "anchor_id": anchor,
                    "measure": measure,
                    "unit": unit,
                    "committed": committed,
                    "delivered": float(np.round(committed * ratio, 0)),
                    "period_start": "2023-04-01",
                    "period_end": "2025-03-31",
                }
            )
    pd.DataFrame(rows).to_csv(out / "social_value" / "commitments.csv", index=False, lineterminator="\n")
