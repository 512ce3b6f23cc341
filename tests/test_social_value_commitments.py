"""Commitments monitor: every rating, its thresholds, totals and the user-priced view (docs/methodology.md:
Commitments)."""

from __future__ import annotations

import pytest

from anchorlib import DatasetError, ParameterError
from anchorlib.data.tables import read_table
from anchorlib.social_value import commitments as cm
from tests.builders import write_csv

HEADER = [
    "contract_id",
    "supplier_name",
    "anchor_id",
    "measure",
    "unit",
    "committed",
    "delivered",
    "period_start",
    "period_end",
]
P = ["2024-01-01", "2024-12-31"]  # 366 days (2024 is a leap year)
ROWS = [
    ["C1", "Acme Ltd", "a1", "Apprenticeships", "weeks", 100, 120, *P],  # 120% good
    ["C1", "Acme Ltd", "a1", "Local jobs for 16-24 year olds", "jobs", 10, 10, *P],  # 100% good
    ["C2", "Bee CIC", "a1", "Apprenticeships", "weeks", 50, 40, *P],  # 80% approaching target
    ["C2", "Bee CIC", "a1", "Volunteering hours", "hours", 200, 199, *P],  # 99.5% approaching target
    ["C3", "Acme Ltd", "a2", "Apprenticeships", "weeks", 10, 5, *P],  # 50% requires improvement
    ["C3", "Acme Ltd", "a2", "Volunteering hours", "hours", 100, 49, "", ""],  # 49% inadequate
]


def load(tmp_path, rows=ROWS):
    path = write_csv(tmp_path / "social_value" / "commitments.csv", HEADER, rows)
    return cm.validate_commitments(
        read_table(path, HEADER[:4] + HEADER[5:7], ["unit", "period_start", "period_end"])
    )


def test_each_rating_at_its_thresholds(tmp_path):
    r = cm.rate(load(tmp_path))
    assert r["progress"].tolist() == pytest.approx([1.2, 1.0, 0.8, 0.995, 0.5, 0.49])
    assert r["rating"].tolist() == [
        "good",
        "good",
        "approaching target",
        "approaching target",
        "requires improvement",
        "inadequate",
    ]
    assert "80% to under 100%" in r.attrs["rule"] and cm.rating(0.7999) == "requires improvement"


def test_pro_rata_target_to_a_date(tmp_path):
    r = cm.rate(load(tmp_path), as_of="2024-07-01")  # 183 of 366 days: half the commitment is due
    assert r["target"].tolist()[:5] == pytest.approx([50, 5, 25, 100, 5])
    assert r["target"].iloc[5] == 100  # no period: the whole commitment
    assert r["rating"].tolist() == ["good", "good", "good", "good", "good", "inadequate"]
    early = cm.rate(load(tmp_path), as_of="2023-12-31")
    assert early["rating"].tolist()[:5] == [cm.NOT_DUE] * 5


def test_totals_and_rating_counts_per_anchor_and_supplier(tmp_path):
    r = cm.rate(load(tmp_path))
    t = cm.totals(r, "anchor_id").set_index(["anchor_id", "measure"])
    row = t.loc[("a1", "Apprenticeships")]
    assert (row["contracts"], row["committed"], row["delivered"]) == (2, 150, 160)
    assert row["progress"] == pytest.approx(160 / 150) and row["rating"] == "good"
    s = cm.totals(r, "supplier_name").set_index(["supplier_name", "measure"])
    assert s.loc[("Acme Ltd", "Apprenticeships"), ["committed", "delivered"]].tolist() == [110, 125]
    assert s.loc[("Acme Ltd", "Volunteering hours"), "rating"] == "inadequate"
    counts = cm.rating_counts(r, "anchor_id").set_index(["anchor_id", "rating"])["commitments"]
    assert counts[("a1", "good")] == 2 and counts[("a1", "approaching target")] == 2
    assert counts[("a1", "inadequate")] == 0 and counts[("a2", "requires improvement")] == 1
    with pytest.raises(ParameterError, match="per anchor_id or supplier_name"):
        cm.totals(r, "measure")


def test_money_only_where_the_user_gives_a_proxy(tmp_path):
    r = cm.rate(load(tmp_path))
    table, unpriced = cm.monetise(r, {"Apprenticeships": 250.0}, "anchor_id")
    got = table.set_index("anchor_id")
    assert got.loc["a1", ["committed_value", "delivered_value"]].tolist() == [150 * 250, 160 * 250]
    assert got.loc["a2", ["committed_value", "delivered_value"]].tolist() == [10 * 250, 5 * 250]
    assert unpriced == ["Local jobs for 16-24 year olds", "Volunteering hours"]
    empty, unpriced = cm.monetise(r, {}, "supplier_name")
    assert empty.empty and len(unpriced) == 3
    with pytest.raises(ParameterError, match="unknown measure 'Trees planted'"):
        cm.monetise(r, {"Trees planted": 5}, "anchor_id")
    with pytest.raises(ParameterError, match="must be 0 or more"):
        cm.monetise(r, {"Apprenticeships": -1}, "anchor_id")


def _edit(i, col, value):
    rows = [list(r) for r in ROWS]
    rows[i][HEADER.index(col)] = value
    return rows


@pytest.mark.parametrize(
    ("rows", "line", "problem"),
    [
        (
            _edit(1, "delivered", ""),
            3,
            "delivered is missing for measure 'Local jobs for 16-24 year olds' of contract C1",
        ),
        (_edit(2, "committed", 0), 4, "committed must be above 0"),
        (_edit(3, "delivered", -4), 5, "delivered cannot be negative"),
        (_edit(0, "period_end", "31/12/2024"), 2, "period_end '31/12/2024' is not a date like 2024-03-31"),
        (_edit(4, "period_end", "2023-12-31"), 6, "period_end is before period_start"),
        (
            _edit(1, "measure", "Apprenticeships"),
            3,
            "measure 'Apprenticeships' appears twice for contract C1",
        ),
        (_edit(5, "anchor_id", ""), 7, "anchor_id is blank"),
    ],
)
def test_bad_commitments_are_one_line_naming_file_and_line(tmp_path, rows, line, problem):
    with pytest.raises(DatasetError) as err:
        load(tmp_path, rows)
    msg = str(err.value)
    assert msg.startswith(f"social_value/commitments.csv:{line}: ") and problem in msg


def test_sample_commitments_have_every_rating(sample_ds):
    r = cm.rate(cm.load_commitments(sample_ds))
    assert r["rating"].value_counts().to_dict() == {
        "good": 34,
        "approaching target": 15,
        "requires improvement": 15,
        "inadequate": 9,
    }


def test_commitments_must_name_a_known_anchor(tmp_path):
    from anchorlib import open_dataset
    from tests.builders import supplier, tiny_dataset

    root = tiny_dataset(
        tmp_path,
        suppliers=[supplier("Acme Ltd", "E8 1AA")],
        spend={"a1": [("Cleaning", "01/05/2023", "100.00", "Acme Ltd")]},
    )
    rows = [[*r[:2], "a1", *r[3:]] for r in ROWS]
    rows[3][2] = "zz"
    write_csv(root / "social_value" / "commitments.csv", HEADER, rows)
    with pytest.raises(
        DatasetError, match=r"social_value/commitments.csv:5: anchor_id 'zz' is not in anchors.csv"
    ):
        cm.load_commitments(open_dataset(root))
