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


@dataclass(frozen=True)
class Area:
    """A named set of local authority districts. ``lads`` empty and ``region`` None means the UK."""

    area_id: str
    name: str
    lads: frozenset[str] = field(default_factory=frozenset)
    region: str | None = None
    everywhere: bool = False

    def contains(self, lad: pd.Series, rgn: pd.Series | None = None) -> pd.Series:
        """Boolean Series: which LADs (with their regions) fall inside this area. NA LAD -> False."""
        if self.everywhere:
            return lad.notna()
        inside = lad.isin(self.lads)
        if self.region is not None and rgn is not None:
            inside = inside | (rgn == self.region).fillna(False)
        return inside.fillna(False).astype(bool)

    def describe(self) -> str:
        if self.everywhere:
            return f"{self.name} (any known UK location)"
        if self.region:
            return f"{self.name} (region {self.region})"
        return f"{self.name} ({', '.join(sorted(self.lads))})"


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

    ``postcodes``: postcode (normalised), lad, rgn, lsoa. ``imd``: lsoa, imd_decile.
    ``imd_vintage``: 'IoD2019 (LSOA 2011)' or 'IoD2025 (LSOA 2021)'. ``notes``: what a user should know
    (e.g. an LSOA 2011 vs 2021 mismatch, reported rather than silently joined).
    """

    postcodes: pd.DataFrame
    imd: pd.DataFrame
    imd_vintage: str | None
    lsoa_vintage: str | None
    notes: list[str] = field(default_factory=list)

    def locate(self, postcodes: pd.Series) -> pd.DataFrame:
        """For raw postcodes: normalised postcode, lad, rgn, lsoa, imd_decile (all <NA> when unknown)."""
        norm = normalise_postcodes(postcodes)
        table = self.postcodes.set_index("postcode")
        out = pd.DataFrame({"postcode": norm}, index=postcodes.index)
        for col in ("lad", "rgn", "lsoa"):
            out[col] = norm.map(table[col]).astype("string")
        out["imd_decile"] = out["lsoa"].map(self.imd.set_index("lsoa")["imd_decile"]).astype("Int64")
        return out


def read_postcode_directory(path, *, root=None) -> tuple[pd.DataFrame, str | None]:
    """ONS NSPL/ONSPD or an ONS lookup extract -> (postcode, lad, rgn, lsoa), and the LSOA vintage.

    Terminated postcodes (``doterm``/``TerminationDate`` set) are kept: a supplier register or an old
    invoice may still carry one, and it still names the place it pointed to. Where a postcode appears
    twice, the live row wins. Without a region column, E09 LADs are London (E12000007).
    """
    from anchorlib.data.tables import read_table

    df = read_table(
        path, ["pcds", "laua"], ["lsoa11", "lsoa21", "rgn", "doterm"], POSTCODE_ALIASES, root=root
    )
    if "doterm" in df.columns:  # live rows first, so drop_duplicates below keeps them
        df = df.iloc[df["doterm"].notna().to_numpy().argsort(kind="stable")]
    lsoa_col = "lsoa21" if "lsoa21" in df.columns else "lsoa11" if "lsoa11" in df.columns else None
    out = pd.DataFrame(
        {
            "postcode": normalise_postcodes(df["pcds"]),
            "lad": df["laua"].astype("string"),
            "lsoa": df[lsoa_col].astype("string")
            if lsoa_col
            else pd.Series(pd.NA, index=df.index, dtype="string"),
        }
    )
    if "rgn" in df.columns:
        out["rgn"] = df["rgn"].astype("string")
    else:  # London boroughs are the E09 codes; elsewhere the region is unknown without the column
        out["rgn"] = pd.Series(pd.NA, index=out.index, dtype="string")
        out.loc[out["lad"].str.startswith("E09").fillna(False), "rgn"] = LONDON_REGION
    out = out.dropna(subset=["postcode"]).drop_duplicates("postcode", keep="first").reset_index(drop=True)
    vintage = {"lsoa21": "LSOA 2021", "lsoa11": "LSOA 2011"}.get(lsoa_col or "")
    return out, vintage


def read_imd(path, *, root=None) -> tuple[pd.DataFrame, str]:
    """IoD File 1/File 2 (2019) or IoD2025 -> (lsoa, imd_decile) and the vintage label."""
    from anchorlib.data.tables import read_table
    from anchorlib.errors import DatasetError

    df = read_table(
        path,
        ["imd_decile"],
        ["lsoa11", "lsoa21"],
        {"imd_decile": IMD_DECILE, "lsoa11": IMD_LSOA11, "lsoa21": IMD_LSOA21},
        root=root,
    )
    if "lsoa21" in df.columns:
        lsoa, vintage = df["lsoa21"], "IoD2025 (LSOA 2021)"
    elif "lsoa11" in df.columns:
        lsoa, vintage = df["lsoa11"], "IoD2019 (LSOA 2011)"
    else:
        raise DatasetError(
            "missing an LSOA code column (e.g. 'LSOA code (2011)' or 'LSOA code (2021)')",
            path=df.attrs.get("source", path),
        )
    from anchorlib.data.tables import parse_number

    decile = parse_number(df["imd_decile"], path=df.attrs.get("source"), column="imd_decile")
    bad = decile.notna() & ~decile.isin(range(1, 11))
    if bad.any():
        i = bad[bad].index[0]
        raise DatasetError(
            f"IMD decile '{df.at[i, 'imd_decile']}' is not a whole number from 1 to 10",
            path=df.attrs.get("source", path),
            line=int(i) + 2,
        )
    return pd.DataFrame({"lsoa": lsoa.astype("string"), "imd_decile": decile.astype("Int64")}), vintage


def read_geography(postcodes_path, imd_path, *, root=None) -> Geography:
    """Both geography files, with an LSOA-vintage mismatch reported in ``notes`` (and not joined)."""
    postcodes, lsoa_vintage = read_postcode_directory(postcodes_path, root=root)
    imd, imd_vintage = read_imd(imd_path, root=root)
    notes: list[str] = []
    if lsoa_vintage and imd_vintage and lsoa_vintage not in imd_vintage:
        notes.append(
            f"postcode directory uses {lsoa_vintage} but the IMD file is {imd_vintage}: "
            "IMD deciles left unknown rather than joined across LSOA vintages"
        )
        imd = imd.iloc[0:0]
    elif lsoa_vintage is None:
        notes.append("postcode directory has no LSOA column: IMD deciles unknown")
    return Geography(postcodes, imd, imd_vintage, lsoa_vintage, notes)
