"""Leakage by every cut, top leaking, concentration, opportunities and shared suppliers, worked by hand
on tests/metrics_case.py (its docstring lists every payment and the totals)."""

from __future__ import annotations

import pytest

from anchorlib import metrics, open_dataset
from tests.metrics_case import network_case

#: every hand-worked number below, on pandas and on DuckDB (tests/conftest.py: engine)
pytestmark = pytest.mark.usefixtures("engine")


@pytest.fixture(scope="module")
def ds(tmp_path_factory):
    return open_dataset(network_case(tmp_path_factory.mktemp("case")))


@pytest.fixture(scope="module")
def a1(ds):
    return metrics.select(ds, ["a1"]), ds.area(None, "a1")


def test_local_share_never_counts_unknown_location_as_non_local(a1):
    """Known addressable = 13,800 - 1,000 unknown = 12,800; local 3,500 -> 0.2734375."""
    ls = metrics.local_share(*a1)
    assert (ls.total_spend, ls.addressable_spend, ls.local_spend, ls.unknown_location_spend) == (
        18800,
        13800,
        3500,
        1000,
    )
    assert ls.local_share == pytest.approx(3500 / 12800)
    assert (ls.leakage, ls.known_leakage) == (10300, 9300)
    assert (
        ls.choices["addressable_rule_set"] == "anchorlib default exclusions v2"
    )  # carried by metrics.select


def test_financial_year_boundaries(a1):
    """31/03/2024 (500) is in 2023-24; 01/04/2024 (2,000 Dalston Catering) opens 2024-25."""
    df = metrics.leakage_by(*a1, "financial_year").set_index("financial_year")
    assert list(df.columns) == [
        "total_spend",
        "addressable_spend",
        "local_spend",
        "unknown_location_spend",
        "local_share",
        "leakage",
        "known_leakage",
    ]
    assert df.loc["2023-24", "total_spend"] == 16800 and df.loc["2023-24", "local_spend"] == 1500
    assert df.loc["2023-24", "local_share"] == pytest.approx(1500 / 10800)
    assert df.loc["2024-25", ["total_spend", "local_spend", "leakage"]].tolist() == [2000, 2000, 0]
    assert df.index.tolist() == ["2023-24", "2024-25"]  # largest leakage first


def test_supplier_paid_under_two_spellings_is_one_row(a1):
    """'Hackney Cleaners Limited' 1,000 + 'HACKNEY CLEANERS LTD.' 500 -> one row Hackney Cleaners Ltd, 1,500;
    'Unknown Traders Ltd' 600 + 'Unknown Traders Limited' 400 (not in the register) -> one row, 1,000."""
    df = metrics.leakage_by(*a1, "supplier")
    assert df["supplier_id"].is_unique and len(df) == 7
    hc = df[df["supplier"] == "Hackney Cleaners Ltd"]
    assert len(hc) == 1 and hc["total_spend"].iloc[0] == 1500 and hc["local_share"].iloc[0] == 1.0
    ut = df[df["supplier"].str.startswith("Unknown Traders")]
    assert len(ut) == 1 and ut["unknown_location_spend"].iloc[0] == 1000 and ut["known_leakage"].iloc[0] == 0
    assert df["supplier"].iloc[0] == "Northern Supplies Ltd" and df["leakage"].iloc[0] == 4800  # 4,000 + 800
    assert df.attrs["choices"]["area"].endswith("(E09000012)")


def test_top_leaking_ranks_known_non_local_spend_only(a1):
    """Unknown Traders' 1,000 leaks by the definition but has no known location: never in the top."""
    top = metrics.top_leaking(*a1, n=10)
    assert top["supplier"].tolist() == ["Northern Supplies Ltd", "City Law LLP", "Bermondsey Builders Ltd"]
    assert top["lad"].tolist() == ["E08000003", "E09000001", "E09000028"]
    assert metrics.top_leaking(*a1, n=2)["known_leakage"].tolist() == [4800, 3000]
    cats = metrics.top_leaking(*a1, by="category")
    assert cats["category"].tolist() == ["Supplies", "Legal", "Construction", "Cleaning"]
    assert cats["known_leakage"].tolist() == [4000, 3000, 1500, 800]  # Supplies: 5,000 less 1,000 unknown


def test_top_leaking_breaks_ties_by_supplier_id(a1):
    """Bermondsey Builders (R5) at 3,000, as City Law (R3): with n=2 the tie for second place goes to R3, and
    with n=3 both come after Northern Supplies (4,800), R3 first; the names are the register's."""
    p, area = a1
    p = p.copy()
    p.loc[p["supplier_name"].astype(str) == "Bermondsey Builders Ltd", "amount"] = 3000.0
    assert metrics.top_leaking(p, area, n=2)["supplier_id"].tolist() == ["R4", "R3"]
    top = metrics.top_leaking(p, area, n=3)
    assert top["supplier_id"].tolist() == ["R4", "R3", "R5"]
    assert top["supplier"].tolist() == ["Northern Supplies Ltd", "City Law LLP", "Bermondsey Builders Ltd"]
    assert top["known_leakage"].tolist() == [4800, 3000, 3000]


def test_concentration_hhi_and_top_n_share(a1):
    """Supplies: Northern 4,000, Unknown Traders 1,000 -> shares 80/20, HHI 6,400 + 400 = 6,800, top-1 0.8.
    Cleaning: Hackney Cleaners 1,500, Northern 800 of 2,300 -> HHI (1,500^2 + 800^2) / 2,300^2 x 10^4
    = 5,463.14."""
    c = metrics.concentration(a1[0], n=1).set_index("category")
    assert c.loc[
        "Supplies", ["addressable_spend", "n_suppliers", "top_n_share", "hhi"]
    ].tolist() == pytest.approx([5000, 2, 0.8, 6800])
    assert c.loc["Cleaning", "hhi"] == pytest.approx((1500**2 + 800**2) / 2300**2 * 1e4)
    assert c.loc["Cleaning", "top_n_share"] == pytest.approx(1500 / 2300)
    assert c.loc["Legal", "hhi"] == pytest.approx(10000)
    assert "Pension Fund Contributions" not in c.index  # not addressable
    assert metrics.concentration(a1[0], n=10).set_index("category").loc[
        "Supplies", "top_n_share"
    ] == pytest.approx(1)


def test_opportunities_need_k_local_register_suppliers(ds, a1):
    """Local (Hackney) register suppliers list Supplies 3 times (R0, R1, R2), Cleaning 2 (R0, R2), Catering 2;
    Legal and Construction none. Leakage: Supplies 5,000, Legal 3,000, Construction 1,500, Cleaning 800;
    Catering does not leak."""
    p, area = a1
    k3 = metrics.opportunities(ds, p, area, min_local_suppliers=3)
    assert k3.to_dict("records") == [
        {
            "category": "Supplies",
            "leakage": 5000.0,
            "local_suppliers_in_register": 3,
            "addressable_spend": 5000.0,
            "local_share": 0.0,
        }
    ]
    k2 = metrics.opportunities(ds, p, area, min_local_suppliers=2)
    assert k2["category"].tolist() == ["Supplies", "Cleaning"] and k2["leakage"].tolist() == [5000, 800]
    assert k2["local_share"].iloc[1] == pytest.approx(1500 / 2300)
    k0 = metrics.opportunities(ds, p, area, min_local_suppliers=0)
    assert k0["category"].tolist() == ["Supplies", "Legal", "Construction", "Cleaning"]
    assert k3.attrs["choices"]["min_local_suppliers"] == 3


def test_shared_suppliers_merge_spellings_across_anchors(ds):
    """Northern Supplies: a1 4,800 + a2 300 ('Northern Supplies', no Ltd) = 5,100; Hackney Cleaners:
    1,500 + 700 = 2,200. City Law and Other Law Firm are each paid by one anchor only."""
    s = metrics.shared_suppliers(ds)
    assert s.to_dict("records") == [
        {
            "supplier": "Northern Supplies Ltd",
            "n_anchors": 2,
            "anchors": "a1;a2",
            "combined_spend": 5100.0,
            "lad": "E08000003",
        },
        {
            "supplier": "Hackney Cleaners Ltd",
            "n_anchors": 2,
            "anchors": "a1;a2",
            "combined_spend": 2200.0,
            "lad": "E09000012",
        },
    ]
    assert len(metrics.shared_suppliers(ds, min_anchors=1)) == 7  # a1 pays 6 suppliers, a2 3, 2 of them both
    assert metrics.shared_suppliers(ds, ["a1"]).empty


def test_network_pooled_and_mean_both_labelled(ds):
    """a1: 3,500 / 12,800; a2: 700 local of 1,000 known (Other Law Firm's 200 unknown) = 0.7.
    Pooled: 4,200 / 13,800 = 0.30435; mean: (0.2734375 + 0.7) / 2 = 0.48672."""
    n = metrics.network(ds)
    assert n["local_share"] == pytest.approx(4200 / 13800)
    assert n["mean_anchor_local_share"] == pytest.approx((3500 / 12800 + 0.7) / 2)
    assert "ratio of sums" in n["local_share_label"] and "mean" in n["mean_anchor_local_share_label"]
    assert n["total_spend"] == 18800 + 1200 and n["unknown_location_spend"] == 1200
