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
from anchorlib.data.grants import (
    DEFAULT_GRANT_LOCATION,
    GRANT_LOCATIONS,
    check_grant_location,
    empty_grants,
    flow_key,
    flow_label,
    join_grants,
    with_grant_part,
)
from anchorlib.data.ingest import SPEND_COLUMNS, LoadReport
from anchorlib.data.ingest.grants import GRANT_SUFFIXES, GrantReport
from anchorlib.data.names import PlaceNames, own_names
from anchorlib.data.payments import (
    GROUP_FLAGS,
    SPEND_CATEGORICALS,
    Joiner,
    build_payments,
    compact,
    concat,
    flow_columns,
    spend_frame,
)
from anchorlib.data.places import (
    BUILTIN_AREAS,
    Area,
    Geography,
    lad_code_problem,
    normalise_postcodes,
    read_geography,
)
from anchorlib.data.relation import is_relation
from anchorlib.data.rollup import stored_rollup
from anchorlib.data.storage import cache
from anchorlib.data.storage import tables as dataset_cache
from anchorlib.data.storage.derived import Derived
from anchorlib.data.suppliers import match_table, normalise_name, read_overrides, register_keys
from anchorlib.data.survey import resolve_survey
from anchorlib.data.tables import counted, parse_flag, parse_number, read_table, shown
from anchorlib.errors import DatasetError, GrantFileError, ParameterError, SpendFileError

SPEND_FILE_SUFFIXES = {".csv", ".xlsx", ".xlsm", ".ods"}  # ingest/reader.py reads each
#: suppliers.csv's optional columns from ``anchorlib register build`` (anchorlib/data/registers/builder.py)
REGISTER_COLUMNS = [
    "source",
    "location_source",
    "company_status",
    "company_category",
    "account_category",
    "sic_codes",
    "aliases",
    "register_rules",
]


@dataclass(frozen=True, eq=False)
class Dataset:
    """Validated tables of one dataset folder, and (``derived``) what is computed from them and kept.

    The tables never change once read: the dataclass is frozen, and ``replace`` makes a new dataset
    (e.g. with the register cut to an area's suppliers) with a store of its own. Everything computed
    from the tables (the joined payments, their rollups, the LM3 survey resolved to suppliers, the rule
    set) lives in ``derived`` (anchorlib/data/storage/derived.py), and nowhere else.
    """

    root: Path
    anchors: pd.DataFrame  # anchor_id, name, kind, home_lads (a tuple of LAD codes, upper case)
    spend: pd.DataFrame  # anchor_id + ingest.SPEND_COLUMNS (out of core: the payments' PaymentsRelation)
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
    #: grants/<anchor_id>/'s 360Giving files: their grants in pounds (anchor_id + ingest.grants.GRANT_COLUMNS;
    #: None without a grants/ folder) and one report per file; the option that places them
    grants: pd.DataFrame | None = None
    grant_reports: dict[str, list[GrantReport]] = field(default_factory=dict)
    grant_location: str = DEFAULT_GRANT_LOCATION
    flow: str = "spend"  # the flow choice the payments hold (``with_flow``)
    _spend_of: Dataset | None = field(default=None, repr=False)  # a flow view's dataset as opened

    def replace(self, **tables) -> Dataset:
        """A new dataset with some tables replaced (``suppliers=...``) and a store of its own: nothing
        derived from the old tables carries over, and nothing of it is stored on disk. A flow view's
        replacement is the same flow of the replaced dataset."""
        if self._spend_of is not None:
            return self._spend_of.replace(**tables).with_flow(self.flow, self.grant_location)
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
        return Area("home", f"{row['name']} home area", frozenset(row["home_lads"]), names=self.place_names)

    def area(self, area_id: str | None, anchor_id: str | None = None) -> Area:
        """Resolve an area id: 'home' (the anchor's home LADs; the default), a built-in
        ('city_hackney', 'london', 'uk') or an id from areas.csv."""
        if area_id in (None, "", "home"):
            if anchor_id is None:
                raise ParameterError("area 'home' needs an anchor")
            return self.home_area(anchor_id)
        if area_id in self.areas:
            return dataclasses.replace(self.areas[area_id], names=self.place_names)
        raise ParameterError(f"unknown area '{area_id}'; choose home, {', '.join(self.areas)}")

    @property
    def place_names(self) -> PlaceNames:
        """The names of districts, regions and countries by ONS code (anchorlib/data/names.py): the
        folder's ``geography/names.csv``, then its postcode directory's name columns, then the shipped
        ONS lookup. ``place_names.label('E09000025')`` is 'Newham (E09000025)'."""
        return self.derived.memo(
            "place_names",
            lambda: PlaceNames.of(self.derived.from_tables("place_names", lambda: own_names(self.root))),
        )

    @property
    def ruleset(self) -> RuleSet:
        """The addressable rule set: the defaults plus categories.csv
        (docs/methodology.md#addressable-spend)."""
        return self.derived.memo("ruleset", lambda: ruleset_from_categories(self.categories))

    @property
    def choices(self) -> dict:
        """The choices of this dataset that every figure from its payments names: the addressable rule set
        and the IMD vintage (a selection of payments carries them in ``attrs``) and, for a dataset with
        grants, the flow its payments hold (``with_flow``) and, when that includes grants, the option that
        placed them (``grant_location``)."""
        out = {"addressable_rule_set": self.ruleset.name, "imd_vintage": self.geography.imd_vintage}
        if self.has_grants or self.flow != "spend":
            out["flow"] = flow_label(self.flow)
            if self.flow != "spend":
                out["grant_location"] = self.grant_location_label
        return out

    @property
    def has_grants(self) -> bool:
        """Whether the dataset holds grants in pounds (grants/<anchor_id>/ 360Giving files)."""
        return self.grants is not None and len(self.grants) > 0

    @property
    def grant_location_label(self) -> str:
        """What places a grant under the dataset's grant location option, as outputs name it."""
        return f"{self.grant_location}: {GRANT_LOCATIONS[self.grant_location]}"

    def with_flow(self, flow: object = "spend", grant_location: str | None = None) -> Dataset:
        """This dataset with the payments of a flow choice (``grants.flow_key``: 'spend', the default and
        the dataset as opened; 'grant'; 'both', spend and grants), grants placed by ``grant_location``
        ('recipient' or 'beneficiary'; default the dataset's). Every metric, chart, app and report given it
        sums those payments and names the flow in its choices. The spend's joined payments are shared, the
        view's rollups its own (in memory). Made once per choice."""
        key = flow_key(flow)
        base = self._spend_of or self
        location = check_grant_location(grant_location or self.grant_location)
        if key == "spend" and location == base.grant_location:
            return base
        return base.derived.memo(
            f"flow:{key}:{location}",
            lambda: dataclasses.replace(
                base, flow=key, grant_location=location, derived=Derived(), _spend_of=base
            ),
        )

    def _joiner(self) -> Joiner:
        return Joiner(self.suppliers, self.geography, self.ruleset, self.supplier_overrides)

    @property
    def payments(self) -> pd.DataFrame:
        """Spend joined to the register, places and the addressable rule set (one row per payment); for a
        view of another flow (``with_flow``), the grants (``grant_payments``) or the spend then the grants,
        with ``flow`` and ``placed_by``.

        Payees resolve to the register by ``suppliers.resolve_names`` (redacted never; then
        supplier_matches.csv overrides, exact, fuzzy): ``match_method`` and ``match_score`` say how.
        Location comes from the matched register entry's postcode, else from a postcode published in
        the spend file; otherwise it is unknown (``lad`` <NA>). Text columns are categoricals (see
        ``compact``): name matching, location and the rule set run once per distinct value. Built on
        first use, or mapped from the cache when ``open_dataset`` found it there.
        """
        if self._spend_of is not None:
            return self.derived.memo("payments", self._flow_payments)
        return self.derived.memo(
            "payments",
            lambda: build_payments(
                self.spend, self.suppliers, self.geography, self.ruleset, self.supplier_overrides
            ),
        )

    def _flow_payments(self):
        base = self._spend_of
        grants = self.grant_payments
        if self.flow == "grant":
            return grants
        spend = base.payments
        if is_relation(spend):
            return with_grant_part(spend, grants, base.derived.payments_dir)
        return concat([spend.assign(**flow_columns(len(spend))), grants])

    @property
    def grant_payments(self) -> pd.DataFrame:
        """The grants as payments of the 'grant' flow (anchorlib/data/grants.py: matched by company or
        charity number, then name; placed by ``grant_location``; ``placed_by`` says what placed each), a
        pandas frame however large the dataset (grants are few); no rows without grants."""
        base = self._spend_of or self
        return base.derived.memo(
            f"grant_payments:{self.grant_location}",
            lambda: join_grants(
                self.grants if self.grants is not None else empty_grants(),
                base._joiner(),
                self.geography,
                self.grant_location,
            ),
        )

    @property
    def financial_years(self) -> list[str]:
        """The financial years with payments, in order (an out-of-core dataset knows them from its parts)."""
        p = self.payments
        if is_relation(p):
            return p.financial_years
        return sorted(str(y) for y in p["financial_year"].dropna().unique())

    def rollup(self, columns: list[str] | None = None, *, resolved: bool = False, run=None) -> pd.DataFrame:
        """The payments summed per distinct row of ``columns`` (anchorlib/data/rollup.py; ``resolved``: with
        each row's resolved supplier in ``supplier_id``): the same sums from far fewer rows, made once per
        dataset and stored beside its cached payments. Shared: do not write to it. Out of core, DuckDB sums
        the Parquet parts, or ``run`` (an engine's SQL runner: the metrics pass Spark's when it sums)."""
        return stored_rollup(self.payments, self.derived, columns, resolved=resolved, run=run)

    @property
    def survey_suppliers(self) -> pd.DataFrame | None:
        """lm3_survey.csv resolved to the dataset's suppliers (``survey.resolve_survey``), None without a
        survey; kept with the dataset's stored tables. One-line errors for a bad survey row."""
        if self.lm3_survey is None:
            return None
        return self.derived.from_tables(
            "lm3_survey_suppliers",
            lambda: resolve_survey(self.lm3_survey, register_keys(self.suppliers), self.supplier_overrides),
        )

    @property
    def population(self) -> pd.DataFrame | None:
        """The local business population (population.csv, written by ``anchorlib register build``) located and
        flagged by the current rule set and SIC mapping (anchorlib/data/registers/population.py); None
        without one. The availability pool ``population`` of the equity metrics."""
        from anchorlib.data.registers.population import read_population

        return self.derived.memo("population", lambda: read_population(self.root, self.geography))

    @property
    def matches(self) -> pd.DataFrame:
        """The match table an analyst reviews (``suppliers.match_table``): one row per payee name of the
        spend files (out of core: summed by DuckDB over the Parquet parts)."""
        return match_table((self._spend_of or self).payments)

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

    def grant_report_frame(self) -> pd.DataFrame:
        """One row per grant file: anchor, file, layout, grants in the file, loaded (and their £), in other
        currencies (reported apart, per currency), rejected, blank rows, to individuals (counted, never
        named), with a recipient postcode, with a beneficiary location code only. ``grant_reports`` holds
        each rejection's line or index and reason."""
        rows = []
        for anchor_id, reports in self.grant_reports.items():
            for r in reports:
                rows.append(
                    {
                        "anchor_id": anchor_id,
                        "file": Path(r.file).name,
                        "layout": r.layout,
                        "grants_in_file": r.records,
                        "grants_loaded": r.grants_loaded,
                        "net_total": round(r.net_total, 2),
                        "other_currency_grants": r.other_currency_grants,
                        "other_currencies": r.currencies_text(),
                        "rows_rejected": r.rows_rejected,
                        "blank_rows": r.blank_rows,
                        "to_individuals": int(r.individuals["grants"]),
                        "with_postcode": r.with_postcode,
                        "with_beneficiary_code": r.with_beneficiary_code,
                    }
                )
        return pd.DataFrame(rows)

    def grant_placing(self) -> pd.DataFrame:
        """Per anchor with grants: how many grants (and £) the recipient's postcode placed, the beneficiary
        location placed, and neither (unknown location), under the dataset's grant location option."""
        cols = ["anchor_id", "placed_by", "grants", "amount"]
        g = self.grant_payments
        frame = pd.DataFrame(
            {
                "anchor_id": g["anchor_id"].astype(str),
                "placed_by": g["placed_by"].astype("string").fillna("unknown location"),
                "amount": g["amount"].to_numpy(dtype=float),
            }
        )
        out = frame.groupby(["anchor_id", "placed_by"], sort=True).agg(
            grants=("amount", "size"), amount=("amount", "sum")
        )
        out = out.reset_index()[cols]
        out.attrs["choices"] = {"grant_location": self.grant_location_label}
        return out


ANCHORS_FILE = "anchors.csv"
AREAS_FILE = "areas.csv"
SUPPLIERS_FILE = "suppliers.csv"
CATEGORIES_FILE = "categories.csv"
SURVEY_FILE = "lm3_survey.csv"
POSTCODES_FILE = "geography/postcodes.csv"
_ROW_INDEX = "__csv_row"  # the index (CSV line - 2) of a table stored in the cache, kept for its messages


def _first(bad: pd.Series) -> int:
    """The CSV line of the first row where ``bad`` holds (a table's index is its CSV line - 2)."""
    return int(bad[bad].index[0]) + 2


def _refuse_blank(
    df: pd.DataFrame, columns: list[str], path: str, hints: dict[str, str] | None = None
) -> None:
    """DatasetError at the first row where one of ``columns`` is blank (``hints``: what to write there)."""
    for col in columns:
        blank = df[col].isna()
        if blank.any():
            hint = f": {hints[col]}" if hints and col in hints else ""
            raise DatasetError(f"{col} is blank{hint}", path=path, line=_first(blank))


def _lad_codes(text: object, column: str, path: str, line: int) -> tuple[str, ...]:
    """The LAD codes of a home_lads or lads cell (``split_codes``, upper case); DatasetError at the first
    that is not a LAD code, as written."""
    codes = split_codes(text)
    if not codes:
        raise DatasetError(f"{column} names no code: give ONS LAD codes, ';'-joined", path=path, line=line)
    for code in codes:
        problem = lad_code_problem(code)
        if problem:
            raise DatasetError(f"{column}: {problem}", path=path, line=line)
    return tuple(dict.fromkeys(c.upper() for c in codes))


def _read_anchors(root: Path) -> pd.DataFrame:
    """anchors.csv: one row per anchor, its id naming its folder under spend/, its home area given as ONS
    LAD codes. One-line errors for no anchors, a blank id, name or home_lads, an id that cannot name a
    folder, an id given twice, and a home LAD that is not a LAD code (a name, an LSOA or region code)."""
    df = read_table(root / ANCHORS_FILE, ["anchor_id", "name", "kind", "home_lads"], root=root)
    if df.empty:
        raise DatasetError("lists no anchors (a header and no rows)", path=ANCHORS_FILE)
    home = "give the anchor's home local authority district codes, e.g. E09000012, ';'-joined"
    _refuse_blank(df, ["anchor_id", "name", "home_lads"], ANCHORS_FILE, {"home_lads": home})
    unsafe = df["anchor_id"].str.contains(r"[/\\]", regex=True) | df["anchor_id"].str.startswith(".")
    if unsafe.any():
        i = _first(unsafe)
        raise DatasetError(
            f"anchor_id '{shown(df.at[i - 2, 'anchor_id'])}' cannot name a folder of spend/ "
            "(no '/' or '\\', not starting with '.')",
            path=ANCHORS_FILE,
            line=i,
        )
    folded = df["anchor_id"].str.casefold()  # Windows and macOS ignore case in folder names
    dup = folded.duplicated()
    if dup.any():
        i = _first(dup)
        this, earlier = df.at[i - 2, "anchor_id"], _first(folded == folded[i - 2])
        that = df.at[earlier - 2, "anchor_id"]
        problem = (
            f"anchor_id '{shown(this)}' appears twice (first on line {earlier})"
            if this == that
            else f"anchor_id '{shown(this)}' differs from '{shown(that)}' (line {earlier}) only in case: "
            "on Windows and macOS the two would share one spend folder"
        )
        raise DatasetError(problem, path=ANCHORS_FILE, line=i)
    codes = [_lad_codes(t, "home_lads", ANCHORS_FILE, int(i) + 2) for i, t in df["home_lads"].items()]
    df["home_lads"] = pd.Series(codes, index=df.index, dtype=object)
    return df.reset_index(drop=True)


def split_codes(text: object) -> tuple[str, ...]:
    """ONS codes joined by ';' (or ',') as written in anchors.csv home_lads and areas.csv lads."""
    if pd.isna(text):
        return ()
    return tuple(x.strip() for x in str(text).replace(",", ";").split(";") if x.strip())


def _spend_files(root: Path, anchors: pd.DataFrame) -> tuple[dict[str, list[Path]], list[str]]:
    """Each anchor's spend files (those of ``SPEND_FILE_SUFFIXES`` in spend/<anchor_id>/), and notes naming
    what is there but not read: other files and folders in an anchor's folder, folders of spend/ that name
    no anchor, files directly under spend/. Hidden files and Excel's lock files (~$...) are passed over."""
    suffixes = ", ".join(sorted(SPEND_FILE_SUFFIXES))
    spend = root / "spend"
    out, notes = {}, []

    def listing(folder: Path) -> list[Path]:
        try:
            return sorted(f for f in folder.iterdir() if not f.name.startswith((".", "~$")))
        except OSError as exc:
            shown_folder = f"{folder.relative_to(root)}/"
            raise DatasetError(f"cannot be read ({exc.strerror or exc})", path=shown_folder) from None

    top = listing(spend) if spend.is_dir() else []
    for anchor_id in anchors["anchor_id"]:
        folder = spend / anchor_id
        if not folder.is_dir():
            near = [f.name for f in top if f.is_dir() and f.name.lower() == anchor_id.lower()]
            hint = f" (there is spend/{near[0]}/: the folder must be named as the anchor_id)" if near else ""
            raise DatasetError(f"no spend folder for anchor '{anchor_id}'{hint}", path=f"spend/{anchor_id}/")
        entries = listing(folder)
        files = [f for f in entries if f.suffix.lower() in SPEND_FILE_SUFFIXES and f.is_file()]
        others = [f.name + ("/" if f.is_dir() else "") for f in entries if f not in files]
        if not files:
            found = f"; it holds {_names(others)}" if others else ""
            raise DatasetError(
                f"no spend files ({suffixes}) for anchor '{anchor_id}'{found}", path=f"spend/{anchor_id}/"
            )
        if others:
            not_read = counted(len(others), "entry", "entries")
            notes.append(f"spend/{anchor_id}/: {not_read} not read (not a {suffixes} file): {_names(others)}")
        out[anchor_id] = files
    strays = [f.name + ("/" if f.is_dir() else "") for f in top if f.name not in out]
    if strays:
        notes.append(
            f"spend/: {counted(len(strays), 'entry', 'entries')} not read (an anchor's files go in "
            f"spend/<anchor_id>/, named as in anchors.csv): {_names(strays)}"
        )
    return out, notes


def _names(names: list[str], most: int = 5) -> str:
    return ", ".join(shown(n, 40) for n in names[:most]) + (
        f" and {len(names) - most} more" if len(names) > most else ""
    )


def _file_keys(root: Path, files: dict[str, list[Path]], store: Path | None) -> dict[Path, str]:
    """Each spend file's cache key (none without a cache)."""
    if not store:
        return {}
    return {f: cache.file_key(f, str(f.relative_to(root)), store) for fs in files.values() for f in fs}


def _read_spend(
    root: Path, files: dict[str, list[Path]], store: Path | None, payments_inputs: str | None = None
) -> tuple[pd.DataFrame, dict[str, list[LoadReport]], pd.DataFrame | None, str | None]:
    """(spend, load reports, cached payments or None, the payments' cache key or None) of each anchor's
    ``files`` (``_spend_files``), through the cache of anchorlib/cache.py: when the payments of these exact
    files are cached, spend is their view and no spend file is read. ``payments_inputs``:
    ``cache.payments_inputs`` as taken before the tables were read (every key is taken before what it
    covers is read)."""
    frames, reports = [], {}
    keys = _file_keys(root, files, store)
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

                try:
                    hit = load_spend_file(f)
                except OSError as exc:  # unreadable (permissions, a file gone since it was listed)
                    reason = f"cannot be read ({exc.strerror or exc})"
                    raise SpendFileError(reason, path=f.relative_to(root)) from None
                if store is not None:
                    cache.write(store, keys[f], *hit)
            df, report = hit
            report.file = str(f.relative_to(root))
            frames.append(spend_frame(df, anchor_id, report.file))
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


GRANTS_DIR = "grants"


def _grant_files(root: Path, anchors: pd.DataFrame) -> tuple[dict[str, list[Path]], list[str]]:
    """Each anchor's 360Giving files (grants/<anchor_id>/*.json, .csv, .xlsx...; an anchor may have none),
    and notes naming what is there but not read (other files, folders naming no anchor)."""
    top = root / GRANTS_DIR
    if not top.is_dir():
        return {}, []
    out, notes = {}, []
    known = set(anchors["anchor_id"])
    try:
        entries = sorted(f for f in top.iterdir() if not f.name.startswith((".", "~$")))
    except OSError as exc:
        raise DatasetError(f"cannot be read ({exc.strerror or exc})", path=f"{GRANTS_DIR}/") from None
    strays = [f.name + ("/" if f.is_dir() else "") for f in entries if not (f.is_dir() and f.name in known)]
    for folder in entries:
        if not (folder.is_dir() and folder.name in known):
            continue
        inner = sorted(f for f in folder.iterdir() if not f.name.startswith((".", "~$")))
        files = [f for f in inner if f.is_file() and f.suffix.lower() in GRANT_SUFFIXES]
        others = [f.name + ("/" if f.is_dir() else "") for f in inner if f not in files]
        if others:
            notes.append(
                f"{GRANTS_DIR}/{folder.name}/: {counted(len(others), 'entry', 'entries')} not read (not a "
                f"360Giving {', '.join(GRANT_SUFFIXES)} file): {_names(others)}"
            )
        if files:
            out[folder.name] = files
    if strays:
        notes.append(
            f"{GRANTS_DIR}/: {counted(len(strays), 'entry', 'entries')} not read (an anchor's 360Giving "
            f"files go in {GRANTS_DIR}/<anchor_id>/, named as in anchors.csv): {_names(strays)}"
        )
    return out, notes


def _read_grants(
    root: Path, files: dict[str, list[Path]], store: Path | None
) -> tuple[pd.DataFrame | None, dict[str, list[GrantReport]]]:
    """(grants: anchor_id + ingest.grants.GRANT_COLUMNS, or None without any grant file; a grant report per
    file) of ``_grant_files``' files, each read once and kept in the cache (anchorlib/data/storage/cache.py).
    A file that cannot be read at all is a one-line GrantFileError naming it."""
    if not files:
        return None, {}
    from anchorlib.data.ingest.grants import load_grant_file

    frames, reports = [], {}
    for anchor_id, anchor_files in files.items():
        reports[anchor_id] = []
        for f in anchor_files:
            rel = str(f.relative_to(root))
            key = cache.grants_key(f, rel, store) if store is not None else None
            hit = cache.read_grants(store, key) if store is not None else None
            if hit is None:
                try:
                    hit = load_grant_file(f)
                except GrantFileError as err:
                    raise GrantFileError(err.problem, path=rel, line=err.line) from None
                if store is not None:
                    cache.write_grants(store, key, *hit)
            df, report = hit
            report.file = rel
            df = df.copy()
            df["source_file"] = pd.Series([rel] * len(df), dtype="string", index=df.index)
            df.insert(0, "anchor_id", pd.Series([anchor_id] * len(df), dtype="string", index=df.index))
            frames.append(df)
            reports[anchor_id].append(report)
    return pd.concat(frames, ignore_index=True), reports


#: The register's columns two rows of one supplier (one normalised name) must agree on.
_REGISTER_FACTS = ["postcode", "company_number", "charity_number", *GROUP_FLAGS, "categories"]


def _read_suppliers(root: Path, geography: Geography) -> tuple[pd.DataFrame, list[str]]:
    """suppliers.csv: the register, each row's name normalised (``supplier_key``) and its postcode located;
    and notes. One-line errors for a blank name, a flag other than yes/no (or blank) and two rows of one
    supplier (one normalised name: the name matching works on) that disagree on a fact; a row repeating an
    earlier one is counted once and noted."""
    optional = ["company_number", "charity_number", *GROUP_FLAGS, "categories", *REGISTER_COLUMNS]
    reg = read_table(root / SUPPLIERS_FILE, ["supplier_name", "postcode"], optional, root=root)
    _refuse_blank(reg, ["supplier_name"], SUPPLIERS_FILE)
    written = reg.copy()
    for flag in GROUP_FLAGS:
        if flag in reg.columns:
            reg[flag] = parse_flag(reg[flag], path=SUPPLIERS_FILE, column=flag)
    reg["supplier_key"] = normalise_name(reg["supplier_name"])
    reg, notes = _register_repeats(reg, written)
    if reg.empty:
        notes.append(
            f"{SUPPLIERS_FILE} lists no suppliers: no payee is matched to the register, locations come from "
            "the spend files' own postcodes, and availability is unknown"
        )
    nameless = reg["supplier_key"].isna()
    if nameless.any():
        example = shown(reg.at[nameless.idxmax(), "supplier_name"])
        notes.append(
            f"{SUPPLIERS_FILE}: {counted(int(nameless.sum()), 'name')} with nothing but punctuation or legal "
            f"forms (first on line {_first(nameless)}: '{example}'): never matched"
        )
    located = geography.locate(reg["postcode"])
    reg["postcode_raw"] = reg["postcode"]
    for col in ("postcode", "lad", "rgn", "lsoa", "imd_decile"):
        reg[col] = located[col]
    return reg.reset_index(drop=True), notes


def _register_repeats(reg: pd.DataFrame, written: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The register without rows that repeat an earlier row of the same supplier (same ``supplier_key``)
    fact for fact (``_REGISTER_FACTS``: postcode compared normalised, flags as read, categories as a set),
    and the note counting them. DatasetError at the first row of a supplier seen before whose facts differ:
    matching by name could not tell the two apart."""
    again = reg["supplier_key"].notna() & reg["supplier_key"].duplicated(keep=False)
    if not again.any():
        return reg, []
    facts = [c for c in _REGISTER_FACTS if c in reg.columns]
    compared = reg.loc[again, facts].astype("string").fillna("")
    if "postcode" in facts:
        raw = reg.loc[again, "postcode"]
        compared["postcode"] = normalise_postcodes(raw).fillna(raw.str.upper()).fillna("")
    if "categories" in facts:
        compared["categories"] = compared["categories"].map(
            lambda text: ";".join(sorted({c.strip() for c in text.split(";") if c.strip()}))
        )
    first: dict[str, int] = {}
    repeats: list[int] = []
    for i in compared.index:
        key = reg.at[i, "supplier_key"]
        if key not in first:
            first[key] = i
            continue
        j = first[key]
        for col in facts:
            if compared.at[i, col] != compared.at[j, col]:
                this, that = (
                    shown(written.at[k, col]) if pd.notna(written.at[k, col]) else "blank" for k in (i, j)
                )
                raise DatasetError(
                    f"'{shown(reg.at[i, 'supplier_name'])}' is the supplier of line {j + 2} "
                    f"('{shown(reg.at[j, 'supplier_name'])}', same name once normalised) with {col} {this}, "
                    f"not {that}: keep one row, or name them apart",
                    path=SUPPLIERS_FILE,
                    line=i + 2,
                )
        repeats.append(i)
    if not repeats:
        return reg, []
    i = repeats[0]
    note = (
        f"{SUPPLIERS_FILE}: {counted(len(repeats), 'row')} repeating an earlier row of the same supplier "
        f"(first on line {i + 2}, as line {first[reg.at[i, 'supplier_key']] + 2}): each supplier counted once"
    )
    return reg.drop(index=repeats), [note]


def _register_location_notes(reg: pd.DataFrame, geography: Geography) -> list[str]:
    """Register suppliers whose location is unknown (docs/methodology.md#unknown-location: its own bucket),
    counted by cause: malformed or blank postcode, not in the directory, no single district there."""
    malformed = int((reg["postcode"].isna() & reg["postcode_raw"].notna()).sum())
    blank = int(reg["postcode_raw"].isna().sum())
    listed = reg["postcode"].isin(geography.postcodes["postcode"])
    absent = int((reg["postcode"].notna() & ~listed).sum())
    ambiguous = int((listed & reg["lad"].isna()).sum())
    if not malformed + blank + absent + ambiguous:
        return []
    causes = f"{malformed} malformed postcode, {blank} blank, {absent} not in {POSTCODES_FILE}"
    causes += f", {ambiguous} with no single district there" if ambiguous else ""
    unknown = malformed + blank + absent + ambiguous
    return [f"{SUPPLIERS_FILE}: {unknown} of {len(reg)} suppliers have an unknown location ({causes})"]


def _read_optional(
    root: Path, rel: str, required: list[str], optional: list[str] = ()
) -> pd.DataFrame | None:
    path = root / rel
    return read_table(path, required, optional, root=root) if path.exists() else None


def _read_areas(root: Path) -> dict[str, Area]:
    """The built-in areas and areas.csv's. One-line errors for a blank id, name or lads, an id that is built
    in or given twice, and a code in lads that is not a LAD code."""
    areas = dict(BUILTIN_AREAS)
    df = _read_optional(root, AREAS_FILE, ["area_id", "name", "lads"])
    if df is None:
        return areas
    lads = "give ONS LAD codes, e.g. E09000012, ';'-joined"
    _refuse_blank(df, ["area_id", "name", "lads"], AREAS_FILE, {"lads": lads})
    reserved = ", ".join(["home", *BUILTIN_AREAS])
    lines: dict[str, int] = {}
    for i, r in df.iterrows():
        line, area_id = int(i) + 2, str(r["area_id"])
        if area_id in ("home", *BUILTIN_AREAS):
            raise DatasetError(
                f"area_id '{area_id}' is built in ({reserved}): choose another", path=AREAS_FILE, line=line
            )
        if area_id in lines:
            raise DatasetError(
                f"area_id '{shown(area_id)}' appears twice (first on line {lines[area_id]})",
                path=AREAS_FILE,
                line=line,
            )
        lines[area_id] = line
        lads = _lad_codes(r["lads"], "lads", AREAS_FILE, line)
        areas[area_id] = Area(area_id, str(r["name"]), frozenset(lads))
    return areas


def _coverage_notes(anchors: pd.DataFrame, areas: dict[str, Area], geography: Geography) -> list[str]:
    """Home LADs (anchors.csv) and areas.csv LADs that no postcode of the directory maps to: a supplier can
    be local there only through a postcode the directory does not hold, so a share of 0 there would say
    nothing of the suppliers (an extract cut to other districts, a district renamed since: E07000004
    became part of E06000060 in 2020)."""
    known = set(geography.postcodes["lad"].dropna().unique())
    places = [
        (ANCHORS_FILE, f"the home area of anchor '{r.anchor_id}'", r.home_lads) for r in anchors.itertuples()
    ]
    places += [
        (AREAS_FILE, f"area '{a.area_id}'", sorted(a.lads))
        for a in areas.values()
        if a.area_id not in BUILTIN_AREAS
    ]
    notes = []
    for path, what, lads in places:
        missing = [c for c in lads if c not in known]
        if missing:
            where = f"{path}: no postcode of {POSTCODES_FILE} is in {', '.join(missing)}"
            if len(missing) == len(lads):
                notes.append(f"{where} ({what}): no supplier can be local to it")
            else:
                notes.append(f"{where}, of {what}: no supplier there can be local")
    return notes


def _read_categories(root: Path) -> pd.DataFrame | None:
    """categories.csv. One-line errors for a blank expense_type, an addressable flag other than yes/no (or
    blank), and an expense type (compared trimmed, in any case) given twice with a different category or
    flag; a repeated identical row is counted once."""
    categories = _read_optional(root, CATEGORIES_FILE, ["expense_type", "category"], ["addressable"])
    if categories is None:
        return None
    _refuse_blank(categories, ["expense_type"], CATEGORIES_FILE)
    if "addressable" in categories.columns:
        categories["addressable"] = parse_flag(
            categories["addressable"], path=CATEGORIES_FILE, column="addressable"
        )
    key = categories["expense_type"].str.lower()
    seen: dict[str, int] = {}
    repeats = []
    for i, k in key.items():
        if k not in seen:
            seen[k] = i
            continue
        j = seen[k]
        for col in [c for c in ("category", "addressable") if c in categories.columns]:
            this, that = categories.at[i, col], categories.at[j, col]
            if not (pd.isna(this) and pd.isna(that)) and (pd.isna(this) or pd.isna(that) or this != that):
                raise DatasetError(
                    f"expense type '{shown(categories.at[i, 'expense_type'])}' is also on line {j + 2} with "
                    f"{col} {_said(that)}, here {_said(this)}",
                    path=CATEGORIES_FILE,
                    line=i + 2,
                )
        repeats.append(i)
    return categories.drop(index=repeats).reset_index(drop=True)


def _said(value: object) -> str:
    return "blank" if pd.isna(value) else f"'{shown(value)}'"


def _read_survey(root: Path) -> pd.DataFrame | None:
    """lm3_survey.csv, its shares parsed. One-line errors for a blank supplier name, a share that is blank, a
    percentage, not a number or outside 0-1. (A supplier surveyed twice is found when the survey is resolved
    to suppliers: ``survey.resolve_survey``.) The index stays the CSV line - 2 for that check's message."""
    survey = _read_optional(root, SURVEY_FILE, ["supplier_name", "local_staff_share", "local_supplier_share"])
    if survey is None:
        return None
    _refuse_blank(survey, ["supplier_name"], SURVEY_FILE)
    for c in ("local_staff_share", "local_supplier_share"):
        text = survey[c]
        for bad, why in (
            (text.isna(), "is blank"),
            (text.str.endswith("%").fillna(False), "is a percentage"),
        ):
            if bad.any():
                value = "" if why == "is blank" else f" '{shown(text[bad].iloc[0])}'"
                raise DatasetError(
                    f"{c}{value} {why}: give a fraction from 0 to 1 (0.40 for 40%)",
                    path=SURVEY_FILE,
                    line=_first(bad),
                )
        survey[c] = parse_number(text, path=SURVEY_FILE, column=c)
        outside = ~survey[c].between(0, 1)
        if outside.any():
            i = outside.idxmax()
            raise DatasetError(
                f"{c} must be a fraction from 0 to 1, not '{shown(text[i])}'",
                path=SURVEY_FILE,
                line=int(i) + 2,
            )
    return survey


def _read_tables(root: Path) -> dict:
    """Every table of the folder but the spend, read and checked: the fields of ``Dataset`` they fill."""
    anchors = _read_anchors(root)
    geo = root / "geography"
    geography = read_geography(geo / "postcodes.csv", geo / "imd.csv", geo / "wards.csv", root=root)
    suppliers, register_notes = _read_suppliers(root, geography)
    overrides_path = root / "supplier_matches.csv"
    overrides = read_overrides(overrides_path, suppliers, root=root) if overrides_path.exists() else {}
    areas = _read_areas(root)
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
        "areas": areas,
        "categories": _read_categories(root),
        "lm3_survey": _read_survey(root),
        "tenders": tenders,
        "commitments": commitments,
        "supplier_overrides": overrides,
        "notes": [
            *geography.notes,
            *register_notes,
            *_register_location_notes(suppliers, geography),
            *_coverage_notes(anchors, areas, geography),
        ],
    }


_FRAMES = ["suppliers", "categories", "lm3_survey", "tenders", "commitments"]  # stored as they are
_CHECKED_LATER = ["lm3_survey", "tenders", "commitments"]  # their rows' CSV lines are kept for the messages


def _store_tables(folder: Path, t: dict) -> bool:
    """``_read_tables``' result as the dataset_cache entry ``folder`` (False when it cannot be stored)."""
    geo = t["geography"]

    def stored(name: str) -> pd.DataFrame | None:
        df = t[name]
        return df.reset_index(names=_ROW_INDEX) if df is not None and name in _CHECKED_LATER else df

    frames = {
        "anchors": t["anchors"].assign(home_lads=t["anchors"]["home_lads"].map(";".join).astype("string")),
        "postcodes": geo.postcodes,
        "imd": geo.imd,
        **({"wards": geo.wards} if geo.wards is not None else {}),
        **{n: stored(n) for n in _FRAMES},
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


def _restored(df: pd.DataFrame | None) -> pd.DataFrame | None:
    """A frame ``_store_tables`` stored with its rows' index as a column, with that index back."""
    if df is None or _ROW_INDEX not in df.columns:
        return df
    out = df.set_index(_ROW_INDEX)
    out.index = out.index.astype("int64").rename(None)
    return out


def _load_tables(folder: Path) -> dict | None:
    """The tables ``_store_tables`` stored in ``folder``, as ``_read_tables`` returns them; None on a miss."""
    hit = dataset_cache.read(folder)
    if hit is None:
        return None
    frames, meta = hit
    anchors = frames["anchors"]
    anchors["home_lads"] = pd.Series(
        list(map(split_codes, anchors["home_lads"])), index=anchors.index, dtype=object
    )
    geography = Geography(
        frames["postcodes"],
        frames["imd"],
        meta["imd_vintage"],
        meta["lsoa_vintage"],
        meta["geography_notes"],
        frames.get("wards"),
    )
    areas = {a[0]: Area(a[0], a[1], frozenset(a[2]), a[3], a[4]) for a in meta["areas"]}
    return {
        "anchors": anchors,
        "geography": geography,
        "areas": areas,
        **{n: _restored(frames.get(n)) for n in _FRAMES},
        "supplier_overrides": dict(meta["overrides"]),
        "notes": meta["notes"],
    }


def open_dataset(path: str | Path | None = None) -> Dataset:
    """Read and validate a dataset folder (default: ``$ANCHORLIB_DATA`` or the bundled sample).

    Raises DatasetError, one line naming the file, the line and the problem, for anything in the folder
    that would make a figure wrong (docs/methodology.md#what-anchorlib-checks); what leaves the data usable
    with a part unknown is named in ``Dataset.notes``. Spend files that cannot be read raise
    SpendFileError. The tables other than the spend come from the tables' cache entry
    (anchorlib/data/storage/tables.py) while none of their files has changed; a file that raised is read,
    and raises, again on every open.
    """
    from anchorlib.paths import default_data_dir

    root = Path(path).expanduser().resolve() if path is not None else default_data_dir()
    if not root.is_dir():
        problem = "is a file, not a dataset folder" if root.exists() else "dataset folder does not exist"
        raise DatasetError(problem, path=root)
    store = cache.cache_dir(root) if cache.enabled() else None
    try:
        # keys first, then the files they cover: a file changed meanwhile is keyed as it is read or later
        payments_inputs = cache.payments_inputs(root, store) if store is not None else None
        folder = dataset_cache.entry(store, root) if store is not None else None
    except OSError:  # a file that cannot be keyed (a folder in its place): read uncached, its reader says why
        store = payments_inputs = folder = None
    tables = _load_tables(folder) if folder is not None else None
    if tables is None:
        tables = _read_tables(root)
        if folder is not None and not _store_tables(folder, tables):
            folder = None
    files, spend_notes = _spend_files(root, tables["anchors"])
    grant_files, grant_notes = _grant_files(root, tables["anchors"])
    grants, grant_reports = _read_grants(root, grant_files, store)
    tables = {
        **tables,
        "notes": [*tables["notes"], *spend_notes, *grant_notes],
        "grants": grants,
        "grant_reports": grant_reports,
    }
    if store is not None:  # a dataset too large to hold: its payments as Parquet parts, queried
        from anchorlib.data.outofcore import open_parts

        keys = _file_keys(root, files, store)
        parts = open_parts(root, files, keys, store, tables, folder, payments_inputs)
        if parts is not None:
            relation, reports, payments_key = parts
            ds = Dataset(
                root=root,
                spend=relation,
                load_reports=reports,
                **tables,
                derived=Derived(tables_entry=folder),
            )
            ds.derived.payments_cached(store, payments_key, relation)
            _ = ds.place_names  # geography/names.csv is checked as the folder is opened
            return ds
    spend, reports, cached_payments, payments_key = _read_spend(root, files, store, payments_inputs)
    ds = Dataset(root=root, spend=spend, load_reports=reports, **tables, derived=Derived(tables_entry=folder))
    _ = ds.place_names  # geography/names.csv is checked as the folder is opened
    if cached_payments is not None:
        ds.derived.payments_cached(store, payments_key, cached_payments)
    elif (
        store is not None
        and len(spend) >= cache.PAYMENTS_MIN_ROWS
        and cache.write_payments(store, payments_key, ds.payments)
    ):
        ds.derived.payments_cached(store, payments_key)
    return ds


def read_folder(path: str | Path) -> dict:
    """What ``anchorlib register build`` reads of a dataset folder before it builds the register: anchors,
    areas, geography, the spend (through the spend cache) and its load reports, the addressable rule set,
    and the register as it is (None without suppliers.csv). supplier_matches.csv is left to the builder,
    whose job is to find the register entries its decisions name."""
    root = Path(path).expanduser().resolve()
    if not root.is_dir():
        raise DatasetError("dataset folder does not exist", path=root)
    anchors = _read_anchors(root)
    geo = root / "geography"
    geography = read_geography(geo / "postcodes.csv", geo / "imd.csv", root=root)
    suppliers = _read_suppliers(root, geography)[0] if (root / SUPPLIERS_FILE).exists() else None
    store = cache.cache_dir(root) if cache.enabled() else None
    try:
        payments_inputs = cache.payments_inputs(root, store) if store is not None else None
    except OSError:
        store = payments_inputs = None
    files, _ = _spend_files(root, anchors)
    spend, reports, _, _ = _read_spend(root, files, store, payments_inputs)
    return {
        "root": root,
        "anchors": anchors,
        "areas": _read_areas(root),
        "geography": geography,
        "suppliers": suppliers,
        "spend": spend,
        "load_reports": reports,
        "ruleset": ruleset_from_categories(_read_categories(root)),
    }


def open_anchor(data_dir, anchor_id: str) -> tuple[Dataset, str]:
    """Open a dataset and check ``anchor_id`` is in it (raises ParameterError listing the known ids).

    Notebooks call this straight after papermill injects parameters.
    """
    ds = open_dataset(data_dir)
    ds.anchor(anchor_id)
    return ds, anchor_id
