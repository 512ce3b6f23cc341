"""lm3_survey.csv resolved to the dataset's suppliers (docs/methodology.md#lm3), for LM3's R3."""

from __future__ import annotations

import pandas as pd

from anchorlib.data.suppliers import resolve_names, supplier_ids
from anchorlib.data.tables import shown
from anchorlib.errors import DatasetError

SOURCE = "lm3_survey.csv"


def resolve_survey(
    survey: pd.DataFrame, register_keys: pd.Series, overrides: dict[str, int | None]
) -> pd.DataFrame:
    """The survey's suppliers resolved like the spend files' payees (same register, overrides and fuzzy
    rule): ``supplier_id``, ``re_spend`` = local_staff_share + local_supplier_share capped at 1 (a
    supplier cannot re-spend locally more than it received; ``capped`` marks those rows) and the file's
    ``line``. ``survey`` is lm3_survey.csv as ``open_dataset`` checked it (shares from 0 to 1; index = CSV
    line - 2); a one-line error names a supplier surveyed twice."""
    names = survey["supplier_name"].astype("string")
    resolved = resolve_names(names, pd.Series(False, index=survey.index), register_keys, overrides)
    ids = supplier_ids(
        pd.DataFrame(
            {
                "register_row": resolved["register_row"],
                "supplier_key": resolved["supplier_key"],
                "supplier_name": names,
            }
        )
    )
    dup = ids.duplicated()
    if dup.any():
        i = dup.idxmax()
        earlier = int(ids[ids == ids[i]].index[0]) + 2
        raise DatasetError(
            f"supplier '{shown(names[i])}' is surveyed twice (the same supplier as line {earlier})",
            path=SOURCE,
            line=int(i) + 2,
        )
    total = (survey["local_staff_share"] + survey["local_supplier_share"]).astype(float)
    return pd.DataFrame(
        {"supplier_id": ids, "re_spend": total.clip(upper=1.0), "capped": total > 1, "line": survey.index + 2}
    )
