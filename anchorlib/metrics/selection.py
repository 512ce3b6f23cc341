"""Which payments a figure covers: ``select`` (anchors and financial years), carrying in ``attrs`` the
choices the metrics name (the dataset's addressable rule set and IMD vintage)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from anchorlib.data.dataset import Dataset
from anchorlib.data.relation import is_relation


def _in(column: pd.Series, values: list) -> np.ndarray:
    """Boolean mask of ``column`` in ``values``; on a categorical, a test of its integer codes."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.categories.get_indexer(list(values))
        return np.isin(column.cat.codes.to_numpy(), codes[codes >= 0])
    return column.isin(values).to_numpy()


def _rows(p: pd.DataFrame, mask: np.ndarray) -> pd.DataFrame:
    """The rows of ``p`` where ``mask``: a view (no copy) when they are one run of rows, as an anchor's
    payments, or one anchor's year, are in a dataset's payments; else a copy."""
    idx = np.flatnonzero(mask)
    if len(idx) == len(p):
        return p
    if len(idx) and idx[-1] - idx[0] + 1 == len(idx):
        return p.iloc[idx[0] : idx[-1] + 1]
    return p.take(idx)


def select(
    ds: Dataset,
    anchor_ids: list[str] | None = None,
    financial_years: list[str] | None = None,
    *,
    flow: str | None = None,
    grant_location: str | None = None,
) -> pd.DataFrame:
    """The payments of some anchors and financial years (all when None) of a flow: 'spend' (the spend
    files; the default), 'grant' (the 360Giving grants) or 'both' (``Dataset.with_flow``; given a flow
    view, its flow unless ``flow`` says another); ``attrs`` carry the dataset's choices (addressable rule
    set, IMD vintage, the flow and the grant location option) for the functions that take payments
    alone."""
    if flow is not None or grant_location is not None:
        ds = ds.with_flow(flow if flow is not None else ds.flow, grant_location)
    return subset(ds, ds.payments, anchor_ids, financial_years)


def subset(
    ds: Dataset,
    frame: pd.DataFrame,
    anchor_ids: list[str] | None = None,
    financial_years: list[str] | None = None,
) -> pd.DataFrame:
    """``select`` over ``frame``, the dataset's payments or one of its rollups (``Dataset.rollup``): the
    rows of those anchors and years, a shallow copy when they are all of them. An out-of-core dataset's
    payments (a ``PaymentsRelation``) are selected by their Parquet parts, nothing read."""
    if is_relation(frame):
        for a in anchor_ids or []:
            ds.anchor(a)  # raises a clear error for an unknown anchor
        out = frame.where(anchor_ids, financial_years)
        out.attrs.update(ds.choices)
        return out
    mask = np.ones(len(frame), dtype=bool)
    if anchor_ids:
        for a in anchor_ids:
            ds.anchor(a)  # raises a clear error for an unknown anchor
        if set(anchor_ids) != set(ds.anchor_ids):
            mask &= _in(frame["anchor_id"], anchor_ids)
    if financial_years:
        mask &= _in(frame["financial_year"], financial_years)
    out = _rows(frame, mask)
    if out is frame:
        out = frame.copy(deep=False)
    out.attrs.update(ds.choices)
    return out
