"""Text from input files is text in every piece of HTML anchorlib builds (the browser tests in
tests/test_escaping_browser.py check whole reports and apps): tables, headline tables, the reports'
index, the apps' tiles and static chart SVG."""

from __future__ import annotations

import html as html_lib
from html.parser import HTMLParser

import altair as alt
import pandas as pd
import pytest

from anchorlib.apps.common import tiles_html
from anchorlib.formatting import money, pct, table
from anchorlib.reports import batch as rp
from anchorlib.reports.views import FigureTable

IMG = '<img src=x onerror="window.__pwned=1">'
QUOTE = "\" onmouseover='window.__pwned=2' x=\""


class Parsed(HTMLParser):
    """What a browser's parser makes of some HTML: the elements and attributes the payloads would add, and
    the text shown."""

    def __init__(self, markup: str):
        super().__init__(convert_charrefs=True)
        self.added: list[str] = []
        self.text = ""
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag, attrs):
        if tag in ("img", "script", "iframe"):
            self.added.append(tag)
        self.added += [f"{tag}[{a}]" for a, _ in attrs if a in ("onerror", "onmouseover", "onload", "x")]

    def handle_data(self, data):
        self.text += data


def shown(markup: str) -> str:
    """The text ``markup`` shows, after checking that it adds no element or handler."""
    parsed = Parsed(markup)
    assert parsed.added == [], markup
    return parsed.text


def test_table_escapes_cells_headers_and_caption_formatted_or_not():
    df = pd.DataFrame(
        {
            "Supplier": pd.array([IMG, None], dtype="string"),
            "Spend (£)": [1234.6, None],
            f"Share {QUOTE}": [0.25, 0.5],
            "Note": [QUOTE, "&amp; already an entity"],
        }
    )
    out = table(df, {"Spend (£)": money, f"Share {QUOTE}": pct, "Note": "{}!"}, f"Top suppliers in {IMG}")
    text = shown(out.to_html())
    assert text.count(IMG) == 2  # the cell and the caption
    assert f"Share {QUOTE}" in text and f"{QUOTE}!" in text  # a column label; a cell, its pattern applied
    assert "&amp; already an entity!" in text  # an entity in the data is shown as typed
    assert "£1,235" in text and "25.0%" in text and text.count("n/a") == 2


def test_table_tooltips_are_text():
    df = pd.DataFrame({"Supplier": ["A Ltd", "B Ltd"], "Located in": ["Newham", IMG]})
    out = table(df, {}, "", {"Located in": [f"ONS code {QUOTE}", None]}).to_html()
    parsed = Parsed(out)
    assert parsed.added == [], out
    assert f'title="ONS code {html_lib.escape(QUOTE, quote=True)}"' in out  # one attribute, escaped once
    assert IMG in parsed.text


def test_table_with_no_formats_still_escapes():
    text = shown(table(pd.DataFrame({"Category": [IMG, QUOTE]}), {}).to_html())
    assert IMG in text and QUOTE in text


def test_headline_table_and_tiles_escape_names():
    ft = FigureTable(f"headline-{IMG}", f"Figures for {IMG}", {"local_share": 0.5}, {"Anchor": IMG})
    body = ft._repr_mimebundle_()[0]["text/html"]
    assert shown(body).count(IMG) == 2  # the caption and the note (the id is an attribute)
    tiles = shown(tiles_html([("share", f"Local share {QUOTE}", IMG, QUOTE)]))
    assert IMG in tiles and tiles.count(QUOTE) == 2


def test_index_escapes_titles_and_errors(tmp_path):
    job = rp.Job("a1", IMG, rp.ANCHOR_NOTEBOOK, {}, tmp_path / "a.ipynb", tmp_path / "a.html")
    out = rp.Outcome("a1", "failed", 1.0, f"DatasetError: spend/{IMG}.csv: no header")
    page = rp.write_index(tmp_path, [job], [out], QUOTE).read_text(encoding="utf-8")
    text = shown(page)
    assert IMG in text and QUOTE in text and f"spend/{IMG}.csv" in text


@pytest.mark.parametrize("name", [IMG, QUOTE, "]]></text><script>window.__pwned=3</script>"])
def test_static_chart_svg_holds_names_as_text(name):
    import vl_convert

    df = pd.DataFrame({"supplier": [name, "Plain Ltd"], "spend": [2.0, 1.0]})
    chart = alt.Chart(df, title=alt.Title(f"Top suppliers of {name}", subtitle=name), description=name)
    chart = chart.mark_bar().encode(x="spend:Q", y="supplier:N", tooltip=["supplier:N"])
    svg = vl_convert.vegalite_to_svg(chart.to_dict())
    assert name in shown(svg)  # the subtitle, whole
