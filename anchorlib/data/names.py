"""Names of the areas anchorlib shows by ONS code: local authority districts, regions, countries
(docs/methodology.md#place-names).

A place is shown by its name with its code beside it (``formatting.place``: 'Newham (E09000025)'). The
names come from, first to last:

1. the dataset's own ``geography/names.csv`` (``code,name``), for codes it wants named its way or codes
   no ONS list names;
2. name columns of its postcode directory, where it has them (an ONS lookup extract's ``LAD23NM``
   beside ``LAD23CD``, or ``ladnm`` beside ``ladcd``): ``directory_names``;
3. the lookup the package ships, ``anchorlib/data/ons_names.csv``, built by
   ``scripts/build_place_names.py`` from ONS's published names-and-codes lists (Open Government Licence
   v3.0; the file's header says which).

A code none of them names is shown as the code alone.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from anchorlib.errors import DatasetError
from anchorlib.formatting import place

if TYPE_CHECKING:
    import pandas as pd

#: The lookup the package ships (scripts/build_place_names.py writes it).
SHIPPED = Path(__file__).with_name("ons_names.csv")
#: A dataset's own names, optional.
NAMES_FILE = "geography/names.csv"
#: The stems of the name columns read from a postcode directory: districts, regions, countries, wards.
_STEMS = re.compile(r"^(lad|laua|oslaua|rgn|ctry|wd|osward)[0-9]{0,2}$", re.IGNORECASE)
#: A name column and its code column share a stem: LAD23NM / LAD23CD, ladnm / ladcd, lad_name / lad_code.
_NAME = re.compile(r"^(?P<stem>.+?)_?(nm|name)$", re.IGNORECASE)
_CODE_SUFFIXES = ("cd", "_cd", "code", "_code", "")


@functools.cache
def shipped() -> dict[str, str]:
    """code -> name from the shipped lookup (lines starting with '#' are its header notes)."""
    with SHIPPED.open(encoding="utf-8", newline="") as fh:
        rows = csv.DictReader(line for line in fh if not line.startswith("#"))
        return {r["code"]: r["name"] for r in rows}


def name_columns(header: Iterable[str]) -> list[tuple[str, str]]:
    """(code column, name column) pairs of a table's header whose stem names districts, regions, countries
    or wards: ``LAD23CD``/``LAD23NM``, ``ladcd``/``ladnm``, ``rgn``/``rgnnm``, in the header's order."""
    columns = [_clean(c) for c in header]
    lower = {c.lower(): c for c in columns}
    pairs = []
    for c in columns:
        m = _NAME.match(c)
        if not m or not _STEMS.match(m["stem"]):
            continue
        code = next((lower[k] for s in _CODE_SUFFIXES if (k := (m["stem"] + s).lower()) in lower), None)
        if code is not None and code != c:
            pairs.append((code, c))
    return pairs


def _clean(column: object) -> str:
    return str(column).replace("\ufeff", "").replace("ï»¿", "").strip()


def _header(path: Path) -> list[str]:
    """The first line of a CSV as its fields (UTF-8, with or without a byte-order mark, or Windows-1252)."""
    with path.open("rb") as fh:
        first = fh.readline(1 << 20)
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = first.decode("cp1252")
    return next(csv.reader(io.StringIO(text)), [])


def directory_names(path: Path) -> pd.DataFrame:
    """(code, name) from the name columns of a postcode directory (``name_columns``), one row per code;
    empty when it has none (NSPL and ONSPD carry codes only). Only those columns are read."""
    import pandas as pd

    empty = pd.DataFrame({"code": pd.Series(dtype="string"), "name": pd.Series(dtype="string")})
    if not path.exists():
        return empty
    header = [_clean(c) for c in _header(path)]
    pairs = name_columns(header)
    if not pairs:
        return empty
    wanted = sorted({header.index(c) for pair in pairs for c in pair})  # by position: as the file has them
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            df = pd.read_csv(path, usecols=wanted, dtype="string", encoding=encoding, keep_default_na=False)
            break
        except UnicodeDecodeError:
            continue
    df.columns = [_clean(c) for c in df.columns]
    parts = [
        df[[code, name]].set_axis(["code", "name"], axis=1).drop_duplicates("code") for code, name in pairs
    ]
    out = pd.concat(parts, ignore_index=True)
    out = out.assign(code=out["code"].str.strip(), name=out["name"].str.strip())
    out = out[(out["code"] != "") & (out["name"] != "")]
    return out.drop_duplicates("code", keep="first").reset_index(drop=True)


def read_names(path: Path, *, root: Path | None = None) -> pd.DataFrame:
    """A dataset's ``geography/names.csv`` (``code,name``): one-line errors for a blank code or name and
    for a code named twice differently (the same name twice is one row)."""
    from anchorlib.data.tables import read_table

    df = read_table(path, ["code", "name"], root=root)
    source = df.attrs["source"]
    for column in ("code", "name"):
        blank = df[column].isna()
        if blank.any():
            raise DatasetError(f"{column} is blank", path=source, line=int(blank.idxmax()) + 2)
    seen: dict[str, tuple[str, int]] = {}
    for i, code, name in zip(df.index, df["code"], df["name"]):
        if code in seen and seen[code][0] != name:
            raise DatasetError(
                f"code {code} is named '{name}' here and '{seen[code][0]}' on line {seen[code][1]}",
                path=source,
                line=int(i) + 2,
            )
        seen.setdefault(code, (name, int(i) + 2))
    return df[["code", "name"]].drop_duplicates("code").reset_index(drop=True)


def own_names(root: Path, postcodes: Path | None = None) -> pd.DataFrame:
    """(code, name) a dataset folder gives itself: ``geography/names.csv`` over its postcode directory's
    name columns (``postcodes``, default ``geography/postcodes.csv``)."""
    import pandas as pd

    frames = []
    own = root / NAMES_FILE
    if own.exists():
        frames.append(read_names(own, root=root))
    frames.append(directory_names(postcodes or root / "geography" / "postcodes.csv"))
    out = pd.concat(frames, ignore_index=True).drop_duplicates("code", keep="first")
    return out.astype("string").reset_index(drop=True)


class PlaceNames(Mapping[str, str]):
    """code -> name: ``own`` (a dataset's names, e.g. ``own_names``) over the shipped ONS lookup."""

    def __init__(self, own: Mapping[str, str] | None = None):
        self._own = dict(own or {})

    @classmethod
    def of(cls, frame: pd.DataFrame | None) -> PlaceNames:
        """From a (code, name) frame such as ``own_names``."""
        if frame is None or frame.empty:
            return cls()
        return cls(dict(zip(frame["code"].astype(str), frame["name"].astype(str))))

    def __getitem__(self, code: str) -> str:
        if code in self._own:
            return self._own[code]
        return shipped()[code]

    def __iter__(self):
        return iter({**shipped(), **self._own})

    def __len__(self) -> int:
        return len(shipped().keys() | self._own.keys())

    def name(self, code: object) -> str | None:
        """The name of ``code``, or None when nothing names it (or there is no code)."""
        return self.get(str(code).strip()) if isinstance(code, str) else None

    def label(self, code: object) -> str:
        """'Newham (E09000025)'; the code alone when nothing names it; 'unknown location' for none."""
        return place(self.name(code), code if isinstance(code, str) else None)

    def labels(self, codes: pd.Series) -> pd.Series:
        """``label`` of each code of a Series (worked out once per distinct code), as strings."""
        import pandas as pd

        keys = codes.astype("string")
        distinct = {c: self.label(c) for c in keys.dropna().unique()}
        unknown = place(None, None)  # looked up per code, not mapped: a column of no code maps to doubles
        return pd.Series(
            [unknown if pd.isna(c) else distinct[c] for c in keys], index=codes.index, dtype=object
        )

    def names(self, codes: pd.Series) -> pd.Series:
        """``name`` of each code of a Series (<NA> where nothing names it)."""
        distinct = {c: self.name(c) for c in codes.dropna().astype(str).unique()}
        return codes.astype("string").map(distinct).astype("string")

    def shown(self, codes: pd.Series) -> pd.Series:
        """Each code of a Series as a column of places shows it beside its code: the name, else the code,
        else 'unknown location'."""
        return self.names(codes).fillna(codes.astype("string")).fillna(place(None, None)).astype(str)
