"""The apps' download of the table behind a chart, as CSV or an Excel workbook (``anchorlib.export``).

``Download(label, make)`` is an anywidget: two buttons. A click asks the kernel for the file; the kernel
makes the table for the choices shown at that moment (``make()``: the same rows the chart draws, as a
``Sheet``, and the choices behind them), writes it and sends the bytes back in one message; the browser
saves them under a name that says what the file holds and for which choices (``export.file_name``). The
file is made only when asked for, so a change of choices costs nothing, and it travels as binary (no
base64); nothing is fetched from anywhere, so it works in Voila offline and in JupyterLab alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import anywidget
import traitlets

from anchorlib.errors import AnchorlibError
from anchorlib.export import Sheet, choices_sheet, csv_bytes, file_name, xlsx_bytes

#: The formats offered: button text, file extension, media type.
FORMATS = {
    "csv": ("CSV", "csv", "text/csv"),
    "xlsx": ("Excel", "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}
#: Largest file sent to the browser in one message (Jupyter's websocket takes 10 MB by default).
MAX_BYTES = 8 * 1024**2

_ESM = """
function save(msg, buffers) {
  const blob = new Blob(buffers, { type: msg.mime });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = msg.name;
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}
export default {
  initialize({ model }) {
    model.on('msg:custom', (msg, buffers) => { if (msg.kind === 'file') save(msg, buffers); });
  },
  render({ model, el }) {
    const box = document.createElement('div');
    box.className = 'al-download';
    const text = document.createElement('span');
    text.className = 'al-download-label';
    const buttons = [];
    for (const [format, label] of model.get('formats')) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = `al-download-${format}`;
      b.textContent = label;
      b.addEventListener('click', () => model.send({ want: format }));
      buttons.push([b, label]);
    }
    const note = document.createElement('span');
    note.className = 'al-download-note';
    note.setAttribute('role', 'status');
    const show = () => {
      text.textContent = `Download ${model.get('label')}:`;
      for (const [b, label] of buttons) {
        b.setAttribute('aria-label', `Download ${model.get('label')} as ${label}`);
      }
      note.textContent = model.get('note');
    };
    show();
    model.on('change:label', show);
    model.on('change:note', show);
    box.append(text, ...buttons.map(([b]) => b), note);
    el.append(box);
  },
};
"""

_CSS = """
.al-download {display: flex; gap: 6px; align-items: center; font-size: 13px; margin: 2px 0 10px}
.al-download button {font-size: 13px; padding: 2px 10px; border: 1px solid #555; border-radius: 4px;
  background: #fff; color: #000; cursor: pointer}
.al-download button:hover, .al-download button:focus-visible {background: #eef5fb; outline: 2px solid #005a9c}
.al-download-note {color: #B00020}
"""


@dataclass
class Table:
    """What a download holds: the ``sheet`` (the rows a chart draws), the ``choices`` behind them (the
    workbook's second sheet) and the parts of its file name (what it is, then the choices)."""

    sheet: Sheet
    choices: Mapping[str, object]
    name: Sequence[object] = field(default_factory=list)


class Download(anywidget.AnyWidget):
    """Buttons that download the table behind a chart as CSV or .xlsx; ``make()`` gives the ``Table``
    for the choices shown when a button is pressed."""

    _esm = _ESM
    _css = _CSS
    label = traitlets.Unicode().tag(sync=True)  # what the table is, e.g. "this table (top suppliers)"
    formats = traitlets.List([[k, v[0]] for k, v in FORMATS.items()]).tag(sync=True)
    note = traitlets.Unicode("").tag(sync=True)  # a problem, in one plain line

    def __init__(self, label: str, make: Callable[[], Table], **kw):
        super().__init__(label=label, **kw)
        self.make = make
        self.on_msg(self._on_msg)
        self.add_class("al-download-box")

    def _on_msg(self, _widget, content, _buffers) -> None:
        if not isinstance(content, dict) or content.get("want") not in FORMATS:
            return
        try:
            name, mime, data = self.file(content["want"])
        except (AnchorlibError, traitlets.TraitError, ValueError, KeyError) as err:
            self.note = f"Could not make the file: {' '.join(str(err).split())}"
            return
        if len(data) > MAX_BYTES:
            self.note = f"The table is {len(data) / 1024**2:.0f} MB, too large to download here: use the CLI"
            return
        self.note = ""
        self.send({"kind": "file", "name": name, "mime": mime}, [data])

    def file(self, want: str) -> tuple[str, str, bytes]:
        """(file name, media type, bytes) of the table as it is now, as ``want`` ('csv' or 'xlsx')."""
        table = self.make()
        _, ext, mime = FORMATS[want]
        if want == "csv":
            data = csv_bytes(table.sheet)
        else:
            data = xlsx_bytes([table.sheet, choices_sheet(table.choices)], table.sheet.title)
        return file_name(["anchorlib", *table.name], ext), mime, data
