"""lm3_survey.csv resolved to the dataset's suppliers (docs/methodology.md#lm3), for LM3's R3."""

from __future__ import annotations

import pandas as pd

from anchorlib.data.suppliers import resolve_names, supplier_ids
from anchorlib.errors import DatasetError

SOURCE = "lm3_survey.csv"


def resolve_survey(
    survey: pd.DataFrame, register_keys: pd.Series, overrides: dict[str, int | None]
) -> pd.DataFrame:
    """The survey's suppliers resolved like the spend files' payees (same register, overrides and fuzzy
    rule): ``supplier_id``, ``re_spend`` = local_staff_share + local_supplier_share capped at 1 (a
    supplier cannot re-spend locally more than it received; ``capped`` marks those rows) and the file's
    ``line``. One-line errors for a share outside 0-1 or a supplier surveyed twice."""
    for i in survey.index:
        for col in ("local_staff_share", "local_supplier_share"):
            v = survey.at[i, col]
            if pd.isna(v) or not 0 <= float(v) <= 1:
                raise DatasetError(
                    f"{col} must be a fraction from 0 to 1, not '{v}'", path=SOURCE, line=int(i) + 2
                )
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
        raise DatasetError(
            f"supplier '{names[i]}' is surveyed twice (same supplier as an earlier row)",
            path=SOURCE,
            line=int(i) + 2,
        )
    total = (survey["local_staff_share"] + survey["local_supplier_share"]).astype(float)
    return pd.DataFrame(
        {"supplier_id": ids, "re_spend": total.clip(upper=1.0), "capped": total > 1, "line": survey.index + 2}
    )
