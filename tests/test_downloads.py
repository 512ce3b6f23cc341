"""The apps' downloads without a browser: each chart's download holds the rows it draws with the metric's
numbers (CSV and .xlsx alike), named for what it holds and the choices; a click is answered with the file
in one binary message, a failure with a plain line; names from files stay text (no formulas)."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest

from anchorlib import ParameterError, metrics, open_dataset
from anchorlib.apps import equity, leakage, network, social_value_app, what_if
from anchorlib.apps.download import MAX_BYTES, Download, Table
from anchorlib.export import Sheet
from anchorlib.social_value import tenders as sv
from tests.builders import supplier, tiny_dataset


def frames(d: Download) -> tuple[pd.DataFrame, pd.DataFrame, dict, str]:
    """(the CSV read back, the workbook's first sheet read back, its choices, the file name stem)."""
    name, mime, raw = d.file("csv")
    assert mime == "text/csv" and name.endswith(".csv")
    csv = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig")
    xname, _, xraw = d.file("xlsx")
    assert xname == name.removesuffix(".csv") + ".xlsx"
    wb = openpyxl.load_workbook(io.BytesIO(xraw))
    first, choices = wb.worksheets[0], wb["choices"]
    assert first.freeze_panes == "A2" and wb.sheetnames[-1] == "choices"
    rows = [[c.value for c in r] for r in first.iter_rows()]
    book = pd.DataFrame(rows[1:], columns=rows[0])
    pd.testing.assert_frame_equal(
        csv.astype(object).where(csv.notna(), None),
        book.astype(object).where(book.notna(), None),
        check_dtype=False,
    )  # the CSV and the workbook hold the same rows
    return (
        csv,
        book,
        {r[0].value: r[1].value for r in choices.iter_rows(min_row=2)},
        name.removesuffix(".csv"),
    )


def approx(values):
    return pytest.approx(list(values), rel=1e-12, abs=1e-9)


def test_leakage_downloads_hold_the_metrics_figures(sample_ds):
    view = leakage(sample_ds, ["elft"], "city_hackney", ["2022-23", "2023-24"]).view
    p = metrics.select(sample_ds, ["elft"], ["2022-23", "2023-24"])
    area = sample_ds.area("city_hackney")
    trend, _, choices, stem = frames(view.downloads["trend"])
    assert stem == "anchorlib_leakage_local-share-by-year_elft_city_hackney_2022-23_2023-24_addressable"
    per_year = metrics.local_share_per(p, area, "financial_year", sample_ds.ruleset.name)
    shares = trend[trend["Counting"] == "All local suppliers"]
    assert shares["Financial year"].tolist() == list(per_year)
    assert shares["Local share"].tolist() == approx(ls.local_share for ls in per_year.values())
    assert choices["organisations"] == "East London NHS Foundation Trust"
    assert choices["local area"] == "City & Hackney: City of London (E09000001), Hackney (E09000012)"
    assert choices["financial years"] == "2022-23; 2023-24" and choices["spend"] == "addressable spend"
    cats, book, _, _ = frames(view.downloads["categories"])
    by = metrics.leakage_by(p[p["addressable"]], area, "category").set_index("category")
    total = cats.groupby("Category")["Spend (£)"].sum()
    assert total.tolist() == approx(by.loc[total.index, "addressable_spend"])
    local = cats[cats["Supplier location"] == "Local"].set_index("Category")["Spend (£)"]
    assert local.tolist() == approx(by.loc[local.index, "local_spend"])
    top, book, _, _ = frames(view.downloads["suppliers"])
    want = metrics.top_leaking(p, area, n=10)
    assert top["Supplier"].tolist() == want["supplier"].astype(str).tolist()
    assert top["Non-local spend (£)"].tolist() == approx(want["leakage"])
    assert top["LAD code"].tolist() == want["lad"].tolist()
    assert top["Located in"].tolist() == [sample_ds.place_names.name(c) for c in want["lad"]]


def test_equity_downloads_hold_the_metrics_figures(sample_ds):
    view = equity(sample_ds, ["hackney"], "london", "vcse").view
    p = metrics.select(sample_ds, ["hackney"])
    area = sample_ds.area("london")
    inside = p[metrics.is_local(p, area).to_numpy()]
    pool = sample_ds.suppliers[metrics.is_local(sample_ds.suppliers, area).to_numpy()]
    want = metrics.equity(sample_ds, inside, by="category", pool=pool)
    want = want[want["group"] == "vcse"].set_index("category")
    gaps, _, choices, stem = frames(view.downloads["gaps"])
    assert stem == "anchorlib_equity_gaps-by-category_vcse_hackney_london"
    assert choices["group"] == "VCSE" and choices["availability pool"].startswith(
        "register suppliers in the same area"
    )
    assert gaps["Disparity index"].tolist() == approx(want.loc[gaps["Category"], "disparity_index"])
    assert gaps["Utilisation (share of spend)"].tolist() == approx(want.loc[gaps["Category"], "utilisation"])
    deciles, book, _, _ = frames(view.downloads["deciles"])
    imd = metrics.imd_distribution(inside)
    assert deciles["Addressable spend (£)"].tolist() == approx(imd["spend"])
    assert book["IMD decile (1 = most deprived)"].tolist() == [str(d) for d in imd["imd_decile"]]


def test_what_if_downloads_hold_the_shift_scenario(sample_ds):
    view = what_if(sample_ds, ["hackney"], "home", ["Agency staff", "Catering"], share=0.25).view
    p = metrics.select(sample_ds, ["hackney"])
    area = sample_ds.home_area("hackney")
    shift = metrics.shift_scenario(sample_ds, p, area, ["Agency staff", "Catering"], 0.25)
    moved, _, choices, stem = frames(view.downloads["shift"])
    assert stem == "anchorlib_what-if_leakage-moved_hackney_home_25pc"
    assert sorted(moved["Category"]) == ["Agency staff", "Catering"]
    assert moved["Moved to local suppliers (£)"].sum() == pytest.approx(shift.added_local_spend, rel=1e-12)
    assert (moved["Moved to local suppliers (£)"] + moved["Still leaking (£)"]).tolist() == approx(
        moved["Leakage (£)"]
    )
    assert choices["categories"] == "Agency staff; Catering"
    before_after, _, _, _ = frames(view.downloads["before_after"])
    assert before_after["Local share"].tolist() == approx([shift.local_share_before, shift.local_share_after])


def test_network_downloads_hold_the_summary_and_the_shared_suppliers(sample_ds):
    view = network(sample_ds, "london").view
    s = metrics.summary(sample_ds, None, "london")
    anchors, _, choices, stem = frames(view.downloads["anchors"])
    assert stem == "anchorlib_network_local-share-by-anchor_london"
    assert anchors["Anchor"].tolist()[:-2] == [r["name"] for r in s["anchors"]]
    assert anchors["Local share"].tolist() == approx(
        [r["local_share"] for r in s["anchors"]]
        + [s["network"]["local_share"], s["network"]["mean_anchor_local_share"]]
    )
    assert choices["local area"] == "London: the region London (E12000007)"
    shared, _, _, _ = frames(view.downloads["shared"])
    want = metrics.shared_suppliers(sample_ds)
    assert shared["Combined spend (£)"].tolist() == approx(want["combined_spend"])
    assert shared["Located in"].tolist()[0] == "Newham" and shared["LAD code"].tolist()[0] == "E09000025"
    assert "Hackney Council" in shared["Paid by"].iloc[0]  # anchors by name, not id


def test_social_value_downloads_hold_the_outcomes_and_ratings(sample_ds):
    view = social_value_app(sample_ds.root)
    outcomes, _, _, stem = frames(view.outcomes_download)
    assert stem == "anchorlib_social-value_outcomes-by-weight"
    want = sv.outcomes_by_weight(sv.load_tenders(sample_ds))
    local = want[(want["group"] == "Local") & (want["measure"] == "tenders")]
    got = outcomes[outcomes["Bidders"] == "Local"]
    assert got["Share of tenders"].tolist() == approx(local["share"])
    ratings, _, _, _ = frames(view.ratings_download)
    assert ratings["Commitments"].sum() == len(view.model.rated)


def test_a_click_is_answered_with_the_file_and_a_failure_with_a_plain_line():
    sheet = Sheet("t", ["Supplier", "Spend (£)"], ["text", "money"], [["A Ltd", 1.5]])
    state = {"fail": False}

    def make():
        if state["fail"]:
            raise ParameterError("pick at least one financial year")
        return Table(sheet, {"area": "home"}, ["test", "table", "a b"])

    d = Download("this table", make)
    sent = []
    d.send = lambda content, buffers=None: sent.append((content, buffers))
    d._on_msg(d, {"want": "xlsx"}, [])
    assert sent[0][0] == {
        "kind": "file",
        "name": "anchorlib_test_table_a-b.xlsx",
        "mime": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
    assert openpyxl.load_workbook(io.BytesIO(sent[0][1][0]))["t"]["B2"].value == 1.5 and d.note == ""
    d._on_msg(d, {"want": "pdf"}, [])  # not a format offered: nothing happens
    state["fail"] = True
    d._on_msg(d, {"want": "csv"}, [])
    assert len(sent) == 1 and d.note == "Could not make the file: pick at least one financial year"
    state["fail"] = False
    big = Sheet("t", ["x"], ["text"], [["y" * 1000] for _ in range(MAX_BYTES // 1000 + 10)])
    d.make = lambda: Table(big, {}, ["big"])
    d._on_msg(d, {"want": "csv"}, [])
    assert len(sent) == 1 and "too large to download here" in d.note


def test_downloads_keep_names_that_look_like_formulas_as_text(tmp_path):
    evil = '=HYPERLINK("http://evil.example","x")'
    root = tiny_dataset(
        tmp_path / "ds",
        suppliers=[supplier(evil, "M1 1AA"), supplier("@SUM(1)", "SE1 1AA")],
        spend={"a1": [("Goods", "2023-05-01", 100.0, evil), ("Goods", "2023-05-02", 50.0, "@SUM(1)")]},
    )
    view = leakage(open_dataset(root)).view
    _, _, raw = view.downloads["suppliers"].file("csv")
    text = raw.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "\n=" not in text and ",=" not in text
    got = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig")
    assert got["Supplier"].tolist() == ["'" + evil, "'@SUM(1)"]
    _, _, xraw = view.downloads["suppliers"].file("xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(xraw))["top suppliers"]
    assert [(c.value, c.data_type, c.quotePrefix) for c in ws["A"][1:]] == [
        (evil, "s", True),
        ("@SUM(1)", "s", True),
    ]
    assert [c.value for c in ws["B"][1:]] == ["Manchester", "Southwark"]  # places by name, codes beside
