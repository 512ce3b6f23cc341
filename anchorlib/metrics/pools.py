"""Availability pools (docs/methodology.md#availability-pools): the businesses availability is counted over,
chosen per run by name and named in every figure's choices.

- ``register``: the supplier register (suppliers.csv), one supplier each: who the anchors pay or list;
- ``population``: the local business population (population.csv, built by ``anchorlib register build``
  from Companies House and the Charity Commission): every live company and registered charity located in
  the dataset's areas, whether the anchors pay it or not; who exists.

``pool_frame`` gives a pool's businesses (in an area, when one is given), each with the categories it
serves: the register's ``categories`` column and, where a business has SIC codes, the categories the
SIC-to-category mapping gives them (``sic_categories.csv`` edits it).
"""

from __future__ import annotations

import pandas as pd

from anchorlib.data.dataset import Dataset
from anchorlib.data.places import Area
from anchorlib.data.registers.population import POOL_NAMES
from anchorlib.data.registers.rules import read_sic_categories
from anchorlib.errors import ParameterError

POOLS = tuple(POOL_NAMES)


def check_pool(pool: str | None) -> str:
    """The pool's name ('register' when None); ParameterError naming the pools otherwise."""
    name = pool or "register"
    if name not in POOL_NAMES:
        raise ParameterError(f"unknown availability pool '{name}'; choose {' or '.join(POOL_NAMES)}")
    return name


def sic_mapping(ds: Dataset):
    """The dataset's SIC-to-category mapping (the default, edited by sic_categories.csv), read once."""
    return ds.derived.memo("sic_categories", lambda: read_sic_categories(ds.root))


def pool_frame(ds: Dataset, pool: str | None = None, area: Area | None = None) -> pd.DataFrame:
    """The businesses of ``pool`` ('register' or 'population'), those located in ``area`` when given, with
    ``served`` (the ';'-joined categories each serves). ``attrs['availability_pool']`` describes it."""
    name = check_pool(pool)
    if area is None:
        return ds.derived.memo(f"pool:{name}", lambda: _pool(ds, name, None))
    return _pool(ds, name, area)


def _pool(ds: Dataset, name: str, area: Area | None) -> pd.DataFrame:
    if name == "population":
        frame = ds.population
        if frame is None:
            raise ParameterError(
                "this dataset has no population.csv: `anchorlib register build` writes it "
                "(docs/methodology.md#availability-pools)"
            )
        described = frame.attrs.get("availability_pool", POOL_NAMES[name])
    else:
        frame = ds.suppliers
        described = f"{POOL_NAMES[name]}: {len(frame):,} suppliers"
    if area is not None:
        frame = frame[area.contains(frame["lad"], frame["rgn"]).to_numpy()]
        described += f"; those located in {area.describe()}"
    out = frame.copy()
    out["served"] = served_categories(ds, frame)
    out.attrs["availability_pool"] = described
    out.attrs["pool"] = name
    return out


def served_categories(ds: Dataset, frame: pd.DataFrame) -> pd.Series:
    """Per business, the ';'-joined categories it serves: its ``categories`` (as the register lists them) and
    those its ``sic_codes`` map to (``sic_mapping``); <NA> for none."""
    parts = []
    if "categories" in frame.columns:
        parts.append(frame["categories"].astype("string"))
    if "sic_codes" in frame.columns and frame["sic_codes"].notna().any():
        parts.append(sic_mapping(ds).categories(frame["sic_codes"]))
    if not parts:
        return pd.Series(pd.NA, index=frame.index, dtype="string")
    joined = parts[0] if len(parts) == 1 else parts[0].fillna("") + ";" + parts[1].fillna("")
    cleaned = joined.str.split(";").map(
        lambda xs: (
            ";".join(dict.fromkeys(x.strip() for x in xs if x and x.strip())) if isinstance(xs, list) else ""
        )
    )
    return cleaned.mask(cleaned == "", pd.NA).astype("string")


def category_counts(frame: pd.DataFrame) -> pd.Series:
    """Businesses of ``frame`` (a ``pool_frame``) serving each category: one business counts once each."""
    cats = frame["served"].astype("string").fillna("").str.split(";").explode().str.strip()
    cats = cats[cats != ""]
    if cats.empty:
        return pd.Series(dtype="int64")
    return cats.reset_index().drop_duplicates().groupby("served").size()


def serving(frame: pd.DataFrame, category: str) -> pd.DataFrame:
    """The businesses of ``frame`` (a ``pool_frame``) serving ``category``."""
    served = frame["served"].astype("string").fillna("")
    return frame[(";" + served + ";").str.contains(f";{category};", regex=False).to_numpy()]
