"""The CLES Greater Manchester benchmark: spend with each council's top 300 suppliers, and the part with
suppliers based or branched in the council's own boundary (docs/methodology.md#pooling).

Source: CLES for the Association of Greater Manchester Authorities (AGMA), Greater Manchester Social
Value Procurement Framework baseline report, Appendix 3b "CLES Benchmarking Analysis Summary Table 1:
Percentage of direct spend with Greater Manchester suppliers" (text at
https://docslib.org/doc/2048457/data-suppliers). The table's £ columns are below; its printed shares
are Bolton 45.6% ... Wigan 56.9%, "Average 53.8%" (the mean of the ten shares), and its totals
£1,003,858,435.21 and £619,652,226.58 give the pooled 61.7%.
"""

from __future__ import annotations

import pytest

from anchorlib import metrics, open_dataset
from tests.builders import supplier, tiny_dataset

#: every hand-worked number below, on pandas and on DuckDB (tests/conftest.py: engine)
pytestmark = pytest.mark.usefixtures("engine")

# council: (LAD code, total spend with top suppliers £, spend in own boundary £, published share %)
CLES_GM = {
    "bolton": ("E08000001", "68330289.71", "31179554.05", 45.6),
    "bury": ("E08000002", "38026372.58", "10810750.81", 28.4),
    "manchester": ("E08000003", "235031744.89", "186687585.67", 79.4),
    "oldham": ("E08000004", "133590437.30", "91644381.53", 68.6),
    "rochdale": ("E08000005", "70793775.84", "30995001.50", 43.8),
    "salford": ("E08000006", "143909248.95", "90276813.00", 62.7),
    "stockport": ("E08000007", "126771768.29", "82563092.39", 65.1),
    "tameside": ("E08000008", "45117493.41", "22863548.01", 50.7),
    "trafford": ("E08000009", "41171484.94", "15062797.86", 36.6),
    "wigan": ("E08000010", "101115819.30", "57568701.76", 56.9),
}


@pytest.fixture(scope="module")
def ds(tmp_path_factory):
    """One anchor per council; one supplier inside each council's boundary and one outside Greater
    Manchester."""
    postcodes, imd, register, spend = (
        [["LS1 1AA", "E08000035", "E01000000", "E12000003"]],
        [["E01000000", 5]],
        [],
        {},
    )
    register.append(supplier("Outside Suppliers Ltd", "LS1 1AA"))
    for i, (council, (lad, total, inside, _)) in enumerate(CLES_GM.items(), start=1):
        postcodes.append([f"M{i} 1AA", lad, f"E0100000{i}", "E12000002"])
        imd.append([f"E0100000{i}", 5])
        register.append(supplier(f"{council.title()} Based Ltd", f"M{i} 1AA"))
        outside = f"{float(total) - float(inside):.2f}"
        spend[council] = [
            ("Goods and services", "01/06/2016", inside, f"{council.title()} Based Ltd"),
            ("Goods and services", "01/06/2016", outside, "Outside Suppliers Ltd"),
        ]
    root = tiny_dataset(
        tmp_path_factory.mktemp("cles"),
        anchors=[[c, c.title(), "council", v[0]] for c, v in CLES_GM.items()],
        postcodes=postcodes,
        imd=imd,
        suppliers=register,
        spend=spend,
    )
    return open_dataset(root)


def test_each_council_share_to_one_decimal(ds, engine):
    s = metrics.summary(ds)
    assert s["choices"]["engine"] == engine
    got = {a["anchor_id"]: round(100 * a["local_share"], 1) for a in s["anchors"]}
    assert got == {c: v[3] for c, v in CLES_GM.items()}
    assert {a["anchor_id"]: a["total_spend"] for a in s["anchors"]} == {
        c: float(v[1]) for c, v in CLES_GM.items()
    }


def test_printed_average_is_the_mean_and_pooled_is_the_ratio_of_sums(ds):
    net = metrics.network(ds)
    assert round(100 * net["mean_anchor_local_share"], 1) == 53.8  # what CLES printed as "Average"
    assert round(100 * net["local_share"], 1) == 61.7  # 619,652,226.58 / 1,003,858,435.21
    assert net["total_spend"] == pytest.approx(1003858435.21, abs=0.01)
    assert net["local_spend"] == pytest.approx(619652226.58, abs=0.01)
    assert metrics.summary(ds)["network"]["local_share"] == net["local_share"]
