"""Local share, leakage and the unknown-location bucket, against hand-computed numbers."""

from __future__ import annotations

import pytest

from anchorlib import metrics, open_dataset
from tests.builders import supplier, tiny_dataset

#: every hand-worked number below, on pandas and on DuckDB (tests/conftest.py: engine)
pytestmark = pytest.mark.usefixtures("engine")


@pytest.fixture
def ds(tmp_path):
    return open_dataset(
        tiny_dataset(
            tmp_path,
            suppliers=[
                supplier("Hackney Cleaners Ltd", "e81aa"),
                supplier("City Law LLP", "EC2V7HH", hq="yes"),
                supplier("Northern Supplies Ltd", "M1 1AA"),
                supplier("Nowhere Ltd", "ZZ9 9ZZ"),
            ],
            spend={
                "a1": [
                    (
                        "Cleaning",
                        "01/05/2023",
                        "1,000.00",
                        "Hackney Cleaners Limited",
                    ),  # local (Hackney), other spelling
                    ("Legal", "02/05/2023", "£500.00", "City Law LLP"),  # not local to Hackney; hq-only
                    ("Supplies", "03/05/2023", "2000", "Northern Supplies Ltd"),  # not local
                    ("Supplies", "04/05/2023", "(100.00)", "Northern Supplies Ltd"),  # credit
                    ("Supplies", "05/05/2023", "300", "Nowhere Ltd"),  # unknown postcode -> unknown
                    ("Supplies", "06/05/2023", "700", "Not In Register Ltd"),  # unmatched -> unknown
                    (
                        "Pension Fund Contributions",
                        "07/05/2023",
                        "5000",
                        "Some Pension Fund",
                    ),  # not addressable
                    (
                        "Foster Carer Allowances",
                        "08/05/2023",
                        "400",
                        "REDACTED PERSONAL DATA",
                    ),  # not addressable
                ]
            },
        )
    )


def test_home_area(ds):
    ls = metrics.local_share(metrics.select(ds, ["a1"]), ds.area("home", "a1"))
    assert ls.total_spend == pytest.approx(9800.0)
    assert ls.addressable_spend == pytest.approx(4400.0)
    assert ls.unknown_location_spend == pytest.approx(1000.0)
    assert ls.local_spend == pytest.approx(1000.0)
    assert ls.local_share == pytest.approx(1000.0 / 3400.0)
    # docs/methodology.md#leakage: addressable - local (includes the unknown-location £)
    assert ls.leakage == pytest.approx(3400.0)
    assert ls.known_leakage == pytest.approx(2400.0)


def test_nested_areas_and_head_office_effect(ds):
    p = metrics.select(ds, ["a1"])
    ch = metrics.local_share(p, ds.area("city_hackney"))
    assert ch.local_spend == pytest.approx(1500.0)
    assert ch.local_share == pytest.approx(1500.0 / 3400.0)
    assert ch.local_spend_excluding_hq_only == pytest.approx(1000.0)
    assert ch.local_share_excluding_hq_only == pytest.approx(1000.0 / 2900.0)
    uk = metrics.local_share(p, ds.area("uk"))
    assert uk.local_share == pytest.approx(1.0)
    assert uk.unknown_location_spend == pytest.approx(1000.0)


def test_summary_json_and_pooling(tmp_path, engine):
    root = tiny_dataset(
        tmp_path,
        anchors=[["a1", "One", "council", "E09000012"], ["a2", "Two", "council", "E09000012"]],
        suppliers=[supplier("Local Ltd", "E8 1AA"), supplier("Far Ltd", "M1 1AA")],
        spend={
            "a1": [
                ("Cleaning", "01/05/2023", "100", "Local Ltd"),
                ("Cleaning", "01/05/2023", "100", "Far Ltd"),
            ],
            "a2": [
                ("Cleaning", "01/05/2023", "900", "Local Ltd"),
                ("Cleaning", "01/05/2023", "100", "Far Ltd"),
            ],
        },
    )
    s = metrics.summary(open_dataset(root))
    assert s["choices"]["engine"] == engine
    shares = {a["anchor_id"]: a["local_share"] for a in s["anchors"]}
    assert shares == {"a1": pytest.approx(0.5), "a2": pytest.approx(0.9)}
    assert s["network"]["local_share"] == pytest.approx(1000 / 1200)  # ratio of sums
    assert s["network"]["mean_anchor_local_share"] == pytest.approx(0.7)  # mean of shares: a different number
    assert s["network"]["total_spend"] == pytest.approx(1200)
