"""What the apps' data picker may open when served: datasets of the --datasets folder by name (nothing
outside it, whatever is typed or sent), and spend files uploaded into a dataset of the kernel's own,
whose figures equal those of the folder they came from. Through the model API (the picker's methods and
widgets, as the browser drives them); tests/test_serve_browser.py drives the upload in Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import traitlets

from anchorlib import metrics, open_dataset
from anchorlib.apps import data_picker, serve
from anchorlib.apps.data_picker import MAX_UPLOAD_FILE_BYTES, UploadSession
from anchorlib.apps.leakage_explorer import leakage
from anchorlib.errors import ParameterError
from anchorlib.paths import SAMPLE_DIR


def copy_dataset(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".anchorlib-cache"))
    return dst


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    """A datasets folder: two datasets, and what must never be offered or opened: a hidden dataset, a
    symlink to a dataset outside it, a folder without anchors.csv, a plain file."""
    base = tmp_path_factory.mktemp("datasets")
    outside = copy_dataset(SAMPLE_DIR, tmp_path_factory.mktemp("outside") / "secret")
    root = base / "datasets"
    root.mkdir()
    copy_dataset(SAMPLE_DIR, root / "city_hackney")
    copy_dataset(SAMPLE_DIR, root / "second")
    copy_dataset(SAMPLE_DIR, root / ".hidden")
    (root / "escape").symlink_to(outside, target_is_directory=True)
    (root / "notes").mkdir()
    (root / "readme.txt").write_text("not a dataset")
    return root


@pytest.fixture
def served(monkeypatch, root, tmp_path):
    """The environment `anchorlib serve --datasets root` gives its kernels."""
    monkeypatch.setenv(serve.DATASETS_ENV, str(root))
    monkeypatch.setenv(serve.PICKER_ENV, "names")
    monkeypatch.setenv(serve.UPLOADS_ENV, str(tmp_path / "uploads"))
    return root


def test_only_dataset_folders_inside_the_root_are_offered(root):
    assert list(serve.dataset_folders(root)) == ["city_hackney", "second"]
    assert serve.dataset_folder(root, "second") == (root / "second").resolve()
    outside = (root / "escape").resolve()
    for name in ("escape", ".hidden", "notes", "readme.txt", "..", ".", "", "second/..", "../outside/secret",
                 str(outside), str(root / "second"), "second/spend", "second\x00"):  # fmt: skip
        with pytest.raises(ParameterError, match="there is no dataset"):
            serve.dataset_folder(root, name)


def test_served_by_name_the_picker_opens_nothing_outside_the_root(served, sample_ds):
    shell = leakage(sample_ds)
    picker, first = shell.picker, shell.view
    assert picker.names_only and list(picker.names.options) == ["city_hackney", "second"]
    assert picker.path not in _descendants(picker)  # no path box on the page

    # a typed path, a symlink leading out, '..': refused in one line, the view kept
    picker.path.value = str((served / "escape").resolve())
    picker.open_folder()
    assert "opens datasets by name only" in picker.message.value and shell.view is first
    for name in ("escape", "..", "../escape", str(SAMPLE_DIR), ".hidden"):
        picker.open_name(name)
        assert "there is no dataset" in picker.message.value, name
        assert "Traceback" not in picker.message.value and shell.view is first
    # what the browser can send for the dropdown is one of its options
    with pytest.raises(traitlets.TraitError):
        picker.names.value = "escape"

    picker.names.value = "second"
    picker.button.click()
    assert shell.view is not first and shell.view.model.ds.root == (served / "second").resolve()
    assert "Opened second" in picker.message.value


def test_on_ones_own_machine_the_path_box_stays(monkeypatch, sample_ds):
    for var in (serve.DATASETS_ENV, serve.PICKER_ENV):
        monkeypatch.delenv(var, raising=False)
    picker = leakage(sample_ds).picker
    assert not picker.names_only and picker.path in _descendants(picker)


def _descendants(widget) -> list:
    out = []
    for child in getattr(widget, "children", ()):
        out += [child, *_descendants(child)]
    return out


def spend_files(anchor_id: str) -> list[tuple[str, bytes]]:
    return [(f.name, f.read_bytes()) for f in sorted((SAMPLE_DIR / "spend" / anchor_id).iterdir())]


def spend_only(summary: dict) -> dict:
    """A summary without what a dataset's grants add to it (the keys are new ones, the rest unchanged)."""
    anchors = [
        {
            k: v
            for k, v in a.items()
            if k not in ("vcse_share_of_spend_and_grants", "grants", "spend_and_grants")
        }
        for a in summary["anchors"]
    ]
    choices = {k: v for k, v in summary["choices"].items() if k not in ("flow", "grant_location", "grants")}
    return {**summary, "anchors": anchors, "choices": choices}


def test_uploading_the_samples_spend_gives_the_samples_figures(served, sample_ds):
    shell = leakage(sample_ds)
    picker = shell.picker
    picker.names.value = "city_hackney"  # the base: a copy of the sample's tables
    assert [a for _, a in picker.organisation.options] == sample_ds.anchor_ids
    for i, anchor_id in enumerate(sample_ds.anchor_ids):
        assert picker.upload_files(anchor_id, spend_files(anchor_id)), picker.message.value
        ds = shell.view.model.ds
        assert ds.anchor_ids == sample_ds.anchor_ids[: i + 1]
    n = sum(len(spend_files(a)) for a in sample_ds.anchor_ids)
    assert f"Opened your {n} uploaded files on city_hackney" in picker.message.value
    assert "al-report" in picker.message.value  # the load report of what was read
    uploaded = shell.view.model.ds
    assert uploaded.root == picker.session.root
    assert uploaded.root.parent == Path(os.environ[serve.UPLOADS_ENV])
    for area in (None, "london"):  # the sample's figures, but for its grants (none were uploaded)
        assert metrics.summary(uploaded, None, area) == spend_only(metrics.summary(sample_ds, None, area))
    # the app shows them: its tile is the metric's, on the uploaded dataset
    a = sample_ds.anchor_ids[0]
    share = metrics.local_share(metrics.select(uploaded, [a]), uploaded.home_area(a), uploaded.ruleset.name)
    assert shell.view.model.anchor_ids == [a]
    theirs = metrics.local_share(
        metrics.select(sample_ds, [a]), sample_ds.home_area(a), sample_ds.ruleset.name
    )
    assert theirs.choices.pop("flow") == "spend"  # the sample has grants: its figures name the flow
    assert share == theirs


def test_bad_uploads_get_one_line_and_leave_the_uploads_as_they_were(served, sample_ds, monkeypatch):
    shell = leakage(sample_ds)
    picker, first = shell.picker, shell.view
    good = spend_files("hackney")

    def refused(anchor_id, files, words):
        assert not picker.upload_files(anchor_id, files)
        text = picker.message.value
        assert words in text and "Traceback" not in text and "Could not open the upload" in text, text
        assert text.count("<p") == 1

    refused(
        "hackney", [("budget.pdf", b"%PDF-1.4")], "budget.pdf: only spend files (.csv, .ods, .xlsm, .xlsx)"
    )
    refused("hackney", [("empty.csv", b"")], "empty.csv: the file is empty")
    refused("hackney", [(".env.csv", b"a,b")], "cannot take a file named")
    refused(None, good, "choose whose spend files these are")
    refused("hackney", [("big.csv", b"x" * (MAX_UPLOAD_FILE_BYTES + 1))], "files of up to 20.0 MB")
    refused("hackney", [("junk.csv", b"\x00\x01\x02 not a spend file\n")], "upload: hackney/junk.csv: ")
    assert shell.view is first and picker.session.files() == []
    # the bad file is not kept: a good upload after it opens
    assert picker.upload_files("hackney", [("../../" + good[0][0], good[0][1]), *good[1:]])
    assert [f.name for f in picker.session.files()] == [name for name, _ in good]  # saved by name only
    monkeypatch.setattr(data_picker, "MAX_UPLOAD_SESSION_BYTES", picker.session.size() + 10)
    refused("elft", spend_files("elft"), "can be uploaded in one session")
    assert picker.session.anchors() == ["hackney"]
    # another base dataset: the uploads were on the first one's tables, so they go
    picker.names.value = "second"
    assert picker.session.files() == [] and "Your uploads were cleared" in picker.message.value


def test_the_uploads_are_deleted_when_the_kernel_ends(tmp_path):
    where = tmp_path / "uploads"
    stale = where / "session-999999999-old"  # a kernel that is gone left this
    (stale / "spend").mkdir(parents=True)
    code = textwrap.dedent(
        f"""
        from pathlib import Path
        from anchorlib.apps.data_picker import UploadSession
        s = UploadSession(Path({str(where)!r}))
        s.add("hackney", [("a.csv", b"Date,Amount\\n")])
        print(s.root)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    root = Path(out.stdout.strip())
    assert root.parent == where and not root.exists()  # removed as the process ended
    assert not stale.exists()  # swept when the session was made
    assert os.listdir(where) == []


def test_an_upload_session_is_a_dataset_on_its_base(tmp_path):
    session = UploadSession(tmp_path)
    with pytest.raises(ParameterError, match="upload spend files first"):
        session.dataset(SAMPLE_DIR)
    session.add("elft", spend_files("elft"))
    root = session.dataset(SAMPLE_DIR)
    ds = open_dataset(root)
    assert ds.anchor_ids == ["elft"] and (root / "suppliers.csv").resolve() == SAMPLE_DIR / "suppliers.csv"
    assert not (root / "social_value").exists()
    session.add("nobody", [("x.csv", b"a\n")])
    with pytest.raises(ParameterError, match="nobody is not an organisation of sample"):
        session.dataset(SAMPLE_DIR)
    session.close()
    assert not root.exists()
