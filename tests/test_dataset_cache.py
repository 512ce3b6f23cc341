"""The cached small tables of a dataset (anchorlib/data/storage/tables.py): the same tables and figures as a
fresh read, read again when a file changes, and a torn entry ignored and rebuilt."""

from __future__ import annotations

import os
import shutil

import pandas as pd
import pytest

from anchorlib import metrics, open_dataset
from anchorlib.data import dataset, survey
from anchorlib.data.storage import tables as dataset_cache
from anchorlib.data.storage.cache import CACHE_DIRNAME
from anchorlib.errors import DatasetError
from anchorlib.paths import SAMPLE_DIR
from tests.builders import write_csv
from tests.metrics_case import network_case

TABLES = ["anchors", "suppliers", "categories", "lm3_survey", "tenders", "commitments"]


@pytest.fixture()
def copy(tmp_path):
    dst = tmp_path / "ds"
    shutil.copytree(SAMPLE_DIR, dst, ignore=shutil.ignore_patterns(CACHE_DIRNAME))
    reg = pd.read_csv(dst / "suppliers.csv", dtype="string")
    write_csv(
        dst / "supplier_matches.csv",
        ["spend_name", "register_name"],  # one match, one forced non-match
        [["Q Facilities", reg.at[0, "supplier_name"]], ["Shore Cleaning", ""]],
    )
    return dst


def fresh(root, monkeypatch):
    with monkeypatch.context() as m:
        m.setenv("ANCHORLIB_CACHE", "0")
        return open_dataset(root)


def entry(ds):
    return ds.derived.tables_entry


def assert_same_tables(a, b):
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
        assert getattr(a, name).attrs == getattr(b, name).attrs
    pd.testing.assert_frame_equal(a.geography.postcodes, b.geography.postcodes)
    pd.testing.assert_frame_equal(a.geography.imd, b.geography.imd)
    assert (a.geography.imd_vintage, a.geography.lsoa_vintage, a.geography.notes) == (
        b.geography.imd_vintage,
        b.geography.lsoa_vintage,
        b.geography.notes,
    )
    assert list(a.areas.items()) == list(b.areas.items())
    assert (a.supplier_overrides, a.notes) == (b.supplier_overrides, b.notes)


def test_cached_tables_and_figures_equal_a_fresh_read(copy, monkeypatch):
    plain = fresh(copy, monkeypatch)
    assert plain.supplier_overrides == {"Q FACILITIES": 0, "SHORE CLEANING": None}
    first = open_dataset(copy)  # reads the files and stores the entry
    monkeypatch.setattr(dataset, "_read_tables", lambda root: pytest.fail("tables read again"))
    second = open_dataset(copy)  # from the entry alone
    assert_same_tables(second, plain)
    assert_same_tables(first, plain)
    assert metrics.summary(second) == metrics.summary(plain)


def test_survey_resolved_once_then_read_from_the_entry(copy, monkeypatch):
    plain = fresh(copy, monkeypatch).survey_suppliers
    first = open_dataset(copy)
    pd.testing.assert_frame_equal(first.survey_suppliers, plain)
    assert (entry(first) / "derived-lm3_survey_suppliers.arrow").exists()
    calls = []
    real = survey.resolve_names
    monkeypatch.setattr(survey, "resolve_names", lambda *a, **k: calls.append(1) or real(*a, **k))
    pd.testing.assert_frame_equal(open_dataset(copy).survey_suppliers, plain)
    assert calls == []  # a new open reads the resolved survey


def test_changed_files_are_read_again_with_their_new_figures(tmp_path):
    """metrics_case: R3 = 1,500 x (0.4 + 0.2) = 900, LM3 = 18,200 / 13,800. With Hackney Cleaners'
    local supplier share at 0.5, R3 = 1,500 x 0.9 = 1,350 and LM3 = (13,800 + 3,500 + 1,350) / 13,800."""
    root = network_case(tmp_path / "case")

    def a1_lm3():
        ds = open_dataset(root)
        return metrics.lm3(ds, metrics.select(ds, ["a1"]), ds.area(None, "a1"))

    assert a1_lm3().r3 == pytest.approx(900)
    assert a1_lm3().lm3 == pytest.approx(18200 / 13800)  # from the cache entry
    survey = [["Hackney Cleaners Limited", "0.4", "0.5"], ["City Law LLP", "0.5", "0.5"]]
    write_csv(root / "lm3_survey.csv", ["supplier_name", "local_staff_share", "local_supplier_share"], survey)
    m = a1_lm3()
    assert m.r3 == pytest.approx(1350) and m.lm3 == pytest.approx(18650 / 13800)
    n = len(open_dataset(root).suppliers)
    with (root / "suppliers.csv").open("a", encoding="utf-8") as fh:
        fh.write("Brand New Local Ltd,E8 1AA,,,Yes,,,,,,\n")
    ds = open_dataset(root)
    assert len(ds.suppliers) == n + 1 and ds.suppliers["supplier_key"].iloc[-1] == "BRAND NEW LOCAL"
    assert ds.suppliers["lad"].iloc[-1] == "E09000012"
    with (root / "suppliers.csv").open("a", encoding="utf-8") as fh:
        fh.write("Bad Flag Ltd,E8 1AA,,,maybe,,,,,,\n")
    with pytest.raises(DatasetError, match=rf"^suppliers.csv:{n + 3}: column is_sme: 'maybe'"):
        open_dataset(root)  # a bad file still raises its one-line error
    entries = sorted(p.name for p in (root / CACHE_DIRNAME).glob("tables-*"))
    assert len(entries) == dataset_cache.KEEP


def test_a_survey_error_is_raised_every_time_and_never_stored(tmp_path):
    """The survey's shares are checked when the dataset is opened: a bad one raises on every open, no
    tables entry is stored for the bad file, and the fixed file is read again (LM3 = 18,200 / 13,800 as in
    metrics_case, with Hackney Cleaners' shares 0.4 + 0.2)."""
    root = network_case(tmp_path / "case")
    header = ["supplier_name", "local_staff_share", "local_supplier_share"]
    write_csv(root / "lm3_survey.csv", header, [["Hackney Cleaners Limited", "1.5", "0.2"]])
    for _ in range(2):
        with pytest.raises(
            DatasetError,
            match="^lm3_survey.csv:2: local_staff_share must be a fraction from 0 to 1, not .1.5.$",
        ):
            open_dataset(root)
    assert not list((root / CACHE_DIRNAME).glob("tables-*"))
    write_csv(root / "lm3_survey.csv", header, [["Hackney Cleaners Limited", "0.4", "0.2"]])
    ds = open_dataset(root)
    assert metrics.lm3(ds, metrics.select(ds, ["a1"]), ds.area(None, "a1")).lm3 == pytest.approx(
        18200 / 13800
    )


def test_torn_entry_is_ignored_and_rebuilt(copy, monkeypatch):
    plain = fresh(copy, monkeypatch)
    resolved = plain.survey_suppliers
    ds = open_dataset(copy)
    _ = ds.survey_suppliers
    folder = entry(ds)
    (folder / "suppliers.arrow").write_bytes(b"not an arrow file")
    (folder / "derived-lm3_survey_suppliers.arrow").write_bytes(b"")
    again = open_dataset(copy)
    assert_same_tables(again, plain)
    assert dataset_cache.read(folder) is not None  # stored anew
    pd.testing.assert_frame_equal(again.survey_suppliers, resolved)
    os.remove(folder / "manifest.json")
    pd.testing.assert_frame_equal(open_dataset(copy).survey_suppliers, resolved)
    assert (folder / "manifest.json").exists()


def test_a_bad_file_raises_on_every_open_and_is_read_again_once_fixed(tmp_path):
    """A folder opened (and cached) while good; a home LAD then written as a name raises on every open,
    from the files and from `anchorlib summary`, never the cached good tables; fixed, the file is read
    again and gives the first figures; broken again, it raises again."""
    from tests.hostile_folder import cli_summary, outcome, valid_folder

    root = valid_folder(tmp_path / "ds")
    good = outcome(root)
    anchors = (root / "anchors.csv").read_text(encoding="utf-8")
    bad = anchors.replace("a1,Anchor One,council,E09000012", "a1,Anchor One,council,HACKNEY")
    message = (
        "anchors.csv:2: home_lads: 'HACKNEY' is a name, not a local authority district code "
        "(E06, E07, E08, E09, W06, S12 or N09 and six digits, e.g. E09000012)"
    )
    for text, expected in ((bad, ("error", "DatasetError", message)), (anchors, good), (bad, None)):
        (root / "anchors.csv").write_text(text, encoding="utf-8")
        expected = expected or ("error", "DatasetError", message)
        for _ in range(2):
            assert outcome(root) == expected
            code, _, stderr = cli_summary(root)
            assert (code, stderr) == (
                (2, f"anchorlib: error: {message}") if expected[0] == "error" else (0, "")
            )
