"""A dataset folder -> validated tables: the one entry point for data (the folder contract: README,
"Point it at your own data").

``open_dataset(path)`` reads and checks every file of the folder contract; ``Dataset.payments``
is the spend joined to suppliers, places and the addressable rule set, ready for the metrics.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from anchorlib.data.addressable import RuleSet, ruleset_from_categories
from anchorlib.data.ingest import SPEND_COLUMNS, LoadReport
from anchorlib.data.payments import GROUP_FLAGS, SPEND_CATEGORICALS, build_payments, compact, concat
from anchorlib.data.places import BUILTIN_AREAS, Area, Geography, read_geography
from anchorlib.data.rollup import stored_rollup
from anchorlib.data.storage import cache
from anchorlib.data.storage import tables as dataset_cache
from anchorlib.data.storage.derived import Derived
from anchorlib.data.suppliers import match_table, normalise_name, read_overrides
from anchorlib.data.survey import resolve_survey
from anchorlib.data.tables import parse_flag, parse_number, read_table
from anchorlib.errors import DatasetError, ParameterError

SPEND_FILE_SUFFIXES = {".csv", ".xlsx", ".xlsm", ".ods"}  # ingest/reader.py reads each


@dataclass(frozen=True, eq=False)
class Dataset:
    """Validated tables of one dataset folder, and (``derived``) what is computed from them and kept.

    The tables never change once read: the dataclass is frozen, and ``replace`` makes a new dataset
    (e.g. with the register cut to an area's suppliers) with a store of its own. Everything computed
    from the tables (the joined payments, their rollups, the LM3 survey resolved to suppliers, the rule
    set) lives in ``derived`` (anchorlib/data/storage/derived.py), and nowhere else.
    """

    root: Path
    anchors: pd.DataFrame  # anchor_id, name, kind, home_lads (tuple of LAD codes)
    spend: pd.DataFrame  # anchor_id + ingest.SPEND_COLUMNS
    load_reports: dict[str, list[LoadReport]]  # anchor_id -> one report per spend file
    suppliers: pd.DataFrame  # register, with supplier_key, postcode, lad, rgn, lsoa, imd_decile, flags
    geography: Geography
    areas: dict[str, Area]
    categories: pd.DataFrame | None = None
    lm3_survey: pd.DataFrame | None = None
    tenders: pd.DataFrame | None = None
    commitments: pd.DataFrame | None = None
    supplier_overrides: dict[str, int | None] = field(default_factory=dict)  # supplier_matches.csv
    notes: list[str] = field(default_factory=list)
    derived: Derived = field(default_factory=Derived, repr=False)

    def replace(self, **tables) -> Dataset:
        """A new dataset with some tables replaced (``suppliers=...``) and a store of its own: nothing
        derived from the old tables carries over, and nothing of it is stored on disk."""
        return dataclasses.replace(self, **tables, derived=Derived())

    @property
    def anchor_ids(self) -> list[str]:
        return self.anchors["anchor_id"].tolist()

    def anchor(self, anchor_id: str) -> pd.Series:
        """The anchors.csv row of ``anchor_id``; ParameterError naming the known ids otherwise."""
        rows = self.derived.memo(
            "anchor_rows", lambda: {str(r["anchor_id"]): r for _, r in self.anchors.iterrows()}
        )
        row = rows.get(anchor_id)
        if row is None:
            raise ParameterError(
                f"unknown anchor '{anchor_id}'; this dataset has: {', '.join(self.anchor_ids)}"
            )
        return row

    def home_area(self, anchor_id: str) -> Area:
        row = self.anchor(anchor_id)
        return Area("home", f"{row['name']} home area", frozenset(row["home_lads"]))

    def area(self, area_id: str | None, anchor_id: str | None = None) -> Area:
        """Resolve an area id: 'home' (the anchor's home LADs; the default), a built-in
        ('city_hackney', 'london', 'uk') or an id from areas.csv."""
        if area_id in (None, "", "home"):
            if anchor_id is None:
                raise ParameterError("area 'home' needs an anchor")
            return self.home_area(anchor_id)
        if area_id in self.areas:
            return self.areas[area_id]
        raise ParameterError(f"unknown area '{area_id}'; choose home, {', '.join(self.areas)}")

    @property
    def ruleset(self) -> RuleSet:
        """The addressable rule set: the defaults plus categories.csv
        (docs/methodology.md#addressable-spend)."""
        return self.derived.memo("ruleset", lambda: ruleset_from_categories(self.categories))

    @property
    def choices(self) -> dict:
        """The choices of this dataset that every figure from its payments names: the addressable rule set
        and the IMD vintage (a selection of payments carries them in ``attrs``)."""
        return {"addressable_rule_set": self.ruleset.name, "imd_vintage": self.geography.imd_vintage}

    @property
    def payments(self) -> pd.DataFrame:
        """Spend joined to the register, places and the addressable rule set (one row per payment).

        Payees resolve to the register by ``suppliers.resolve_names`` (redacted never; then
        supplier_matches.csv overrides, exact, fuzzy): ``match_method`` and ``match_score`` say how.
        Location comes from the matched register entry's postcode, else from a postcode published in
        the spend file; otherwise it is unknown (``lad`` <NA>). Text columns are categoricals (see
        ``compact``): name matching, location and the rule set run once per distinct value. Built on
        first use, or mapped from the cache when ``open_dataset`` found it there.
        """
        return self.derived.memo(
            "payments",
            lambda: build_payments(
                self.spend, self.suppliers, self.geography, self.ruleset, self.supplier_overrides
            ),
        )

    def rollup(self, columns: list[str] | None = None, *, resolved: bool = False) -> pd.DataFrame:
        """The payments summed per distinct row of ``columns`` (anchorlib/data/rollup.py; ``resolved``: with
        each row's resolved supplier in ``supplier_id``): the same sums from far fewer rows, made once per
        dataset and stored beside its cached payments. Shared: do not write to it."""
        return stored_rollup(self.payments, self.derived, columns, resolved=resolved)

    @property
    def survey_suppliers(self) -> pd.DataFrame | None:
        """lm3_survey.csv resolved to the dataset's suppliers (``survey.resolve_survey``), None without a
        survey; kept with the dataset's stored tables. One-line errors for a bad survey row."""
        if self.lm3_survey is None:
            return None
        return self.derived.from_tables(
            "lm3_survey_suppliers",
            lambda: resolve_survey(self.lm3_survey, self.suppliers["supplier_key"], self.supplier_overrides),
        )

    @property
    def matches(self) -> pd.DataFrame:
        """The match table an analyst reviews (``suppliers.match_table``): one row per payee name."""
        return match_table(self.payments)

    def load_report_frame(self) -> pd.DataFrame:
        """One row per spend file: anchor, file, layout, the sheets of a workbook read and skipped (with
        why; blank for a CSV), rows loaded (of them repaired and undated), rejected, structure lines (of
        them blank lines, repeated headers, title lines, total rows), totals, reconciled.
        ``load_reports`` holds each rejection's line (and sheet) and reason."""
        rows = []
        for anchor_id, reports in self.load_reports.items():
            for r in reports:
                rows.append(
                    {
                        "anchor_id": anchor_id,
                        "file": Path(r.file).name,
                        "layout": r.layout,
                        "sheets_read": ", ".join(s.name for s in r.sheets if s.read),
                        "sheets_skipped": "; ".join(f"{s.name} ({s.reason})" for s in r.sheets if not s.read),
                        "rows_loaded": r.rows_loaded,
                        "rows_repaired": r.rows_repaired,
                        "undated_rows": r.undated_rows,
                        "rows_rejected": r.rows_rejected,
                        "structure_lines": r.structure_lines,
                        **r.structure,
                        "net_total": round(r.net_total, 2),
                        "declared_total": r.declared_total,
                        "reconciled": r.reconciled,
                    }
                )
        return pd.DataFrame(rows)


def _read_anchors(root: Path) -> pd.DataFrame:
    df = read_table(root / "anchors.csv", ["anchor_id", "name", "kind", "home_lads"], root=root)
    for i, r in df.iterrows():
        if pd.isna(r["anchor_id"]) or not str(r["anchor_id"]).strip():
            raise DatasetError("anchor_id is blank", path="anchors.csv", line=int(i) + 2)
    dup = df["anchor_id"].duplicated()
    if dup.any():
        raise DatasetError(
            f"anchor_id '{df['anchor_id'][dup].iloc[0]}' appears twice",
            path="anchors.csv",
            line=int(dup.idxmax()) + 2,
        )
    df["home_lads"] = df["home_lads"].fillna("").map(split_codes)
    return df


def split_codes(text: object) -> tuple[str, ...]:
    """ONS codes joined by ';' (or ',') as written in anchors.csv home_lads and areas.csv lads."""
    return tuple(x.strip() for x in str(text).replace(",", ";").split(";") if x.strip())


def _spend_files(root: Path, anchors: pd.DataFrame) -> dict[str, list[Path]]:
    out = {}
    for anchor_id in anchors["anchor_id"]:
        folder = root / "spend" / anchor_id
        if not folder.is_dir():
            raise DatasetError(f"no spend folder for anchor '{anchor_id}'", path=f"spend/{anchor_id}/")
        files = sorted(
            f
            for f in folder.iterdir()
            if f.suffix.lower() in SPEND_FILE_SUFFIXES and not f.name.startswith((".", "~$"))
        )
        if not files:
            raise DatasetError(
                f"no .csv or .xlsx spend files for anchor '{anchor_id}'", path=f"spend/{anchor_id}/"
            )
        out[anchor_id] = files
    return out


def _read_spend(
    root: Path, anchors: pd.DataFrame, store: Path | None, payments_inputs: str | None = None
) -> tuple[pd.DataFrame, dict[str, list[LoadReport]], pd.DataFrame | None, str | None]:
    """(spend, load reports, cached payments or None, the payments' cache key or None), through the cache
    of anchorlib/cache.py: when the payments of these exact files are cached, spend is their view and no
    spend file is read. ``payments_inputs``: ``cache.payments_inputs`` as taken before the tables were
    read (every key is taken before what it covers is read)."""
    frames, reports = [], {}
    files = _spend_files(root, anchors)
    keys = (
        {f: cache.file_key(f, str(f.relative_to(root)), store) for fs in files.values() for f in fs}
        if store
        else {}
    )
    payments_key = (
        cache.payments_key(root, list(keys.values()), payments_inputs) if store is not None else None
    )
    if store is not None:
        payments = cache.read_payments(store, payments_key)
        cached_reports = {a: [cache.read_report(store, keys[f]) for f in fs] for a, fs in files.items()}
        if payments is not None and all(r is not None for rs in cached_reports.values() for r in rs):
            return payments[["anchor_id", *SPEND_COLUMNS]], cached_reports, payments, payments_key
    for anchor_id, anchor_files in files.items():
        reports[anchor_id] = []
        for f in anchor_files:
            hit = cache.read(store, keys[f]) if store is not None else None
            if hit is None:
                from anchorlib.data.ingest import (
                    load_spend_file,
                )  # imports the loader only when a file is parsed

                hit = load_spend_file(f)
                if store is not None:
                    cache.write(store, keys[f], *hit)
            df, report = hit
            report.file = str(f.relative_to(root))
            df.insert(0, "anchor_id", anchor_id)
            df["source_file"] = str(f.relative_to(root))
            for col in SPEND_CATEGORICALS:  # compact each file as it comes: the text is never held whole
                df[col] = compact(df[col].astype("string"))
            frames.append(df)
            reports[anchor_id].append(report)
            del df, hit
    if not frames:
        empty = pd.DataFrame(columns=["anchor_id", *SPEND_COLUMNS])
        return (
            empty.assign(**{c: compact(empty[c].astype("string")) for c in SPEND_CATEGORICALS}),
            reports,
            None,
            payments_key,
        )
    return concat(frames), reports, None, payments_key


def _read_suppliers(root: Path, geography: Geography) -> pd.DataFrame:
    path = root / "suppliers.csv"
    optional = ["company_number", "charity_number", *GROUP_FLAGS, "categories"]
    reg = read_table(path, ["supplier_name", "postcode"], optional, root=root)
    for flag in GROUP_FLAGS:
        if flag in reg.columns:
            reg[flag] = parse_flag(reg[flag], path="suppliers.csv", column=flag)
    reg["supplier_key"] = normalise_name(reg["supplier_name"])
    located = geography.locate(reg["postcode"])
    reg["postcode_raw"] = reg["postcode"]
    for col in ("postcode", "lad", "rgn", "lsoa", "imd_decile"):
        reg[col] = located[col]
    return reg


def _register_location_notes(reg: pd.DataFrame) -> list[str]:
    """Register suppliers whose location is unknown (docs/methodology.md#unknown-location: its own bucket),
    counted by cause."""
    malformed = int((reg["postcode"].isna() & reg["postcode_raw"].notna()).sum())
    blank = int(reg["postcode_raw"].isna().sum())
    absent = int((reg["postcode"].notna() & reg["lad"].isna()).sum())
    if not malformed + blank + absent:
        return []
    return [
        (
            f"suppliers.csv: {malformed + blank + absent} of {len(reg)} suppliers have an unknown location "
            f"({malformed} malformed postcode, {blank} blank, {absent} not in geography/postcodes.csv)"
        )
    ]


def _read_optional(
    root: Path, rel: str, required: list[str], optional: list[str] = ()
) -> pd.DataFrame | None:
    path = root / rel
    return read_table(path, required, optional, root=root) if path.exists() else None


def _read_areas(root: Path) -> dict[str, Area]:
    areas = dict(BUILTIN_AREAS)
    df = _read_optional(root, "areas.csv", ["area_id", "name", "lads"])
    if df is not None:
        for r in df.itertuples(index=False):
            areas[str(r.area_id)] = Area(str(r.area_id), str(r.name), frozenset(split_codes(r.lads)))
    return areas


def _read_tables(root: Path) -> dict:
    """Every table of the folder but the spend, read and checked: the fields of ``Dataset`` they fill."""
    anchors = _read_anchors(root)
    geography = read_geography(
        root / "geography" / "postcodes.csv", root / "geography" / "imd.csv", root=root
    )
    suppliers = _read_suppliers(root, geography)
    overrides_path = root / "supplier_matches.csv"
    overrides = read_overrides(overrides_path, suppliers, root=root) if overrides_path.exists() else {}
    categories = _read_optional(root, "categories.csv", ["expense_type", "category"], ["addressable"])
    if categories is not None and "addressable" in categories.columns:
        categories["addressable"] = parse_flag(
            categories["addressable"], path="categories.csv", column="addressable"
        )
    survey = _read_optional(
        root, "lm3_survey.csv", ["supplier_name", "local_staff_share", "local_supplier_share"]
    )
    if survey is not None:
        for c in ("local_staff_share", "local_supplier_share"):
            survey[c] = parse_number(survey[c], path="lm3_survey.csv", column=c)
    tenders = _read_optional(
        root,
        "social_value/tenders.csv",
        ["tender_id", "bidder", "price", "quality_score", "social_value_score"],
        ["price_weight", "quality_weight", "social_value_weight", "is_local", "is_sme", "is_vcse"],
    )
    commitments = _read_optional(
        root,
        "social_value/commitments.csv",
        ["contract_id", "supplier_name", "anchor_id", "measure", "committed", "delivered"],
        ["unit", "period_start", "period_end"],
    )
    return {
        "anchors": anchors,
        "suppliers": suppliers,
        "geography": geography,
        "areas": _read_areas(root),
        "categories": categories,
        "lm3_survey": survey,
        "tenders": tenders,
        "commitments": commitments,
        "supplier_overrides": overrides,
        "notes": [*geography.notes, *_register_location_notes(suppliers)],
    }


_FRAMES = ["suppliers", "categories", "lm3_survey", "tenders", "commitments"]  # stored as they are


def _store_tables(folder: Path, t: dict) -> bool:
    """``_read_tables``' result as the dataset_cache entry ``folder`` (False when it cannot be stored)."""
    geo = t["geography"]
    frames = {
        "anchors": t["anchors"].assign(home_lads=t["anchors"]["home_lads"].map(";".join).astype("string")),
        "postcodes": geo.postcodes,
        "imd": geo.imd,
        **{n: t[n] for n in _FRAMES},
    }
    meta = {
        "imd_vintage": geo.imd_vintage,
        "lsoa_vintage": geo.lsoa_vintage,
        "geography_notes": geo.notes,
        "areas": [[a.area_id, a.name, sorted(a.lads), a.region, a.everywhere] for a in t["areas"].values()],
        "overrides": list(t["supplier_overrides"].items()),
        "notes": t["notes"],
    }
    return dataset_cache.write(folder, frames, meta)


def _load_tables(folder: Path) -> dict | None:
    """The tables ``_store_tables`` stored in ``folder``, as ``_read_tables`` returns them; None on a miss."""
    hit = dataset_cache.read(folder)
    if hit is None:
        return None
    frames, meta = hit
    anchors = frames["anchors"]
    anchors["home_lads"] = anchors["home_lads"].fillna("").map(split_codes)
    geography = Geography(
        frames["postcodes"], frames["imd"], meta["imd_vintage"], meta["lsoa_vintage"], meta["geography_notes"]
    )
    areas = {a[0]: Area(a[0], a[1], frozenset(a[2]), a[3], a[4]) for a in meta["areas"]}
    return {
        "anchors": anchors,
        "geography": geography,
        "areas": areas,
        **{n: frames.get(n) for n in _FRAMES},
        "supplier_overrides": dict(meta["overrides"]),
        "notes": meta["notes"],
    }


def open_dataset(path: str | Path | None = None) -> Dataset:
    """Read and validate a dataset folder (default: ``$ANCHORLIB_DATA`` or the bundled sample).

    Raises DatasetError (one line naming the file and what is missing) for a missing required file
    or column; spend files that cannot be read raise SpendFileError. The tables other than the spend
    come from the tables' cache entry (anchorlib/data/storage/tables.py) while none of their files has
    changed.
    """
    from anchorlib.paths import default_data_dir

    root = Path(path).expanduser().resolve() if path is not None else default_data_dir()
    if not root.is_dir():
        raise DatasetError("dataset folder does not exist", path=root)
    store = cache.cache_dir(root) if cache.enabled() else None
    # keys first, then the files they cover: a file changed meanwhile is keyed as it is read or later
    payments_inputs = cache.payments_inputs(root, store) if store is not None else None
    folder = dataset_cache.entry(store, root) if store is not None else None
    tables = _load_tables(folder) if folder is not None else None
    if tables is None:
        tables = _read_tables(root)
        if folder is not None and not _store_tables(folder, tables):
            folder = None
    spend, reports, cached_payments, payments_key = _read_spend(
        root, tables["anchors"], store, payments_inputs
    )
    ds = Dataset(root=root, spend=spend, load_reports=reports, **tables, derived=Derived(tables_entry=folder))
    if cached_payments is not None:
        ds.derived.payments_cached(store, payments_key, cached_payments)
    elif (
        store is not None
        and len(spend) >= cache.PAYMENTS_MIN_ROWS
        and cache.write_payments(store, payments_key, ds.payments)
    ):
        ds.derived.payments_cached(store, payments_key)
    return ds


def open_anchor(data_dir, anchor_id: str) -> tuple[Dataset, str]:
    """Open a dataset and check ``anchor_id`` is in it (raises ParameterError listing the known ids).

    Notebooks call this straight after papermill injects parameters.
    """
    ds = open_dataset(data_dir)
    ds.anchor(anchor_id)
    return ds, anchor_id
