"""A copy of the sample dataset whose names are markup: suppliers, categories, expense types, anchors, an
area, bidders, a commitments measure, a spend file and the dataset folder itself. Each payload would set
``window.__pwned`` (or add an element with an event handler) if a page took it as HTML; the browser
tests check that none does and that the names read as the characters they are.

    root = hostile_dataset(tmp_path)
    page.evaluate(INJECTED_JS) == []
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

from anchorlib.data.storage.cache import CACHE_DIRNAME
from anchorlib.paths import SAMPLE_DIR

#: sample supplier -> its hostile name (the largest leaking and shared suppliers, so that every report
#: table and the apps' top-supplier charts show them; bidders and commitments suppliers too)
SUPPLIERS = {
    "Riverside Construction Partners LLP": 'Riverside <img src=x onerror="window.__pwned=1"> LLP',
    "Thames Power Support Ltd": "Thames <script>window.__pwned=2</script> Ltd",
    "Pioneer Pharma & Sons LLP": 'Pioneer <svg onload="window.__pwned=3"> LLP',
    "Dalston Health Group Limited": 'Dalston <a href="javascript:window.__pwned=4">Health</a> Limited',
    "Quay Roofing Holdings Ltd": 'Quay " onmouseover="window.__pwned=5" data-pwn=" Ltd',
    "Kingsland Power Works Ltd": "Kingsland ' autofocus onfocus='window.__pwned=6' data-pwn=' Ltd",
    "Meridian Therapies Collective Ltd": 'Meridian </style></script><img src=x onerror="window.__pwned=7">',
    "Bridge Pharma Holdings Limited": 'Bridge <iframe srcdoc="<script>parent.__pwned=8</script>"></iframe>',
    "Zenith Therapies Services": "Zenith ]]></text><script>window.__pwned=9</script> Services",
    "Rowan Healthcare Brothers PLC": "Rowan &lt;b&gt;escaped once&lt;/b&gt; PLC",  # must show the entities
    "Victoria Logistics Care Ltd": 'Victoria <img src=x onerror="window.__pwned=18"> Care Ltd',
    "Aspire Roofing Care Ltd": "Aspire <script>window.__pwned=23</script> Roofing",
}
CATEGORIES = {
    "Facilities management": 'Facilities <img src=x onerror="window.__pwned=11"> management',
    "Construction and repairs": 'Construction <b onmouseover="window.__pwned=12" data-pwn>and</b> repairs',
}
EXPENSE_TYPES = {"Agency Staff": "Agency <svg><script>window.__pwned=13</script></svg> Staff"}
#: an expense type categories.csv does not map: it is its own category
UNMAPPED_EXPENSE_TYPE = ("Legal Fees", 'Sundries <img src=x onerror="window.__pwned=14">')
ANCHORS = {
    "Hackney Council": "Hackney <script>window.__pwned=15</script> Council",
    "East London NHS Foundation Trust": 'ELFT <img src=x onerror="window.__pwned=16">',
}
AREAS = {"North East London": 'North East <img src=x onerror="window.__pwned=17"> London'}
MEASURES = {"Apprenticeships": 'Apprentice<img src=x onerror="window.__pwned=19">ships'}
SPEND_FILE = (
    "spend/hackney/hackney_payments_over_500_2021-22.csv",
    'hackney <img src=x onerror="window.__pwned=20"> 2021-22.csv',
)
FOLDER = 'ds <img src=x onerror="window.__pwned=21">'
#: a payment whose amount is markup: rejected, its reason naming the value
BAD_AMOUNT = '<img src=x onerror="window.__pwned=22">'

#: every hostile name, for "the page shows it as text"
NAMES = [
    *SUPPLIERS.values(),
    *CATEGORIES.values(),
    *EXPENSE_TYPES.values(),
    UNMAPPED_EXPENSE_TYPE[1],
    *ANCHORS.values(),
    *AREAS.values(),
    *MEASURES.values(),
]

#: JavaScript returning what the markup made happen on the page: [] when nothing ran and nothing was
#: added (an element with an event handler or a payload's marker attribute, a javascript: link, an
#: <img src=x>, an iframe, a script holding a payload). Text that merely reads like markup is fine.
INJECTED_JS = """() => {
  const bad = [];
  if (window.__pwned !== undefined) bad.push('window.__pwned = ' + window.__pwned);
  const handlers = ['onerror', 'onload', 'onmouseover', 'onfocus', 'autofocus', 'data-pwn', 'srcdoc'];
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.getAttributeNames()) if (handlers.includes(a)) bad.push(el.tagName + '[' + a + ']');
    const tag = el.tagName.toLowerCase();
    if (tag === 'a' && (el.getAttribute('href') || '').trim().toLowerCase().startsWith('javascript:'))
      bad.push('a[href=javascript:]');
    if (tag === 'img' && el.getAttribute('src') === 'x') bad.push('img[src=x]');
    if (tag === 'iframe') bad.push('iframe');
    if (tag === 'script' && el.textContent.includes('__pwned')) bad.push('script');
  }
  return bad;
}"""


def _replace_fields(rows: list[list[str]], mapping: dict[str, str]) -> list[list[str]]:
    return [[mapping.get(v, v) for v in row] for row in rows]


def _rewrite_csv(path: Path, edit) -> None:
    raw = path.read_bytes().decode("utf-8")
    newline = "\r\n" if "\r\n" in raw else "\n"
    rows = list(csv.reader(io.StringIO(raw, newline="")))
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator=newline).writerows(edit(rows))
    path.write_bytes(out.getvalue().encode("utf-8"))


def _rewrite_xlsx(path: Path, mapping: dict[str, str]) -> None:
    import openpyxl

    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value in mapping:
                    cell.value = mapping[cell.value]
    wb.save(path)


def hostile_dataset(parent: Path) -> Path:
    """The sample copied under ``parent`` into a folder named with markup, its names replaced as above."""
    root = parent / FOLDER
    shutil.copytree(SAMPLE_DIR, root, ignore=shutil.ignore_patterns(CACHE_DIRNAME, "README.md"))
    names = {**SUPPLIERS, **CATEGORIES, **EXPENSE_TYPES, **ANCHORS, **AREAS, **MEASURES}

    def register(rows):  # suppliers.csv: its categories column joins category names with ';'
        head, body = rows[0], _replace_fields(rows[1:], names)
        i = head.index("categories")
        for row in body:
            row[i] = ";".join(CATEGORIES.get(c, c) for c in row[i].split(";")) if row[i] else row[i]
        return [head, *body]

    for f in sorted(root.rglob("*.csv")):
        _rewrite_csv(f, register if f.name == "suppliers.csv" else lambda rows: _replace_fields(rows, names))
    for f in sorted(root.rglob("*.xlsx")):
        _rewrite_xlsx(f, names)

    # an expense type that categories.csv does not know, and a payment whose amount is markup
    def unmapped(rows):
        head = next(i for i, r in enumerate(rows) if "Expenses Type" in r)
        et, amount = rows[head].index("Expenses Type"), rows[head].index("Net Amount")
        seen = 0
        for row in rows[head + 1 :]:
            if len(row) > et and row[et] == UNMAPPED_EXPENSE_TYPE[0]:
                row[et] = UNMAPPED_EXPENSE_TYPE[1]
                seen += 1
        assert seen, "the sample has no rows of the expense type to unmap"
        bad = list(rows[head + 1])
        bad[amount] = BAD_AMOUNT
        return [*rows, bad]

    for f in sorted((root / "spend" / "hackney").glob("*.csv")):
        _rewrite_csv(f, unmapped)
    old, new = SPEND_FILE
    (root / old).rename(root / old.rsplit("/", 1)[0] / new)
    return root
