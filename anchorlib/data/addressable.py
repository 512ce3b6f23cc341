"""Addressable (influenceable) spend: spend a local supplier could plausibly win
(docs/methodology.md#addressable-spend).

Excluded by a named, user-editable rule set. The default excludes payments to other public bodies,
pensions, tax and benefits, payments to individuals and redacted personal data. A dataset's
``categories.csv`` (expense_type, category, addressable) overrides the default per expense type;
the rule set's name then says so, and travels with every figure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

DEFAULT_RULESET_NAME = "anchorlib default exclusions v1"

#: reason -> pattern matched (case-insensitive) against expense type and supplier name.
DEFAULT_EXCLUSIONS: dict[str, str] = {
    "payment to another public body": (
        r"\b(precept|levy|levies|nhs (trust|foundation|england)|payments? to (other )?(public|nhs|government)"
        r"|local authorit(y|ies)|council tax|hm revenue|hmrc|department (of|for)|metropolitan police"
        r"|greater london authority|transport for london|pension fund|clinical commissioning group"
        r"|integrated care board|inter.?authority)\b"
    ),
    "pensions": r"\b(pension|superannuation|lgps)\b",
    "tax and benefits": r"\b(tax|vat|national insurance|nndr|business rates|housing benefit|benefits?)\b",
    "payment to an individual": (
        r"\b(foster(ing)? (care|carer|allowance)s?|direct payments?|personal budgets?|special guardianship"
        r"|adoption allowance|kinship|staff expenses|members'? allowances?|councillor)\b"
    ),
}


@dataclass
class RuleSet:
    """A named addressable-spend rule set; ``overrides`` maps lower-case expense types to
    (category, addressable) from categories.csv."""

    name: str = DEFAULT_RULESET_NAME
    exclusions: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_EXCLUSIONS))
    overrides: dict[str, tuple[str | None, bool | None]] = field(default_factory=dict)

    def classify(self, payments: pd.DataFrame) -> pd.DataFrame:
        """Columns ``category``, ``addressable`` (bool) and ``exclusion`` (reason or <NA>)."""
        etype = payments["expense_type"].astype("string").fillna("")
        supplier = payments["supplier_name"].astype("string").fillna("")
        text = etype + " | " + supplier
        reason = pd.Series(pd.NA, index=payments.index, dtype="string")
        reason[payments["redacted"].astype(bool).to_numpy()] = "redacted personal data"
        # Patterns run on unique texts: spend files repeat the same few thousand strings.
        uniq = pd.Series(text.unique(), dtype="string")
        for why, pattern in self.exclusions.items():
            rx = re.compile(_non_capturing(pattern), re.IGNORECASE)
            hits = set(uniq[uniq.str.contains(rx, regex=True).fillna(False)].tolist())
            if hits:
                reason = reason.mask(reason.isna() & text.isin(hits), why)
        key = etype.str.strip().str.lower()
        category = etype.copy().mask(etype == "", "Uncategorised")
        if self.overrides:
            cat_map = {k: v[0] for k, v in self.overrides.items() if v[0]}
            add_map = {k: v[1] for k, v in self.overrides.items() if v[1] is not None}
            mapped_cat = key.map(cat_map)
            category = mapped_cat.fillna(category).astype("string")
            forced = key.map(add_map)
            forced_excluded = forced.eq(False).fillna(False).astype(bool)
            forced_included = forced.eq(True).fillna(False).astype(bool)
            redacted = payments["redacted"].astype(bool)
            reason = reason.mask(forced_excluded & reason.isna(), "excluded in categories.csv")
            reason = reason.mask(forced_included & ~redacted, pd.NA)
        return pd.DataFrame(
            {
                "category": category.astype("string"),
                "addressable": reason.isna().to_numpy(),
                "exclusion": reason,
            },
            index=payments.index,
        )


def _non_capturing(pattern: str) -> str:
    """User patterns may use (...) groups; pandas warns on capturing groups in str.contains."""
    return re.sub(r"(?<!\\)\((?!\?)", "(?:", pattern)


def ruleset_from_categories(categories: pd.DataFrame | None) -> RuleSet:
    """The default rule set, overridden per expense type by a dataset's categories.csv."""
    if categories is None or categories.empty:
        return RuleSet()
    overrides: dict[str, tuple[str | None, bool | None]] = {}
    for row in categories.itertuples(index=False):
        add = getattr(row, "addressable", pd.NA)
        overrides[str(row.expense_type).strip().lower()] = (
            None if pd.isna(row.category) else str(row.category),
            None if pd.isna(add) else bool(add),
        )
    return RuleSet(name=f"{DEFAULT_RULESET_NAME} + categories.csv", overrides=overrides)
