"""LM3 and shift scenarios worked by hand on tests/metrics_case.py (anchor a1, local = Hackney).

R1 = addressable 13,800; R2 = local 3,500 (Hackney Cleaners 1,500, Dalston Catering 2,000). The survey
names 'Hackney Cleaners Limited' (resolves to the register's Hackney Cleaners Ltd): 0.4 local staff +
0.2 local suppliers; City Law (0.5 + 0.5) is not local to Hackney, so it adds nothing.
"""

from __future__ import annotations

import pytest

from anchorlib import metrics, open_dataset
from anchorlib.data import survey
from anchorlib.errors import DatasetError, ParameterError
from tests.builders import write_csv
from tests.metrics_case import network_case

#: every hand-worked number below, on pandas and on DuckDB (tests/conftest.py: engine)
pytestmark = pytest.mark.usefixtures("engine")


@pytest.fixture(scope="module")
def ds(tmp_path_factory):
    return open_dataset(network_case(tmp_path_factory.mktemp("case")))


def test_lm3_between_1_and_3(ds):
    """R3 = 1,500 x (0.4 + 0.2) = 900; LM3 = (13,800 + 3,500 + 900) / 13,800 = 1.3188."""
    m = metrics.lm3(ds, metrics.select(ds, ["a1"]), ds.area(None, "a1"))
    assert (m.r1, m.r2) == (13800, 3500) and m.r3 == pytest.approx(900)
    assert m.lm3 == pytest.approx(18200 / 13800)
    assert (m.surveyed_suppliers, m.surveyed_local_spend, m.unsurveyed_local_spend) == (1, 1500, 2000)
    assert m.unsurveyed_treatment == "unsurveyed local suppliers counted with R3 = 0 (conservative)"
    assert m.choices["area"].endswith("(E09000012)")


def test_lm3_city_and_hackney_counts_city_law(ds):
    """With City & Hackney as the area City Law (3,000) is local too: R2 = 6,500,
    R3 = 900 + 3,000 x 1.0 = 3,900; LM3 = (13,800 + 6,500 + 3,900) / 13,800 = 1.7536."""
    m = metrics.lm3(ds, metrics.select(ds, ["a1"]), ds.area("city_hackney"))
    assert m.r2 == 6500 and m.r3 == pytest.approx(3900) and m.lm3 == pytest.approx(24200 / 13800)


def test_lm3_without_survey_is_none(tmp_path):
    d = open_dataset(network_case(tmp_path, survey=False))
    m = metrics.lm3(d, metrics.select(d, ["a1"]), d.area(None, "a1"))
    assert m.lm3 is None and m.r3 is None and m.r2 == 3500
    assert metrics.summary(d)["anchors"][0]["lm3"] is None


def test_survey_share_out_of_range_is_a_one_line_error(tmp_path):
    root = network_case(tmp_path)
    write_csv(
        root / "lm3_survey.csv",
        ["supplier_name", "local_staff_share", "local_supplier_share"],
        [["Hackney Cleaners Ltd", "0.4", "0.2"], ["City Law LLP", "1.5", "0"]],
    )
    with pytest.raises(  # checked as the dataset is opened, before any figure
        DatasetError, match=r"^lm3_survey.csv:3: local_staff_share must be a fraction from 0 to 1, not '1.5'$"
    ):
        open_dataset(root)


def test_shift_scenario(ds):
    """Move 50% of the leakage in Supplies (5,000, of which 1,000 unknown location) and Legal (3,000):
    added 0.5 x 8,000 = 4,000; local 3,500 -> 7,500; share 3,500 / 12,800 -> 7,500 / (12,800 + 500);
    added local value 4,000 x 18,200 / 13,800 = 5,275.36."""
    s = metrics.shift_scenario(
        ds, metrics.select(ds, ["a1"]), ds.area(None, "a1"), ["Supplies", "Legal"], 0.5
    )
    assert (s.leakage_in_scope, s.added_local_spend, s.local_spend_before, s.local_spend_after) == (
        8000,
        4000,
        3500,
        7500,
    )
    assert s.local_share_before == pytest.approx(3500 / 12800)
    assert s.local_share_after == pytest.approx(7500 / 13300)
    assert s.lm3_ratio == pytest.approx(18200 / 13800)
    assert s.added_local_value == pytest.approx(4000 * 18200 / 13800)
    assert s.categories == ["Supplies", "Legal"] and s.choices["share"] == 0.5


def test_shift_scenario_rejects_bad_parameters(ds):
    p, area = metrics.select(ds, ["a1"]), ds.area(None, "a1")
    with pytest.raises(ParameterError, match="share must be a fraction from 0 to 1"):
        metrics.shift_scenario(ds, p, area, ["Supplies"], 20)
    with pytest.raises(ParameterError, match="unknown category: Plumbing"):
        metrics.shift_scenario(ds, p, area, ["Plumbing"], 0.2)


def test_shift_scenario_with_a_precomputed_lm3_is_the_same(ds, monkeypatch):
    """Passing the LM3 the caller has (the what-if app) changes no figure; the survey resolves once per
    dataset, and again when the register changes (the equity app's area pool is another register)."""
    p, area = metrics.select(ds, ["a1"]), ds.area(None, "a1")
    plain = metrics.shift_scenario(ds, p, area, ["Supplies", "Legal"], 0.5)
    given = metrics.shift_scenario(ds, p, area, ["Supplies", "Legal"], 0.5, lm3_of=metrics.lm3(ds, p, area))
    assert given == plain
    calls = []
    real = survey.resolve_names
    monkeypatch.setattr(survey, "resolve_names", lambda *a, **k: calls.append(1) or real(*a, **k))
    first = ds.survey_suppliers
    assert ds.survey_suppliers is first and calls == []  # resolved already, by the calls above
    pool = ds.replace(suppliers=ds.suppliers.iloc[:1])  # another register: resolved again
    assert len(pool.survey_suppliers) == len(first)
    assert calls == [1]
