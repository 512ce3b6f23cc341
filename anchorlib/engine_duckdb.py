"""The metrics aggregations as DuckDB SQL over ``Dataset.payments`` (DESIGN.md, Definitions).

Same arguments and results as the pandas functions in ``metrics`` (local share and leakage, per
anchor, by a column, equity, opportunities); used when the data is large. DuckDB scans the frame
through Arrow without copying its columns. ``SQL`` holds the per-row expressions so the same
metrics can be written for another SQL engine (README, "Going past one machine").
"""

from __future__ import annotations

import duckdb
import pandas as pd

from .places import Area

GROUP_FLAGS = {"sme": "is_sme", "vcse": "is_vcse", "bame_led": "bame_led", "women_led": "women_led",
               "youth_led": "youth_led", "imd_1_2": "imd_1_2"}
GROUP_LABELS = {"sme": "SME", "vcse": "VCSE", "bame_led": "BAME-led", "women_led": "Women-led",
                "youth_led": "Youth-led", "imd_1_2": "IMD deciles 1-2"}
FOUR_FIFTHS = 80.0


def _lit(s) -> str:
    if isinstance(s, bool):
        return "true" if s else "false"
    return "'" + str(s).replace("'", "''") + "'"


def local_sql(area: Area) -> str:
    """SQL boolean: the payment's supplier is located in ``area`` (unknown location -> false), as Area.contains."""
    if area.everywhere:
        return "(lad IS NOT NULL)"
    parts = [f"lad IN ({', '.join(_lit(x) for x in sorted(area.lads))})"] if area.lads else []
    if area.region is not None:
        parts.append(f"rgn = {_lit(area.region)}")
    return "coalesce(" + " OR ".join(parts or ["false"]) + ", false)"


# local share and leakage (DESIGN.md): sums over one group of payments, with {local} the area test
_SHARE_SQL = """
    coalesce(sum(amount), 0) AS total_spend,
    coalesce(sum(amount) FILTER (addressable), 0) AS addressable_spend,
    coalesce(sum(amount) FILTER (addressable AND {local}), 0) AS local_spend,
    coalesce(sum(amount) FILTER (addressable AND lad IS NULL), 0) AS unknown_location_spend,
    coalesce(sum(amount) FILTER (addressable AND lad IS NOT NULL), 0) AS known_addressable_spend,
    coalesce(sum(amount) FILTER (addressable AND {local} AND NOT coalesce(hq_only, false)), 0) AS local_ex_hq,
    coalesce(sum(amount) FILTER (addressable AND lad IS NOT NULL AND NOT coalesce(hq_only, false)), 0) AS known_ex_hq
"""


def _arrow(payments: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """The columns DuckDB needs (a copy-on-write view: DuckDB scans the Arrow-backed columns in place)."""
    return payments[list(dict.fromkeys(cols))]


def where_sql(filters: dict[str, list] | None) -> str:
    """SQL WHERE clause keeping rows whose column is in the given values, e.g. {"anchor_id": ["hackney"]}."""
    parts = [f'"{c}" IN ({", ".join(_lit(v) for v in vs)})' for c, vs in (filters or {}).items() if vs]
    return "WHERE " + " AND ".join(parts) if parts else ""


_DB = duckdb.connect()  # one in-memory database; each query gets its own cursor (cheap, thread-safe)


def _query(sql: str, **tables) -> pd.DataFrame:
    con = _DB.cursor()
    try:
        for name, t in tables.items():
            con.register(name, t)
        return con.execute(sql).df()
    finally:
        con.close()


def _div(a, b):
    return None if b == 0 else a / b


def _to_local_share(r, area: Area, ruleset_name: str):
    from .metrics import LocalShare

    add, loc, known = float(r["addressable_spend"]), float(r["local_spend"]), float(r["known_addressable_spend"])
    return LocalShare(
        total_spend=float(r["total_spend"]), addressable_spend=add, local_spend=loc,
        unknown_location_spend=float(r["unknown_location_spend"]), local_share=_div(loc, known),
        leakage=add - loc, known_leakage=known - loc, local_spend_excluding_hq_only=float(r["local_ex_hq"]),
        local_share_excluding_hq_only=_div(float(r["local_ex_hq"]), float(r["known_ex_hq"])),
        choices={"area": area.describe(), "addressable_rule_set": ruleset_name},
    )


_SHARE_COLS = ["amount", "addressable", "lad", "rgn", "hq_only"]


def local_share(payments: pd.DataFrame, area: Area, ruleset_name: str = "", filters: dict | None = None):
    """``metrics.local_share`` in SQL: one LocalShare for ``payments`` (rows matching ``filters``, see where_sql)."""
    df = _query(f"SELECT {_SHARE_SQL.format(local=local_sql(area))} FROM p {where_sql(filters)}",
                p=_arrow(payments, [*_SHARE_COLS, *(filters or {})]))
    return _to_local_share(df.iloc[0], area, ruleset_name)


def anchor_local_shares(payments: pd.DataFrame, areas: dict[str, Area], ruleset_name: str = "") -> dict:
    """LocalShare of each anchor in ``areas`` (anchor_id -> its area) in one pass: the core of ``summary``."""
    if not areas:
        return {}
    case = "CASE anchor_id " + " ".join(f"WHEN {_lit(a)} THEN {local_sql(ar)}" for a, ar in areas.items()) + " END"
    ids = ", ".join(_lit(a) for a in areas)
    df = _query(f"SELECT anchor_id, {_SHARE_SQL.format(local=case)} FROM p WHERE anchor_id IN ({ids}) GROUP BY anchor_id",
                p=_arrow(payments, ["anchor_id", *_SHARE_COLS]))
    got = {r["anchor_id"]: r for _, r in df.iterrows()}
    empty = pd.Series(0.0, index=df.columns.drop("anchor_id"))
    return {a: _to_local_share(got.get(a, empty), ar, ruleset_name) for a, ar in areas.items()}


def local_share_by(payments: pd.DataFrame, area: Area, by: str | list[str], filters: dict | None = None,
                   limit: int | None = None) -> pd.DataFrame:
    """Local share and leakage per value of ``by`` (e.g. 'category', 'financial_year', 'supplier_key'),
    largest leakage first (the first ``limit`` rows when given); ``filters`` as in where_sql."""
    keys = [by] if isinstance(by, str) else list(by)
    k = ", ".join(f'"{c}"' for c in keys)
    top = f"ORDER BY addressable_spend - local_spend DESC, {k} LIMIT {int(limit)}" if limit else ""
    df = _query(f"""SELECT {k}, {_SHARE_SQL.format(local=local_sql(area))} FROM p {where_sql(filters)}
                    GROUP BY {k} {top}""", p=_arrow(payments, [*keys, *_SHARE_COLS, *(filters or {})]))
    known = df["known_addressable_spend"]
    df["local_share"] = (df["local_spend"] / known).where(known != 0)
    df["leakage"] = df["addressable_spend"] - df["local_spend"]
    df["known_leakage"] = known - df["local_spend"]
    df = df.drop(columns=["local_ex_hq", "known_ex_hq"])
    return df.sort_values(["leakage", *keys], ascending=[False, *[True] * len(keys)], ignore_index=True)


def _flag_sql(flag: str) -> str:
    # IMD deciles 1-2: membership known where the supplier's IMD decile is known (its location)
    return "(imd_decile <= 2)" if flag == "imd_1_2" else f'"{flag}"'


def equity(ds, payments: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Utilisation, availability and disparity index per group (DESIGN.md), overall or per ``by`` value.

    Utilisation over addressable spend whose membership is known; availability over the supplier
    register (the availability pool) among suppliers whose membership is known.
    """
    reg = ds.suppliers
    flags = [f for f in GROUP_FLAGS.values() if f == "imd_1_2" or (f in payments.columns and f in reg.columns)]
    keys = [by] if by else []
    k = "".join(f'"{c}", ' for c in keys)
    groups = [(g, f) for g, f in GROUP_FLAGS.items() if f in flags]
    sums = ", ".join(f"""coalesce(sum(amount) FILTER ({_flag_sql(f)}), 0) AS "in_{g}",
        coalesce(sum(amount) FILTER ({_flag_sql(f)} IS NOT NULL), 0) AS "known_{g}" """ for g, f in groups)
    counts = ", ".join(f"""count(*) FILTER ({_flag_sql(f)}) AS "in_{g}",
        count(*) FILTER ({_flag_sql(f)} IS NOT NULL) AS "known_{g}" """ for g, f in groups)
    cols = [*keys, "amount", "addressable", "imd_decile", *[f for f in flags if f != "imd_1_2"]]
    rcols = ["imd_decile", *[f for f in flags if f != "imd_1_2"]]
    # one scan of the payments: every group's sums side by side, then one row per (key, group)
    wide = _query(f"""SELECT {k}coalesce(sum(amount), 0) AS addressable_spend, {sums} FROM p WHERE addressable
                      {"GROUP BY " + k.rstrip(", ") if keys else ""}""", p=_arrow(payments, cols))
    avail = _query(f"SELECT count(*) AS n_all, {counts} FROM r", r=_arrow(reg, rcols)).iloc[0]
    df = pd.concat([wide[keys].assign(
        group=g, spend_in_group=wide[f"in_{g}"], spend_membership_known=wide[f"known_{g}"],
        addressable_spend=wide["addressable_spend"], n_in=avail[f"in_{g}"], n_known=avail[f"known_{g}"],
        n_all=avail["n_all"]) for g, _ in groups], ignore_index=True)
    known = df["spend_membership_known"]
    df["utilisation"] = (df["spend_in_group"] / known).where(known != 0)
    df["availability"] = (df["n_in"] / df["n_known"]).where(df["n_known"] != 0)
    df["disparity_index"] = (100 * df["utilisation"] / df["availability"]).where(df["availability"] > 0)
    df["below_four_fifths"] = (df["disparity_index"] < FOUR_FIFTHS).where(df["disparity_index"].notna())
    add = df["addressable_spend"]
    df["utilisation_unknown_share"] = ((add - known) / add).where(add != 0)
    df["availability_unknown_share"] = ((df["n_all"] - df["n_known"]) / df["n_all"]).where(df["n_all"] != 0)
    df["label"] = df["group"].map(GROUP_LABELS)
    order = {g: i for i, g in enumerate(GROUP_FLAGS)}
    df = df.sort_values([*keys, "group"], key=lambda s: s.map(order) if s.name == "group" else s, ignore_index=True)
    return df[[*keys, "group", "label", "utilisation", "availability", "disparity_index", "below_four_fifths",
               "spend_in_group", "spend_membership_known", "utilisation_unknown_share", "availability_unknown_share"]]


def opportunities(ds, payments: pd.DataFrame, area: Area, k: int = 3, filters: dict | None = None) -> pd.DataFrame:
    """The ``k`` addressable categories leaking most (leakage = addressable - local, DESIGN.md), with the
    number of register suppliers in ``area`` that list the category; ``filters`` as in where_sql."""
    reg = ds.suppliers
    chosen = where_sql({**(filters or {}), "addressable": [True]})
    has_cats = "categories" in reg.columns
    listed = (f"""(SELECT count(*) FROM (SELECT trim(unnest(string_split(coalesce(categories, ''), ';'))) AS c
                  FROM r WHERE {local_sql(area)}) WHERE c = leak.category)""" if has_cats else "0")
    df = _query(f"""WITH leak AS (SELECT category, {_SHARE_SQL.format(local=local_sql(area))} FROM p {chosen}
                                  GROUP BY category HAVING category IS NOT NULL
                                  ORDER BY addressable_spend - local_spend DESC, category LIMIT {int(k)})
        SELECT *, {listed} AS local_suppliers_in_register FROM leak ORDER BY addressable_spend - local_spend DESC, category""",
                p=_arrow(payments, ["category", *_SHARE_COLS, *(filters or {})]),
                r=_arrow(reg, ["lad", "rgn", *(["categories"] if has_cats else [])]))
    known = df["known_addressable_spend"]
    return pd.DataFrame({"category": df["category"], "leakage": df["addressable_spend"] - df["local_spend"],
                         "local_suppliers_in_register": df["local_suppliers_in_register"].astype("int64"),
                         "addressable_spend": df["addressable_spend"],
                         "local_share": (df["local_spend"] / known).where(known != 0)})
