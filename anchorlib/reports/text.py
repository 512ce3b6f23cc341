"""Plain-text tables for the terminal."""

from __future__ import annotations

from anchorlib.formatting import disparity, money, multiplier, pct
from anchorlib.metrics import FOUR_FIFTHS

DI_GROUPS = [
    ("sme", "SME"),
    ("vcse", "VCSE"),
    ("bame_led", "BAME"),
    ("women_led", "women"),
    ("youth_led", "youth"),
    ("imd_1_2", "IMD1-2"),
]


def summary_table(result: dict) -> str:
    """The headline table printed by ``anchorlib summary``: per anchor total, addressable, local £ and %,
    leakage, unknown-location £, LM3 and disparity indices; the network pooled and mean, both labelled."""
    groups = [(g, label) for g, label in DI_GROUPS if any(g in r["groups"] for r in result["anchors"])]
    head = (
        f"{'anchor':<16} {'total':>15} {'addressable':>15} {'local':>14} {'share':>6} {'leakage':>15} "
        f"{'unknown loc.':>13} {'LM3':>5}  " + " ".join(f"{label:>6}" for _, label in groups)
    )
    lines = [head, "-" * len(head)]
    for r in result["anchors"]:
        lm3 = multiplier(r.get("lm3"))
        dis = " ".join(
            f"{disparity(r['groups'].get(g, {}).get('disparity_index'), FOUR_FIFTHS):>6}" for g, _ in groups
        )
        lines.append(
            f"{r['anchor_id']:<16} {money(r['total_spend']):>15} {money(r['addressable_spend']):>15} "
            f"{money(r['local_spend']):>14} {pct(r['local_share']):>6} {money(r['leakage']):>15} "
            f"{money(r['unknown_location_spend']):>13} {lm3:>5}  {dis}"
        )
    n = result["network"]
    lines.append("-" * len(head))
    lines.append(
        f"{'network':<16} {money(n['total_spend']):>15} {money(n.get('addressable_spend')):>15} "
        f"{money(n['local_spend']):>14} {pct(n['local_share']):>6} {money(n.get('leakage')):>15} "
        f"{money(n.get('unknown_location_spend')):>13}"
    )
    lines.append(
        f"network local share: {pct(n['local_share'])} pooled (ratio of sums); "
        f"{pct(n['mean_anchor_local_share'])} mean of the anchors' shares"
    )
    lines.append("disparity index = 100 x utilisation / availability; * = below 80 (four-fifths rule)")
    c = result.get("choices", {})
    lines.append(
        f"choices: area {c.get('area')}; addressable rule set: {c.get('addressable_rule_set')}; "
        f"IMD: {c.get('imd_vintage')}; LM3: {c.get('lm3')}"
    )
    lines += [f"local: {a}" for a in dict.fromkeys(r["area"] for r in result["anchors"])]  # by name and code
    return "\n".join(lines)
