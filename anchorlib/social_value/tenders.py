"""Tender scoring and the social value weighting simulator (docs/methodology.md#tender-scoring).

A bid's score = w_price x price score + w_quality x quality score + w_sv x social value score, with
price score = 100 x lowest price in the tender / bid price. Changing w_sv scales the price and
quality weights in proportion so that the three still sum to 1. With A = (w_price x price score +
w_quality x quality score) / (w_price + w_quality) (the tender's own weights), a bid's score at
weight w is (1 - w) x A + w x social value score: linear in w, so the tipping weight is solved
exactly from pairwise crossings rather than searched on a grid.

Ranking: higher score first; scores equal to ``TIE_DECIMALS`` decimal places are a tie, broken by
lower price, then by bidder name (alphabetical). "Contract value" is the winning bid's price.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from anchorlib.data.dataset import Dataset
from anchorlib.data.tables import parse_flag, parse_number, raise_at_first
from anchorlib.errors import DatasetError, ParameterError

TIE_DECIMALS = 9
MAX_WEIGHT = 0.30  # the simulator's range: 0% to 30%
MARKED_WEIGHTS = (0.05, 0.10, 0.20)  # ~5% today; 10% PPN 06/20 and PPN 002 minimum; 20% some councils
WEIGHT_GRID = tuple(round(0.005 * i, 3) for i in range(61))  # 0% to 30% in half-percent steps
GROUPS = {"is_local": "Local", "is_sme": "SME", "is_vcse": "VCSE"}
WEIGHT_COLUMNS = ["price_weight", "quality_weight", "social_value_weight"]
SCORE_COLUMNS = ["quality_score", "social_value_score"]
TIPPING_DEFINITION = (
    "tipping weight = the smallest social value weight above the tender's own weight, up to "
    "30%, at which the winner differs from the winner at the tender's own weight "
    "(price and quality weights scaled in proportion)"
)
TENDERS_FILE = "social_value/tenders.csv"


def rescaled_weights(
    price_weight: float, quality_weight: float, sv_weight: float
) -> tuple[float, float, float]:
    """Price and quality weights scaled in proportion so that price + quality + ``sv_weight`` = 1."""
    check_weight(sv_weight)
    rest = price_weight + quality_weight
    if rest <= 0:
        raise ParameterError("price and quality weights sum to zero; cannot rescale them")
    scale = (1.0 - sv_weight) / rest
    return price_weight * scale, quality_weight * scale, sv_weight


def check_weight(sv_weight: float) -> float:
    """ParameterError unless 0 <= ``sv_weight`` <= 1 (a fraction: 0.10 is 10%)."""
    try:
        w = float(sv_weight)
    except (TypeError, ValueError):
        raise ParameterError(f"social value weight '{sv_weight}' is not a number") from None
    if not 0.0 <= w <= 1.0 or np.isnan(w):
        raise ParameterError(f"social value weight {sv_weight} is outside 0-1 (give a fraction: 0.10 is 10%)")
    return w


def _parts(bids: pd.DataFrame) -> pd.DataFrame:
    """Bids (one or many tenders) with price_score, the weight-free part A (``base``) and ``sv``."""
    b = bids.copy()
    for c in ["price", *SCORE_COLUMNS, *WEIGHT_COLUMNS]:
        b[c] = pd.to_numeric(b[c]).astype("float64")
    key = b["tender_id"] if "tender_id" in b.columns else pd.Series(0, index=b.index)
    b["price_score"] = 100.0 * b.groupby(key)["price"].transform("min") / b["price"]
    rest = b["price_weight"] + b["quality_weight"]
    if (rest <= 0).any():
        raise ParameterError("price and quality weights sum to zero; cannot rescale them")
    b["base"] = (b["price_weight"] * b["price_score"] + b["quality_weight"] * b["quality_score"]) / rest
    b["sv"] = b["social_value_score"]
    return b


def _rank(b: pd.DataFrame, w: pd.Series | float, by: tuple[str, ...] = ()) -> pd.DataFrame:
    """``b`` from ``_parts`` with total and rank at weight(s) ``w``, ranked within tender (and ``by``
    columns), winner first."""
    b = b.assign(total=(1.0 - w) * b["base"] + w * b["sv"])
    key = b["tender_id"] if "tender_id" in b.columns else pd.Series(0, index=b.index)
    keys = [*by, "_key"]
    b = b.assign(_key=key, _total=b["total"].round(TIE_DECIMALS))
    b = b.sort_values(
        [*keys, "_total", "price", "bidder"],
        ascending=[*[True] * len(keys), False, True, True],
        kind="stable",
    )
    b["rank"] = b.groupby(keys).cumcount() + 1
    return b.drop(columns=["_key", "_total"])


def score_bids(bids: pd.DataFrame, sv_weight: float | None = None) -> pd.DataFrame:
    """Bids with price_score, total and rank (1 = winner), per tender when there is a tender_id.

    ``sv_weight`` None uses each tender's own weights; otherwise price and quality are rescaled.
    Ties on total: lower price, then bidder name.
    """
    b = _parts(bids)
    w = b["social_value_weight"] if sv_weight is None else check_weight(sv_weight)
    return _rank(b, w).drop(columns=["base", "sv"])


def winner_at(bids: pd.DataFrame, sv_weight: float | None = None) -> str:
    """Name of the winning bidder of one tender at the given social value weight."""
    return str(score_bids(bids, sv_weight)["bidder"].iloc[0])


@dataclass(frozen=True)
class Tipping:
    """Where a tender's winner changes: ``weight`` None means "none up to 30%"."""

    tender_id: str
    own_weight: float
    winner: str  # at the tender's own weight
    weight: float | None  # see TIPPING_DEFINITION
    new_winner: (
        str | None
    )  # the winner from the tipping weight on (just above it when the tie there goes to ``winner``)


def tipping_point(bids: pd.DataFrame, max_weight: float = MAX_WEIGHT) -> Tipping:
    """The tipping weight of one tender, solved exactly (see TIPPING_DEFINITION).

    Bid j's lead over the winner W, d_j(w) = (1 - w)(A_j - A_W) + w(S_j - S_W), is linear in w; it
    reaches 0 at w = a / (a + b) with a = A_W - A_j, b = S_j - S_W, when it rises (a + b > 0). The
    tipping weight is the smallest such crossing at or above the own weight s0. When the tie at the
    crossing goes to W (lower price, then name), the winner differs at every weight just above it:
    the tipping weight is then the infimum, and ``new_winner`` is who wins just above.
    """
    b = _parts(bids)
    s0 = float(b["social_value_weight"].iloc[0])
    ranked = _rank(b, s0)
    win = ranked.iloc[0]
    tid = str(win["tender_id"]) if "tender_id" in ranked.columns else ""
    rest = ranked.iloc[1:]
    a = win["base"] - rest["base"]
    slope = a + (rest["sv"] - win["sv"])
    rising = slope > 10.0**-TIE_DECIMALS
    cross = (a[rising] / slope[rising]).clip(lower=s0)
    tol = 10.0**-12
    if cross.empty or cross.min() > max_weight + tol:
        return Tipping(tid, s0, str(win["bidder"]), None, None)
    w_star = float(cross.min())
    # Just above w_star the leader is, among the bids level at w_star, the one rising fastest
    # (then lower price, then name).
    total = (1.0 - w_star) * ranked["base"] + w_star * ranked["sv"]
    level = ranked[total >= total.max() - 10.0**-TIE_DECIMALS]
    above = level.assign(_r=(level["sv"] - level["base"]).round(TIE_DECIMALS)).sort_values(
        ["_r", "price", "bidder"], ascending=[False, True, True]
    )
    return Tipping(tid, s0, str(win["bidder"]), round(w_star, 12), str(above["bidder"].iloc[0]))


# -- the dataset's tenders ---------------------------------------------------------------------------


def load_tenders(ds: Dataset) -> pd.DataFrame:
    """social_value/tenders.csv validated: numbers parsed, scores 0-100, prices > 0, the tender's own
    weights present, between 0 and 1, summing to 1 and constant within the tender, at least two bids
    per tender, no bidder twice. Flags (is_local, is_sme, is_vcse) are yes/no or blank (unknown).

    Adds ``line`` (the CSV line of each bid). DatasetError names the file, line and problem.
    """
    if ds.tenders is None:
        raise DatasetError("the dataset has no tenders file", path=TENDERS_FILE)
    return validate_tenders(ds.tenders)


def validate_tenders(raw: pd.DataFrame, path: str = TENDERS_FILE) -> pd.DataFrame:
    """The checks of ``load_tenders`` on a table read as strings (index = CSV line - 2)."""
    missing = [c for c in WEIGHT_COLUMNS if c not in raw.columns]
    if missing:
        raise DatasetError(
            f"missing column(s) {', '.join(missing)}: each tender needs its own weights", path=path
        )
    t = pd.DataFrame(
        {"tender_id": raw["tender_id"].astype("string"), "bidder": raw["bidder"].astype("string")}
    )
    t["line"] = raw.index.to_numpy() + 2
    for c in ["tender_id", "bidder"]:
        raise_at_first(t, t[c].isna() | (t[c] == ""), f"{c} is blank", path)
    for c in ["price", *SCORE_COLUMNS, *WEIGHT_COLUMNS]:
        t[c] = parse_number(raw[c], path=path, column=c)
        raise_at_first(
            t, t[c].isna(), f"{c} is missing for bidder '{{bidder}}' in tender {{tender_id}}", path
        )
    raise_at_first(t, t["price"] <= 0, "price must be above 0 (bidder '{bidder}')", path)
    for c in SCORE_COLUMNS:
        raise_at_first(t, (t[c] < 0) | (t[c] > 100), f"{c} {{{c}}} is outside 0-100", path)
    for c in WEIGHT_COLUMNS:
        raise_at_first(
            t, (t[c] < 0) | (t[c] > 1), f"{c} {{{c}}} is outside 0-1 (give a fraction: 0.10 is 10%)", path
        )
    total = t[WEIGHT_COLUMNS].sum(axis=1)
    raise_at_first(
        t, (total - 1.0).abs() > 1e-6, "the tender's weights sum to {_sum}, not 1", path, _sum=total.round(6)
    )
    first = t.groupby("tender_id")[WEIGHT_COLUMNS].transform("first")
    raise_at_first(
        t,
        (t[WEIGHT_COLUMNS] - first).abs().max(axis=1) > 1e-9,
        "tender {tender_id} has different weights on different lines",
        path,
    )
    n = t.groupby("tender_id")["bidder"].transform("size")
    raise_at_first(t, n < 2, "tender {tender_id} has a single bid; a ranking needs two or more", path)
    raise_at_first(
        t,
        t.duplicated(["tender_id", "bidder"]),
        "bidder '{bidder}' appears twice in tender {tender_id}",
        path,
    )
    for c in GROUPS:
        t[c] = (
            parse_flag(raw[c], path=path, column=c)
            if c in raw.columns
            else pd.Series(pd.NA, index=t.index, dtype="boolean")
        )
    return t.reset_index(drop=True)


def winners(tenders: pd.DataFrame, sv_weight: float | None) -> pd.DataFrame:
    """The winning bid of each tender at ``sv_weight`` (None: the tender's own weight)."""
    r = score_bids(tenders, sv_weight)
    return r[r["rank"] == 1].reset_index(drop=True)


def tender_summary(tenders: pd.DataFrame, weights=MARKED_WEIGHTS) -> pd.DataFrame:
    """Per tender: bids, own weight, winner at it, winner at each of ``weights``, tipping weight
    (None = none up to 30%; see TIPPING_DEFINITION) and who wins from there."""
    rows = []
    at = {w: winners(tenders, w).set_index("tender_id")["bidder"] for w in weights}
    for tid, bids in tenders.groupby("tender_id", sort=False):
        tp = tipping_point(bids)
        rows.append(
            {
                "tender_id": tid,
                "bids": len(bids),
                "own_weight": tp.own_weight,
                "winner": tp.winner,
                **{f"winner_at_{w:.2f}": at[w][tid] for w in weights},
                "tipping_weight": tp.weight,
                "tipping_winner": tp.new_winner,
            }
        )
    return pd.DataFrame(rows)


def tenders_json(tenders: pd.DataFrame) -> dict:
    """``anchorlib tenders --json``: winners at 5%, 10% and 20% and the tipping weight."""
    out = []
    for r in tender_summary(tenders).to_dict("records"):
        tip = r["tipping_weight"]
        out.append(
            {
                "tender_id": r["tender_id"],
                "winner_at": {f"{w:.2f}": r[f"winner_at_{w:.2f}"] for w in MARKED_WEIGHTS},
                "tipping_weight": None if tip is None or pd.isna(tip) else float(tip),
                "own_weight": r["own_weight"],
                "current_winner": r["winner"],
                "tipping_winner": r["tipping_winner"],
            }
        )
    return {"tenders": out, "tipping_weight_definition": TIPPING_DEFINITION}


def percent(weight: float | None) -> str:
    """0.142857 -> '14.29%'; None -> 'none up to 30%'."""
    return f"none up to {MAX_WEIGHT:.0%}" if weight is None else f"{100 * weight:.2f}%"


def tenders_text(result: dict) -> str:
    """The ``anchorlib tenders`` table: one line per tender, then the definition used."""
    ts = result["tenders"]
    n = max(
        [
            len("winner now"),
            *(len(t["current_winner"]) for t in ts),
            *(len(x) for t in ts for x in t["winner_at"].values()),
        ]
    )
    lines = [
        f"{'tender':<12} {'own':>5}  {'winner now':<{n}}  {'at 10%':<{n}}  {'at 20%':<{n}}  tipping weight"
    ]
    for t in ts:
        tip = percent(t["tipping_weight"])
        if t["tipping_weight"] is not None:
            tip += f" -> {t['tipping_winner']}"
        lines.append(
            f"{t['tender_id']:<12} {100 * t['own_weight']:>4.0f}%  {t['current_winner']:<{n}}  "
            f"{t['winner_at']['0.10']:<{n}}  {t['winner_at']['0.20']:<{n}}  {tip}"
        )
    changed = sum(t["winner_at"]["0.10"] != t["current_winner"] for t in ts)
    lines.append(f"{changed} of {len(ts)} tenders change hands at 10% compared with their own weight.")
    lines.append(
        f"Note: {result['tipping_weight_definition']}; ties go to the lower price, then the bidder name."
    )
    return "\n".join(lines)


def crossings(tenders: pd.DataFrame, low: float = 0.0, high: float = MAX_WEIGHT) -> list[float]:
    """Every weight in (low, high] at which two bids of a tender score the same: the only places
    where any ranking can change (scores are linear in the weight)."""
    b = _parts(tenders)
    out: set[float] = set()
    for _, t in b.groupby("tender_id", sort=False):
        base, sv = t["base"].to_numpy(), t["sv"].to_numpy()
        a = base[:, None] - base[None, :]
        slope = a + (sv[None, :] - sv[:, None])
        with np.errstate(divide="ignore", invalid="ignore"):
            w = np.where(np.abs(slope) > 10.0**-TIE_DECIMALS, a / slope, np.nan)
        out.update(round(float(x), 12) for x in w[np.isfinite(w) & (w > low) & (w <= high)])
    return sorted(out)


def outcomes_by_weight(tenders: pd.DataFrame, weights=None) -> pd.DataFrame:
    """Share of tenders, and of contract value (the winning price), won by Local, SME and VCSE
    bidders at each social value weight. Shares are among winners whose flag is known.

    ``weights`` None: 0% to 30% in half-percent steps plus every crossing (and a hair above it, where
    a tie's loser takes over), so a step chart of the result is exact.
    Columns: weight, group, measure ('tenders' | 'contract value'), share, won, known.
    """
    if weights is None:
        cross = crossings(tenders)
        weights = sorted({*WEIGHT_GRID, *cross, *(min(w + 1e-9, MAX_WEIGHT) for w in cross)})
    ws = [check_weight(w) for w in weights]
    b = _parts(tenders)
    long = b.loc[b.index.repeat(len(ws))].assign(weight=np.tile(ws, len(b)))
    win = _rank(long, long["weight"], by=("weight",))
    win = win[win["rank"] == 1]
    rows = []
    for flag, group in GROUPS.items():
        known = win[win[flag].notna()]
        yes = known[flag].astype(bool)
        g = (
            pd.DataFrame(
                {
                    "weight": known["weight"],
                    "n": 1.0,
                    "n_yes": yes.astype(float),
                    "v": known["price"],
                    "v_yes": known["price"].where(yes, 0.0),
                }
            )
            .groupby("weight")
            .sum()
        )
        g = g.reindex(ws, fill_value=0.0)
        for measure, won, of in (("tenders", g["n_yes"], g["n"]), ("contract value", g["v_yes"], g["v"])):
            rows.append(
                pd.DataFrame(
                    {
                        "weight": ws,
                        "group": group,
                        "measure": measure,
                        "won": won.to_numpy(),
                        "known": of.to_numpy(),
                        "share": (won / of.where(of > 0)).to_numpy(),
                    }
                )
            )
    return pd.concat(rows, ignore_index=True).sort_values(
        ["weight", "group", "measure"], kind="stable", ignore_index=True
    )
