"""The synthetic sample: deterministic, and it tells the story workshops rely on."""

from __future__ import annotations

import filecmp

import pandas as pd
import pytest

from anchorlib import metrics, open_dataset
from anchorlib.data.storage.cache import CACHE_DIRNAME
from anchorlib.paths import SAMPLE_DIR
from anchorlib.sample.generator import write_sample


def _files(root):
    """The sample's files (not the README, nor the git-ignored Parquet cache of anchorlib/cache.py)."""
    return sorted(
        p.relative_to(root)
        for p in root.rglob("*")
        if p.is_file() and p.name != "README.md" and CACHE_DIRNAME not in p.relative_to(root).parts
    )


@pytest.mark.slow
def test_regenerating_the_sample_gives_the_committed_files(tmp_path):
    out = write_sample(tmp_path / "sample")
    assert _files(out) == _files(SAMPLE_DIR)
    mismatched = [str(f) for f in _files(out) if not filecmp.cmp(out / f, SAMPLE_DIR / f, shallow=False)]
    assert mismatched == []


def test_same_seed_same_bytes_different_seed_different(tmp_path):
    a = write_sample(tmp_path / "a", rows=600, seed=7)
    b = write_sample(tmp_path / "b", rows=600, seed=7)
    c = write_sample(tmp_path / "c", rows=600, seed=8)
    assert all(filecmp.cmp(a / f, b / f, shallow=False) for f in _files(a))
    assert not filecmp.cmp(a / "suppliers.csv", c / "suppliers.csv", shallow=False)


def test_sample_has_four_anchors_three_years_tens_of_thousands_of_rows(sample_ds):
    assert sample_ds.anchor_ids == ["hackney", "city_of_london", "elft", "nel_icb"]
    assert sorted(sample_ds.payments["financial_year"].unique()) == ["2021-22", "2022-23", "2023-24"]
    assert 20_000 <= len(sample_ds.spend) <= 60_000
    assert 2_000 <= len(sample_ds.suppliers) <= 5_000


def test_every_sample_file_reconciles_or_declares_nothing(sample_ds):
    reports = [r for rs in sample_ds.load_reports.values() for r in rs]
    assert len(reports) == 12
    assert all(r.reconciled in (True, None) for r in reports)
    assert sum(r.reconciled is True for r in reports) == 3  # Hackney's files carry total rows


def test_local_share_improves_year_on_year_for_every_anchor(sample_ds):
    for a in sample_ds.anchor_ids:
        shares = [
            metrics.local_share(metrics.select(sample_ds, [a], [fy]), sample_ds.area("home", a)).local_share
            for fy in ("2021-22", "2022-23", "2023-24")
        ]
        assert shares[0] < shares[2], (a, shares)


def test_head_office_effect_is_visible_for_the_city(sample_ds):
    ls = metrics.local_share(
        metrics.select(sample_ds, ["city_of_london"]), sample_ds.area("home", "city_of_london")
    )
    assert ls.local_share_excluding_hq_only < 0.5 * ls.local_share


def test_redacted_payees_are_kept_as_spend_but_never_named(sample_ds):
    red = sample_ds.payments[sample_ds.payments["redacted"]]
    assert len(red) > 500
    assert red["supplier_name"].isna().all() and red["register_row"].isna().all()
    assert not red["addressable"].any()


def test_csv_blocks_quote_as_csv_writer_does():
    import csv
    import io

    import numpy as np

    from anchorlib.sample.generator import Money, Serial, _csv_blocks

    names = ["Plain Ltd", 'Say "Hi" Ltd', "Comma, Co", "Line\nBreak"]
    cols = [
        "Body, Name",
        (["Adults, Health", "Housing"], np.array([0, 1, 1, 0])),
        Serial("HAC2023", 6),
        Money(np.array([1234.5, -12.0, 999.99, -1500.25]), np.array([0.1, 0.2, 0.9, 0.8])),
        names,
    ]
    text = "".join(_csv_blocks(cols, 0, 4))
    expected = io.StringIO()
    rows = [
        ["Body, Name", a, f"HAC2023{i + 1:06d}", m, s]
        for i, (a, m, s) in enumerate(
            zip(
                ["Adults, Health", "Housing", "Housing", "Adults, Health"],
                ["£1,234.50", "(12.00)", "999.99", "-£1,500.25"],
                names,
            )
        )
    ]
    csv.writer(expected, lineterminator="\r\n").writerows(rows)
    assert text == expected.getvalue()


def test_city_files_written_as_csv_above_the_excel_limit_load_the_same_payments(tmp_path, monkeypatch):
    from anchorlib import open_dataset

    xlsx = open_dataset(write_sample(tmp_path / "xlsx", rows=600, seed=3)).spend
    monkeypatch.setattr("anchorlib.sample.generator.XLSX_MAX_ROWS", 10)
    out = write_sample(tmp_path / "csv", rows=600, seed=3)
    assert sorted(f.suffix for f in (out / "spend" / "city_of_london").iterdir()) == [".csv"] * 3
    as_csv = open_dataset(out).spend
    for df in (xlsx, as_csv):
        assert (
            len(df[df["anchor_id"] == "city_of_london"]) == 3 * int(600 * 0.30 / 3) + 2 + 4
        )  # 60, 62, 64 rows
    cols = ["anchor_id", "payment_date", "amount", "supplier_name", "expense_type", "transaction_id"]
    pd.testing.assert_frame_equal(as_csv[cols].astype(str), xlsx[cols].astype(str))


def test_amounts_are_formatted_as_python_formats_them():
    """``Money`` formats with Arrow kernels what ``f"{x:,.2f}"`` would write, councils' styles included:
    pence, thousands, millions, billions, credits."""
    import numpy as np

    from anchorlib.sample.generator import Money

    rng = np.random.default_rng(7)
    values = np.round(np.r_[rng.lognormal(6, 3, 20_000), -rng.lognormal(6, 3, 5_000)], 2)
    values = np.r_[values, [0.01, 0.5, 999.99, 1000.0, 999_999.99, 1_000_000.0, -1234.5, 5_432_109_876.54]]
    style = rng.random(len(values))

    def written(x, r):
        if r is None:
            return f"{x:,.2f}"
        if x >= 0:
            return f"£{x:,.2f}" if r < 0.7 else f"{x:.2f}"
        return f"({-x:,.2f})" if r < 0.5 else f"-£{-x:,.2f}"

    assert Money(values).texts(0, len(values)).to_pylist() == [written(x, None) for x in values.tolist()]
    got = Money(values, style).texts(0, len(values)).to_pylist()
    assert got == [written(x, r) for x, r in zip(values.tolist(), style.tolist())]


def test_a_large_year_is_written_as_a_file_a_month_with_the_same_payments(tmp_path, monkeypatch):
    """Above FILE_MAX_ROWS a body's year is twelve monthly files ('_01' = April): the same payments, each
    file with its own title lines and total, which reconciles."""
    from anchorlib import open_dataset

    whole = open_dataset(write_sample(tmp_path / "year", rows=20_000, seed=5))
    monkeypatch.setattr("anchorlib.sample.generator.FILE_MAX_ROWS", 1000)
    monthly = open_dataset(write_sample(tmp_path / "month", rows=20_000, seed=5))
    names = sorted(f.name for f in (monthly.root / "spend" / "hackney").iterdir())
    assert len(names) == 36 and names[0] == "hackney_payments_over_500_2021-22_01.csv"
    reports = monthly.load_report_frame()
    assert reports[reports["anchor_id"] == "hackney"]["reconciled"].all()
    cols = ["anchor_id", "payment_date", "amount", "supplier_name", "transaction_id"]
    key = ["anchor_id", "transaction_id"]
    a = whole.spend[cols].astype(str).sort_values(key, ignore_index=True)
    b = monthly.spend[cols].astype(str).sort_values(key, ignore_index=True)
    pd.testing.assert_frame_equal(a, b)


def test_the_sample_grants_leave_every_spend_only_figure_as_it_was(sample_ds, tmp_path):
    """The sample's 360Giving files (grants/<anchor_id>/) add grants beside spend: the spend-only summary
    of the folder without them is the same, key for key, and the keys the grants add are new ones."""
    import shutil

    bare = tmp_path / "bare"
    shutil.copytree(SAMPLE_DIR, bare, ignore=shutil.ignore_patterns(CACHE_DIRNAME))
    shutil.rmtree(bare / "grants")
    with_grants, without = metrics.summary(sample_ds), metrics.summary(open_dataset(bare))
    assert without["network"] == with_grants["network"]
    for a, b in zip(with_grants["anchors"], without["anchors"]):
        assert {k: a[k] for k in b} == b
        assert set(a) - set(b) == {"vcse_share_of_spend_and_grants", "grants", "spend_and_grants"}
        assert a["grants"]["total"] > 0 and a["grants"]["placed_by"]["beneficiary location"] > 0
    assert {k: with_grants["choices"][k] for k in without["choices"]} == without["choices"]
    reports = sample_ds.grant_report_frame().set_index("anchor_id")
    assert sorted(reports.index) == ["city_of_london", "elft", "hackney", "nel_icb"]
    assert reports.loc["city_of_london", "other_currencies"] == "EUR 25,000.00 (1 grant)"
    assert reports.loc["hackney", "to_individuals"] > 0 and (reports["rows_rejected"] == 0).all()
