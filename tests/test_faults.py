"""Faults survived (anchorlib/data/storage/): a writer killed at any step, several writers at once, and a
spend file edited after it was cached never leave a cache that a later run reads wrong. Every check
compares with a clean run: ``anchorlib summary --json`` and the payments themselves.

The summary's figures are compared to 1e-12 relative: the rollups are summed by DuckDB's parallel GROUP BY,
whose float sums differ in the last bit from run to run with no cache at all (the payments, read from
the caches, are compared exactly)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from anchorlib import metrics, open_dataset
from anchorlib.data import rollup
from anchorlib.data.storage import atomic, cache, mapped
from anchorlib.data.storage import tables as tables_cache
from anchorlib.data.storage.cache import CACHE_DIRNAME
from anchorlib.paths import PROJECT_DIR, SAMPLE_DIR
from tests.fault_writer import payments_digest
from tests.metrics_case import network_case

#: (kind of file, phase) at which a writer is killed: every kind of cache file, cut short before it is
#: published, whole but not yet published, and published with what follows it not yet written
KILLS = [
    ("spend-parquet", "partial"),
    ("spend-parquet", "after"),  # the Parquet without its load report
    ("spend-json", "partial"),
    ("stamp", "partial"),
    ("tables-frame", "partial"),
    ("tables-manifest", "before"),
    ("tables-folder", "before"),
    ("tables-folder", "after"),
    ("payments", "partial"),
    ("payments", "after"),  # the payments without their rollups
    ("derived", "partial"),
    ("result", "partial"),
    ("result", "before"),
]


@pytest.fixture()
def copy(tmp_path):
    dst = tmp_path / "ds"
    shutil.copytree(SAMPLE_DIR, dst, ignore=shutil.ignore_patterns(CACHE_DIRNAME))
    return dst


def same_figures(got, want, where="") -> None:
    """``got`` is ``want``: the same keys, texts and counts, the same figures to 1e-12 relative."""
    if isinstance(want, dict):
        assert isinstance(got, dict) and sorted(got) == sorted(want), where
        for k in want:
            same_figures(got[k], want[k], f"{where}.{k}")
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), where
        for i, (g, w) in enumerate(zip(got, want)):
            same_figures(g, w, f"{where}[{i}]")
    elif isinstance(want, float) and not isinstance(got, bool):
        assert got == pytest.approx(want, rel=1e-12, abs=1e-9), where
    else:
        assert got == want, where


@pytest.fixture()
def cached_everything(monkeypatch):
    """Payments cached and rollups stored from one row in this process too, as in tests/fault_writer.py."""
    monkeypatch.setattr(cache, "PAYMENTS_MIN_ROWS", 1)
    monkeypatch.setattr(rollup, "MIN_ROWS", 1)


def writer(mode: str, root: Path, *kill: str, go: Path | None = None) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "tests.fault_writer", mode, str(root), *kill]
    cmd += ["--go", str(go)] if go else []
    return subprocess.Popen(cmd, cwd=PROJECT_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finished(proc: subprocess.Popen) -> str:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    return out


def fresh(root: Path) -> None:
    """Every file of the dataset touched: new keys for all of it (its content unchanged), and new again
    (racy) for the content stamps."""
    for f in root.rglob("*"):
        if f.is_file() and CACHE_DIRNAME not in f.parts:
            os.utime(f)


def clean_run(root: Path, monkeypatch) -> tuple[dict, pd.DataFrame]:
    """The summary JSON and the payments of ``root`` without any cache."""
    with monkeypatch.context() as m:
        m.setenv("ANCHORLIB_CACHE", "0")
        ds = open_dataset(root)
        return json.loads(json.dumps(metrics.summary(ds), default=str)), ds.payments


@pytest.mark.slow
def test_a_writer_killed_at_any_step_leaves_nothing_read_wrong(tmp_path, monkeypatch, cached_everything):
    root = network_case(tmp_path / "ds")  # two anchors, a register, a survey: every kind of cache file
    reference, payments = clean_run(root, monkeypatch)
    store = root / CACHE_DIRNAME
    for kind, phase in KILLS:
        fresh(root)
        killed = writer("summary", root, kind, phase)
        killed.communicate(timeout=300)
        assert killed.returncode == -signal.SIGKILL, (kind, phase, "the kill point was never reached")
        # the first run after the kill reads what the killed one left
        same_figures(json.loads(finished(writer("summary", root))), reference, f"{kind} {phase}")
        ds = open_dataset(root)  # every cache as that run left it
        assert ds.derived.payments_key, (kind, phase)
        pd.testing.assert_frame_equal(ds.payments, payments, obj=f"payments after a kill at {kind} {phase}")
        same_figures(json.loads(json.dumps(metrics.summary(ds), default=str)), reference, f"{kind} {phase}")
    leftovers = [p for p in store.iterdir() if atomic._TEMP_NAME.match(p.name)]
    assert leftovers, "the killed writers left their temporary files"
    # an hour on, the next writer removes them (and nothing else)
    old = time.time() - atomic.STALE_SECONDS - 60
    for p in leftovers:
        os.utime(p, (old, old))
    fresh(root)
    finished(writer("summary", root))
    assert [p.name for p in store.iterdir() if atomic._TEMP_NAME.match(p.name)] == []
    assert len(list(store.glob("payments-*.arrow"))) == cache.PAYMENTS_KEEP
    assert len(list(store.glob("tables-*"))) == tables_cache.KEEP


@pytest.mark.slow
def test_writers_at_once_on_a_fresh_folder_all_read_right(copy, monkeypatch, cached_everything):
    reference, payments = clean_run(copy, monkeypatch)
    with monkeypatch.context() as m:
        m.setenv("ANCHORLIB_CACHE", "0")
        digest = payments_digest(open_dataset(copy))
    for round_ in range(3):
        fresh(copy)  # new keys: every cache file written again, by all of them at once
        go = copy.parent / f"go-{round_}"
        procs = [writer("summary", copy, go=go), writer("open", copy, go=go), writer("summary", copy, go=go)]
        time.sleep(0.5)
        go.touch()
        summary_a, opened, summary_b = (finished(p) for p in procs)
        same_figures(json.loads(summary_a), reference, f"round {round_}")
        same_figures(json.loads(summary_b), reference, f"round {round_}")
        assert opened.strip() == digest, round_
        ds = open_dataset(copy)
        pd.testing.assert_frame_equal(ds.payments, payments, obj=f"payments after round {round_}")
        assert payments_digest(ds) == digest


@pytest.mark.slow
@pytest.mark.notebook
def test_two_report_batches_at_once_give_the_clean_figures(copy, tmp_path, sample_ds):
    """Two `anchorlib reports` on one fresh folder at once, into one output folder: every report whole,
    the index's figures those of a clean run."""
    out = tmp_path / "reports"
    cmd = [sys.executable, "-m", "anchorlib.cli", "reports", "--data", str(copy), "--out", str(out)]
    cmd += ["--anchors", "hackney", "--jobs", "1", "--no-progress"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in "ab"]
    for p in procs:
        log = p.communicate(timeout=600)[0]
        assert p.returncode == 0, log
    want = metrics.summary(sample_ds, ["hackney"])
    index = (out / "index.html").read_text(encoding="utf-8")
    row = re.search(r'<tr id="report-hackney">.*?</tr>', index).group(0)
    got = {k: float(v) for k, v in re.findall(r'data-key="(\w+)" data-value="([^"]+)"', row)}
    same_figures(got, {k: want["anchors"][0][k] for k in got})
    assert sorted(got) == ["addressable_spend", "leakage", "local_share", "local_spend", "total_spend"]
    for name in ("anchor-hackney.html", "network.html"):
        html = (out / name).read_text(encoding="utf-8")
        assert html.rstrip().endswith("</html>") and "headline-" in html, name
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []


def _edit_amount(f: Path, old: str, new: str) -> None:
    """Replace one amount in place, same size, and put the modification time back as it was: what an edit
    within one timestamp tick, or a tool that keeps times (cp -p, rsync -t, tar), leaves."""
    assert len(old) == len(new)
    st = f.stat()
    data = f.read_bytes()
    assert data.count(old.encode()) == 1, old
    with f.open("r+b") as fh:
        fh.seek(data.index(old.encode()))
        fh.write(new.encode())
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (f.stat().st_size, f.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)


@pytest.mark.slow
def test_a_spend_file_edited_in_place_is_read_again(copy, monkeypatch, cached_everything):
    """One amount edited after the dataset was cached (payments, rollups, the summary result), in place,
    same size and modification time: every figure moves by exactly the edit."""
    f = copy / "spend" / "hackney" / "hackney_payments_over_500_2023-24.csv"
    before = json.loads(finished(writer("summary", copy)))
    open_dataset(copy)
    time.sleep(cache.RACY_SECONDS + 0.1)  # the stamps settle: the keys rest on size and times alone now
    assert json.loads(finished(writer("summary", copy))) == before  # served from the result cache
    _edit_amount(f, "8,811.70", "9,811.70")  # £1,000 more for Hackney
    after = json.loads(finished(writer("summary", copy)))
    hackney = [a for a in after["anchors"] if a["anchor_id"] == "hackney"][0]
    was = [a for a in before["anchors"] if a["anchor_id"] == "hackney"][0]
    assert hackney["total_spend"] == pytest.approx(was["total_spend"] + 1000, abs=1e-6)
    assert after["network"]["total_spend"] == pytest.approx(before["network"]["total_spend"] + 1000, abs=1e-6)
    ds = open_dataset(copy)
    rows = ds.payments[ds.payments["source_file"].astype(str).str.endswith(f.name)]
    assert (rows["amount"] == 9811.70).sum() == 1 and (rows["amount"] == 8811.70).sum() == 0
    reference, payments = clean_run(copy, monkeypatch)
    same_figures(after, reference)
    pd.testing.assert_frame_equal(ds.payments, payments)


def test_a_file_changed_within_a_timestamp_tick_gets_a_new_key(tmp_path, monkeypatch):
    """Size and times unchanged (the stat frozen, as a change in the same tick leaves it): a file changed
    less than RACY_SECONDS before its key is taken is keyed by its content, and keeps that key once it
    settles; a file with no stamp and an old change is keyed by its stat alone."""
    f, store = tmp_path / "spend.csv", tmp_path / "store"
    store.mkdir()
    f.write_text("amount\n100.00\n")
    frozen = f.stat()
    real_stat = Path.stat
    monkeypatch.setattr(Path, "stat", lambda p, **kw: frozen if p == f else real_stat(p, **kw))
    ctime = max(frozen.st_mtime_ns, frozen.st_ctime_ns)
    clock = {"now": ctime + 10**6}  # 1 ms after the change: in the racy window
    monkeypatch.setattr(cache.time, "time_ns", lambda: clock["now"])

    first = cache.file_key(f, "spend.csv", store)
    assert cache.file_key(f, "spend.csv", store) == first  # the same content, the same key
    f.write_text("amount\n900.00\n")  # same size; the stat, frozen, says nothing changed
    second = cache.file_key(f, "spend.csv", store)
    assert second != first
    (stamp,) = store.glob("stamp-*.json")
    assert json.loads(stamp.read_text()) == {"sha1": stamp_sha(f), "settled": False}

    clock["now"] = ctime + (cache.RACY_SECONDS + 1) * 10**9  # the window has closed: the stamp settles
    assert cache.file_key(f, "spend.csv", store) == second
    assert json.loads(stamp.read_text())["settled"] is True
    # settled, the key is the stamp's: the file is not read again (no change can keep its times now)
    monkeypatch.setattr(cache.hashlib, "file_digest", lambda *a: pytest.fail("a settled file is read"))
    assert cache.file_key(f, "spend.csv", store) == second

    other = tmp_path / "old.csv"
    other.write_text("x")
    clock["now"] = real_stat(other).st_ctime_ns + (cache.RACY_SECONDS + 1) * 10**9
    assert len(cache.file_key(other, "old.csv", store)) == 40 and len(list(store.glob("stamp-*"))) == 1


def stamp_sha(f: Path) -> str:
    import hashlib

    return hashlib.sha1(f.read_bytes()).hexdigest()


def test_a_mapped_frame_stays_whole_while_its_file_is_replaced_or_removed(tmp_path):
    path = tmp_path / "f.arrow"
    mapped.write(path, pd.DataFrame({"amount": [1.0, 2.0, 3.0]}))
    held = mapped.read(path)
    mapped.write(path, pd.DataFrame({"amount": [7.0, 8.0, 9.0]}))  # another process's newer entry
    assert held["amount"].tolist() == [1.0, 2.0, 3.0]
    path.unlink()  # trimmed by another process
    assert held["amount"].sum() == 6.0
    assert cache.read_mapped(path) is None  # a reader about to open it: a miss, not an error
    assert cache.keep_newest([path, tmp_path / "gone.arrow"], 1) == []  # removed meanwhile: passed over


def test_a_whole_tables_entry_of_another_writer_is_kept(copy):
    ds = open_dataset(copy)
    folder = ds.derived.tables_entry
    manifest = (folder / "manifest.json").stat().st_ino
    frames = {"anchors": ds.anchors.assign(home_lads=ds.anchors["home_lads"].map(";".join).astype("string"))}
    assert tables_cache.write(folder, frames, {})  # a second writer of the same key
    assert (folder / "manifest.json").stat().st_ino == manifest  # the entry readers may hold is left alone
    assert [p for p in folder.parent.iterdir() if atomic._TEMP_NAME.match(p.name)] == []


def test_stale_temporary_files_go_and_nothing_else(tmp_path):
    old = time.time() - atomic.STALE_SECONDS - 60
    names = [".a.json.123-deadbeef.tmp", ".b.parquet.77.tmp", ".r.ipynb.9-0123abcd.tmp.ipynb"]
    keep = [".notes.tmp", "a.tmp", "result-x.json"]
    for n in [*names, *keep]:
        (tmp_path / n).write_text("x")
        os.utime(tmp_path / n, (old, old))
    (tmp_path / ".tables-k.5-00ff00ff.tmp").mkdir()
    os.utime(tmp_path / ".tables-k.5-00ff00ff.tmp", (old, old))
    young = tmp_path / ".c.json.1-aaaaaaaa.tmp"
    young.write_text("a writer at work")
    atomic.clean_stale(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*keep, young.name])


@pytest.mark.slow
def test_a_register_changed_while_the_dataset_opens_is_read_again(copy, monkeypatch, cached_everything):
    """The payments' key covers the register as it was read: edited between the read and the end of the
    open, the payments made from the old register are not taken for the new one's."""
    from anchorlib.data import dataset

    reg = copy / "suppliers.csv"
    real = dataset._read_tables

    def read_then_edit(root):
        tables = real(root)
        lines = reg.read_text(encoding="utf-8").splitlines(keepends=True)
        reg.write_text("".join(lines[:1] + lines[2:]), encoding="utf-8")  # the first supplier goes
        return tables

    monkeypatch.setattr(cache, "RACY_SECONDS", 0)  # keys by stat alone: what is tested is when they are taken
    monkeypatch.setattr(dataset, "_read_tables", read_then_edit)
    open_dataset(copy)  # read with the first supplier; cached
    monkeypatch.setattr(dataset, "_read_tables", real)
    _, payments = clean_run(copy, monkeypatch)
    pd.testing.assert_frame_equal(open_dataset(copy).payments, payments)
