"""`anchorlib serve --datasets DIR` in headless Chromium: the picker offers DIR's datasets by name and no
path box; spend files uploaded through the browser open as a dataset of the kernel's own with the figures
the metrics give on the folder they came from; a bad upload is one line; leaving the page ends its kernel
and its uploads, and the uploads folder goes when the server stops."""

from __future__ import annotations

import shutil
import signal
import time
from pathlib import Path

import pytest

from anchorlib import metrics
from anchorlib.apps import serve
from anchorlib.formatting import money, pct
from anchorlib.paths import SAMPLE_DIR
from tests.voila_server import Served, chromium, kernels, marked, open_page, wait_drawn

pytestmark = pytest.mark.browser


def copy_dataset(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".anchorlib-cache"))
    return dst


def uploads_folder(marker: str) -> Path:
    """The uploads folder `serve` named for its kernels (``UPLOADS_ENV`` in a kernel's environment)."""
    for pid in kernels(marked(marker)):
        for item in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"):
            name, _, value = item.decode(errors="replace").partition("=")
            if name == serve.UPLOADS_ENV:
                return Path(value)
    raise AssertionError("no kernel names an uploads folder")


def choose(page, files) -> None:
    """Click the Upload button and pick ``files`` in the file chooser it opens (as a user does)."""
    with page.expect_file_chooser() as chooser:
        page.click(".al-upload")
    chooser.value.set_files(files)


def test_upload_in_the_browser_gives_the_folders_figures(tmp_path, chromium_path, artifacts, sample_ds):
    root = tmp_path / "datasets"
    copy_dataset(SAMPLE_DIR, root / "city_hackney")
    copy_dataset(SAMPLE_DIR, root / "second")
    elft = metrics.local_share(
        metrics.select(sample_ds, ["elft"]), sample_ds.home_area("elft"), sample_ds.ruleset.name
    )
    s = Served(tmp_path, "--datasets", str(root), "--pool", "0", "--pool-for", "10_leakage_explorer=1")
    try:
        s.wait_listening()
        with chromium(chromium_path) as browser:
            page = open_page(browser)
            page.goto(s.url + "voila/render/10_leakage_explorer.ipynb")
            wait_drawn(page, ".al-share", 3)
            first = page.inner_text(".al-share")
            assert first != pct(elft.local_share)  # the app opens on the first anchor, not elft
            assert page.locator(".al-data-path").count() == 0  # no path box for a served room
            names = page.eval_on_selector(".al-data-name select", "s => [...s.options].map(o => o.text)")
            assert names == ["city_hackney", "second"]
            page.get_by_text("Use your own data").click()
            page.select_option(".al-upload-anchor select", label="East London NHS Foundation Trust")
            files = sorted((SAMPLE_DIR / "spend" / "elft").iterdir())
            t0 = time.monotonic()
            choose(page, [str(f) for f in files])
            page.wait_for_function(
                "document.querySelector('.al-data-message').innerText.includes("
                f"'Opened your {len(files)} uploaded files on city_hackney')",
                timeout=120_000,
            )
            wait_drawn(page, ".al-share", 3)
            page.wait_for_function(
                f"document.querySelector('.al-share').innerText === '{pct(elft.local_share)}'", timeout=30_000
            )
            print("upload opened in", round(time.monotonic() - t0, 2), "s")
            assert page.inner_text(".al-leakage") == money(elft.leakage)
            assert page.inner_text(".al-unknown") == money(elft.unknown_location_spend)
            assert page.locator(".al-data-message table.al-report").count() == 1  # its load report
            session = next(uploads_folder(s.marker).glob("session-*"))
            assert sorted(f.name for f in (session / "spend" / "elft").iterdir()) == [f.name for f in files]
            page.locator(".al-data-message").scroll_into_view_if_needed()
            page.screenshot(path=str(artifacts / "serve_upload.png"))

            # a bad file: one line, and the uploaded figures stay
            choose(
                page, [{"name": "minutes.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 notes"}]
            )
            page.wait_for_function(
                "document.querySelector('.al-data-message').innerText"
                ".includes('minutes.pdf: only spend files')",
                timeout=30_000,
            )
            message = page.inner_text(".al-data-message").strip()
            assert message.count("\n") == 0 and "Traceback" not in page.inner_text("body")
            assert page.inner_text(".al-share") == pct(elft.local_share)
            assert not (session / "spend" / "elft" / "minutes.pdf").exists()
            assert page.outside == [] and page.errors == [], (page.outside, page.errors)
            uploads = uploads_folder(s.marker)
            kernel_id = page.evaluate(
                "JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId"
            )

            # leaving the page shuts its kernel down (Voila's beacon, which needs the page's _xsrf cookie),
            # and the kernel's uploads go with it
            page.goto(s.url)
            deadline = time.monotonic() + 30
            while session.exists() and time.monotonic() < deadline:
                time.sleep(0.2)
            assert not session.exists(), s.text()[-2000:]
            assert f"Kernel shutdown: {kernel_id}" in s.text()  # (the pool's refill may have started another)
            while any(kernel_id in cmd for cmd in marked(s.marker).values()) and time.monotonic() < deadline:
                time.sleep(0.2)  # the process ends just after Voila says so
            assert not any(kernel_id in cmd for cmd in marked(s.marker).values())
        s.proc.send_signal(signal.SIGTERM)
        s.proc.wait(timeout=60)
        assert not uploads.exists()  # every session's files went with the server
        text = s.text()
        for noise in ("Traceback", "WARNING", "ERROR", "Deprecat", "cannot be longer than"):
            assert noise not in text, text  # a page opened, used and closed: a quiet console
    finally:
        s.cleanup()
