"""Accessibility checks with axe-core in the browser tests: ``audit(page, name)`` injects axe's script
(the npm package, pinned in scripts/axe/package.json, installed by scripts/ensure-axe.sh, which `make
test` runs: nothing comes from a CDN) into a page the test has open, runs the WCAG 2.x A/AA and
best-practice rules, fails on any serious or critical violation, prints the moderate and minor ones and
writes every finding to test-artifacts/axe_<name>.json.

What comes from Voila's and JupyterLab's own page, and that neither anchorlib's template nor its CSS
can change, is excluded by rule id and the exact node (``EXCLUDED``), each with its upstream cause;
a rule is never turned off wholesale.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import warnings
from pathlib import Path

import pytest

from anchorlib.paths import PROJECT_DIR

AXE_JS = PROJECT_DIR / "scripts" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
#: the rule sets run: WCAG 2.0, 2.1 and 2.2 at levels A and AA, and axe's best practices
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
FAILING = ("serious", "critical")
#: axe.run on the whole document, violations only, each node's selector path and the start of its HTML
RUN = """async (tags) => {
  const r = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return {version: axe.version, violations: r.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(" >>> "), impact: n.impact,
                              html: n.html.slice(0, 300), summary: n.failureSummary}))}))};
}"""

#: (rule id, the node's CSS selector as axe reports it) -> why it is not the project's to fix.
EXCLUDED: dict[tuple[str, str], str] = {}


def axe_script() -> Path | None:
    """axe-core's script. Missing, it fails the test (`make test` installs it: `make axe`), but on a machine
    without npm, outside CI, where it returns None and ``audit`` warns that it checked nothing."""
    if AXE_JS.exists():
        return AXE_JS
    if os.environ.get("CI") or shutil.which("npm"):
        pytest.fail(f"{AXE_JS} is missing: run `make axe` (make test does)")
    return None


def run_axe(page) -> dict | None:
    """axe's results (violations only) for ``page`` as it is now; None without axe (``axe_script``)."""
    script = axe_script()
    if script is None:
        return None
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(script))
    return page.evaluate(RUN, TAGS)


def findings(results: dict) -> list[dict]:
    """One row per (rule, node): id, impact, target, html, summary, and ``excluded`` (the reason, or None)."""
    rows = []
    for v in results["violations"]:
        for n in v["nodes"]:
            impact = n["impact"] or v["impact"]
            reason = EXCLUDED.get((v["id"], n["target"]))
            rows.append({"id": v["id"], "impact": impact, "help": v["help"], **n, "excluded": reason})
    return rows


def audit(page, name: str, artifacts: Path | None = None) -> list[dict]:
    """Run axe on ``page`` (named ``name`` in the output); fail on a serious or critical violation that
    is not in ``EXCLUDED``; return every finding."""
    t0 = time.monotonic()
    results = run_axe(page)
    if results is None:
        warnings.warn(f"npm and axe-core are missing: {name} was not checked for accessibility", stacklevel=2)
        return []
    took = f"{time.monotonic() - t0:.2f} s"
    rows = findings(results)
    if artifacts is not None:
        (artifacts / f"axe_{name}.json").write_text(
            json.dumps({"axe": results["version"], "findings": rows}, indent=2)
        )
    for r in rows:
        tag = "excluded" if r["excluded"] else r["impact"]
        print(f"axe {results['version']} {name}: {r['id']} ({tag}) {r['target']}")
    if not rows:
        print(f"axe {results['version']} {name} ({took}): no violations")
    failing = [r for r in rows if r["impact"] in FAILING and not r["excluded"]]
    assert not failing, f"{name}: serious or critical accessibility violations:\n" + "\n".join(
        f"  {r['id']} ({r['impact']}): {r['target']}\n    {r['html']}\n    {r['summary']}" for r in failing
    )
    return rows


def described_charts(page, n_charts: int) -> list[str]:
    """Every Vega chart on ``page`` (at least ``n_charts``) keeps its ARIA role and description (the
    chart builders' ``description``); returns the descriptions."""
    charts = page.evaluate(
        """() => [...document.querySelectorAll('.vega-embed')].map(e => {
            const doc = e.querySelector('[role=graphics-document]');
            return doc ? (doc.getAttribute('aria-label') || '') : null;
        })"""
    )
    assert len(charts) >= n_charts, charts
    assert all(c for c in charts), f"a chart without role=graphics-document or aria-label: {charts}"
    return charts


#: what a keyboard user must be able to reach: every visible, enabled control
CONTROLS = (
    "select, input:not([type=hidden]), textarea, button, a[href], summary, [role=slider], [role=tab], "
    "[tabindex]:not([tabindex='-1']), .jupyter-widget-Collapse-header"
)
#: the controls of a page, each marked with a key (data-al-key): [key, its name as a test reads it, the keys
#: of the other tabs of its tab bar or null]; of each tab bar only one tab (Lumino keeps one in the tab order,
#: the arrow keys move between them)
WANT = """(controls) => {
  const all = [...document.querySelectorAll(controls)].filter(e =>
    e.getClientRects().length && !e.disabled && !e.closest("[inert], [aria-hidden=true]"));
  all.forEach((e, i) => e.dataset.alKey = String(i));
  const text = (e) => e.getAttribute("aria-label") || e.innerText || e.value;
  const name = (e) => [e.tagName.toLowerCase(), e.className, text(e)].map(x => String(x || "").slice(0, 40))
    .join(" | ");
  const bars = new Set();
  return all.filter(e => {
    const bar = e.getAttribute("role") === "tab" && e.closest("[role=tablist]");
    if (!bar) return true;
    if (bars.has(bar)) return false;
    bars.add(bar);
    return true;
  }).map(e => {
    const bar = e.getAttribute("role") === "tab" && e.closest("[role=tablist]");
    const tabs = bar ? [...bar.querySelectorAll("[role=tab]")].map(t => t.dataset.alKey) : null;
    return [e.dataset.alKey, name(e), tabs];
  });
}"""


#: the focused control's key and its outline as drawn ("style width colour")
FOCUSED = """() => {
  const e = document.activeElement, s = e && getComputedStyle(e);
  return [e?.dataset.alKey ?? null, s ? `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}` : ""];
}"""


def visible_ring(ring: str) -> bool:
    """Is an outline ("style width colour") a focus ring one can see: the browser's own (``auto``) or a
    line of 2 px or more (WCAG 2.4.7; 2.4.13 asks for 2 px)."""
    style, width = ring.split()[:2]
    return style == "auto" or (style != "none" and float(width.removesuffix("px")) >= 2)


def keyboard_reach(page, max_presses: int = 200) -> list[str]:
    """Tab from the top of ``page`` through every control it has and assert each visible, enabled one
    takes the focus (of a tab bar, one tab) and shows it with a focus ring. Returns the controls' names
    in tab order."""
    want = page.evaluate(WANT, CONTROLS)
    page.evaluate("document.activeElement && document.activeElement.blur()")
    order: list[str] = []
    rings: dict[str, str] = {}
    for _ in range(max_presses):  # until the focus comes round to a control it has been on
        page.keyboard.press("Tab")
        key, ring = page.evaluate(FOCUSED)
        if key in order:
            break
        if key is not None:
            order.append(key)
            rings[key] = ring
    missing = [name for key, name, tabs in want if key not in order and not set(tabs or ()) & set(order)]
    assert not missing, f"not reached by Tab: {missing}"
    names = {key: name for key, name, _ in want}
    faint = [f"{names.get(key, key)}: {ring}" for key, ring in rings.items() if not visible_ring(ring)]
    assert not faint, f"no visible focus ring: {faint}"
    return [names.get(key, key) for key in order]
