"""Equity groups and the IMD distribution worked by hand on tests/metrics_case.py (anchor a1).

a1's addressable £ per supplier: R0 Hackney Cleaners 1,500, R1 Dalston Catering 2,000, R3 City Law 3,000,
R4 Northern Supplies 4,800, R5 Bermondsey Builders 1,500, Unknown Traders 1,000 (no register entry:
membership and location unknown). Total 13,800. The register has 6 suppliers.
"""

from __future__ import annotations

import pytest

from anchorlib import metrics, open_dataset
from tests.metrics_case import network_case

#: every hand-worked number below, on pandas and on DuckDB (tests/conftest.py: engine)
pytestmark = pytest.mark.usefixtures("engine")

COLUMNS = [
    "group",
    "label",
    "utilisation",
    "availability",
    "disparity_index",
    "below_four_fifths",
    "spend_in_group",
    "spend_membership_known",
    "utilisation_unknown_share",
    "availability_unknown_share",
]


@pytest.fixture(scope="module")
def ds(tmp_path_factory):
    return open_dataset(network_case(tmp_path_factory.mktemp("case")))


def test_disparity_index_below_and_above_80(ds):
    """SME: utilisation (1,500 + 2,000 + 1,500) / 12,800 = 0.390625, availability 4/6 -> DI 58.59 (< 80).
    Women-led: 2,000 / 12,800 = 0.15625 over 1 of 5 known (R2 blank) = 0.2 -> DI 78.125 (< 80, just).
    BAME-led: 1,500 / 8,000 known (R4 and Unknown Traders unknown) = 0.1875, 2 of 5 = 0.4 -> DI 46.875.
    IMD 1-2: R0 (decile 1) 1,500 + R4 (Manchester, decile 1) 4,800 + R5 (decile 2) 1,500 = 7,800 / 12,800
    = 0.609375; register 4 of 6 in deciles 1-2 -> DI 91.40625 (>= 80)."""
    eq = metrics.equity(ds, metrics.select(ds, ["a1"]))
    assert list(eq.columns) == COLUMNS
    assert eq["group"].tolist() == ["sme", "vcse", "bame_led", "women_led", "imd_1_2"]  # youth_led: all blank
    e = eq.set_index("group")
    assert e.loc["sme", ["utilisation", "availability", "disparity_index"]].tolist() == pytest.approx(
        [0.390625, 4 / 6, 58.59375]
    )
    assert e.loc["vcse", "disparity_index"] == pytest.approx(100 * (2000 / 12800) / (2 / 6))
    assert e.loc["bame_led", ["utilisation", "availability", "disparity_index"]].tolist() == pytest.approx(
        [0.1875, 0.4, 46.875]
    )
    assert e.loc["women_led", "disparity_index"] == pytest.approx(78.125)
    assert e.loc["imd_1_2", ["utilisation", "availability", "disparity_index"]].tolist() == pytest.approx(
        [0.609375, 4 / 6, 91.40625]
    )
    assert e["below_four_fifths"].tolist() == [True, True, True, True, False]
    assert e.loc["bame_led", "utilisation_unknown_share"] == pytest.approx(5800 / 13800)
    assert e.loc["bame_led", "availability_unknown_share"] == pytest.approx(1 / 6)
    assert e.loc["sme", "utilisation_unknown_share"] == pytest.approx(1000 / 13800)
    assert eq.attrs["choices"]["availability_pool"].startswith("the supplier register")


def test_youth_led_appears_where_the_register_knows_it(tmp_path):
    """youth_led Y for R1 only, known for R0, R1, R3: utilisation 2,000 / (1,500 + 2,000 + 3,000) = 0.3077,
    availability 1/3 -> DI 92.31."""
    d = open_dataset(network_case(tmp_path, youth=["no", "yes", "", "no", "", ""]))
    e = metrics.equity(d, metrics.select(d, ["a1"])).set_index("group")
    assert e.loc["youth_led", ["utilisation", "availability"]].tolist() == pytest.approx([2000 / 6500, 1 / 3])
    assert e.loc["youth_led", "disparity_index"] == pytest.approx(100 * (2000 / 6500) * 3)


def test_equity_by_category(ds):
    """Cleaning: R0 1,500 (SME) + R4 800 (not SME) -> SME utilisation 1,500 / 2,300."""
    eq = metrics.equity(ds, metrics.select(ds, ["a1"]), by="category")
    assert list(eq.columns) == ["category", *COLUMNS]
    row = eq[(eq["category"] == "Cleaning") & (eq["group"] == "sme")].iloc[0]
    assert row["utilisation"] == pytest.approx(1500 / 2300) and row["availability"] == pytest.approx(4 / 6)


def test_imd_distribution(ds):
    """Deciles of supplier location: 1: R0 1,500 + R4 4,800 = 6,300 (2 suppliers); 2: R5 1,500; 5: R1 2,000;
    9: R3 3,000; unknown: Unknown Traders 1,000. Shares of the 12,800 with a known decile."""
    d = metrics.imd_distribution(metrics.select(ds, ["a1"]))
    assert d["imd_decile"].tolist() == [str(i) for i in range(1, 11)] + ["unknown"]
    assert list(d.columns) == ["imd_decile", "spend", "share", "n_suppliers"]
    s = d.set_index("imd_decile")
    assert s["spend"].tolist() == [6300, 1500, 0, 0, 2000, 0, 0, 0, 3000, 0, 1000]
    assert s["n_suppliers"].tolist() == [2, 1, 0, 0, 1, 0, 0, 0, 1, 0, 1]
    assert s.loc["1", "share"] == pytest.approx(6300 / 12800) and s.loc["9", "share"] == pytest.approx(
        3000 / 12800
    )
    assert s["share"].drop("unknown").sum() == pytest.approx(1.0)
    assert s["share"].isna().tolist() == [False] * 10 + [True]
    assert d.attrs["choices"]["imd_vintage"] == "IoD2019 (LSOA 2011)"
