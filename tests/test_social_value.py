"""Tender scoring and the weighting simulator against hand-worked tenders
(docs/methodology.md#tender-scoring).

Every tender here uses own weights price 0.57, quality 0.38, social value 0.05, so that
A = (0.57 x price score + 0.38 x quality) / 0.95 = 0.6 x price score + 0.4 x quality and a bid
scores (1 - w) x A + w x social value score at weight w.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from anchorlib import DatasetError, ParameterError, open_dataset
from anchorlib.data.tables import read_table
from anchorlib.social_value import tenders as sv
from tests.builders import supplier, tiny_dataset, write_csv

HEADER = [
    "tender_id",
    "bidder",
    "price",
    "quality_score",
    "social_value_score",
    "price_weight",
    "quality_weight",
    "social_value_weight",
    "is_local",
    "is_sme",
    "is_vcse",
]
W = [0.57, 0.38, 0.05]
# T1: a local SME that wins only above its tipping weight.
#   Big Co:    P = 100, Q = 70, S = 20 -> A = 88;  Local SME: P = 80, Q = 75, S = 80 -> A = 78
#   Mid Ltd:   P = 100 x 100k / 110k = 90.909, Q = 60, S = 40 -> A = 78.545
#   at 5%: Big 0.95 x 88 + 1 = 84.6, SME 74.1 + 4 = 78.1, Mid 74.618 + 2 = 76.618
#   Big vs SME: a = 10, b = 60, crossing at 10 / 70 = 1/7 (14.29%)
# T2: no tipping point: Steady A = 60 + 32 = 92, S = 60; Other P = 83.33, A = 50 + 28 = 78, S = 70;
#   a = 14, b = 10, crossing at 14 / 24 = 58% > 30%.
# T3: a tie at the crossing (0.25) that the challenger wins on lower price:
#   Incumbent P = 90, Q = 90, S = 20 -> A = 90; Challenger P = 100, Q = 40, S = 62 -> A = 76;
#   a = 14, b = 42: 14 / 56 = 0.25, both score 72.5 there.
# T4: a tie at the crossing (0.25) that the incumbent keeps on lower price:
#   Incumbent P = 100, Q = 80, S = 20 -> A = 92; Challenger P = 90, Q = 65, S = 56 -> A = 80; both 74 at 0.25.
# T5: identical bids at the same price: the name decides, for every weight.
ROWS = [
    ["T1", "Big Co", 100_000, 70, 20, *W, "no", "no", "no"],
    ["T1", "Local SME", 125_000, 75, 80, *W, "yes", "yes", "no"],
    ["T1", "Mid Ltd", 110_000, 60, 40, *W, "no", "yes", "yes"],
    ["T2", "Steady Ltd", 100_000, 80, 60, *W, "no", "no", "no"],
    ["T2", "Other Ltd", 120_000, 70, 70, *W, "yes", "yes", "no"],
    ["T3", "Incumbent", 100_000, 90, 20, *W, "no", "no", "no"],
    ["T3", "Challenger", 90_000, 40, 62, *W, "yes", "yes", "yes"],
    ["T4", "Incumbent", 90_000, 80, 20, *W, "no", "no", "no"],
    ["T4", "Challenger", 100_000, 65, 56, *W, "yes", "no", "no"],
    ["T5", "Beta Ltd", 50_000, 60, 60, *W, "no", "", "no"],
    ["T5", "Alpha Ltd", 50_000, 60, 60, *W, "yes", "", "no"],
]


def tenders_from(tmp_path, rows, header=HEADER):
    path = write_csv(tmp_path / "social_value" / "tenders.csv", header, rows)
    return sv.validate_tenders(
        read_table(path, ["tender_id", "bidder", "price", "quality_score", "social_value_score"], HEADER[5:])
    )


@pytest.fixture
def tenders(tmp_path):
    return tenders_from(tmp_path, ROWS)


def one(t, tid):
    return t[t["tender_id"] == tid]


def test_rescaled_weights_keep_proportions_and_sum_to_one():
    assert sv.rescaled_weights(0.57, 0.38, 0.20) == pytest.approx((0.48, 0.32, 0.20))
    assert sv.rescaled_weights(0.5, 0.45, 0.0) == pytest.approx((0.5 / 0.95, 0.45 / 0.95, 0.0))


def test_scores_and_ranking_by_hand(tenders):
    r = sv.score_bids(one(tenders, "T1"), 0.05)
    assert r["bidder"].tolist() == ["Big Co", "Local SME", "Mid Ltd"]
    assert r["rank"].tolist() == [1, 2, 3]
    assert r["price_score"].tolist() == pytest.approx([100, 80, 100 * 100 / 110])
    assert r["total"].tolist() == pytest.approx([84.6, 78.1, 0.95 * (0.6 * 100 / 1.1 + 24) + 2])
    own = sv.score_bids(one(tenders, "T1"))  # the tender's own weight, 5%
    assert own["total"].tolist() == pytest.approx(r["total"].tolist())
    at20 = sv.score_bids(one(tenders, "T1"), 0.20)
    assert at20["bidder"].tolist()[:2] == ["Local SME", "Big Co"]
    assert at20["total"].tolist()[:2] == pytest.approx([0.8 * 78 + 16, 0.8 * 88 + 4])  # 78.4, 74.4


def test_local_sme_wins_only_above_its_tipping_weight(tenders):
    t1 = one(tenders, "T1")
    tp = sv.tipping_point(t1)
    assert tp.weight == pytest.approx(1 / 7)
    assert (tp.winner, tp.new_winner, tp.own_weight) == ("Big Co", "Local SME", 0.05)
    assert [sv.winner_at(t1, w) for w in (0.0, 0.05, 0.10, 0.14, 0.15, 0.20, 0.30)] == [
        "Big Co",
        "Big Co",
        "Big Co",
        "Big Co",
        "Local SME",
        "Local SME",
        "Local SME",
    ]


def test_tender_with_no_tipping_point_up_to_30_percent(tenders):
    tp = sv.tipping_point(one(tenders, "T2"))
    assert (tp.weight, tp.new_winner, tp.winner) == (None, None, "Steady Ltd")
    assert sv.tipping_point(one(tenders, "T2"), max_weight=0.6).weight == pytest.approx(14 / 24)


def test_tie_at_the_crossing_goes_to_the_lower_price(tenders):
    t3, t4 = one(tenders, "T3"), one(tenders, "T4")
    # T3: the challenger is cheaper, so it wins at the crossing itself.
    tp = sv.tipping_point(t3)
    assert tp.weight == pytest.approx(0.25) and tp.new_winner == "Challenger"
    assert sv.score_bids(t3, 0.25)["total"].tolist() == pytest.approx([72.5, 72.5])
    assert sv.winner_at(t3, 0.25) == "Challenger" and sv.winner_at(t3, 0.249) == "Incumbent"
    # T4: the incumbent is cheaper: it keeps the tie, the challenger wins just above.
    tp = sv.tipping_point(t4)
    assert tp.weight == pytest.approx(0.25) and tp.new_winner == "Challenger"
    assert sv.winner_at(t4, 0.25) == "Incumbent" and sv.winner_at(t4, 0.251) == "Challenger"


def test_equal_scores_and_price_are_broken_by_name(tenders):
    t5 = one(tenders, "T5")
    assert sv.score_bids(t5, 0.3)["bidder"].tolist() == ["Alpha Ltd", "Beta Ltd"]
    assert sv.tipping_point(t5).weight is None


def test_summary_json_and_outcomes(tenders):
    js = sv.tenders_json(tenders)
    by_id = {t["tender_id"]: t for t in js["tenders"]}
    assert by_id["T1"]["winner_at"] == {"0.05": "Big Co", "0.10": "Big Co", "0.20": "Local SME"}
    assert by_id["T1"]["tipping_weight"] == pytest.approx(1 / 7)
    assert by_id["T2"]["tipping_weight"] is None
    assert by_id["T3"]["winner_at"]["0.20"] == "Incumbent"
    o = sv.outcomes_by_weight(tenders, weights=(0.05, 0.30)).set_index(["weight", "group", "measure"])
    # at 5% the winners are Big Co, Steady, Incumbent, Incumbent, Alpha: only Alpha is local.
    assert o.loc[(0.05, "Local", "tenders"), "share"] == pytest.approx(1 / 5)
    assert o.loc[(0.05, "Local", "contract value"), "share"] == pytest.approx(50_000 / 440_000)
    # at 30%: Local SME, Steady, Challenger, Challenger, Alpha -> 4 of 5 local.
    assert o.loc[(0.30, "Local", "tenders"), "share"] == pytest.approx(4 / 5)
    assert o.loc[(0.30, "Local", "contract value"), "share"] == pytest.approx(365_000 / 465_000)
    # SME is unknown for T5's winner: shares are among the 4 known.
    assert o.loc[(0.30, "SME", "tenders"), ["won", "known", "share"]].tolist() == pytest.approx([2, 4, 0.5])
    assert o.loc[(0.30, "VCSE", "contract value"), "share"] == pytest.approx(90_000 / 465_000)


@pytest.mark.parametrize("weight", [-0.01, 1.5, "ten"])
def test_weights_outside_0_1_are_parameter_errors(tenders, weight):
    with pytest.raises(ParameterError, match="social value weight"):
        sv.winners(tenders, weight)


def _edit(rows, i, col, value):
    rows = [list(r) for r in rows]
    rows[i][HEADER.index(col)] = value
    return rows


@pytest.mark.parametrize(
    ("rows", "line", "problem"),
    [
        (
            _edit(ROWS, 1, "quality_score", ""),
            3,
            "quality_score is missing for bidder 'Local SME' in tender T1",
        ),
        (
            _edit(ROWS, 2, "social_value_score", "lots"),
            4,
            "column social_value_score: 'lots' is not a number",
        ),
        (_edit(ROWS, 0, "social_value_score", 120), 2, "social_value_score 120.0 is outside 0-100"),
        (_edit(ROWS, 3, "price", 0), 5, "price must be above 0"),
        (_edit(ROWS, 4, "social_value_weight", 10), 6, "social_value_weight 10.0 is outside 0-1"),
        (_edit(ROWS, 4, "price_weight", 0.6), 6, "the tender's weights sum to 1.03, not 1"),
        (
            _edit(_edit(ROWS, 4, "price_weight", 0.52), 4, "social_value_weight", 0.1),
            6,
            "tender T2 has different weights on different lines",
        ),
        (ROWS[:10], 11, "tender T5 has a single bid"),
        (_edit(ROWS, 2, "bidder", "Big Co"), 4, "bidder 'Big Co' appears twice in tender T1"),
        (_edit(ROWS, 0, "is_local", "maybe"), 2, "column is_local: 'maybe' is not yes/no"),
    ],
)
def test_bad_tenders_are_one_line_naming_file_and_line(tmp_path, rows, line, problem):
    with pytest.raises(DatasetError) as err:
        tenders_from(tmp_path, rows)
    msg = str(err.value)
    assert msg.startswith(f"social_value/tenders.csv:{line}: ") and problem in msg and "\n" not in msg


def test_missing_weight_columns_are_named(tmp_path):
    with pytest.raises(DatasetError, match="missing column.*social_value_weight"):
        tenders_from(tmp_path, [r[:7] + r[8:] for r in ROWS], HEADER[:7] + HEADER[8:])


def test_load_tenders_through_a_dataset_folder(tmp_path):
    root = tiny_dataset(
        tmp_path,
        suppliers=[supplier("Acme Ltd", "E8 1AA")],
        spend={"a1": [("Cleaning", "01/05/2023", "100.00", "Acme Ltd")]},
    )
    ds = open_dataset(root)
    with pytest.raises(DatasetError, match="social_value/tenders.csv: the dataset has no tenders file"):
        sv.load_tenders(ds)
    write_csv(root / "social_value" / "tenders.csv", HEADER, ROWS)
    t = sv.load_tenders(open_dataset(root))
    assert len(t) == 11 and t["line"].tolist() == list(range(2, 13))
    assert t["is_sme"].isna().tolist()[-3:] == [False, True, True]
    assert t["is_local"].tolist()[:2] == [False, True] and t["price"].iloc[0] == 100_000.0


def test_sample_tenders_tell_a_workshop_story(sample_ds):
    """Some contracts change hands between 5% and 10%, most do not; measured, not assumed."""
    s = sv.tender_summary(sv.load_tenders(sample_ds))
    flips_5_10 = (s["winner_at_0.05"] != s["winner_at_0.10"]).sum()
    flips_10_20 = (s["winner_at_0.10"] != s["winner_at_0.20"]).sum()
    assert len(s) == 24 and flips_5_10 == 5 and flips_10_20 == 3
    assert s["tipping_weight"].isna().sum() == 13  # over half: no change up to 30%
    assert (s["own_weight"] == 0.05).all()
    o = sv.outcomes_by_weight(sv.load_tenders(sample_ds), weights=(0.05, 0.10))
    local = o[(o["group"] == "Local") & (o["measure"] == "tenders")]["share"].tolist()
    assert local == pytest.approx([9 / 24, 12 / 24])


def _brute_winners(bids: pd.DataFrame, weights: np.ndarray) -> list[str]:
    """Winners at each weight, computed independently of the module: the methodology's formula on a grid."""
    p, q, s = (bids[c].to_numpy(float) for c in ("price", "quality_score", "social_value_score"))
    pw, qw = float(bids["price_weight"].iloc[0]), float(bids["quality_weight"].iloc[0])
    ps = 100 * p.min() / p
    scale = (1 - weights[:, None]) / (pw + qw)
    total = scale * pw * ps + scale * qw * q + weights[:, None] * s  # weights x bids
    order = np.lexsort((bids["bidder"].to_numpy(), p))  # ties: lower price, then name
    best = total[:, order].round(9).argmax(axis=1)  # argmax keeps the first of equals
    return [bids["bidder"].to_numpy()[order][i] for i in best]


def test_exact_tipping_weight_agrees_with_brute_force_on_random_tenders():
    """Below the tipping weight the own-weight winner holds; just above it the named bidder wins."""
    rng = np.random.default_rng(7)
    checked = 0
    for k in range(120):
        n = int(rng.integers(2, 6))
        pw = float(rng.choice([0.3, 0.4, 0.5, 0.6]))
        own = float(rng.choice([0.0, 0.05, 0.1]))
        bids = pd.DataFrame(
            {
                "tender_id": f"R{k}",
                "bidder": [f"B{i}" for i in range(n)],
                "price": rng.uniform(80, 120, n).round(0),
                "quality_score": rng.uniform(40, 90, n).round(1),
                "social_value_score": rng.uniform(0, 100, n).round(1),
                "price_weight": pw,
                "quality_weight": round(1 - pw - own, 2),
                "social_value_weight": own,
            }
        )
        tp = sv.tipping_point(bids)
        grid = np.linspace(own, 0.30, 3001)
        brute = _brute_winners(bids, grid)
        assert brute[0] == tp.winner == sv.winner_at(bids)
        if tp.weight is None:
            assert set(brute) == {tp.winner}
            continue
        checked += 1
        assert own <= tp.weight <= 0.30
        assert {b for w, b in zip(grid, brute) if w < tp.weight - 1e-9} == {tp.winner}
        assert _brute_winners(bids, np.array([tp.weight + 1e-7]))[0] == tp.new_winner != tp.winner
        assert sv.winner_at(bids, tp.weight + 1e-7) == tp.new_winner
    assert checked > 15


def test_outcome_curve_is_exact_at_the_crossings(tenders):
    # T1: Mid Ltd and Local SME swap places at (6/11) / (6/11 + 40) = 3/223; Big Co and Local SME at 1/7;
    # T3 and T4 at 0.25; T2's crossing (58%) is beyond 30%; T5's identical bids never cross.
    assert sv.crossings(tenders) == pytest.approx([3 / 223, 1 / 7, 0.25])
    o = sv.outcomes_by_weight(tenders)
    local = o[(o["group"] == "Local") & (o["measure"] == "tenders")].set_index("weight")["share"]
    i = local.index.get_indexer([round(1 / 7, 12)])[0]
    assert i >= 0
    # at 1/7 itself Big Co keeps the tie (lower price); a hair above, the local SME wins
    assert local.iloc[i] == pytest.approx(1 / 5) and local.iloc[i + 1] == pytest.approx(2 / 5)
    assert local.loc[0.30] == pytest.approx(4 / 5)
