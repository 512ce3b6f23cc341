"""``anchorlib register build``: the supplier register from Companies House and the Charity Commission
(docs/methodology.md#register-matching, #register-rules).

Every payee name of the dataset's spend files (redacted payees never take part) that the register does
not already match is matched to the registers' companies and charities by name (``matcher``); the
register's own rows are matched too, by their company or charity number where they give one, else by
name, so that their blanks can be filled. Analyst decisions in ``supplier_matches.csv`` (``spend_name,
register_name``, optionally ``company_number`` or ``charity_number`` to say which entity) always win.

Written beside the dataset:

- ``suppliers.csv``: the rows it had, as written, with only their blanks filled (and counted per column),
  then one row per company or charity matched; the dataset contract's columns plus ``source``,
  ``location_source``, ``company_status``, ``company_category``, ``account_category``, ``sic_codes``,
  ``aliases`` (other names the dataset's matching should know a supplier by: a previous name a payee
  used, or a payee's spelling only the registers' longer legal forms explain) and ``register_rules``;
- ``register_matches.csv``: one row per payee: payee, candidate, register, id, method (exact, fuzzy,
  override, ambiguous, none), score, spend, and how the dataset now resolves it;
- ``population.csv`` and ``population.json``: the local business population (``population.py``).

The methods reported are the dataset's own (``open_dataset`` on the written files, as every figure will
be computed), so the report never claims a match the figures do not use.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from anchorlib.data.dataset import REGISTER_COLUMNS
from anchorlib.data.payments import GROUP_FLAGS
from anchorlib.data.places import normalise_postcodes
from anchorlib.data.registers import charities as cc
from anchorlib.data.registers import companies as ch
from anchorlib.data.registers.matcher import CURRENT, LIVE, NOT_LIVE, OTHER, REVIEW_FLOOR, Match, NameIndex
from anchorlib.data.registers.names import Prefilter, register_key
from anchorlib.data.registers.population import COLUMNS as POPULATION_COLUMNS
from anchorlib.data.registers.population import MANIFEST_FILE, POPULATION_FILE
from anchorlib.data.registers.rules import (
    LOCATION_SOURCES,
    RegisterRules,
    read_rules,
    read_sic_categories,
    sic_code,
)
from anchorlib.data.suppliers import FUZZY_THRESHOLD, normalise_name
from anchorlib.errors import DatasetError

SUPPLIERS_FILE = "suppliers.csv"
MATCHES_FILE = "register_matches.csv"
DECISIONS_FILE = "supplier_matches.csv"
#: suppliers.csv's columns as the dataset contract lists them (README, "Point it at your own data"), then
#: those of the register build.
CONTRACT = ["supplier_name", "postcode", "company_number", "charity_number", *GROUP_FLAGS, "categories"]
EXTRA = REGISTER_COLUMNS
#: The columns the builder fills where a row leaves them blank (bame_led, women_led, youth_led, hq_only and
#: categories stay as the analyst or a supplier survey gives them).
FILLED = ["postcode", "company_number", "charity_number", "is_sme", "is_vcse", *EXTRA]
ANALYST = ["bame_led", "women_led", "youth_led", "hq_only", "categories"]
MATCH_COLUMNS = [
    "payee",
    "candidate",
    "register",
    "id",
    "method",
    "score",
    "spend",
    "addressable_spend",
    "supplier_name",
    "company_number",
    "charity_number",
    "status",
    "postcode",
    "note",
]
METHODS = ["exact", "fuzzy", "override", "ambiguous", "none"]
REGISTERS = {"ch": "companies_house", "cc": "charity_commission"}


def company_number(values: pd.Series) -> pd.Series:
    """Company numbers as Companies House writes them: text, upper case, without spaces, eight characters
    with the leading zeros a spreadsheet drops ('849633' -> '00849633'; 'SC123456' stays)."""
    s = values.astype("string").str.upper().str.replace(r"\s+", "", regex=True)
    s = s.mask(s == "", pd.NA)
    digits = s.str.fullmatch(r"\d{1,8}").fillna(False)
    return s.mask(digits, s.str.zfill(8)).astype("string")


def charity_number(values: pd.Series) -> pd.Series:
    """Registered charity numbers as digits ('1 098 765' -> '1098765'; a suffix such as '-1' dropped)."""
    s = values.astype("string").str.replace(r"\s+", "", regex=True).str.extract(r"^(\d+)", expand=False)
    return s.astype("string")


def _blank(s: pd.Series) -> pd.Series:
    return s.isna() | (s.astype("string").str.strip() == "")


def _flag_text(b: pd.Series) -> pd.Series:
    return b.astype("boolean").map({True: "yes", False: "no"}).astype("string")


@dataclass
class Decision:
    """One row of supplier_matches.csv: the payee's key, the register name it names (None: never match),
    the entity numbers given, and its line."""

    spend_key: str
    register_name: str | None
    company_number: str | None
    charity_number: str | None
    line: int


@dataclass
class BuildResult:
    suppliers: pd.DataFrame
    matches: pd.DataFrame
    population: pd.DataFrame | None
    report: dict = field(default_factory=dict)


# --- reading --------------------------------------------------------------------------------------------


def _raw_register(root: Path) -> pd.DataFrame:
    """suppliers.csv exactly as written (every column, as text; blanks as <NA>), or an empty register."""
    path = root / SUPPLIERS_FILE
    if not path.exists():
        return pd.DataFrame({c: pd.Series(dtype="string") for c in CONTRACT})
    from anchorlib.data.tables import read_table

    df = read_table(path, ["supplier_name", "postcode"], root=root)
    for c in df.columns:
        df[c] = df[c].astype("string").mask(_blank(df[c]), pd.NA)
    return df.reset_index(drop=True)


def _decisions(root: Path) -> list[Decision]:
    path = root / DECISIONS_FILE
    if not path.exists():
        return []
    from anchorlib.data.tables import read_table

    df = read_table(path, ["spend_name", "register_name"], ["company_number", "charity_number"], root=root)
    keys = normalise_name(df["spend_name"])
    out = []
    for i in df.index:
        if pd.isna(keys[i]):
            raise DatasetError("spend_name is blank", path=DECISIONS_FILE, line=int(i) + 2)
        row = {c: None if pd.isna(df.at[i, c]) else str(df.at[i, c]) for c in df.columns}
        cn = row.get("company_number")
        out.append(
            Decision(
                str(keys[i]),
                row.get("register_name"),
                None if cn is None else str(company_number(pd.Series([cn]))[0]),
                row.get("charity_number"),
                int(i) + 2,
            )
        )
    return out


# --- the entities ---------------------------------------------------------------------------------------


def _sic_codes(t: pd.DataFrame) -> pd.Series:
    """The SIC 2007 codes of SICCode.SicText_1..4, ';'-joined in order (a repeated code once)."""
    codes = [sic_code(t[c]) for c in ch.SIC_COLUMNS]
    out = pd.Series(pd.NA, index=t.index, dtype="string")
    for i, code in enumerate(codes):
        new = code.notna()
        for earlier in codes[:i]:
            new &= ~code.eq(earlier).fillna(False)
        out = out.mask(new & out.notna(), out + ";" + code).mask(new & out.isna(), code)
    return out


def _entities(companies: pd.DataFrame, charities: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(entities, their names): one entity per company number and per charity number not joined to a
    company (a charity whose charity_company_registration_number is a company read here is that company)."""
    comp = companies.drop_duplicates("company_number").reset_index(drop=True)
    ent = pd.DataFrame(
        {
            "name": comp["name"].astype("string"),
            "company_number": comp["company_number"].astype("string"),
            "charity_number": pd.Series(pd.NA, index=comp.index, dtype="string"),
            "ch_postcode": comp["postcode"].astype("string"),
            "cc_postcode": pd.Series(pd.NA, index=comp.index, dtype="string"),
            "company_status": comp["company_status"].astype("string"),
            "charity_status": pd.Series(pd.NA, index=comp.index, dtype="string"),
            "company_category": comp["company_category"].astype("string"),
            "account_category": comp["account_category"].astype("string"),
            "sic_codes": _sic_codes(comp) if len(comp) else pd.Series(dtype="string"),
            "charity_name": pd.Series(pd.NA, index=comp.index, dtype="string"),
        }
    )
    names = [pd.DataFrame({"name": comp["name"], "entity": comp.index, "kind": CURRENT})]
    for c in ch.PREVIOUS_NAMES:
        prev = comp[c].astype("string")
        has = prev.notna() & (prev.str.strip() != "")
        names.append(pd.DataFrame({"name": prev[has], "entity": comp.index[has], "kind": OTHER}))
    if charities is not None and len(charities):
        main = charities[charities["linked_charity_number"].astype("string").isin(["0", ""])]
        main = main.drop_duplicates("charity_number")
        linked = charities[~charities.index.isin(main.index)]
        orphan = linked[~linked["charity_number"].isin(main["charity_number"])].drop_duplicates(
            "charity_number"
        )
        main = pd.concat([main, orphan])
        by_number = pd.Series(ent.index, index=ent["company_number"].to_numpy())
        by_number = by_number[~by_number.index.duplicated()]
        joined = main["company_number"].map(by_number)
        # a charitable company: the company's entity gains the charity
        hit = main[joined.notna()]
        rows = joined[joined.notna()].astype(int).to_numpy()
        ent.loc[rows, "charity_number"] = hit["charity_number"].to_numpy()
        ent.loc[rows, "cc_postcode"] = hit["postcode"].to_numpy()
        ent.loc[rows, "charity_status"] = hit["charity_status"].to_numpy()
        ent.loc[rows, "charity_name"] = hit["name"].to_numpy()
        names.append(pd.DataFrame({"name": hit["name"].to_numpy(), "entity": rows, "kind": CURRENT}))
        alone = main[joined.isna()].reset_index(drop=True)
        start = len(ent)
        extra = pd.DataFrame(
            {
                "name": alone["name"],
                "company_number": alone["company_number"],
                "charity_number": alone["charity_number"],
                "ch_postcode": pd.NA,
                "cc_postcode": alone["postcode"],
                "company_status": pd.NA,
                "charity_status": alone["charity_status"],
                "company_category": pd.NA,
                "account_category": pd.NA,
                "sic_codes": pd.NA,
                "charity_name": alone["name"],
            }
        ).astype("string")
        extra.index = range(start, start + len(extra))
        ent = pd.concat([ent, extra])
        names.append(pd.DataFrame({"name": alone["name"].to_numpy(), "entity": extra.index, "kind": CURRENT}))
        by_charity = pd.Series(ent.index, index=ent["charity_number"].to_numpy())
        by_charity = by_charity[by_charity.index.notna() & ~by_charity.index.duplicated()]
        sub = linked[linked["charity_number"].isin(by_charity.index)]
        names.append(
            pd.DataFrame(
                {
                    "name": sub["name"].to_numpy(),
                    "entity": sub["charity_number"].map(by_charity),
                    "kind": OTHER,
                }
            )
        )
    names = pd.concat(names, ignore_index=True)
    names["key"] = register_key(names["name"].astype("string"))
    ent = ent.reset_index(drop=True)
    status = ent["company_status"].astype("string")
    charity_live = ent["charity_status"].astype("string").str.lower().eq("registered").fillna(False)
    ent["live"] = np.where(
        status.notna(),
        np.where(status.eq("Active").fillna(False), LIVE, NOT_LIVE),
        np.where(charity_live, LIVE, NOT_LIVE),
    )
    return ent, names


def _register_of(ent: pd.DataFrame) -> pd.Series:
    has_ch = ent["company_status"].notna()
    has_cc = ent["charity_status"].notna()
    return pd.Series(
        np.where(
            has_ch & has_cc,
            f"{REGISTERS['ch']}+{REGISTERS['cc']}",
            np.where(has_ch, REGISTERS["ch"], REGISTERS["cc"]),
        ),
        index=ent.index,
        dtype="string",
    )


def _entity_fields(ent: pd.DataFrame, rules: RegisterRules) -> pd.DataFrame:
    """Per entity, the suppliers.csv values the rules give it (text, as written to the file)."""
    ch_pc = normalise_postcodes(ent["ch_postcode"])
    cc_pc = normalise_postcodes(ent["cc_postcode"])
    postcode = ch_pc.fillna(cc_pc)
    source = pd.Series(
        np.where(ch_pc.notna(), "companies_house", np.where(cc_pc.notna(), "charity_commission", None)),
        index=ent.index,
    ).astype("string")
    registered = ent["charity_status"].astype("string").str.lower().eq("registered").fillna(False)
    status = ent["company_status"].fillna(ent["charity_status"])
    return pd.DataFrame(
        {
            "supplier_name": ent["name"],
            "postcode": postcode,
            "company_number": ent["company_number"],
            "charity_number": ent["charity_number"],
            "is_sme": _flag_text(rules.is_sme(ent["account_category"])),
            "is_vcse": _flag_text(rules.is_vcse(ent["company_category"], registered)),
            "source": _register_of(ent),
            "location_source": source,
            "company_status": status,
            "company_category": ent["company_category"],
            "account_category": ent["account_category"],
            "sic_codes": ent["sic_codes"],
            "register_rules": pd.Series(rules.name, index=ent.index, dtype="string"),
        }
    ).astype("string")


# --- the scan -------------------------------------------------------------------------------------------


def _area_postcodes(folder: dict, area_ids: list[str] | None) -> tuple[pa.Array, list[str]]:
    """The postcodes (packed: no space) of the population's areas, and the areas' descriptions."""
    geo = folder["geography"].postcodes
    areas = folder["areas"]
    lads: set[str] = set()
    described = []
    region = None
    everywhere = False
    for a in area_ids or ["home", *[k for k in areas if k not in ("city_hackney", "london", "uk")]]:
        if a == "home":
            for r in folder["anchors"].itertuples():
                lads |= set(r.home_lads)
            described.append("the anchors' home areas (" + ", ".join(sorted(lads)) + ")")
            continue
        if a not in areas:
            raise DatasetError(f"unknown area '{a}'; choose home, {', '.join(areas)}")
        area = areas[a]
        lads |= set(area.lads)
        region = area.region or region
        everywhere = everywhere or area.everywhere
        described.append(area.describe())
    inside = geo["lad"].isin(lads)
    if region is not None:
        inside |= geo["rgn"].eq(region).fillna(False)
    if everywhere:
        inside = geo["lad"].notna()
    packed = geo.loc[inside.fillna(False), "postcode"].str.replace(" ", "", regex=False)
    return pa.array(packed.dropna().unique().tolist(), type=pa.string()), described


def _selector(prefilter: Prefilter, numbers: pa.Array, area_postcodes: pa.Array):
    """batch -> the companies that a query could match, that a number names, or that are in the population
    (column ``in_population``)."""

    def select(b: pa.RecordBatch) -> pa.RecordBatch | None:
        keep = prefilter.keep(b.column("name"))
        for c in ch.PREVIOUS_NAMES:
            col = b.column(c)
            has = np.asarray(
                pc.fill_null(pc.not_equal(col, ""), False).to_numpy(zero_copy_only=False), dtype=bool
            )
            if has.any():
                idx = np.flatnonzero(has)
                keep[idx] |= prefilter.keep(col.take(pa.array(idx)))
        number = b.column("company_number")
        keep |= np.asarray(pc.is_in(number, value_set=numbers).to_numpy(zero_copy_only=False), dtype=bool)
        pcode = pc.replace_substring_regex(
            pc.utf8_upper(b.column("postcode")), pattern="[^A-Z0-9]", replacement=""
        )
        local = pc.and_(
            pc.is_in(pcode, value_set=area_postcodes),
            pc.and_(
                pc.equal(b.column("company_status"), "Active"),
                pc.and_(
                    pc.not_equal(pc.utf8_upper(b.column("account_category")), "DORMANT"),
                    pc.invert(pc.starts_with(b.column("sic_1"), "99999")),
                ),
            ),
        )
        local = np.asarray(pc.fill_null(local, False).to_numpy(zero_copy_only=False), dtype=bool)
        keep |= local
        if not keep.any():
            return None
        idx = pa.array(np.flatnonzero(keep))
        out = b.take(idx)
        return out.append_column("in_population", pa.array(local[np.flatnonzero(keep)]))

    return select


# --- the build ------------------------------------------------------------------------------------------


def _existing_entities(reg: pd.DataFrame, ent: pd.DataFrame, index: NameIndex) -> tuple[np.ndarray, list]:
    """Per register row, the entity it is (by company number, else charity number, else by name: an exact
    or fuzzy match; ambiguous and none leave it alone), and how it was found."""
    by_company = pd.Series(ent.index, index=ent["company_number"].to_numpy())
    by_company = by_company[by_company.index.notna() & ~by_company.index.duplicated()]
    by_charity = pd.Series(ent.index, index=ent["charity_number"].to_numpy())
    by_charity = by_charity[by_charity.index.notna() & ~by_charity.index.duplicated()]
    cn = company_number(reg["company_number"]) if "company_number" in reg.columns else None
    rn = charity_number(reg["charity_number"]) if "charity_number" in reg.columns else None
    keys = register_key(reg["supplier_name"])
    found = np.full(len(reg), -1, dtype=np.int64)
    how: list = [None] * len(reg)
    for i in range(len(reg)):
        if cn is not None and pd.notna(cn[i]):
            e = by_company.get(cn[i])
            if e is not None:
                found[i], how[i] = int(e), "company number"
            continue  # a number the registers read here do not have: never matched by name instead
        if rn is not None and pd.notna(rn[i]):
            e = by_charity.get(rn[i])
            if e is not None:
                found[i], how[i] = int(e), "charity number"
            continue
        m = index.match(None if pd.isna(keys[i]) else str(keys[i]))
        if m.method in ("exact", "fuzzy"):
            found[i], how[i] = int(m.entity), m.method
    return found, how


def _fill(reg: pd.DataFrame, values: pd.DataFrame, rows: np.ndarray) -> dict[str, int]:
    """Fill ``reg``'s blanks at ``rows`` from ``values`` (aligned with ``rows``); blanks filled per column."""
    filled = {}
    for c in FILLED:
        if c not in values.columns:
            continue
        if c not in reg.columns:
            reg[c] = pd.Series(pd.NA, index=reg.index, dtype="string")
        cur = reg.loc[rows, c]
        new = values[c].to_numpy()
        take = _blank(cur).to_numpy() & pd.notna(new)
        if take.any():
            reg.loc[rows[take], c] = new[take]
        filled[c] = int(take.sum())
    return filled


def build_register(
    data_dir: str | Path,
    companies: list[str | Path],
    charities: str | Path | None = None,
    *,
    population_areas: list[str] | None = None,
    population: bool = True,
    threshold: float = FUZZY_THRESHOLD,
    write: bool = True,
) -> BuildResult:
    """Build the supplier register of the dataset at ``data_dir`` from Companies House files
    (``companies``: BasicCompanyData CSVs or zips) and a Charity Commission extract (``charities``: the
    publicextract.charity .txt or .json, or a zip of one), and write suppliers.csv, register_matches.csv
    and (``population``) the local business population of ``population_areas`` (area ids; default: the
    anchors' home areas and areas.csv's). Returns the frames and the report (``anchorlib register build
    --json``)."""
    from anchorlib.data.dataset import read_folder
    from anchorlib.data.payments import build_payments
    from anchorlib.data.places import Geography

    folder = read_folder(data_dir)
    root: Path = folder["root"]
    geography: Geography = folder["geography"]
    rules, sic = read_rules(root), read_sic_categories(root)
    if not companies and charities is None:
        raise DatasetError("give at least one Companies House file (--companies) or a charity extract")
    reg = _raw_register(root)
    n_existing = len(reg)
    decisions = _decisions(root)
    located = folder["suppliers"]
    if located is None:
        located = _empty_located(geography)
    # the dataset reads a row repeating an earlier one of the same supplier once: its rows are these of reg
    raw_keys = normalise_name(reg["supplier_name"].astype("string"))
    raw_row = np.flatnonzero(~(raw_keys.notna() & raw_keys.duplicated()).to_numpy())

    # phase 0: the payees, and what the register as it stands makes of them
    by_name = pd.Series(located.index, index=located["supplier_name"].str.upper().to_numpy())
    by_name = by_name[~by_name.index.duplicated()]
    by_key = pd.Series(located.index, index=located["supplier_key"].to_numpy())
    by_key = by_key[by_key.index.notna() & ~by_key.index.duplicated()]
    to_row: dict[str, int | None] = {}  # supplier_matches.csv decisions the register already holds
    pending: list[Decision] = []  # decisions naming an entity not in it yet
    for d in decisions:
        if d.register_name is None:
            to_row[d.spend_key] = None
            continue
        hit = by_name.get(d.register_name.upper())
        if hit is None:
            k = normalise_name(pd.Series([d.register_name])).iloc[0]
            hit = by_key.get(k) if pd.notna(k) else None
        if hit is not None and d.company_number is None and d.charity_number is None:
            to_row[d.spend_key] = int(hit)
        else:
            pending.append(d)
    spend = folder["spend"]
    before = build_payments(spend, located, geography, folder["ruleset"], to_row)
    payees = _payees(before)
    pending_keys = {d.spend_key for d in pending}
    query = payees[
        payees["method"].eq("none")
        & ~payees["key"].isin([k for k, v in to_row.items() if v is None])
        & ~payees["key"].isin(pending_keys)
    ]
    query_keys = register_key(query["payee"])

    # the registers: charities read whole (small), companies streamed; both through the pre-filter
    charity_df, charity_skipped, charity_rows = (None, [], 0)
    if charities is not None:
        charity_df, charity_skipped, charity_rows = cc.read_charities(charities)
        charity_df["company_number"] = company_number(charity_df["company_number"])
    reg_keys = register_key(reg["supplier_name"])
    override_keys = register_key(
        pd.Series([d.register_name for d in pending if d.register_name], dtype="string")
    )
    prefilter = Prefilter(
        pd.concat([query_keys, reg_keys, override_keys], ignore_index=True), threshold, REVIEW_FLOOR
    )
    numbers = set(company_number(reg.get("company_number", pd.Series(dtype="string"))).dropna())
    numbers |= {d.company_number for d in pending if d.company_number}
    if charity_df is not None:
        numbers |= set(charity_df["company_number"].dropna())
    area_pcs, area_names = (
        _area_postcodes(folder, population_areas) if population else (pa.array([], pa.string()), [])
    )
    if charity_df is not None:  # the charities a payee, a number or the population may need, with their links
        wanted = set(charity_number(reg.get("charity_number", pd.Series(dtype="string"))).dropna())
        wanted |= {str(d.charity_number).strip() for d in pending if d.charity_number}
        packed = charity_df["postcode"].astype("string").str.upper().str.replace(r"[^A-Z0-9]", "", regex=True)
        local = packed.isin(set(area_pcs.to_pylist())).fillna(False).to_numpy()
        keep = prefilter.keep(
            pa.array(charity_df["name"].astype("string").to_numpy(dtype=object, na_value=None))
        )
        keep |= (
            charity_df["company_number"].notna().to_numpy()
            | charity_df["charity_number"].isin(wanted).to_numpy()
        )
        keep |= local
        charity_df = charity_df[
            charity_df["charity_number"].isin(set(charity_df.loc[keep, "charity_number"]))
        ]
    report = ch.ScanReport()
    table = None
    if companies:
        table, report = ch.scan(
            [Path(p) for p in companies],
            _selector(prefilter, pa.array(sorted(numbers), type=pa.string()), area_pcs),
            report,
        )
    if table is not None:
        in_population = np.asarray(table.column("in_population").to_numpy(zero_copy_only=False), dtype=bool)
        comp = table.drop_columns(["in_population"]).to_pandas(types_mapper=pd.ArrowDtype).astype("string")
    else:
        in_population = np.zeros(0, dtype=bool)
        comp = pd.DataFrame({c: pd.Series(dtype="string") for c in ch.FIELDS.values()})
    del table
    comp["company_number"] = company_number(comp["company_number"])
    ent, names = _entities(comp, charity_df)
    index = NameIndex(names, ent["live"].to_numpy(), threshold)
    fields = _entity_fields(ent, rules)

    # the register's own rows: which entity each is, and their blanks filled from it
    found, how = _existing_entities(reg, ent, index)
    rows = np.flatnonzero(found >= 0)
    values = fields.iloc[found[rows]].reset_index(drop=True)
    analyst_source = pd.Series("suppliers.csv+" + values["source"].astype(str), dtype="string")
    values["source"] = analyst_source
    values["location_source"] = values["location_source"]
    has_pc = ~_blank(reg.loc[rows, "postcode"]).to_numpy() if len(rows) else np.zeros(0, bool)
    values.loc[has_pc, "location_source"] = "suppliers.csv"
    filled = _fill(reg, values.drop(columns="supplier_name"), rows)
    for c in ("source", "location_source"):
        if c not in reg.columns:
            reg[c] = pd.Series(pd.NA, index=reg.index, dtype="string")
    unmatched_rows = np.flatnonzero(found < 0)
    reg.loc[unmatched_rows[_blank(reg.loc[unmatched_rows, "source"]).to_numpy()], "source"] = "suppliers.csv"
    located_rows = unmatched_rows[
        (
            _blank(reg.loc[unmatched_rows, "location_source"]) & ~_blank(reg.loc[unmatched_rows, "postcode"])
        ).to_numpy()
    ]
    reg.loc[located_rows, "location_source"] = "suppliers.csv"
    entity_row = {int(e): int(r) for r, e in zip(rows, found[rows])}  # entity -> its register row

    # the payees: matched to entities; one new row per entity the register does not hold yet
    matches = index.match_all(query_keys)
    phase1: dict[str, Match] = dict(zip(query["payee"], matches))
    decided = []
    for d in pending:
        e = _decision_entity(d, ent, index)
        if e is None:
            raise DatasetError(
                f"register_name '{d.register_name}' is in neither suppliers.csv nor the registers read "
                "(give its company_number or charity_number, or leave register_name blank for no match)",
                path=DECISIONS_FILE,
                line=d.line,
            )
        if e in entity_row and str(reg.at[entity_row[e], "supplier_name"]).upper() != d.register_name.upper():
            raise DatasetError(
                f"register_name '{d.register_name}' is {_entity_id(ent, e)}, which suppliers.csv lists as "
                f"'{reg.at[entity_row[e], 'supplier_name']}': write that name",
                path=DECISIONS_FILE,
                line=d.line,
            )
        decided.append((d, e))
    wanted = [int(m.entity) for m in matches if m.method in ("exact", "fuzzy")] + [e for _, e in decided]
    wanted = [e for e in dict.fromkeys(wanted) if e not in entity_row]
    new = fields.loc[wanted].reset_index(drop=True)
    new["aliases"] = pd.Series(pd.NA, index=new.index, dtype="string")
    start = len(reg)
    new_rows = {e: start + i for i, e in enumerate(wanted)}
    entity_row.update(new_rows)
    extra: dict[int, list[str]] = {}  # register row -> aliases to add
    for d, e in decided:  # the analyst's spelling is the row's name: the register's becomes an alias
        if (
            e in new_rows
            and d.register_name.upper() != str(new.at[new_rows[e] - start, "supplier_name"]).upper()
        ):
            extra.setdefault(new_rows[e], []).append(str(new.at[new_rows[e] - start, "supplier_name"]))
            new.at[new_rows[e] - start, "supplier_name"] = d.register_name
    reg = pd.concat([reg, new], ignore_index=True)
    for c in reg.columns:
        reg[c] = reg[c].astype("string")

    # aliases: the names the dataset's own matching needs to find each row as the registers did (a previous
    # name a payee used, or the payee's spelling where only the registers' longer legal forms explain it)
    need = [
        (payee, m)
        for payee, m in phase1.items()
        if m.method in ("exact", "fuzzy") and (m.method == "exact" or m.via != "current name")
    ]
    rows_needed = sorted({entity_row[int(m.entity)] for _, m in need})
    row_keys = _row_keys(reg, rows_needed, extra)
    payee_keys = dict(
        zip([p for p, _ in need], normalise_name(pd.Series([p for p, _ in need], dtype="string")))
    )
    by_entity = names.groupby("entity").indices if len(need) else {}
    for payee, m in need:
        r, pkey = entity_row[int(m.entity)], payee_keys[payee]
        if pd.isna(pkey) or pkey in row_keys[r]:
            continue
        if m.via != "current name":
            matched = _matched_name(
                names, by_entity.get(int(m.entity), []), str(register_key(pd.Series([payee])).iloc[0])
            )
            if matched is not None:
                extra.setdefault(r, []).append(matched)
                row_keys[r] |= set(normalise_name(pd.Series([matched], dtype="string")).dropna())
        if pkey not in row_keys[r] and m.method == "exact":
            extra.setdefault(r, []).append(payee)
            row_keys[r].add(pkey)
    for r, more in extra.items():
        cur = reg.at[r, "aliases"]
        have = [a.strip() for a in str(cur).split(";") if a.strip()] if pd.notna(cur) else []
        reg.at[r, "aliases"] = ";".join(dict.fromkeys([*have, *more]))

    # rows an earlier build added that nothing uses now, and that hold nothing an analyst wrote, go
    used = {entity_row[int(m.entity)] for m in matches if m.method in ("exact", "fuzzy")}
    used |= {entity_row[e] for _, e in decided}
    used |= {int(raw_row[v]) for v in to_row.values() if v is not None}
    used |= {
        int(raw_row[r])
        for r in before.loc[before["register_row"].notna(), "register_row"].astype(int).unique()
    }
    src = reg["source"].astype("string").fillna("")
    built = np.flatnonzero((~src.str.startswith("suppliers.csv") & (src != "")).to_numpy()[:n_existing])
    analyst_blank = np.ones(len(built), dtype=bool)
    for c in ANALYST:
        if c in reg.columns:
            analyst_blank &= _blank(reg.loc[built, c]).to_numpy()
    dropped = [int(r) for r, blank in zip(built, analyst_blank) if blank and int(r) not in used]
    reg = reg.drop(index=dropped).reset_index(drop=True)
    out_cols = [*CONTRACT, *EXTRA]
    out_cols += [c for c in reg.columns if c not in out_cols]
    for c in out_cols:
        if c not in reg.columns:
            reg[c] = pd.Series(pd.NA, index=reg.index, dtype="string")
    reg = reg[out_cols]

    pop = _population(comp[in_population], ent, charity_df, area_pcs, fields) if population else None
    result = BuildResult(reg, pd.DataFrame(columns=MATCH_COLUMNS), pop)
    if not write:
        return result
    _write_csv(reg, root / SUPPLIERS_FILE)
    if pop is not None:
        _write_csv(pop, root / POPULATION_FILE)
        manifest = {
            "built": date.today().isoformat(),
            "files": [*report.rows, *([Path(charities).name] if charities is not None else [])],
            "areas": area_names,
            "rows": len(pop),
            "by_source": pop["source"].value_counts().to_dict(),
            "register_rules_at_build": rules.name,
            "sic_categories_at_build": sic.name,
        }
        _write_text(json.dumps(manifest, indent=2), root / MANIFEST_FILE)

    # phase 2: the dataset as every figure will see it
    from anchorlib.data.dataset import open_dataset

    ds = open_dataset(root)
    matches_df = _match_table(ds, phase1, ent, fields)
    _write_csv(matches_df, root / MATCHES_FILE)
    result.matches = matches_df
    payees_n = len(matches_df)
    result.report = {
        "dataset": str(root),
        "payees": payees_n,
        "spend": round(float(matches_df["spend"].sum()), 2),
        "methods": _shares(matches_df),
        "addressable_spend": round(float(matches_df["addressable_spend"].sum()), 2),
        "addressable_spend_location_known_share": {
            "before": _location_known(before),
            "after": _location_known(ds.payments),
        },
        "register": {
            "rows_before": n_existing,
            "rows_after": len(reg),
            "rows_added": len(new_rows),
            "rows_dropped": len(dropped),
            "blanks_filled": filled,
        },
        "registers_read": {
            "companies_house": report.to_json(),
            "charity_commission": None
            if charities is None
            else {
                "file": Path(charities).name,
                "rows": charity_rows,
                "rows_skipped": len(charity_skipped),
                "skipped": [{"line": x.line, "reason": x.reason} for x in charity_skipped[:100]],
            },
        },
        "population": None
        if pop is None
        else {"rows": len(pop), "areas": area_names, "by_source": pop["source"].value_counts().to_dict()},
        "choices": {
            "register_rules": rules.describe(),
            "sic_categories": sic.name,
            "matching": "register_key (normalise_name + the registers' legal forms); exact, then rapidfuzz "
            f"ratio >= {threshold:g} with the first-word guard; a live entry beats namesakes that are not; "
            "two live entries tied are ambiguous; supplier_matches.csv wins",
            "location_sources": LOCATION_SOURCES,
        },
        "written": [
            str(root / SUPPLIERS_FILE),
            str(root / MATCHES_FILE),
            *([str(root / POPULATION_FILE), str(root / MANIFEST_FILE)] if pop is not None else []),
        ],
    }
    return result


def _empty_located(geography) -> pd.DataFrame:
    from anchorlib.data.payments import GROUP_FLAGS

    cols = ["supplier_name", "postcode", "supplier_key", "lad", "rgn", "lsoa"]
    df = pd.DataFrame({c: pd.Series(dtype="string") for c in cols})
    df["imd_decile"] = pd.Series(dtype="Int64")
    for f in GROUP_FLAGS:
        df[f] = pd.Series(dtype="boolean")
    return df


def _payees(payments: pd.DataFrame) -> pd.DataFrame:
    """One row per payee name as written (redacted payees never take part): its key, spend, addressable
    spend, and how the register as it stands matched it."""
    p = payments[~payments["redacted"].to_numpy(dtype=bool) & payments["supplier_name"].notna().to_numpy()]
    p = p.assign(
        payee=p["supplier_name"].astype(str),
        add=np.where(p["addressable"].to_numpy(dtype=bool), p["amount"].to_numpy(dtype=float), 0.0),
        method=p["match_method"].astype(str),
    )
    g = p.groupby("payee", sort=True).agg(
        spend=("amount", "sum"), addressable_spend=("add", "sum"), method=("method", "first")
    )
    g = g.reset_index()
    g["key"] = normalise_name(g["payee"].astype("string"))
    return g


def _row_keys(reg: pd.DataFrame, rows: list[int], extra: dict[int, list[str]]) -> dict[int, set[str]]:
    """Per register row, the keys the dataset's own matching knows it by: its name's and its aliases'."""
    if not rows:
        return {}
    names, at = [], []
    for r in rows:
        cur = reg.at[r, "aliases"] if "aliases" in reg.columns else pd.NA
        aliases = [a.strip() for a in str(cur).split(";") if a.strip()] if pd.notna(cur) else []
        for n in [reg.at[r, "supplier_name"], *aliases, *extra.get(r, [])]:
            names.append(n)
            at.append(r)
    keys = normalise_name(pd.Series(names, dtype="string"))
    out: dict[int, set[str]] = {r: set() for r in rows}
    for r, k in zip(at, keys):
        if pd.notna(k):
            out[r].add(k)
    return out


def _matched_name(names: pd.DataFrame, mine, key: str) -> str | None:
    """The entity's name (as the register writes it, among its ``names`` rows ``mine``) whose key is
    ``key``, else its best-scoring one."""
    if not len(mine):
        return None
    from rapidfuzz import fuzz

    keys = names["key"].to_numpy(dtype=object)
    for i in mine:
        if keys[i] == key:
            return str(names["name"].iloc[i])
    scores = [fuzz.ratio(key, str(keys[i])) if pd.notna(keys[i]) else -1.0 for i in mine]
    return str(names["name"].iloc[mine[int(np.argmax(scores))]])


def _entity_id(ent: pd.DataFrame, e: int) -> str:
    cn, rn = ent.at[e, "company_number"], ent.at[e, "charity_number"]
    parts = []
    if pd.notna(cn):
        parts.append(f"company {cn}")
    if pd.notna(rn):
        parts.append(f"charity {rn}")
    return " / ".join(parts)


def _decision_entity(d: Decision, ent: pd.DataFrame, index: NameIndex) -> int | None:
    if d.company_number:
        hit = np.flatnonzero(ent["company_number"].eq(d.company_number).fillna(False).to_numpy())
        return int(hit[0]) if len(hit) else None
    if d.charity_number:
        hit = np.flatnonzero(ent["charity_number"].eq(str(d.charity_number).strip()).fillna(False).to_numpy())
        return int(hit[0]) if len(hit) else None
    key = register_key(pd.Series([d.register_name])).iloc[0]
    m = index.match(None if pd.isna(key) else str(key))
    if m.method == "exact":
        return int(m.entity)
    if m.method == "ambiguous" and m.score == 100.0:
        ids = ", ".join(_entity_id(ent, e) for e in m.candidates)
        raise DatasetError(
            f"register_name '{d.register_name}' names {len(m.candidates)} register entries ({ids}): give its "
            "company_number or charity_number",
            path=DECISIONS_FILE,
            line=d.line,
        )
    return None


def _population(
    comp: pd.DataFrame,
    ent: pd.DataFrame,
    charities: pd.DataFrame | None,
    area_pcs: pa.Array,
    fields: pd.DataFrame,
) -> pd.DataFrame:
    """The population rows (population.py's contract) from the companies the scan kept as local and the
    charities whose contact postcode is local."""
    by_company = pd.Series(ent.index, index=ent["company_number"].to_numpy())
    by_company = by_company[by_company.index.notna() & ~by_company.index.duplicated()]
    e = comp["company_number"].map(by_company).dropna().astype(int).unique()
    chosen = list(e)
    if charities is not None and len(charities):
        local = set(area_pcs.to_pylist())
        packed = ent["cc_postcode"].astype("string").str.upper().str.replace(r"[^A-Z0-9]", "", regex=True)
        charity_only = ent["company_status"].isna() & ent["charity_status"].str.lower().eq(
            "registered"
        ).fillna(False)
        chosen += list(np.flatnonzero((charity_only & packed.isin(local)).to_numpy()))
    f = fields.loc[sorted(set(chosen))]
    e_rows = ent.loc[f.index]
    out = pd.DataFrame(
        {
            "name": f["supplier_name"],
            "source": f["source"],
            "company_number": f["company_number"],
            "charity_number": f["charity_number"],
            "postcode": f["postcode"],
            "location_source": f["location_source"],
            "company_status": e_rows["company_status"],
            "company_category": f["company_category"],
            "account_category": f["account_category"],
            "sic_codes": f["sic_codes"],
            "charity_status": e_rows["charity_status"],
        }
    )[POPULATION_COLUMNS]
    return out.sort_values(["name", "company_number"], ignore_index=True)


def _match_table(ds, phase1: dict, ent: pd.DataFrame, fields: pd.DataFrame) -> pd.DataFrame:
    """register_matches.csv: one row per payee, largest spend first: how the dataset resolves it after the
    build (method, score, the register row: candidate, register, id), with the registers' side of it from
    the build (ambiguous candidates, a suggestion below the threshold, a previous name) in the note."""
    after, reg = ds.payments, ds.suppliers
    p = after[~after["redacted"].to_numpy(dtype=bool) & after["supplier_name"].notna().to_numpy()]
    p = pd.DataFrame(
        {
            "payee": p["supplier_name"].astype(str).to_numpy(),
            "amount": p["amount"].to_numpy(dtype=float),
            "add": np.where(p["addressable"].to_numpy(dtype=bool), p["amount"].to_numpy(dtype=float), 0.0),
            "method": p["match_method"].astype(str).to_numpy(),
            "score": p["match_score"].astype("float64").to_numpy(),
            "row": p["register_row"].astype("float64").to_numpy(),
        }
    )
    g = p.groupby("payee", sort=False).agg(
        spend=("amount", "sum"),
        addressable_spend=("add", "sum"),
        method=("method", "first"),
        score=("score", "first"),
        row=("row", "first"),
    )
    out = pd.DataFrame(index=g.index)
    out["method"], out["score"] = g["method"], g["score"]
    out["spend"], out["addressable_spend"] = g["spend"].round(2), g["addressable_spend"].round(2)
    row = g["row"].to_numpy()
    at = np.where(np.isnan(row), -1, row).astype(np.int64)

    def col(c):
        values = reg[c] if c in reg.columns else pd.Series(pd.NA, index=reg.index, dtype="string")
        v = values.astype("string").to_numpy(dtype=object, na_value=None)
        return np.array([v[i] if i >= 0 else None for i in at], dtype=object)

    out["candidate"] = out["supplier_name"] = col("supplier_name")
    src = col("source")
    out["register"] = np.where((at >= 0) & pd.isna(src), "suppliers.csv", src)
    out["company_number"], out["charity_number"] = col("company_number"), col("charity_number")
    out["id"] = np.where(pd.isna(out["company_number"]), out["charity_number"], out["company_number"])
    out["status"], out["postcode"] = col("company_status"), col("postcode")
    out["note"] = ""
    name, cn, rn = (
        ent[c].to_numpy(dtype=object, na_value=None) for c in ("name", "company_number", "charity_number")
    )
    status, source, postcode = (
        fields[c].to_numpy(dtype=object, na_value=None) for c in ("company_status", "source", "postcode")
    )

    def label(e):
        ids = " / ".join(
            x for x in (f"company {cn[e]}" if cn[e] else "", f"charity {rn[e]}" if rn[e] else "") if x
        )
        return f"{name[e]} ({ids}, {status[e]})"

    listed = {}  # company number, or 'charity <number>' -> the register row's name
    for c, key in (("charity_number", "charity {}"), ("company_number", "{}")):
        if c in reg.columns:
            for v, supplier in zip(reg[c], reg["supplier_name"]):
                if pd.notna(v):
                    listed.setdefault(key.format(v), supplier)
    updates: dict[str, dict] = {}
    methods = out["method"].to_dict()
    for payee, m in phase1.items():
        if payee not in methods:
            continue
        now = methods[payee]
        if m.method == "ambiguous" and now == "none":
            updates[payee] = {
                "method": "ambiguous",
                "candidate": " | ".join(label(e) for e in m.candidates),
                "register": ";".join(dict.fromkeys(str(source[e]) for e in m.candidates)),
                "id": ";".join(str(cn[e] or rn[e]) for e in m.candidates),
                "score": m.score,
                "note": f"{len(m.candidates)} live register entries share the best score: choose one in "
                "supplier_matches.csv (its company_number says which)",
            }
        elif m.method == "ambiguous":
            updates[payee] = {"note": f"{len(m.candidates)} live register entries share the best score"}
        elif m.method == "none" and m.entity is not None and now == "none":
            e = int(m.entity)
            updates[payee] = {
                "candidate": listed.get(
                    cn[e] or f"charity {rn[e]}", name[e]
                ),  # as suppliers.csv has it, if it does
                "register": source[e],
                "id": cn[e] or rn[e],
                "score": m.score,
                "company_number": cn[e],
                "charity_number": rn[e],
                "status": status[e],
                "postcode": postcode[e],
                "note": "a suggestion below the match threshold: accept or reject it",
            }
        elif m.method in ("exact", "fuzzy") and now != m.method:
            updates[payee] = {
                "note": f"the registers gave {m.method} ({m.score:g}); the dataset's matching gives {now}"
            }
        elif m.method in ("exact", "fuzzy") and m.via == "other name":
            updates[payee] = {
                "note": "matched by a previous name (Companies House) or a linked charity's name"
            }
        elif m.method in ("exact", "fuzzy") and m.passed_over:
            updates[payee] = {"note": "live entry chosen over " + "; ".join(label(e) for e in m.passed_over)}
    for payee, u in updates.items():
        for c, v in u.items():
            out.at[payee, c] = v
    out = out.rename_axis("payee").reset_index()[MATCH_COLUMNS]
    return out.sort_values(["spend", "payee"], ascending=[False, True], ignore_index=True)


def _ids(ent: pd.DataFrame, e: int) -> str:
    cn, rn = ent.at[e, "company_number"], ent.at[e, "charity_number"]
    return str(cn) if pd.notna(cn) else str(rn)


def _shares(matches: pd.DataFrame) -> dict:
    n, total = len(matches), float(matches["spend"].sum())
    out = {}
    for m in METHODS:
        sel = matches[matches["method"] == m]
        out[m] = {
            "payees": len(sel),
            "payee_share": len(sel) / n if n else None,
            "spend": round(float(sel["spend"].sum()), 2),
            "spend_share": float(sel["spend"].sum()) / total if total else None,
        }
    return out


def _location_known(payments: pd.DataFrame) -> float | None:
    add = payments["addressable"].to_numpy(dtype=bool)
    amount = payments["amount"].to_numpy(dtype=float)
    known = payments["lad"].notna().to_numpy()
    total = amount[add].sum()
    return float(amount[add & known].sum() / total) if total else None


def _write_text(text: str, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    """``df`` to ``path`` as UTF-8 CSV, written to a temporary file and renamed into place."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    df.to_csv(tmp, index=False, encoding="utf-8")
    os.replace(tmp, path)
