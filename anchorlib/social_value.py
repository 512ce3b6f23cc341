"""Tender scoring and social value (DESIGN.md: Tender scoring, Commitments).

A bid's score = w_price x price score + w_quality x quality score + w_sv x social value score, with
price score = 100 x lowest price / bid price. Changing w_sv scales the price and quality weights in
proportion so that the three still sum to 1.
"""

from __future__ import annotations

import pandas as pd

from .errors import ParameterError


def rescaled_weights(price_weight: float, quality_weight: float, sv_weight: float) -> tuple[float, float, float]:
    """Price and quality weights scaled in proportion so that price + quality + ``sv_weight`` = 1."""
    if not 0.0 <= sv_weight <= 1.0:
        raise ParameterError(f"social value weight {sv_weight} is outside 0-1")
    rest = price_weight + quality_weight
    if rest <= 0:
        raise ParameterError("price and quality weights sum to zero; cannot rescale them")
    scale = (1.0 - sv_weight) / rest
    return price_weight * scale, quality_weight * scale, sv_weight


def score_bids(bids: pd.DataFrame, sv_weight: float | None = None) -> pd.DataFrame:
    """Bids of one tender with price_score, total and rank (1 = winner).

    Ties on total are broken by lower price, then by bidder name (alphabetical).
    ``sv_weight`` None uses the tender's own weights.
    """
    b = bids.copy()
    price = pd.to_numeric(b["price"])
    b["price_score"] = 100.0 * price.min() / price
    pw, qw, sw = (float(b["price_weight"].iloc[0]), float(b["quality_weight"].iloc[0]),
                  float(b["social_value_weight"].iloc[0]))
    if sv_weight is not None:
        pw, qw, sw = rescaled_weights(pw, qw, sv_weight)
    b["total"] = pw * b["price_score"] + qw * pd.to_numeric(b["quality_score"]) + sw * pd.to_numeric(b["social_value_score"])
    b = b.assign(_price=price).sort_values(["total", "_price", "bidder"], ascending=[False, True, True])
    b["rank"] = range(1, len(b) + 1)
    return b.drop(columns="_price")


def winner_at(bids: pd.DataFrame, sv_weight: float | None = None) -> str:
    """Name of the winning bidder at the given social value weight."""
    return str(score_bids(bids, sv_weight)["bidder"].iloc[0])
