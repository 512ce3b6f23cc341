"""Plain-text tables for the terminal."""

from __future__ import annotations

from anchorlib.formatting import NO_KNOWN_LOCATION, NO_KNOWN_MEMBERSHIP, disparity, money, multiplier, pct
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
    if n["local_share"] is None:
        lines.append(f"local share n/a: {NO_KNOWN_LOCATION}")
    lines.append("disparity index = 100 x utilisation / availability; * = below 80 (four-fifths rule)")
    shown = [r["groups"].get(g) for r in result["anchors"] for g, _ in groups]
    availability = [x.get("availability") for x in shown if x and x.get("disparity_index") is None]
    if any(a is None for a in availability):
        lines.append(f"disparity n/a where {NO_KNOWN_MEMBERSHIP}")
    if any(a == 0 for a in availability):
        lines.append(
            "disparity n/a where no business in the availability pool is in the group (availability 0)"
        )
    c = result.get("choices", {})
    lines.append(
        f"choices: area {c.get('area')}; addressable rule set: {c.get('addressable_rule_set')}; "
        f"IMD: {c.get('imd_vintage')}; LM3: {c.get('lm3')}"
    )
    if c.get("availability_pool"):
        lines.append(f"availability pool: {c['availability_pool']}")
    lines += [f"local: {a}" for a in dict.fromkeys(r["area"] for r in result["anchors"])]  # by name and code
    lines += _grant_lines(result)
    return "\n".join(lines)


def _grant_lines(result: dict) -> list[str]:
    """Grants beside spend, per anchor with grants: their £ and local share, the VCSE share of spend and of
    spend and grants, and the grants in other currencies (never added to pounds)."""
    rows = [r for r in result["anchors"] if "grants" in r]
    if not rows:
        return []
    out = [f"grants beside spend (360Giving; {result['choices'].get('grant_location', '')}):"]
    for r in rows:
        g = r["grants"]
        other = ", ".join(
            f"{c} {v['amount']:,.2f} ({v['grants']:,} grant{'s' if v['grants'] != 1 else ''})"
            for c, v in g["other_currencies"].items()
        )
        out.append(
            f"  {r['anchor_id']}: grants {money(g['total'])}, local share {pct(g['local_share'])}; "
            f"VCSE share of spend {pct(r['groups'].get('vcse', {}).get('utilisation'))}, of spend and grants "
            f"{pct(r['vcse_share_of_spend_and_grants'])}" + (f"; not in pounds: {other}" if other else "")
        )
    return out


def register_text(report: dict) -> str:
    """What ``anchorlib register build`` prints: payees and spend by method, the location now known, what
    the register gained, the population, the files read and the choices (``--json`` has it all)."""
    methods = report["methods"]
    head = f"{'method':<10} {'payees':>8} {'share':>7} {'spend':>16} {'share':>7}"
    lines = [
        f"register built for {report['dataset']}: {report['payees']:,} payees, {money(report['spend'])} "
        "(redacted payees never take part)",
        head,
        "-" * len(head),
    ]
    for m, v in methods.items():
        lines.append(
            f"{m:<10} {v['payees']:>8,} {pct(v['payee_share']):>7} {money(v['spend']):>16} "
            f"{pct(v['spend_share']):>7}"
        )
    known = report["addressable_spend_location_known_share"]
    lines.append(
        f"addressable spend whose supplier's location is known: {pct(known['before'])} before, "
        f"{pct(known['after'])} now (of {money(report['addressable_spend'])})"
    )
    r = report["register"]
    filled = ", ".join(f"{c} {n:,}" for c, n in r["blanks_filled"].items() if n) or "none"
    lines.append(
        f"suppliers.csv: {r['rows_before']:,} rows kept as written (blanks filled: {filled}); "
        f"{r['rows_added']:,} added; {r['rows_dropped']:,} unused rows of an earlier build dropped"
    )
    pop = report.get("population")
    if pop:
        lines.append(f"population.csv: {pop['rows']:,} live businesses in {'; '.join(pop['areas'])}")
    read = report["registers_read"]
    chf = read["companies_house"]
    lines.append(
        f"read: Companies House {chf['rows']:,} companies ({chf['rows_skipped']:,} rows skipped)"
        + (
            f"; Charity Commission {read['charity_commission']['rows']:,} charities "
            f"({read['charity_commission']['rows_skipped']:,} rows skipped)"
            if read.get("charity_commission")
            else ""
        )
    )
    for s in [*chf["skipped"][:5], *((read.get("charity_commission") or {}).get("skipped", [])[:5])]:
        lines.append(f"  skipped: {s.get('file', '')}:{s.get('line')}: {s['reason']}")
    c = report["choices"]
    lines.append(f"rules: {c['register_rules']['name']}; SIC categories: {c['sic_categories']}")
    lines.append(f"location: {c['register_rules']['location']}; {c['register_rules']['head_office_effect']}")
    lines.append("review: register_matches.csv (largest first); decisions go in supplier_matches.csv")
    return "\n".join(lines)
