"""The workbooks of figures: ``anchorlib summary --xlsx`` (``summary_sheets``) and the batch reports'
workbooks beside their HTML (``anchor_sheets``, ``network_sheets``). Written by ``anchorlib.export``:
real numbers with £ and % number formats, a frozen header, the choices on a sheet of their own."""

from __future__ import annotations

from anchorlib.export import Sheet, choices_sheet
from anchorlib.formatting import FIGURE_LABELS as L
from anchorlib.formatting import figure_kind

METHOD = "docs/methodology.md"

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
        "definitions": METHOD,
    }
    grants = _grant_sheets(result)
    if grants:  # a dataset with grants: VCSE reach that counts both beside the spend-only figure
        anchors.columns.append("VCSE share of spend and grants")
        anchors.kinds.append("pct")
        for row, r in zip(anchors.rows, result["anchors"]):
            row.append(r.get("vcse_share_of_spend_and_grants"))
    return [
        anchors,
        network,
        groups,
        *grants,
        choices_sheet({k: v for k, v in choices.items() if v is not None}),
    ]


#: A flow block of the summary JSON (``grants``, ``spend_and_grants``) as the grants sheet's columns.
FLOW_COLUMNS = [
    ("total", "Total (£)", "money"),
    ("addressable", "Addressable (£)", "money"),
    ("local", "Local (£)", "money"),
    ("unknown_location", "Unknown location (£)", "money"),
    ("local_share", L["local_share"], "pct"),
    ("vcse_share", "VCSE share", "pct"),
    ("imd_1_2_share", "IMD deciles 1-2 share", "pct"),
]
#: What each anchor's grant files held, as the grant files sheet's columns.
GRANT_FILE_COLUMNS = [
    ("grants.grants", "Grants loaded (GBP)", "count"),
    ("grants.rejected", "Grants rejected", "count"),
    ("grants.to_individuals.grants", "Grants to individuals", "count"),
    ("grants.to_individuals.amount", "Grants to individuals (£)", "money"),
    ("grants.placed_by.recipient postcode", "Placed by recipient postcode", "count"),
    ("grants.placed_by.beneficiary location", "Placed by beneficiary location", "count"),
    ("grants.placed_by.unknown location", "Location unknown", "count"),
]


def _grant_sheets(result: dict) -> list[Sheet]:
    """A summary with grants: the grant flow and both flows per anchor, each anchor's grant files, and
    the grants in other currencies (never added to pounds); none without grants."""
    rows = [r for r in result["anchors"] if "grants" in r]
    if not rows:
        return []
    flows = Sheet(
        "grants",
        ["Anchor id", "Anchor", "Money", *(label for _, label, _ in FLOW_COLUMNS)],
        ["text"] * 3 + [kind for _, _, kind in FLOW_COLUMNS],
        [
            [r["anchor_id"], r["name"], label, *(r[block].get(key) for key, _, _ in FLOW_COLUMNS)]
            for r in rows
            for block, label in (("grants", "grants"), ("spend_and_grants", "spend and grants"))
        ],
        "Grants beside spend per anchor (360Giving files; docs/methodology.md#grants)",
    )
    files = Sheet(
        "grant files",
        ["Anchor id", "Anchor", *(label for _, label, _ in GRANT_FILE_COLUMNS)],
        ["text"] * 2 + [kind for _, _, kind in GRANT_FILE_COLUMNS],
        [[r["anchor_id"], r["name"], *(_at_key(r, path) for path, _, _ in GRANT_FILE_COLUMNS)] for r in rows],
        "What each anchor's 360Giving files held and what placed the grants",
    )
    other = Sheet(
        "other currencies",
        ["Anchor id", "Anchor", "Currency", "Grants", "Amount (in that currency)"],
        ["text"] * 3 + ["count", "number"],
        [
            [r["anchor_id"], r["name"], cur, v["grants"], v["amount"]]
            for r in rows
            for cur, v in r["grants"]["other_currencies"].items()
        ],
        "Grants in currencies other than pounds: reported apart, never added to pounds",
    )
    return [flows, files, other]


def _at_key(record: dict, path: str):
    """``_at`` for a path whose last part may hold spaces or dots ('grants.placed_by.recipient postcode')."""
    head, _, last = path.rpartition(".")
    inner = _at(record, head)
    return inner.get(last) if isinstance(inner, dict) else None


def _figures_sheet(name: str, lead: dict, figures: dict, title: str) -> Sheet:
    """One row: ``lead`` (text columns, e.g. the anchor and period), then headline ``figures`` by their
    summary JSON keys, labelled and of their kind."""
    return Sheet(
        name,
        [*lead, *(L.get(k, k) for k in figures)],
        ["text"] * len(lead) + [figure_kind(k) for k in figures],
        [[*lead.values(), *figures.values()]],
        title,
    )


def by_category_sheet(data, name: str = "by category") -> Sheet:
    """``charts.leakage.local_by_category_data`` (one row per category and location status) as one row
    per category: addressable £ local, not local, of unknown location, and the total."""
    from anchorlib.charts.base import LOCAL_STATUS

    wide = data.pivot_table(index="category", columns="status", values="amount", aggfunc="sum", sort=False)
    wide = wide.reindex(columns=LOCAL_STATUS).fillna(0.0)
    wide["Addressable spend"] = wide.sum(axis=1)
    wide = wide.sort_values("Addressable spend", ascending=False, kind="stable").reset_index()
    wide.columns = ["Category", *(f"{s} (£)" for s in LOCAL_STATUS), "Addressable spend (£)"]
    money = {c: "money" for c in wide.columns if c != "Category"}
    return Sheet.from_frame(name, wide, money, "Addressable spend by category and where its suppliers are")


def anchor_sheets(
    ds, anchor_id: str, years: list[str] | None, area: str = "home", pool: str = "register"
) -> list[Sheet]:
    """The figures of one anchor's report (notebook 02) as sheets: headline, by year, by category, top
    suppliers, equity (availability over ``pool``), choices. The same functions make them as make the
    report."""
    from anchorlib.reports import views

    head = views.anchor_headline(ds, anchor_id, years, area)
    notes = head.notes
    lead = {"Anchor": notes["Anchor"], "Period": notes["Period"]}
    by_year = views.local_share_by_year_data(ds, anchor_id, area).rename(
        columns={
            "financial_year": "Financial year",
            "local_share": L["local_share"],
            "local_spend": L["local_spend"] + " (£)",
            "addressable_spend": L["addressable_spend"] + " (£)",
        }
    )
    return [
        _figures_sheet("headline", lead, head.figures, head.caption),
        Sheet.from_frame(
            "by year",
            by_year,
            {
                L["local_share"]: "pct",
                L["local_spend"] + " (£)": "money",
                L["addressable_spend"] + " (£)": "money",
            },
            "Local share by financial year",
        ),
        by_category_sheet(views.local_by_category_data(ds, anchor_id, years, area)),
        views.top_leaking_frame(ds, anchor_id, years, area).sheet("top suppliers"),
        views.equity_frame(ds, anchor_id, years, pool).sheet("equity"),
        *([g.sheet("grants beside spend")] if (g := views.grants_frame(ds, anchor_id, years, area)) else []),
        choices_sheet(
            {"dataset": str(ds.root), **notes, "IMD vintage": ds.geography.imd_vintage, "definitions": METHOD}
        ),
    ]


def network_sheets(ds, area: str = "home", summary: dict | None = None) -> list[Sheet]:
    """The figures of the network report (notebook 03) as sheets: headline, anchors, shared suppliers,
    choices."""
    from anchorlib.reports import views

    summary = summary or views.network_summary(ds, area)
    head = views.network_headline(ds, summary)
    return [
        _figures_sheet("headline", {"Period": head.notes["Period"]}, head.figures, head.caption),
        views.network_anchor_frame(summary).sheet("anchors"),
        views.shared_suppliers_frame(ds).sheet("shared suppliers"),
        *([g.sheet("grants beside spend")] if (g := views.network_grants_frame(summary)) else []),
        choices_sheet({"dataset": str(ds.root), **summary["choices"], **head.notes, "definitions": METHOD}),
    ]
