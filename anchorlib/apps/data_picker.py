"""Load one's own data in an app: a dataset folder path, size-checked, opened with ``open_dataset``,
its load report shown; problems are one plain line."""

from __future__ import annotations

import gc
import html
import os
import re
from collections.abc import Callable
from pathlib import Path

import ipywidgets as widgets

from anchorlib.apps.common import STYLE, open_or_message
from anchorlib.data.dataset import Dataset, open_dataset
from anchorlib.errors import AnchorlibError

#: Largest total size of spend files the apps open (bigger data: use the CLI or the DuckDB engine).
MAX_SPEND_BYTES = 2 * 1024**3


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


class DataPicker(widgets.VBox):
    """A path box and an Open button; on success calls ``on_open(ds)``."""

    def __init__(self, on_open: Callable[[Dataset], None]):
        self.on_open = on_open
        self.path = widgets.Text(
            placeholder="e.g. /home/me/our-spend (holds anchors.csv and spend/)",
            description="Your data folder",
            style={"description_width": "initial"},
            layout=widgets.Layout(width="620px"),
        ).add_class("al-data-path")
        self.button = widgets.Button(description="Open", button_style="primary").add_class("al-data-open")
        self.message = widgets.HTML().add_class("al-data-message")
        self.button.on_click(lambda _: self.open_folder())
        box = widgets.VBox([widgets.HBox([self.path, self.button]), self.message])
        acc = widgets.Accordion(children=[box], titles=("Use your own data",), selected_index=None)
        super().__init__([acc])

    def open_folder(self) -> None:
        try:
            ds = open_dataset(check_folder(self.path.value))
            self.on_open(ds)
        except (AnchorlibError, OSError, ValueError) as err:
            self.message.value = (
                STYLE + f"<p class='al-status'>Could not open the data: {html.escape(str(err))}</p>"
            )
            return
        self.message.value = f"<p>Opened {html.escape(str(ds.root))}.</p>" + load_report_html(ds)


class AppShell(widgets.VBox):
    """An app view with a data picker under it; opening a folder rebuilds the view on that dataset."""

    def __init__(self, build: Callable[[Dataset], widgets.Widget], first: widgets.Widget):
        self.build = build
        self.view = first
        self.picker = DataPicker(self._swap)
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
        lambda ds: open_or_message(ds, make), open_or_message(data_dir, lambda d: make(d, **choices))
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
