"""Plain-text tables for the terminal."""

from __future__ import annotations


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def _money(x: float | None) -> str:
    return "n/a" if x is None else f"£{x:,.0f}"


def summary_table(result: dict) -> str:
    """The headline table printed by ``anchorlib summary``."""
    head = f"{'anchor':<16} {'total':>16} {'addressable':>16} {'local':>15} {'share':>7} {'leakage':>16} {'unknown loc.':>14}"
    lines = [head, "-" * len(head)]
    for r in result["anchors"]:
        lines.append(f"{r['anchor_id']:<16} {_money(r['total_spend']):>16} {_money(r['addressable_spend']):>16} "
                     f"{_money(r['local_spend']):>15} {_pct(r['local_share']):>7} {_money(r['leakage']):>16} "
                     f"{_money(r['unknown_location_spend']):>14}")
    n = result["network"]
    lines.append("-" * len(head))
    lines.append(f"{'network':<16} {_money(n['total_spend']):>16} {'':>16} {_money(n['local_spend']):>15} "
                 f"{_pct(n['local_share']):>7}  (pooled; mean of anchors' shares {_pct(n['mean_anchor_local_share'])})")
    c = result.get("choices", {})
    lines.append(f"area: {c.get('area')}; addressable rule set: {c.get('addressable_rule_set')}; "
                 f"IMD: {c.get('imd_vintage')}")
    return "\n".join(lines)
