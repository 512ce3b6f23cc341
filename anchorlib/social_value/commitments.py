"""Social value commitments: committed vs delivered, rated (docs/methodology.md#commitments).

Each contract and measure is rated as the Procurement Act 2023 contract performance notices do,
from progress = delivered to date / target, where the target is the whole commitment, or with
``as_of`` the commitment pro rata to the share of the period elapsed. ``RATING_RULE`` states the
thresholds. Money values appear only where the user supplies a proxy value per unit of a measure:
the tool invents none.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd

from anchorlib.data.dataset import Dataset
from anchorlib.data.tables import parse_number, raise_at_first
from anchorlib.errors import DatasetError, ParameterError

COMMITMENTS_FILE = "social_value/commitments.csv"
#: (lowest progress, rating), best first; progress = delivered / target.
THRESHOLDS = ((1.0, "good"), (0.8, "approaching target"), (0.5, "requires improvement"), (0.0, "inadequate"))
RATINGS = [r for _, r in THRESHOLDS]
NOT_DUE = "not yet due"
RATING_RULE = (
    "good: delivered at least 100% of target; approaching target: 80% to under 100%; "
    "requires improvement: 50% to under 80%; inadequate: under 50%"
)


def load_commitments(ds: Dataset) -> pd.DataFrame:
    """social_value/commitments.csv validated: committed > 0, delivered >= 0, measure named, anchor_id
    in anchors.csv, period dates ISO (YYYY-MM-DD) with end not before start. Adds ``line``;
    DatasetError names file and line."""
    if ds.commitments is None:
        raise DatasetError("the dataset has no commitments file", path=COMMITMENTS_FILE)
    c = validate_commitments(ds.commitments)
    raise_at_first(
        c,
        ~c["anchor_id"].isin(ds.anchor_ids),
        "anchor_id '{anchor_id}' is not in anchors.csv",
        COMMITMENTS_FILE,
    )
    return c


def validate_commitments(raw: pd.DataFrame, path: str = COMMITMENTS_FILE) -> pd.DataFrame:
    """The checks of ``load_commitments`` on a table read as strings (index = CSV line - 2)."""
    c = raw.copy()
    c["line"] = raw.index.to_numpy() + 2
    for col in ("contract_id", "supplier_name", "anchor_id", "measure"):
        raise_at_first(c, c[col].isna() | (c[col] == ""), f"{col} is blank", path)
    c["unit"] = c["unit"].fillna("") if "unit" in c.columns else ""
    for col in ("committed", "delivered"):
        c[col] = parse_number(raw[col], path=path, column=col)
        raise_at_first(
            c, c[col].isna(), f"{col} is missing for measure '{{measure}}' of contract {{contract_id}}", path
        )
    raise_at_first(c, c["committed"] <= 0, "committed must be above 0 (measure '{measure}')", path)
    raise_at_first(c, c["delivered"] < 0, "delivered cannot be negative (measure '{measure}')", path)
    for col in ("period_start", "period_end"):
        text = c[col] if col in c.columns else pd.Series(pd.NA, index=c.index, dtype="string")
        c[col] = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
        raise_at_first(
            c,
            text.notna() & (text != "") & c[col].isna(),
            f"{col} '{{{col}_text}}' is not a date like 2024-03-31",
            path,
            **{f"{col}_text": text},
        )
    raise_at_first(c, c["period_end"] < c["period_start"], "period_end is before period_start", path)
    raise_at_first(
        c,
        c.duplicated(["contract_id", "measure"]),
        "measure '{measure}' appears twice for contract {contract_id}",
        path,
    )
    return c.reset_index(drop=True)


def rating(progress: float) -> str:
    """The rating of progress = delivered / target (see RATING_RULE)."""
    if progress is None or np.isnan(progress):
        return NOT_DUE
    for lowest, name in THRESHOLDS:
        if progress >= lowest - 1e-12:
            return name
    raise ParameterError(f"progress {progress} is negative")


def rate(commitments: pd.DataFrame, as_of: date | str | None = None) -> pd.DataFrame:
    """Each commitment with ``target``, ``progress`` and ``rating``.

    Target = committed; with ``as_of`` and a known period, committed x the share of the period elapsed
    by ``as_of`` (capped at 1). A target of 0 (period not started) is rated 'not yet due'.
    """
    c = commitments.copy()
    share = pd.Series(1.0, index=c.index)
    if as_of is not None:
        when = pd.Timestamp(as_of)
        known = c["period_start"].notna() & c["period_end"].notna()
        span = (c["period_end"] - c["period_start"]).dt.days + 1
        done = (when - c["period_start"]).dt.days + 1
        share[known] = (done[known] / span[known]).clip(0.0, 1.0)
    c["target"] = c["committed"] * share
    c["progress"] = np.where(c["target"] > 0, c["delivered"] / c["target"].where(c["target"] > 0), np.nan)
    c["rating"] = [rating(p) for p in c["progress"]]
    c.attrs["rule"] = RATING_RULE + (
        "" if as_of is None else f"; target pro rata to {pd.Timestamp(as_of).date()}"
    )
    return c


def rating_counts(rated: pd.DataFrame, by: str) -> pd.DataFrame:
    """How many commitments of each rating per ``by`` (anchor_id or supplier_name): long table."""
    _check_by(by)
    order = RATINGS + ([NOT_DUE] if (rated["rating"] == NOT_DUE).any() else [])
    counts = rated.groupby([by, "rating"]).size().unstack(fill_value=0).reindex(columns=order, fill_value=0)
    return counts.stack().rename("commitments").reset_index()


def totals(rated: pd.DataFrame, by: str) -> pd.DataFrame:
    """Per ``by`` (anchor_id or supplier_name) and measure: contracts, committed, target, delivered,
    progress and the rating of the totals. Measures are never added across units."""
    _check_by(by)
    g = rated.groupby([by, "measure", "unit"], sort=True)
    out = g.agg(
        contracts=("contract_id", "nunique"),
        committed=("committed", "sum"),
        target=("target", "sum"),
        delivered=("delivered", "sum"),
    ).reset_index()
    out["progress"] = out["delivered"] / out["target"].where(out["target"] > 0)
    out["rating"] = [rating(p) for p in out["progress"]]
    return out


def monetise(rated: pd.DataFrame, proxies: Mapping[str, float], by: str) -> tuple[pd.DataFrame, list[str]]:
    """Committed and delivered in pounds per ``by`` for the measures the user gave a proxy value
    (£ per unit) for; returns the table and the measures left out for want of a proxy.

    ParameterError for a proxy naming a measure the data does not have, or a negative or non-number value.
    """
    _check_by(by)
    measures = sorted(rated["measure"].unique())
    clean: dict[str, float] = {}
    for m, v in proxies.items():
        if m not in measures:
            raise ParameterError(
                f"proxy value for unknown measure '{m}'; the measures are: {', '.join(measures)}"
            )
        try:
            value = float(v)
        except (TypeError, ValueError):
            raise ParameterError(f"proxy value '{v}' for '{m}' is not a number (£ per unit)") from None
        if not value >= 0:
            raise ParameterError(f"proxy value {v} for '{m}' must be 0 or more (£ per unit)")
        clean[m] = value
    priced = rated[rated["measure"].isin(list(clean))]
    proxy = priced["measure"].astype(object).map(clean).astype("float64")
    priced = priced.assign(
        proxy=proxy, committed_value=priced["committed"] * proxy, delivered_value=priced["delivered"] * proxy
    )
    out = (
        priced.groupby(by)
        .agg(
            measures=("measure", "nunique"),
            committed_value=("committed_value", "sum"),
            delivered_value=("delivered_value", "sum"),
        )
        .reset_index()
    )
    return out, [m for m in measures if m not in clean]


def _check_by(by: str) -> None:
    if by not in ("anchor_id", "supplier_name"):
        raise ParameterError(f"totals are per anchor_id or supplier_name, not '{by}'")
