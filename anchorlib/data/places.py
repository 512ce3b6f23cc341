"""Postcode -> LSOA -> LAD -> IMD decile, and named, nested local areas (docs/methodology.md#local).

A supplier is local to an area when its postcode maps to a local authority district in that area.
A postcode that is missing, malformed or absent from the directory is *unknown location*: its own
bucket, never counted as non-local.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import pandas as pd

from anchorlib.data.names import PlaceNames
from anchorlib.data.tables import counted, parse_number, read_table, shown
from anchorlib.errors import DatasetError

LONDON_REGION = "E12000007"
CITY_OF_LONDON = "E09000001"
HACKNEY = "E09000012"

_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")


def normalise_postcode(value: object) -> str | None:
    """'se6 2ur', 'SE146BG', ' SE26  6BQ ', 'SE26 6BQ' -> 'SE6 2UR', 'SE14 6BG', 'SE26 6BQ'.

    Returns None for anything that is not a well-formed UK postcode.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    s = re.sub(r"[^A-Za-z0-9]", "", str(value)).upper()
    m = _POSTCODE.match(s)
    return f"{m.group(1)} {m.group(2)}" if m else None


def normalise_postcodes(values: pd.Series) -> pd.Series:
    """Vectorised ``normalise_postcode`` (string dtype, <NA> where malformed)."""
    s = values.astype("string").str.upper().str.replace(r"[^A-Z0-9]", "", regex=True)
    parts = s.str.extract(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")
    return (parts[0] + " " + parts[1]).astype("string")


# --- ONS (GSS) codes by their shape ---------------------------------------------------------------
#: The GSS code prefixes of local authority districts: English unitary authorities (E06), non-metropolitan
#: districts (E07), metropolitan districts (E08), London boroughs and the City (E09), Welsh principal areas
#: (W06), Scottish council areas (S12) and Northern Irish districts (N09).
LAD_PREFIXES = ("E06", "E07", "E08", "E09", "W06", "S12", "N09")
LAD_RULE = "E06, E07, E08, E09, W06, S12 or N09 and six digits, e.g. E09000012"
_GSS = re.compile(r"^[A-Z][0-9]{8}$")
_PSEUDO = re.compile(r"^[A-Z]9{8}$")  # ONS pseudo codes (no area of that kind: the Channel Islands, ...)
_REGION = re.compile(r"^(E12[0-9]{6}|[ENSW]92[0-9]{6})$")  # English regions; the nations stand in elsewhere
_LOOKS_LIKE_CODE = re.compile(r"^(?=.*[0-9])[A-Z0-9]{4,12}$")
UNKNOWN_KIND = "a code of no kind anchorlib knows"
#: What a GSS code of another prefix names, for messages that say which kind of code was given.
GSS_KINDS = {
    **{p: "a local authority district" for p in LAD_PREFIXES},
    **{p: "an output area" for p in ("E00", "W00", "S00")},
    **{p: "an LSOA" for p in ("E01", "W01")},
    "S01": "a data zone",
    **{p: "an MSOA" for p in ("E02", "W02")},
    "S02": "an intermediate zone",
    "E04": "a parish",
    **{p: "a ward" for p in ("E05", "W05")},
    "E10": "a county",
    "E11": "a metropolitan county",
    "E12": "a region",
    "E14": "a parliamentary constituency",
    "E38": "a sub-ICB location (a former CCG)",
    "E47": "a combined authority",
    "E54": "an integrated care board",
    **{p: "a country" for p in ("E92", "W92", "S92", "N92")},
}


def code_kind(value: object) -> str:
    """What ``value`` is, read by its shape, for a message: 'an LSOA code', 'a region code', 'a postcode',
    'a name, not a code', 'an ONS pseudo code (no area)' or ``UNKNOWN_KIND``."""
    text = str(value).strip()
    if _PSEUDO.match(text):
        return "an ONS pseudo code (no area)"
    if _GSS.match(text):
        kind = GSS_KINDS.get(text[:3])
        return UNKNOWN_KIND if kind is None else f"{kind} code"
    if normalise_postcode(text):
        return "a postcode"
    return UNKNOWN_KIND if _LOOKS_LIKE_CODE.match(text) else "a name, not a code"


#: The GSS code prefixes of electoral wards (England, Wales, Scotland's multi-member wards, Northern Ireland).
WARD_PREFIXES = ("E05", "W05", "S13", "N08")
WARD_RULE = "E05, W05, S13 or N08 and six digits, e.g. E05009367"
#: LSOAs (England and Wales) and their Scottish and Northern Irish counterparts (data zones, SOAs).
SMALL_AREA_PREFIXES = ("E01", "W01", "S01", "95")


def is_ward_code(value: object) -> bool:
    """Whether ``value`` has the shape of an electoral ward's GSS code (``WARD_PREFIXES``)."""
    text = str(value)
    return bool(_GSS.match(text)) and text[:3] in WARD_PREFIXES


def is_gss_code(value: object) -> bool:
    """Whether ``value`` has the shape of any GSS code (a letter and eight digits)."""
    return bool(_GSS.match(str(value)))


def is_lad_code(value: object) -> bool:
    """Whether ``value`` has the shape of a local authority district's GSS code (``LAD_PREFIXES``)."""
    text = str(value)
    return bool(_GSS.match(text)) and text[:3] in LAD_PREFIXES


def lad_code_problem(value: object) -> str | None:
    """None for a LAD code (in any case: 'e09000012' is E09000012); otherwise what is wrong with ``value`` as
    one, as a message says it."""
    code = str(value).strip().upper()
    if is_lad_code(code):
        return None
    return f"'{shown(value)}' {_is_what(code)} a local authority district code ({LAD_RULE})"


def _is_what(code: str) -> str:
    """'is an LSOA code, not' / 'is a name, not' / 'is not': how a message puts what ``code`` is instead."""
    kind = code_kind(code)
    return "is not" if kind == UNKNOWN_KIND else f"is {kind.removesuffix(', not a code')}, not"


@dataclass(frozen=True)
class Area:
    """A named set of local authority districts. ``lads`` empty and ``region`` None means the UK.
    ``names``: what names its districts and region in ``describe`` (a dataset's ``place_names``; default
    the shipped ONS lookup)."""

    area_id: str
    name: str
    lads: frozenset[str] = field(default_factory=frozenset)
    region: str | None = None
    everywhere: bool = False
    names: PlaceNames | None = field(default=None, compare=False, repr=False)

    def contains(self, lad: pd.Series, rgn: pd.Series | None = None) -> pd.Series:
        """Boolean Series: which LADs (with their regions) fall inside this area. NA LAD -> False."""
        if self.everywhere:
            return lad.notna()
        inside = lad.isin(self.lads)
        if self.region is not None and rgn is not None:
            inside = inside | (rgn == self.region).fillna(False)
        return inside.fillna(False).astype(bool)

    def describe(self) -> str:
        """What counts as local, by name and code: 'City & Hackney: City of London (E09000001), Hackney
        (E09000012)', 'London: the region London (E12000007)', 'UK (any known UK location)'."""
        names = self.names or PlaceNames()
        if self.everywhere:
            return f"{self.name} (any known UK location)"
        if self.region:
            return f"{self.name}: the region {names.label(self.region)}"
        lads = ", ".join(sorted(names.label(lad) for lad in self.lads))
        return f"{self.name}: {lads or 'no districts'}"


BUILTIN_AREAS = {
    "city_hackney": Area("city_hackney", "City & Hackney", frozenset({CITY_OF_LONDON, HACKNEY})),
    "london": Area("london", "London", region=LONDON_REGION),
    "uk": Area("uk", "UK", everywhere=True),
}


# --- Geography files as published -----------------------------------------------------------

POSTCODE_ALIASES = {
    "pcds": ["pcds", "PostcodeNatural", "postcode", "pcd", "pcd7", "pcd8", "Postcode7", "Postcode8", "pcd2"],
    "laua": [
        "laua",
        "oslaua",
        "lad",
        "LAD24CD",
        "LAD23CD",
        "LAD22CD",
        "LAD21CD",
        "LAD20CD",
        "LAD19CD",
        "LAD17CD",
        "ladcd",
        "lad_code",
    ],
    "lsoa11": ["lsoa11", "LSOA11CD", "lsoa11cd"],
    "lsoa21": ["lsoa21", "LSOA21CD", "lsoa21cd"],
    "rgn": ["rgn", "RGN11CD", "rgn11cd", "RGN21CD", "RGN23CD", "region"],
    "doterm": ["doterm", "TerminationDate", "date_of_termination"],
    "ward": [
        "osward",
        "ward",
        "WD24CD",
        "WD23CD",
        "WD22CD",
        "WD21CD",
        "WD20CD",
        "WD19CD",
        "WD18CD",
        "WD17CD",
        "WD22CD_proposed",
    ],
}
IMD_LAD = [
    "Local Authority District code (2019)",
    "Local Authority District code (2024)",
    "Local Authority District code (2023)",
    "Local Authority District code (2021)",
    "LAD19CD",
    "LAD24CD",
    "LAD23CD",
    "LAD21CD",
]
#: geography/wards.csv, an ONS ward to local authority district lookup as published.
WARD_ALIASES = {
    "ward": [c for c in POSTCODE_ALIASES["ward"] if c != "WD22CD_proposed"] + ["ward_code", "wdcd"],
    "lad": POSTCODE_ALIASES["laua"][1:] + ["laua"],
}
IMD_LSOA11 = ["LSOA code (2011)", "LSOA11CD", "lsoa11_code", "lsoa11"]
IMD_LSOA21 = ["LSOA code (2021)", "LSOA21CD", "lsoa21_code", "lsoa21"]
IMD_DECILE = [
    "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)",
    "Index of Multiple Deprivation (IMD) Decile",
    "IMD_decile",
    "IMD decile",
    "IMD_Decile",
    "imd_decile",
]


@dataclass
class Geography:
    """Postcode directory and IMD deciles, with the choices made in reading them.

    ``postcodes``: postcode (normalised), lad, rgn, lsoa (and ward, when the directory has one). ``imd``:
    lsoa, imd_decile (and lad, when the IoD file has its district column). ``wards``: ward, lad from
    geography/wards.csv (None without one). ``imd_vintage``: 'IoD2019 (LSOA 2011)' or 'IoD2025 (LSOA
    2021)'. ``notes``: what a user should know (e.g. an LSOA 2011 vs 2021 mismatch, reported rather than
    silently joined).
    """

    postcodes: pd.DataFrame
    imd: pd.DataFrame
    imd_vintage: str | None
    lsoa_vintage: str | None
    notes: list[str] = field(default_factory=list)
    wards: pd.DataFrame | None = None

    def locate(self, postcodes: pd.Series) -> pd.DataFrame:
        """For raw postcodes: normalised postcode, lad, rgn, lsoa, imd_decile (all <NA> when unknown)."""
        norm = normalise_postcodes(postcodes)
        table = self.postcodes.set_index("postcode")
        out = pd.DataFrame({"postcode": norm}, index=postcodes.index)
        for col in ("lad", "rgn", "lsoa"):
            out[col] = norm.map(table[col]).astype("string")
        out["imd_decile"] = out["lsoa"].map(self.imd.set_index("lsoa")["imd_decile"]).astype("Int64")
        return out


def _check_codes(df: pd.DataFrame, column: str, ok, what: str, source: object) -> None:
    """DatasetError at the first row of ``df`` whose ``column`` is given but not ``ok`` (checked once per
    distinct value: a full directory repeats a few hundred districts over millions of rows)."""
    values = df[column].dropna()
    bad = [v for v in values.unique() if not ok(v.upper())]
    if bad:
        first = values[values.isin(bad)].index[0]
        v = values[first]
        raise DatasetError(
            f"column {column}: '{shown(v)}' {_is_what(v.upper())} {what}", path=source, line=int(first) + 2
        )


def _is_lsoa_like(value: str) -> bool:
    """An LSOA column's value: a code (E01/W01 LSOAs, Scottish data zones, Northern Irish SOAs, ONS pseudo
    codes, a synthetic dataset's own), never a district, a region or a name."""
    return bool(_LOOKS_LIKE_CODE.match(value)) and not is_lad_code(value) and not _REGION.match(value)


def read_postcode_directory(path, *, root=None) -> tuple[pd.DataFrame, str | None, list[str]]:
    """ONS NSPL/ONSPD or an ONS lookup extract -> (postcode, lad, rgn, lsoa), the LSOA vintage and notes.

    Terminated postcodes (``doterm``/``TerminationDate`` set) are kept: a supplier register or an old
    invoice may still carry one, and it still names the place it pointed to. Where a postcode appears
    twice, the live row wins; where the rows that count (the live ones, else all) name two districts, the
    postcode is *ambiguous*: its location is left unknown and a note names it (two LSOAs of one district:
    the district stands, the LSOA and so the IMD decile are unknown). Without a region column, E09 LADs are
    London (E12000007). One-line errors for a district, region or LSOA column holding codes of another kind
    or names, and for a directory without a single well-formed postcode; rows without one are noted.
    """
    df = read_table(
        path, ["pcds", "laua"], ["lsoa11", "lsoa21", "rgn", "doterm", "ward"], POSTCODE_ALIASES, root=root
    )
    source = df.attrs["source"]
    if df.empty:
        raise DatasetError("holds no postcodes: no supplier could be located", path=source)
    lsoa_col = "lsoa21" if "lsoa21" in df.columns else "lsoa11" if "lsoa11" in df.columns else None
    pseudo = _PSEUDO.match
    _check_codes(
        df,
        "laua",
        lambda v: is_lad_code(v) or pseudo(v),
        f"a local authority district code ({LAD_RULE})",
        source,
    )
    if "rgn" in df.columns:
        _check_codes(
            df, "rgn", lambda v: _REGION.match(v) or pseudo(v), "a region code (E12 and six digits)", source
        )
    if lsoa_col:
        _check_codes(df, lsoa_col, _is_lsoa_like, "an LSOA code", source)
    if "ward" in df.columns:
        _check_codes(df, "ward", lambda v: is_ward_code(v) or pseudo(v), f"a ward code ({WARD_RULE})", source)
    for c in ("laua", "rgn", lsoa_col, "ward"):
        if c in df.columns:
            df[c] = df[c].str.upper()  # ONS codes are upper case; 'e09000012' is E09000012
    out = pd.DataFrame(
        {
            "postcode": normalise_postcodes(df["pcds"]),
            "lad": df["laua"],
            "lsoa": df[lsoa_col] if lsoa_col else pd.Series(pd.NA, index=df.index, dtype="string"),
        }
    )
    if "ward" in df.columns:
        out["ward"] = df["ward"]
    if "rgn" in df.columns:
        out["rgn"] = df["rgn"]
    else:  # London boroughs are the E09 codes; elsewhere the region is unknown without the column
        out["rgn"] = pd.Series(pd.NA, index=out.index, dtype="string")
        out.loc[out["lad"].str.startswith("E09").fillna(False), "rgn"] = LONDON_REGION
    notes = []
    unusable = out["postcode"].isna()
    if unusable.all():
        first = df["pcds"].dropna()
        example = f" (line {int(first.index[0]) + 2}: '{shown(first.iloc[0])}')" if len(first) else ""
        raise DatasetError(f"no row has a well-formed UK postcode in column pcds{example}", path=source)
    if unusable.any():
        i = unusable[unusable].index[0]
        notes.append(
            f"{source}: {int(unusable.sum())} of {counted(len(out), 'row')} with a blank or malformed "
            f"postcode (first on line {int(i) + 2}: '{shown(df.at[i, 'pcds'])}'): not used"
        )
    out = out[~unusable].assign(line=out.index[~unusable] + 2)
    out["live"] = df.loc[out.index, "doterm"].isna() if "doterm" in df.columns else True
    out = out.iloc[(~out["live"]).to_numpy().argsort(kind="stable")].copy()  # live rows first: they win
    notes += _ambiguous_postcodes(out, source)
    out = out.drop_duplicates("postcode", keep="first").drop(columns=["line", "live"]).reset_index(drop=True)
    vintage = {"lsoa21": "LSOA 2021", "lsoa11": "LSOA 2011"}.get(lsoa_col or "")
    return out, vintage, notes


def _ambiguous_postcodes(rows: pd.DataFrame, source: object) -> list[str]:
    """Postcodes whose rows that count (the live ones, else all) disagree: district (and region) or LSOA
    set to <NA> on the first such row, in place; the notes that say so."""
    dup = rows["postcode"].duplicated(keep=False)
    if not dup.any():
        return []
    d = rows[dup]
    d = d[d["live"] | ~d.groupby("postcode")["live"].transform("any")]
    distinct = d.groupby("postcode")[["lad", "rgn", "lsoa"]].nunique(dropna=False)
    place = distinct.index[(distinct["lad"] > 1) | (distinct["rgn"] > 1)]
    lsoa = distinct.index[(distinct["lsoa"] > 1) & ~distinct.index.isin(place)]
    rows.loc[rows["postcode"].isin(place), ["lad", "rgn", "lsoa"]] = pd.NA
    rows.loc[rows["postcode"].isin(lsoa), "lsoa"] = pd.NA
    notes = []
    for codes, column, what, then in (
        (place, "lad", "districts", "location unknown"),
        (lsoa, "lsoa", "LSOAs of one district", "LSOA and IMD decile unknown"),
    ):
        if len(codes):
            example = d[d["postcode"] == codes[0]]
            lines = ", ".join(str(x) for x in example["line"].head(3))
            values = ", ".join(dict.fromkeys(example[column].fillna("blank")))
            maps = "maps" if len(codes) == 1 else "map"
            notes.append(
                f"{source}: {counted(len(codes), 'postcode')} {maps} to two or more {what} "
                f"(first {codes[0]}, lines {lines}: {values}): {then}"
            )
    return notes


def read_imd(path, *, root=None) -> tuple[pd.DataFrame, str]:
    """IoD File 1/File 2 (2019) or IoD2025 -> (lsoa, imd_decile) and the vintage label.

    One-line errors for a blank LSOA or decile, a decile other than a whole number from 1 to 10, an LSOA
    column holding codes of another kind, and an LSOA listed twice with different deciles (a repeat with
    the same decile is counted once).
    """
    df = read_table(
        path,
        ["imd_decile"],
        ["lsoa11", "lsoa21", "lad"],
        {"imd_decile": IMD_DECILE, "lsoa11": IMD_LSOA11, "lsoa21": IMD_LSOA21, "lad": IMD_LAD},
        root=root,
    )
    source = df.attrs["source"]
    if "lsoa21" in df.columns:
        column, vintage = "lsoa21", "IoD2025 (LSOA 2021)"
    elif "lsoa11" in df.columns:
        column, vintage = "lsoa11", "IoD2019 (LSOA 2011)"
    else:
        raise DatasetError(
            "missing an LSOA code column (e.g. 'LSOA code (2011)' or 'LSOA code (2021)')", path=source
        )
    for c, what in ((column, "LSOA code"), ("imd_decile", "IMD decile")):
        blank = df[c].isna()
        if blank.any():
            raise DatasetError(f"{what} is blank", path=source, line=int(blank.idxmax()) + 2)
    _check_codes(df, column, _is_lsoa_like, "an LSOA code", source)
    df[column] = df[column].str.upper()
    decile = parse_number(df["imd_decile"], path=source, column="imd_decile")
    bad = ~decile.isin(range(1, 11))
    if bad.any():
        i = bad[bad].index[0]
        raise DatasetError(
            f"IMD decile '{shown(df.at[i, 'imd_decile'])}' is not a whole number from 1 to 10",
            path=source,
            line=int(i) + 2,
        )
    out = pd.DataFrame({"lsoa": df[column].astype("string"), "imd_decile": decile.astype("Int64")})
    if "lad" in df.columns:  # the district of each LSOA: where a grant's beneficiary LSOA is (not checked
        lad = df["lad"].str.upper()  # for spend: used only when every value is a district code)
        if lad.dropna().map(is_lad_code).all():
            out["lad"] = lad.astype("string")
    again = out["lsoa"].duplicated(keep=False)
    if again.any():
        first = out[again].groupby("lsoa", sort=False)["imd_decile"].transform("first")
        clash = out[again]["imd_decile"] != first
        if clash.any():
            i = clash[clash].index[0]
            lsoa = out.at[i, "lsoa"]
            earlier = out[again & (out["lsoa"] == lsoa)].index[0]
            raise DatasetError(
                f"LSOA {lsoa} has IMD decile {out.at[i, 'imd_decile']} here and "
                f"{out.at[earlier, 'imd_decile']} on line {int(earlier) + 2}",
                path=source,
                line=int(i) + 2,
            )
        out = out.drop_duplicates("lsoa")
    out = out.reset_index(drop=True)
    out.attrs["source"] = source
    return out, vintage


def read_wards(path, *, root=None) -> pd.DataFrame:
    """geography/wards.csv, an ONS ward to local authority district lookup (WD23CD, LAD23CD... as published)
    -> ward, lad: where a grant whose beneficiary location is a ward is (docs/methodology.md#placing-a-grant).
    One-line errors for a blank or malformed ward or district code and a ward listed twice with two
    districts (twice with one: counted once)."""
    df = read_table(path, ["ward", "lad"], [], WARD_ALIASES, root=root)
    source = df.attrs["source"]
    for c, what in (("ward", "ward code"), ("lad", "district code")):
        blank = df[c].isna()
        if blank.any():
            raise DatasetError(f"{what} is blank", path=source, line=int(blank.idxmax()) + 2)
    pseudo = _PSEUDO.match
    _check_codes(df, "ward", lambda v: is_ward_code(v) or pseudo(v), f"a ward code ({WARD_RULE})", source)
    _check_codes(
        df,
        "lad",
        lambda v: is_lad_code(v) or pseudo(v),
        f"a local authority district code ({LAD_RULE})",
        source,
    )
    out = pd.DataFrame({"ward": df["ward"].str.upper(), "lad": df["lad"].str.upper()}).astype("string")
    first = out.groupby("ward", sort=False)["lad"].transform("first")
    clash = out["lad"] != first
    if clash.any():
        i = clash[clash].index[0]
        earlier = out[(out["ward"] == out.at[i, "ward"])].index[0]
        raise DatasetError(
            f"ward {out.at[i, 'ward']} is in district {out.at[i, 'lad']} here and {out.at[earlier, 'lad']} "
            f"on line {int(earlier) + 2}",
            path=source,
            line=int(i) + 2,
        )
    return out.drop_duplicates("ward").reset_index(drop=True)


def read_geography(postcodes_path, imd_path, wards_path=None, *, root=None) -> Geography:
    """Both geography files (and geography/wards.csv when ``wards_path`` exists), with what a user should
    know in ``notes``: an LSOA-vintage mismatch (not joined), a directory without LSOAs, no LSOA of the
    directory in the IMD file, rows without a postcode, ambiguous postcodes (``read_postcode_directory``)."""
    postcodes, lsoa_vintage, notes = read_postcode_directory(postcodes_path, root=root)
    wards = read_wards(wards_path, root=root) if wards_path is not None and wards_path.exists() else None
    imd, imd_vintage = read_imd(imd_path, root=root)
    imd_source = imd.attrs.get("source", imd_path)
    if lsoa_vintage and imd_vintage and lsoa_vintage not in imd_vintage:
        notes.append(
            f"postcode directory uses {lsoa_vintage} but the IMD file is {imd_vintage}: "
            "IMD deciles left unknown rather than joined across LSOA vintages"
        )
        imd = imd.iloc[0:0]
    elif lsoa_vintage is None:
        notes.append("postcode directory has no LSOA column: IMD deciles unknown")
    elif imd.empty:
        notes.append(f"{imd_source} lists no LSOAs: IMD deciles unknown")
    elif postcodes["lsoa"].notna().any() and not postcodes["lsoa"].isin(imd["lsoa"]).any():
        notes.append(
            "no LSOA of the postcode directory is in the IMD file (e.g. "
            f"{postcodes['lsoa'].dropna().iloc[0]} is not): IMD deciles unknown"
        )
    return Geography(postcodes, imd, imd_vintage, lsoa_vintage, notes, wards)
