"""The workbooks of figures: ``anchorlib summary --xlsx`` (``summary_sheets``) and the batch reports'
workbooks beside their HTML (``anchor_sheets``, ``network_sheets``). Written by ``anchorlib.export``:
real numbers with £ and % number formats, a frozen header, the choices on a sheet of their own."""

from __future__ import annotations

from anchorlib.export import Sheet, choices_sheet
from anchorlib.formatting import FIGURE_LABELS as L

#: The summary JSON's anchor fields as the anchors sheet's columns: (JSON path, label, kind).
ANCHOR_COLUMNS = [
    ("anchor_id", "Anchor id", "text"),
    ("name", "Anchor", "text"),
    ("area", "Local area", "text"),
    ("total_spend", L["total_spend"], "money"),
    ("addressable_spend", L["addressable_spend"], "money"),
    ("local_spend", L["local_spend"], "money"),
    ("unknown_location_spend", L["unknown_location_spend"], "money"),
    ("local_share", L["local_share"], "pct"),
    ("leakage", L["leakage"], "money"),
    ("local_share_excluding_hq_only", L["local_share_excluding_hq_only"], "pct"),
    ("lm3", L["lm3"], "ratio"),
    ("lm3_detail.r1", "LM3 R1: addressable spend", "money"),
    ("lm3_detail.r2", "LM3 R2: spent with local suppliers", "money"),
    ("lm3_detail.r3", "LM3 R3: re-spent locally by surveyed suppliers", "money"),
    ("lm3_detail.surveyed_suppliers", "LM3 surveyed local suppliers", "count"),
    ("lm3_detail.unsurveyed_treatment", "LM3 unsurveyed local suppliers", "text"),
]
#: The network block's fields as the network sheet's columns (its two labels go to the choices sheet).
NETWORK_COLUMNS = [
    ("total_spend", L["total_spend"], "money"),
    ("addressable_spend", L["addressable_spend"], "money"),
    ("local_spend", L["local_spend"], "money"),
    ("unknown_location_spend", L["unknown_location_spend"], "money"),
    ("leakage", L["leakage"], "money"),
    ("local_share", "Local share, pooled (ratio of sums)", "pct"),
    ("mean_anchor_local_share", L["mean_anchor_local_share"], "pct"),
    ("n_anchors", "Anchors", "count"),
    ("anchors_in_mean", "Anchors in the mean", "count"),
]
#: Each group's fields as the groups sheet's columns, after the anchor and the group.
GROUP_COLUMNS = [
    ("utilisation", "Utilisation (share of spend)", "pct"),
    ("availability", "Availability (share of register)", "pct"),
    ("disparity_index", "Disparity index", "index"),
    ("below_four_fifths", "Below 80 (four-fifths rule)", "flag"),
    ("utilisation_unknown_share", "Spend membership unknown", "pct"),
    ("availability_unknown_share", "Register membership unknown", "pct"),
]


def _at(record: dict, path: str):
    for part in path.split("."):
        record = record.get(part) if isinstance(record, dict) else None
    return record


def summary_sheets(result: dict, dataset: str = "") -> list[Sheet]:
    """``metrics.summary``'s result (the JSON of ``anchorlib summary --json``) as four sheets: anchors,
    network, groups (one row per anchor and group) and choices; every number is the JSON's."""
    from anchorlib.metrics import GROUP_LABELS

    anchors = Sheet(
        "anchors",
        [label for _, label, _ in ANCHOR_COLUMNS],
        [kind for _, _, kind in ANCHOR_COLUMNS],
        [[_at(r, path) for path, _, _ in ANCHOR_COLUMNS] for r in result["anchors"]],
        "Headline figures per anchor (docs/methodology.md defines each)",
    )
    net = result["network"]
    network = Sheet(
        "network",
        ["Network", *(label for _, label, _ in NETWORK_COLUMNS)],
        ["text", *(kind for _, _, kind in NETWORK_COLUMNS)],
        [["all anchors", *(net.get(key) for key, _, _ in NETWORK_COLUMNS)]],
        "The network: pooled local share beside the mean of the anchors' shares",
    )
    rows = [
        [r["anchor_id"], r["name"], GROUP_LABELS.get(g, g), g, *(v.get(key) for key, _, _ in GROUP_COLUMNS)]
        for r in result["anchors"]
        for g, v in r["groups"].items()
    ]
    groups = Sheet(
        "groups",
        ["Anchor id", "Anchor", "Group", "Group key", *(label for _, label, _ in GROUP_COLUMNS)],
        ["text"] * 4 + [kind for _, _, kind in GROUP_COLUMNS],
        rows,
        "Equity of addressable spend per anchor and group: 100 x utilisation / availability",
    )
    choices = {
        **({"dataset": dataset} if dataset else {}),
        **result.get("choices", {}),
        "network local share": net.get("local_share_label"),
        "mean of the anchors' shares": net.get("mean_anchor_local_share_label"),
        "definitions": "docs/methodology.md",
    }
    return [anchors, network, groups, choices_sheet({k: v for k, v in choices.items() if v is not None})]
