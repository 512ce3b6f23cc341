"""The metrics aggregations as DuckDB SQL over ``Dataset.payments`` (DESIGN.md, Definitions).

Same arguments and results as the pandas functions in ``metrics`` (local share and leakage, per
anchor, by a column, equity, opportunities); used when the data is large. DuckDB scans the frame's
columns in place. Each metric is one query that first rolls the payments up by its keys and the few
columns its tests read (location, addressable, head-office flag, group flags), then evaluates the
area and group tests on those thousands of rows rather than on every payment; payee names are
scanned as their categorical codes and decoded after aggregation. ``_SHARE_SQL``, ``local_sql`` and
``SUPPLIER_ID_SQL`` are plain SQL, so the same metrics can run on another SQL engine (README,
"Going past one machine")."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from anchorlib.data.places import Area
from anchorlib.metrics.definitions import (
    GROUPS,
    SHARE_COLUMNS,
    SUPPLIER,
    availability_counts,
    equity_frame,
    equity_groups,
    finish_shares,
    local_shares,
    to_local_share,
)

GROUP_FLAGS = GROUPS  # the one list of groups lives in metrics_base


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


# local share and leakage (DESIGN.md): sums over the rolled-up payments (see _rollup), {local} the area test
_SHARE_SQL = """
    coalesce(sum(amount), 0) AS total_spend,
    coalesce(sum(amount) FILTER (addressable), 0) AS addressable_spend,
    coalesce(sum(amount) FILTER (addressable AND {local}), 0) AS local_spend,
    coalesce(sum(amount) FILTER (addressable AND lad IS NULL), 0) AS unknown_location_spend,
    coalesce(sum(amount) FILTER (addressable AND lad IS NOT NULL), 0) AS known_addressable_spend,
    coalesce(sum(amount) FILTER (addressable AND {local} AND NOT coalesce(hq_only, false)), 0) AS local_ex_hq,
    coalesce(sum(amount) FILTER (addressable AND lad IS NOT NULL AND NOT coalesce(hq_only, false)), 0) AS known_ex_hq,
    CAST(coalesce(sum(n) FILTER (addressable), 0) AS BIGINT) AS addressable_payments
"""

# the resolved supplier of a payment, as metrics_base.supplier_ids
SUPPLIER_ID_SQL = """CASE WHEN register_row IS NOT NULL THEN 'R' || CAST(register_row AS VARCHAR)
    WHEN supplier_key IS NOT NULL THEN 'K' || supplier_key WHEN supplier_name IS NOT NULL THEN 'N' || supplier_name
    ELSE '(no payee name)' END"""
_SUPPLIER_COLS = [
    "register_row",
    "supplier_key",
    "supplier_name",
    "register_name",
]  # the resolved supplier, its name


def _arrow(payments: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """The columns DuckDB needs (a copy-on-write view: DuckDB scans the columns in place)."""
    return payments[list(dict.fromkeys(cols))]


def where_sql(filters: dict[str, list] | None) -> str:
    """SQL WHERE clause keeping rows whose column is in the given values, e.g. {"anchor_id": ["hackney"]}."""
    parts = [f'"{c}" IN ({", ".join(_lit(v) for v in vs)})' for c, vs in (filters or {}).items() if vs]
    return "WHERE " + " AND ".join(parts) if parts else ""


_DB = duckdb.connect()  # one in-memory database; each query gets its own cursor (cheap, thread-safe)


def query(sql: str, **tables) -> pd.DataFrame:
    """Run ``sql`` on the one in-memory database with ``tables`` (name -> DataFrame) registered."""
    con = _DB.cursor()
    try:
        for name, t in tables.items():
            con.register(name, t)
        return con.execute(sql).df()
    finally:
        con.close()


def _cols(cols) -> str:
    return ", ".join(f'"{c}"' for c in cols)


def _local(area: Area | dict[str, Area]) -> str:
    """The area test: one area, or anchor_id -> area (each anchor's payments local to its own area)."""
    if isinstance(area, Area):
        return local_sql(area)
    return (
        "CASE anchor_id "
        + " ".join(f"WHEN {_lit(a)} THEN {local_sql(ar)}" for a, ar in area.items())
        + " END"
    )


def _rollup(keys: list[str], areas: list[Area], filters: dict | None) -> str:
    """The payments rolled up to one row per ``keys`` value, location and addressable/hq_only flags (``amount``
    summed, ``n`` payments counted): the share sums over these rows equal the sums over the payments, and
    the per-row area tests run on thousands of rows instead of millions."""
    loc = ["lad", *(["rgn"] if any(a.region is not None for a in areas) else [])]
    c = _cols(dict.fromkeys([*keys, *loc, "addressable", "hq_only"]))
    return f"SELECT {c}, sum(amount) AS amount, count(*) AS n FROM p {where_sql(filters)} GROUP BY {c}"


_SHARE_COLS = ["amount", "addressable", "lad", "rgn", "hq_only"]


def _sums(
    payments: pd.DataFrame,
    area: Area | dict[str, Area],
    keys: list[str],
    filters: dict | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """SHARE_COLUMNS sums per ``keys`` value (columns, or SUPPLIER: then ``supplier_id``, ``supplier``, ``lad``),
    in one scan of the payments; ``area`` a dict groups by anchor_id and tests each anchor's own area."""
    areas = list(area.values()) if isinstance(area, dict) else [area]
    if isinstance(area, dict):
        if not area:
            return pd.DataFrame(columns=["anchor_id", *[k for k in keys if k != "anchor_id"], *SHARE_COLUMNS])
        keys = ["anchor_id", *[k for k in keys if k != "anchor_id"]]
        filters = {**(filters or {}), "anchor_id": list(area)}
    cols = ["supplier_id" if c == SUPPLIER else c for c in keys]
    raw = [c for c in keys if c != SUPPLIER]
    share = _SHARE_SQL.format(local=_local(area))
    top = (
        f"ORDER BY addressable_spend - local_spend DESC, {_cols(cols)} LIMIT {int(limit)}"
        if limit and keys
        else ""
    )
    need = [*raw, *_SHARE_COLS, *(filters or {})]
    if SUPPLIER in keys:
        frame, tables, coded = _coded(payments, [*need, *_SUPPLIER_COLS], _SUPPLIER_COLS[1:])
        decode = (
            "SELECT * FROM r"
            if not coded
            else (
                f"SELECT r.* EXCLUDE ({_cols(f'{c}__code' for c in coded)}), "
                + ", ".join(f'"d_{c}".v AS "{c}"' for c in coded)
                + " FROM r"
                + "".join(f' LEFT JOIN "d_{c}" ON r."{c}__code" = "d_{c}".code' for c in coded)
            )
        )
        sql = f"""WITH r AS ({_rollup([*raw, *(f"{c}__code" if c in coded else c for c in _SUPPLIER_COLS)], areas, filters)}),
            g AS (SELECT *, {SUPPLIER_ID_SQL} AS supplier_id FROM ({decode})),
            names AS (SELECT supplier_id, coalesce(min(register_name), min(supplier_name), '(no payee name)') AS supplier,
                             min(lad) AS lad FROM g GROUP BY supplier_id),
            s AS (SELECT {_cols(cols)}, {share} FROM g GROUP BY {_cols(cols)} {top})
            SELECT s.*, names.supplier, names.lad FROM s JOIN names USING (supplier_id)"""
        return query(sql, p=frame, **tables)
    group = f"GROUP BY {_cols(cols)}" if cols else ""
    sql = f"SELECT {_cols(cols) + ', ' if cols else ''}{share} FROM ({_rollup(raw, areas, filters)}) {group} {top}"
    return query(sql, p=_arrow(payments, need))


def _coded(payments: pd.DataFrame, cols: list[str], many: list[str]) -> tuple[pd.DataFrame, dict, list[str]]:
    """``payments[cols]`` for DuckDB with the categorical columns among ``many`` as their integer codes
    (``<col>__code``) and a table ``d_<col>`` (code, v) per column to decode them after aggregation: DuckDB
    turns a categorical into an ENUM by reading every category as a Python object, tens of ms per query
    for thousands of payee names. Returns (frame, tables, the columns coded)."""
    frame = _arrow(payments, cols)
    coded = [c for c in many if isinstance(payments[c].dtype, pd.CategoricalDtype)]
    tables = {}
    for c in coded:
        cat = payments[c].cat
        frame = frame.drop(columns=c).assign(**{f"{c}__code": cat.codes.to_numpy()})
        tables[f"d_{c}"] = pd.DataFrame(
            {"code": np.arange(len(cat.categories), dtype=cat.codes.dtype), "v": cat.categories}
        )
    return frame, tables, coded


def local_share(payments: pd.DataFrame, area: Area, ruleset_name: str = "", filters: dict | None = None):
    """``metrics.local_share`` in SQL: one LocalShare for ``payments`` (rows matching ``filters``, see where_sql)."""
    return to_local_share(_sums(payments, area, [], filters).iloc[0], area, ruleset_name)


def anchor_local_shares(payments: pd.DataFrame, areas: dict[str, Area], ruleset_name: str = "") -> dict:
    """LocalShare of each anchor in ``areas`` (anchor_id -> its area) in one pass: the core of ``summary``."""
    return local_shares(_sums(payments, areas, []), areas, ruleset_name)


def share_sums(
    payments: pd.DataFrame, area: Area | dict[str, Area], keys: list[str], filters: dict | None = None
) -> pd.DataFrame:
    """``metrics_base.share_sums`` in SQL: the same columns (rows in no particular order)."""
    return _sums(payments, area, list(keys), filters)


def local_share_by(
    payments: pd.DataFrame,
    area: Area,
    by: str | list[str],
    filters: dict | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """Local share and leakage per value of ``by`` (columns, or ``"supplier"`` for the resolved supplier:
    then ``supplier_id``, display name ``supplier`` and ``lad``), largest leakage first (the first
    ``limit`` rows when given); ``filters`` as in where_sql."""
    keys = [by] if isinstance(by, str) else list(by)
    return finish_shares(_sums(payments, area, keys, filters, limit), keys).drop(
        columns=["local_ex_hq", "known_ex_hq"]
    )


def equity_sums(payments: pd.DataFrame, groups: list[tuple[str, str]], keys: list[str]) -> pd.DataFrame:
    """Per ``keys`` value, over addressable payments: addressable_spend and each group's in_g / known_g £.
    One scan: the payments rolled up by ``keys`` and the group flags (IMD deciles 1-2 as one flag, known
    where the supplier's decile is), then every group's sums side by side over those few rows."""
    flags = [f for _, f in groups if f != "imd_1_2"]
    roll = _cols([*keys, *flags])
    rolled = f"SELECT {roll}, imd_decile <= 2 AS imd_1_2, sum(amount) AS amount FROM p WHERE addressable GROUP BY ALL"
    sums = ", ".join(
        f"""coalesce(sum(amount) FILTER ("{f}"), 0) AS "in_{g}",
        coalesce(sum(amount) FILTER ("{f}" IS NOT NULL), 0) AS "known_{g}" """
        for g, f in groups
    )
    k = _cols(keys)
    return query(
        f"""SELECT {k + ", " if keys else ""}coalesce(sum(amount), 0) AS addressable_spend, {sums}
                      FROM ({rolled}) {"GROUP BY " + k if keys else ""}""",
        p=_arrow(payments, [*keys, "amount", "addressable", "imd_decile", *flags]),
    )


def equity(ds, payments: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Utilisation, availability and disparity index per group (DESIGN.md), overall or per ``by`` value:
    ``metrics.equity`` with the payments' sums in SQL."""
    groups = equity_groups(ds.suppliers)
    keys = [by] if by else []
    return equity_frame(
        equity_sums(payments, groups, keys), availability_counts(ds.suppliers, groups), keys, groups
    )


def opportunities(
    ds, payments: pd.DataFrame, area: Area, min_local_suppliers: int = 3, filters: dict | None = None
) -> pd.DataFrame:
    """``metrics.opportunities`` with the leakage per category in SQL; ``filters`` as in where_sql."""
    from anchorlib.metrics.leakage import opportunities_frame

    chosen = {**(filters or {}), "addressable": [True]}
    return opportunities_frame(
        ds, local_share_by(payments, area, "category", filters=chosen), area, min_local_suppliers
    )
