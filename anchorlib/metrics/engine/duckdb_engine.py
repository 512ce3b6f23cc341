"""The metrics' sums in DuckDB SQL (anchorlib/metrics/engine/__init__.py lists what an engine sums).

DuckDB scans the payments frame's columns in place. Each sum is ``amount`` over the payments meeting
the conditions that anchorlib/metrics/definitions.py names for it (``SHARE_SUMS``), written here as SQL
``FILTER (WHERE ...)`` clauses. Each query first rolls the payments up by its keys and the few columns
its conditions read (location, the addressable and head-office flags, the group flags), then evaluates
the area and group tests on those thousands of rows rather than on every payment; payee names are
scanned as their categorical codes and decoded after aggregation. The statements are plain SQL, so the
same sums run on another SQL engine (README, "Going past one machine").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from anchorlib.data.places import Area
from anchorlib.data.relation import PaymentsRelation, is_relation
from anchorlib.data.sql import columns as _cols
from anchorlib.data.sql import literal as _lit
from anchorlib.data.sql import query
from anchorlib.data.suppliers import NO_NAME, SUPPLIER_ID_SQL
from anchorlib.metrics.definitions import ANY_LOCATION, COUNTS, SHARE_COLUMNS, SHARE_SUMS, SUPPLIER

#: The resolved supplier (``supplier_ids``) and its display name.
_SUPPLIER_COLS = ["register_row", "supplier_key", "supplier_name", "register_name"]
#: What the share sums' conditions read besides the keys.
_SHARE_COLS = ["amount", "addressable", "lad", "rgn", "hq_only"]


def local_sql(area: Area) -> str:
    """SQL boolean: the payment's supplier is located in ``area`` (unknown location -> false), as
    ``Area.contains``."""
    if area.everywhere:
        return "(lad IS NOT NULL)"
    parts = [f"lad IN ({', '.join(_lit(x) for x in sorted(area.lads))})"] if area.lads else []
    if area.region is not None:
        parts.append(f"rgn = {_lit(area.region)}")
    return "coalesce(" + " OR ".join(parts or ["false"]) + ", false)"


def _local(area: Area | dict[str, Area]) -> str:
    """The area test: one area, or anchor_id -> area (each anchor's payments local to its own area)."""
    if isinstance(area, Area):
        return local_sql(area)
    return (
        "CASE anchor_id "
        + " ".join(f"WHEN {_lit(a)} THEN {local_sql(ar)}" for a, ar in area.items())
        + " END"
    )


def share_sql(area: Area | dict[str, Area]) -> str:
    """The ``SHARE_COLUMNS`` select list over rolled-up payments (``amount`` summed, ``n`` counted)."""
    condition = {
        "addressable": "addressable",
        "local": _local(area),
        "known": "lad IS NOT NULL",
        "hq_only": "coalesce(hq_only, false)",
    }

    def where(need: tuple[str, ...]) -> str:
        parts = [f"NOT ({condition[c[1:]]})" if c.startswith("~") else f"({condition[c]})" for c in need]
        return f" FILTER (WHERE {' AND '.join(parts)})" if parts else ""

    sums = [f'coalesce(sum(amount){where(need)}, 0) AS "{c}"' for c, need in SHARE_SUMS.items()]
    counts = [f'CAST(coalesce(sum(n){where(need)}, 0) AS BIGINT) AS "{c}"' for c, need in COUNTS.items()]
    return ",\n    ".join([*sums, *counts])


def where_sql(filters: dict[str, list] | None) -> str:
    """SQL WHERE clause keeping rows whose column is in the given values, e.g. {"anchor_id": ["hackney"]}."""
    parts = [f'"{c}" IN ({", ".join(_lit(v) for v in vs)})' for c, vs in (filters or {}).items() if vs]
    return "WHERE " + " AND ".join(parts) if parts else ""


def _arrow(payments: pd.DataFrame | PaymentsRelation, cols: list[str]) -> pd.DataFrame | PaymentsRelation:
    """The columns DuckDB needs (a copy-on-write view: DuckDB scans the columns in place); an out-of-core
    dataset's payments as they are (the query reads only these columns of its Parquet parts)."""
    if is_relation(payments):
        return payments
    return payments[list(dict.fromkeys(cols))]


def _rollup(keys: list[str], areas: list[Area], filters: dict | None) -> str:
    """The payments rolled up to one row per ``keys`` value, location and addressable/hq_only flags
    (``amount`` summed, ``n`` payments counted): the share sums over these rows equal the sums over the
    payments, and the per-row area tests run on thousands of rows instead of millions."""
    loc = ["lad", *(["rgn"] if any(a.region is not None for a in areas) else [])]
    c = _cols(dict.fromkeys([*keys, *loc, "addressable", "hq_only"]))
    return f"SELECT {c}, sum(amount) AS amount, count(*) AS n FROM p {where_sql(filters)} GROUP BY {c}"


def _coded(payments: pd.DataFrame, cols: list[str], many: list[str]) -> tuple[pd.DataFrame, dict, list[str]]:
    """``payments[cols]`` for DuckDB with the categorical columns among ``many`` as their integer codes
    (``<col>__code``) and a table ``d_<col>`` (code, v) per column to decode them after aggregation: DuckDB
    turns a categorical into an ENUM by reading every category as a Python object, tens of ms per query
    for thousands of payee names. Returns (frame, tables, the columns coded). Parquet parts hold text as
    text (dictionary-encoded): nothing to code."""
    frame = _arrow(payments, cols)
    if is_relation(payments):
        return frame, {}, []
    coded = [c for c in many if isinstance(payments[c].dtype, pd.CategoricalDtype)]
    tables = {}
    for c in coded:
        cat = payments[c].cat
        frame = frame.drop(columns=c).assign(**{f"{c}__code": cat.codes.to_numpy()})
        tables[f"d_{c}"] = pd.DataFrame(
            {"code": np.arange(len(cat.categories), dtype=cat.codes.dtype), "v": cat.categories}
        )
    return frame, tables, coded


def _decoded(coded: list[str]) -> str:
    """SELECT from the rollup ``r`` with the coded columns decoded (``_coded``)."""
    if not coded:
        return "SELECT * FROM r"
    return (  # the code columns stay beside their texts (plain SQL: no EXCLUDE)
        "SELECT r.*, "
        + ", ".join(f'"d_{c}".v AS "{c}"' for c in coded)
        + " FROM r"
        + "".join(f' LEFT JOIN "d_{c}" ON r."{c}__code" = "d_{c}".code' for c in coded)
    )


_NAMES_SQL = f"""SELECT supplier_id,
    coalesce(min(register_name), min(supplier_name), '{NO_NAME}') AS supplier, min(lad) AS lad
    FROM g GROUP BY supplier_id"""


class DuckDBEngine:
    """The sums as SQL, run by DuckDB. The statements are written once, in DuckDB's dialect; another SQL
    engine (anchorlib/metrics/engine/spark_engine.py) overrides ``run`` alone."""

    name = "duckdb"

    def run(self, sql: str, **tables) -> pd.DataFrame:
        """``sql`` over ``tables`` (name -> frame or PaymentsRelation), the result as a frame."""
        return query(sql, **tables)

    def share_sums(
        self,
        payments: pd.DataFrame,
        area: Area | dict[str, Area],
        keys: list[str],
        *,
        names: bool = True,
        filters: dict[str, list] | None = None,
    ) -> pd.DataFrame:
        """``SHARE_COLUMNS`` per value of ``keys`` in one scan (rows in no particular order). With SUPPLIER,
        ``supplier_id`` stands in its place, and (``names``) the display name ``supplier`` and ``lad``
        follow."""
        keys = list(keys)
        areas = list(area.values()) if isinstance(area, dict) else [area]
        if isinstance(area, dict):
            keys = ["anchor_id", *[k for k in keys if k != "anchor_id"]]
            if not area:
                return pd.DataFrame(columns=[*keys, *SHARE_COLUMNS])
            filters = {**(filters or {}), "anchor_id": list(area)}
        cols = ["supplier_id" if c == SUPPLIER else c for c in keys]
        raw = [c for c in keys if c != SUPPLIER]
        share = share_sql(area)
        need = [*raw, *_SHARE_COLS, *(filters or {})]
        if SUPPLIER not in keys:
            group = f"GROUP BY {_cols(cols)}" if cols else ""
            select = f"{_cols(cols)}, " if cols else ""
            sql = f"SELECT {select}{share} FROM ({_rollup(raw, areas, filters)}) {group}"
            return self.run(sql, p=_arrow(payments, need))
        frame, tables, coded = _coded(payments, [*need, *_SUPPLIER_COLS], _SUPPLIER_COLS[1:])
        rolled = _rollup([*raw, *(f"{c}__code" if c in coded else c for c in _SUPPLIER_COLS)], areas, filters)
        sums = f"SELECT {_cols(cols)}, {share} FROM g GROUP BY {_cols(cols)}"
        final = (
            f"SELECT s.*, names.supplier, names.lad FROM ({sums}) s "
            f"JOIN ({_NAMES_SQL}) names USING (supplier_id)"
            if names
            else sums
        )
        sql = f"""WITH r AS ({rolled}),
            g AS (SELECT *, {SUPPLIER_ID_SQL} AS supplier_id FROM ({_decoded(coded)}))
            {final}"""
        return self.run(sql, p=frame, **tables)

    def supplier_names(self, payments: pd.DataFrame, ids: list[str]) -> pd.DataFrame:
        """Per resolved supplier in ``ids``: display name ``supplier`` and ``lad``, indexed by
        ``supplier_id``."""
        frame, tables, coded = _coded(payments, [*_SUPPLIER_COLS, "lad"], _SUPPLIER_COLS[1:])
        keys = _cols(dict.fromkeys([*(f"{c}__code" if c in coded else c for c in _SUPPLIER_COLS), "lad"]))
        sql = f"""WITH r AS (SELECT {keys} FROM p GROUP BY {keys}),
            g AS (SELECT * FROM (SELECT *, {SUPPLIER_ID_SQL} AS supplier_id FROM ({_decoded(coded)}))
                  WHERE supplier_id IN (SELECT id FROM want))
            {_NAMES_SQL}"""
        out = self.run(
            sql, p=frame, want=pd.DataFrame({"id": pd.Series(list(ids), dtype="string")}), **tables
        )
        out = out.astype("string")
        return out.set_index(pd.Index(out.pop("supplier_id"), name="supplier_id"))

    def equity_sums(
        self, payments: pd.DataFrame, groups: list[tuple[str, str]], keys: list[str]
    ) -> pd.DataFrame:
        """Per ``keys`` value, over addressable payments: addressable_spend and each group's in_g / known_g £.
        One scan: the payments rolled up by ``keys`` and the group flags (IMD deciles 1-2 as one flag, known
        where the supplier's decile is), then every group's sums side by side over those few rows."""
        flags = [f for _, f in groups if f != "imd_1_2"]
        roll = _cols([*keys, *flags])
        rolled = (
            f"SELECT {roll + ', ' if roll else ''}imd_decile <= 2 AS imd_1_2, sum(amount) AS amount "
            f"FROM p WHERE addressable GROUP BY ALL"
        )
        sums = ", ".join(
            f'coalesce(sum(amount) FILTER (WHERE "{f}"), 0) AS "in_{g}", '
            f'coalesce(sum(amount) FILTER (WHERE "{f}" IS NOT NULL), 0) AS "known_{g}"'
            for g, f in groups
        )
        k = _cols(keys)
        sql = f"""SELECT {k + ", " if keys else ""}coalesce(sum(amount), 0) AS addressable_spend, {sums}
                  FROM ({rolled}) {"GROUP BY " + k if keys else ""}"""
        return self.run(sql, p=_arrow(payments, [*keys, "amount", "addressable", "imd_decile", *flags]))

    def decile_spend(self, payments: pd.DataFrame) -> tuple[pd.Series, np.ndarray, np.ndarray]:
        """(IMD decile, addressable £, supplier code) per IMD decile and resolved supplier with addressable
        payments (the same totals and distinct suppliers per decile as one row per payment)."""
        s = self.share_sums(payments, ANY_LOCATION, ["imd_decile", SUPPLIER], names=False)
        s = s[s["addressable_payments"] > 0]
        return s["imd_decile"], s["addressable_spend"].to_numpy(dtype=float), np.arange(len(s))

    def resolve(self, payments: pd.DataFrame) -> pd.DataFrame:
        """The payments as they are: SQL resolves the suppliers in each query."""
        return payments


DUCKDB = DuckDBEngine()
