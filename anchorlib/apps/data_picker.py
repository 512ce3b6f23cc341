"""Load one's own data in an app: a dataset of the served datasets folder by name, spend files uploaded in
the browser, or (on one's own machine) a dataset folder's path. Each is opened with ``open_dataset`` and its
load report shown; problems are one plain line.

What the "Use your own data" box offers depends on where the app runs (``anchorlib serve`` tells the
kernels through apps/serve.py's ``PICKER_ENV``, ``DATASETS_ENV`` and ``UPLOADS_ENV``):

- **By name** (``anchorlib serve --datasets DIR`` on any host, or any server reachable beyond loopback): a
  list of DIR's dataset folders (``serve.dataset_folders``), and no path box. Nothing outside DIR opens:
  a name is looked up among those offered (symlinks resolved, hidden folders and '..' never offered),
  never joined to a path. Served beyond loopback without --datasets, the list is empty and uploads use
  the dataset the app opened with.
- **By path** (JupyterLab, or ``anchorlib serve`` on 127.0.0.1 without --datasets: the analyst's own
  machine, where the path box opens any folder they can read).
- **Upload** (both): spend files for one of the base dataset's organisations go into a dataset of this
  kernel's own (``UploadSession``): the spend files are the user's; anchors.csv (the rows of the
  organisations with uploads), the supplier register, geography, areas, categories, LM3 survey and
  supplier matches are the base dataset's (linked, not copied; its tenders and commitments are not
  used). At most ``MAX_UPLOAD_FILE_BYTES`` a file and ``MAX_UPLOAD_SESSION_BYTES`` in all; the folder is
  removed when the kernel ends.
"""

from __future__ import annotations

import atexit
import gc
import html
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import ipywidgets as widgets

from anchorlib.apps import serve
from anchorlib.apps.common import STYLE, open_or_message
from anchorlib.data.dataset import SPEND_FILE_SUFFIXES, Dataset, open_dataset
from anchorlib.errors import AnchorlibError, ParameterError, SpendFileError

#: Largest total size of spend files the apps open (bigger data: use the CLI or the DuckDB engine).
MAX_SPEND_BYTES = 2 * 1024**3
#: Largest spend file one may upload, and largest total of one kernel's uploads.
MAX_UPLOAD_FILE_BYTES = 20 * 1024**2
MAX_UPLOAD_SESSION_BYTES = 50 * 1024**2
#: What an upload session takes from its base dataset besides anchors.csv (docs/methodology.md lists the
#: dataset contract): the rest (spend/, social_value/, caches) is not taken.
BASE_TABLES = (
    "suppliers.csv",
    "geography",
    "areas.csv",
    "categories.csv",
    "lm3_survey.csv",
    "supplier_matches.csv",
)


def check_folder(path: str) -> Path:
    """The folder as a Path; AnchorlibError in plain words when it is missing or too large."""
    root = Path(path.strip()).expanduser()
    if not path.strip():
        raise AnchorlibError("type the path of a dataset folder (it holds anchors.csv and spend/)")
    if not root.is_dir():
        raise AnchorlibError(f"there is no folder at {root}")
    size = (
        sum(f.stat().st_size for f in (root / "spend").rglob("*") if f.is_file())
        if (root / "spend").is_dir()
        else 0
    )
    if size > MAX_SPEND_BYTES:
        raise AnchorlibError(
            f"the spend files in {root} total {size / 1024**3:.1f} GB; the apps open up to "
            f"{MAX_SPEND_BYTES / 1024**3:.0f} GB"
        )
    return root


def load_report_html(ds: Dataset) -> str:
    """Files, rows loaded and rows rejected, per anchor, as a small table."""
    df = ds.load_report_frame()
    return df.to_html(index=False, border=0, classes="al-report") if len(df) else ""


def _mb(n: int) -> str:
    return f"{n / 1024**2:.1f} MB"


class UploadSession:
    """The spend files one kernel was given through the browser, as a dataset folder of its own under
    ``where`` (default ``$ANCHORLIB_UPLOADS`` or the system's temporary folder):
    ``session-<pid>-<random>/spend/<anchor_id>/<file>``, with a base dataset's reference tables beside
    them (``dataset``). Removed when the kernel ends (and by ``anchorlib serve`` when it stops); a
    folder left by a kernel that is gone is removed by the next session made there."""

    def __init__(self, where: Path | None = None):
        self.where = Path(where or os.environ.get(serve.UPLOADS_ENV) or tempfile.gettempdir())
        self._root: Path | None = None
        self._base: Path | None = None  # the dataset whose tables are linked in

    @property
    def root(self) -> Path:
        if self._root is None:
            self.where.mkdir(parents=True, exist_ok=True)
            _sweep(self.where)
            self._root = Path(tempfile.mkdtemp(prefix=f"session-{os.getpid()}-", dir=self.where))
            atexit.register(self.close)
        return self._root

    def has_root(self) -> bool:
        return self._root is not None

    def files(self) -> list[Path]:
        if self._root is None:
            return []
        spend = self._root / "spend"
        return sorted(f for f in spend.rglob("*") if f.is_file()) if spend.is_dir() else []

    def size(self) -> int:
        return sum(f.stat().st_size for f in self.files())

    def add(self, anchor_id: str, files: list[tuple[str, bytes]]) -> list[Path]:
        """Save ``files`` ((name, content) pairs) as ``anchor_id``'s spend files; returns their paths. One
        upload is saved whole or not at all: ParameterError for a name, type or size it cannot take."""
        if not files:
            raise ParameterError("choose one or more spend files to upload")
        checked, names = [], set()
        for name, content in files:
            clean = _file_name(name)
            if len(content) == 0:
                raise SpendFileError("the file is empty", path=clean)
            if len(content) > MAX_UPLOAD_FILE_BYTES:
                raise SpendFileError(
                    f"the file is {_mb(len(content))}; files of up to {_mb(MAX_UPLOAD_FILE_BYTES)} can be "
                    "uploaded (bigger data: ask for it to be added to the datasets folder)",
                    path=clean,
                )
            if clean in names:
                raise ParameterError(f"two files named {clean} in one upload")
            names.add(clean)
            checked.append((clean, content))
        folder = self.root / "spend" / anchor_id
        replaced = sum(
            (folder / n).stat().st_size for n, _ in checked if (folder / n).is_file()
        )  # a file uploaded again replaces the one before
        total = self.size() - replaced + sum(len(c) for _, c in checked)
        if total > MAX_UPLOAD_SESSION_BYTES:
            raise ParameterError(
                f"these files would bring your uploads to {_mb(total)}; up to "
                f"{_mb(MAX_UPLOAD_SESSION_BYTES)} can be uploaded in one session"
            )
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, content in checked:
            path = folder / name
            tmp = folder / f".{name}.part"
            tmp.write_bytes(bytes(content))
            tmp.replace(path)
            paths.append(path)
        return paths

    def remove(self, paths: list[Path]) -> None:
        for p in paths:
            p.unlink(missing_ok=True)
            if p.parent.is_dir() and not any(p.parent.iterdir()):
                p.parent.rmdir()

    def anchors(self) -> list[str]:
        """The organisations with uploaded spend files."""
        return sorted({f.parent.name for f in self.files()})

    def dataset(self, base: Path) -> Path:
        """The session's folder as a dataset on ``base``: anchors.csv with the rows of the organisations
        that have uploads, and ``BASE_TABLES`` linked from ``base`` (copied where links cannot be made)."""
        from anchorlib.data.tables import read_table

        base = Path(base).resolve()
        chosen = self.anchors()
        if not chosen:
            raise ParameterError("upload spend files first")
        anchors = read_table(base / "anchors.csv", ["anchor_id", "name", "kind", "home_lads"], root=base)
        unknown = sorted(set(chosen) - set(anchors["anchor_id"]))
        if unknown:
            raise ParameterError(f"{', '.join(unknown)} is not an organisation of {base.name}")
        text = anchors[anchors["anchor_id"].isin(chosen)].to_csv(index=False)
        if not (self.root / "anchors.csv").is_file() or (self.root / "anchors.csv").read_text() != text:
            (self.root / "anchors.csv").write_text(text)
        if self._base != base:  # link the base's tables (again: the cache beside them was another base's)
            shutil.rmtree(self.root / ".anchorlib-cache", ignore_errors=True)
            for name in BASE_TABLES:
                src, dst = base / name, self.root / name
                if dst.is_symlink() or dst.is_file():
                    dst.unlink()
                elif dst.is_dir():
                    shutil.rmtree(dst)
                if not src.exists():
                    continue
                try:
                    dst.symlink_to(src, target_is_directory=src.is_dir())
                except OSError:
                    (shutil.copytree if src.is_dir() else shutil.copy2)(src, dst)
            self._base = base
        return self.root

    def clear(self) -> None:
        """Forget every upload (a new base dataset was chosen)."""
        if self._root is not None:
            shutil.rmtree(self._root / "spend", ignore_errors=True)

    def close(self) -> None:
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = self._base = None


def _file_name(name: str) -> str:
    """An uploaded file's name as saved: its last path part; ParameterError for a hidden or odd one."""
    clean = re.split(r"[/\\]", str(name))[-1].strip()
    if not clean or clean.startswith(".") or "\0" in clean:
        raise ParameterError(f"cannot take a file named {name!r}")
    if Path(clean).suffix.lower() not in SPEND_FILE_SUFFIXES:
        kinds = ", ".join(sorted(SPEND_FILE_SUFFIXES))
        raise SpendFileError(f"only spend files ({kinds}) can be uploaded", path=clean)
    return clean


def _sweep(where: Path) -> None:
    """Remove the session folders under ``where`` whose kernel (the pid in the name) is gone."""
    for d in where.glob("session-*-*"):
        pid = d.name.split("-")[1]
        if pid.isdigit() and int(pid) != os.getpid() and not serve.running(int(pid)):
            shutil.rmtree(d, ignore_errors=True)


def _base_root(data_dir) -> Path:
    from anchorlib.paths import default_data_dir

    if isinstance(data_dir, Dataset):
        return Path(data_dir.root)
    return Path(data_dir).expanduser().resolve() if data_dir else default_data_dir()


class DataPicker(widgets.VBox):
    """The "Use your own data" box (module docstring); on success calls ``on_open(ds)``. ``base`` is the
    dataset the app opened with; ``datasets`` (a folder) and ``names_only`` default to what
    ``anchorlib serve`` set in the environment."""

    def __init__(
        self,
        on_open: Callable[[Dataset], None],
        base=None,
        *,
        datasets: Path | None = None,
        names_only: bool | None = None,
    ):
        self.on_open = on_open
        root = datasets or os.environ.get(serve.DATASETS_ENV)
        self.datasets = Path(root).resolve() if root else None
        self.names_only = (
            (os.environ.get(serve.PICKER_ENV) == "names" or self.datasets is not None)
            if names_only is None
            else names_only
        )
        self.base = _base_root(base)
        self.session = UploadSession()
        self.message = widgets.HTML().add_class("al-data-message")
        wide = {"style": {"description_width": "initial"}}
        self.path = widgets.Text(
            placeholder="e.g. /home/me/our-spend (holds anchors.csv and spend/)",
            description="Your data folder",
            layout=widgets.Layout(width="620px"),
            **wide,
        ).add_class("al-data-path")
        self.button = widgets.Button(description="Open", button_style="primary").add_class("al-data-open")
        self.names = widgets.Dropdown(
            options=list(serve.dataset_folders(self.datasets)) if self.datasets else [],
            description="Dataset",
            layout=widgets.Layout(width="420px"),
            **wide,
        ).add_class("al-data-name")
        self.organisation = widgets.Dropdown(
            description="Spend files of", layout=widgets.Layout(width="420px"), **wide
        ).add_class("al-upload-anchor")
        kinds = ",".join(sorted(SPEND_FILE_SUFFIXES))
        self.upload = widgets.FileUpload(accept=kinds, multiple=True, description="Upload").add_class(
            "al-upload"
        )
        self.upload_note = widgets.HTML().add_class("al-upload-note")
        if self.names_only:
            self.button.on_click(lambda _: self.open_name(self.names.value))
            self.names.observe(lambda _: self._set_base(), "value")
            if self.names.options:
                self.base = serve.dataset_folder(self.datasets, self.names.value)
            rows = [widgets.HBox([self.names, self.button])] if self.names.options else []
        else:
            self.button.on_click(lambda _: self.open_folder())
            rows = [widgets.HBox([self.path, self.button])]
        self.upload.observe(self._on_upload, "value")
        self._set_base(clear=False)
        rows += [widgets.HBox([self.organisation, self.upload]), self.upload_note, self.message]
        acc = widgets.Accordion(
            children=[widgets.VBox(rows)], titles=("Use your own data",), selected_index=None
        )
        super().__init__([acc])

    def _say(self, text: str, problem: bool = False) -> None:
        self.message.value = (
            STYLE + f"<p class='al-status'>{html.escape(text)}</p>"
            if problem
            else f"<p>{html.escape(text)}</p>"
        )

    def _opened(self, ds: Dataset, what: str) -> None:
        self.message.value = f"<p>Opened {html.escape(what)}.</p>" + load_report_html(ds)

    def open_folder(self) -> None:
        """Open the folder typed in the path box (on one's own machine only)."""
        if self.names_only:
            self._say("Could not open the data: this server opens datasets by name only", True)
            return
        try:
            ds = open_dataset(check_folder(self.path.value))
            self.on_open(ds)
        except (AnchorlibError, OSError, ValueError) as err:
            self._say(f"Could not open the data: {err}", True)
            return
        self._opened(ds, str(ds.root))

    def open_name(self, name: str) -> None:
        """Open the dataset ``name`` of the datasets folder (nothing else: ``serve.dataset_folder``)."""
        try:
            if self.datasets is None:
                raise ParameterError("this server offers no datasets folder")
            ds = open_dataset(serve.dataset_folder(self.datasets, str(name)))
            self.on_open(ds)
        except (AnchorlibError, OSError, ValueError) as err:
            self._say(f"Could not open the data: {err}", True)
            return
        self._opened(ds, str(name))

    def _set_base(self, clear: bool = True) -> None:
        """The upload's base: the chosen dataset by name, else the app's first; its organisations listed."""
        from anchorlib.data.tables import read_table

        if self.names_only and self.names.options:
            self.base = serve.dataset_folder(self.datasets, self.names.value)
        if clear and self.session.anchors():
            self.session.clear()
            self._say(f"Your uploads were cleared: they were on another dataset than {self.base.name}.")
        note = (
            f"Uploads use {self.base.name}'s supplier register, geography and areas; up to "
            f"{_mb(MAX_UPLOAD_FILE_BYTES)} a file, {_mb(MAX_UPLOAD_SESSION_BYTES)} in all, deleted when "
            "you close the page."
        )
        try:
            anchors = read_table(self.base / "anchors.csv", ["anchor_id", "name"], root=self.base)
            options = [(str(n), str(a)) for a, n in zip(anchors["anchor_id"], anchors["name"])]
        except (AnchorlibError, OSError, ValueError) as err:
            options, note = [], f"Uploads are not possible here: {err}"
        self.organisation.options = options
        self.upload.disabled = not options
        self.upload_note.value = f"<p class='al-note'>{html.escape(note)}</p>"

    def _on_upload(self, change) -> None:
        files = change["new"]
        if not files:
            return
        try:
            self.upload_files(self.organisation.value, [(f["name"], f["content"]) for f in files])
        finally:
            self.upload.value = ()  # the bytes are saved (or refused): free them

    def upload_files(self, anchor_id: str | None, files: list[tuple[str, bytes]]) -> bool:
        """Add ``files`` as ``anchor_id``'s spend files to this kernel's uploads and open them with the
        uploads before them; a file that cannot be read is taken out again. True when opened."""
        added: list[Path] = []
        try:
            if not anchor_id:
                raise ParameterError("choose whose spend files these are")
            added = self.session.add(anchor_id, files)
            ds = open_dataset(self.session.dataset(self.base))
            self.on_open(ds)
        except (AnchorlibError, OSError, ValueError) as err:
            self.session.remove(added)
            text = " ".join(str(err).split())
            if self.session.has_root():  # name the file as the user knows it, not by the server's path
                text = text.replace(f"{self.session.root / 'spend'}{os.sep}", "")
            self._say(f"Could not open the upload: {text}", True)
            return False
        n = len(self.session.files())
        self._opened(ds, f"your {n} uploaded file{'s' if n != 1 else ''} on {self.base.name}")
        return True


class AppShell(widgets.VBox):
    """An app view with a data picker under it; opening a folder rebuilds the view on that dataset."""

    def __init__(self, build: Callable[[Dataset], widgets.Widget], first: widgets.Widget, base=None):
        self.build = build
        self.view = first
        self.picker = DataPicker(self._swap, base)
        super().__init__([first, self.picker])
        freeze_under_voila()

    def _swap(self, ds: Dataset) -> None:
        view = self.build(ds)
        if not hasattr(view, "model"):  # the build failed: keep the current view, say why
            text = re.sub(r"<style>.*?</style>|<[^>]+>", "", getattr(view, "value", ""), flags=re.DOTALL)
            raise AnchorlibError(
                html.unescape(" ".join(text.split())).removeprefix("Could not open the data: ")
                or "the app could not be built on this dataset"
            )
        self.view = view
        self.children = (view, self.picker)
        freeze_under_voila(again=True)


def app_shell(data_dir, make: Callable[..., widgets.Widget], **choices) -> AppShell:
    """The app view ``make(ds, **choices)`` on ``data_dir`` (a folder, a Dataset, or None = the bundled
    sample) with the data picker under it; a folder opened there gets the app with its default choices.
    Problems show as a plain message (``open_or_message``)."""
    return AppShell(
        lambda ds: open_or_message(ds, make),
        open_or_message(data_dir, lambda d: make(d, **choices)),
        data_dir,
    )


def freeze_under_voila(again: bool = False) -> None:
    """In a kernel Voila runs (``VOILA_PREHEAT`` set), put what the app has built out of the garbage
    collector's reach (``gc.freeze``), so that no full collection walks its objects (modules, dataset,
    rollups, widgets) in the middle of a visitor's widget change. ``again``: after a new dataset
    replaced the view, what became garbage is collected before freezing again. Not in JupyterLab,
    where running a cell again makes the previous app garbage that a frozen heap would keep."""
    if "VOILA_PREHEAT" not in os.environ:
        return
    if again:
        gc.unfreeze()
        gc.collect()
    gc.freeze()
