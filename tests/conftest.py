"""Shared fixtures. Tests that read ../shared/real skip cleanly when it is absent."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from anchorlib.paths import PROJECT_DIR, SAMPLE_DIR

REAL_DIR = PROJECT_DIR.parent / "shared" / "real"
ARTIFACTS = PROJECT_DIR / "test-artifacts"
#: The metrics' two engines; ``$ANCHORLIB_ENGINE`` forces one (metrics.engine_for).
ENGINES = ("pandas", "duckdb")


@pytest.hookimpl(tryfirst=True)  # before pytest's own -m deselection, which runs in the same hook
def pytest_collection_modifyitems(items):
    """nbval collects the cells of notebooks/ (a testpath) with no marker: mark them ``notebook``, as the
    papermill tests are, so that ``-m "not notebook"`` leaves out every test that executes a notebook."""
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.notebook)


@pytest.fixture(params=ENGINES)
def engine(request, monkeypatch) -> str:
    """A test that uses this runs once per engine, with ``$ANCHORLIB_ENGINE`` set to it: the same
    hand-computed numbers must come out of pandas and of DuckDB."""
    monkeypatch.setenv("ANCHORLIB_ENGINE", request.param)
    return request.param


@pytest.fixture(scope="session", autouse=True)
def hermetic_jupyter(tmp_path_factory):
    """Keep Jupyter's config and runtime files out of the home directory."""
    base = tmp_path_factory.mktemp("jupyter")
    for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR"):
        os.environ[var] = str(base / var.lower())
    os.environ.setdefault("IPYTHONDIR", str(base / "ipython"))
    yield


@pytest.fixture(scope="session")
def sample_ds():
    """The committed sample dataset, opened once per test session."""
    from anchorlib import open_dataset

    return open_dataset(SAMPLE_DIR)


@pytest.fixture(scope="session")
def real_dir() -> Path:
    """../shared/real, or skip."""
    if not REAL_DIR.is_dir():
        pytest.skip("../shared/real is absent")
    return REAL_DIR


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's chromium, or skip (fail under CI, where scripts/ensure-chromium.sh must have run)."""
    path = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing under CI: scripts/ensure-chromium.sh should have installed it")
        pytest.skip("chromium is not installed (run `make chromium`)")
    return path
