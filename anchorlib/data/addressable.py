"""Addressable (influenceable) spend: spend a local supplier could plausibly win
(docs/methodology.md#addressable-spend).

Excluded by a named, user-editable rule set. The default excludes payments to other public bodies,
pensions, tax and benefits, payments to individuals and redacted personal data (by the words of the
expense type or the payee's name), and payments to public bodies named as the payee (councils, NHS
bodies, government departments and agencies, police and fire authorities: ``PUBLIC_BODY_PAYEES``). A
dataset's ``categories.csv`` (expense_type, category, addressable) overrides the default per expense
type; the rule set's name then says so, and travels with every figure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

#: v2 adds PUBLIC_BODY_PAYEES and reads 'pensions' and 'pensions fund' as 'pension' and 'pension fund'.
DEFAULT_RULESET_NAME = "anchorlib default exclusions v2"

#: reason -> pattern matched (case-insensitive) against expense type and supplier name.
DEFAULT_EXCLUSIONS: dict[str, str] = {
    "payment to another public body": (
        r"\b(precept|levy|levies|nhs (trust|foundation|england)|payments? to (other )?(public|nhs|government)"
        r"|local authorit(y|ies)|council tax|hm revenue|hmrc|department (of|for)|metropolitan police"
        r"|greater london authority|transport for london|pensions? funds?|clinical commissioning group"
        r"|integrated care board|inter.?authority)\b"
    ),
    "pensions": r"\b(pensions?|superannuation|lgps)\b",
    "tax and benefits": r"\b(tax|vat|national insurance|nndr|business rates|housing benefit|benefits?)\b",
    "payment to an individual": (
        r"\b(foster(ing)? (care|carer|allowance)s?|direct payments?|personal budgets?|special guardianship"
        r"|adoption allowance|kinship|staff expenses|members'? allowances?|councillor)\b"
    ),
}


# Words before 'Council' that make it a body other than a local authority (a charity, a trade or
# professional body): 'Refugee Council', 'British Fashion Council', 'London Voluntary Service Council'.
_NOT_AUTHORITIES = (
    r"fashion|theatre|leadership|refugees?|race|equality|faith|interfaith|sikh|muslim|hindu|jewish|church"
    r"|parochial|youth|students?'?|carers'?|tenants'?|residents'?|rural|voluntary|services?|studies|research"
    r"|trade|industry|training|business|sports?|music|design|crafts|film|nursing|medical|dental|pharmacy"
    r"|veterinary|housing|heritage|building"
)
# What may follow '<place> Council' in a payee's name: an account or department, a reference in brackets
_COUNCIL_TRAILER = (
    r"(?=\s*($|[-(:,/.&]|(finance|financial|housing|rent|rates|accounts?|a/?c|general|resources)\b))"
)
#: kind of public body -> pattern matched (case-insensitive, from the start of the name) against the payee's
#: name only. Conservative: a payee matches only where its name says what body it is (docs/methodology.md,
#: "Public bodies named as payees"). Universities, schools and academies, housing associations and
#: publicly owned companies (Post Office Ltd) are not matched.
PUBLIC_BODY_PAYEES: dict[str, str] = {
    "council": (
        rf"(?!.*\b({_NOT_AUTHORITIES})\s+council\b)("
        r".*\b(london|royal|metropolitan|county) borough\b|(the )?(metropolitan )?borough of\b"
        r"|.*\b(city|county|borough|district|dist|town|parish|community) council\b|(the )?council of the\b"
        rf"|(the )?[a-z&'.,-]+( [a-z&'.,-]+){{0,4}} council\b{_COUNCIL_TRAILER}"
        r"|london councils\b|.*\bcombined authority\b|.*\bwaste (disposal )?authority\b)"
    ),
    "NHS body": (
        r".*\b(nhs|integrated care board|clinical commissioning group|health board"
        r"|health and social care trust)\b"
    ),
    "government department or agency": (
        r".*\b(ministry of (justice|defence|housing)|cabinet office|home office"
        r"|foreign,? (and |& )?commonwealth|hmrc|h m r c|inland revenue"
        r"|h\.? ?m\.? (treasury|revenue|courts|prison|land registry|passport)"
        r"|department (of|for) [a-z]|government (legal|actuary'?s?) department|scottish government"
        r"|welsh (assembly )?government|crown commercial service|crown prosecution service"
        r"|(environment|valuation office|government property|government internal audit|legal aid"
        r"|(education and )?skills funding|homes (and|&) communities|uk health security|food standards"
        r"|rural payments|animal and plant health|maritime and coastguard|london development"
        r"|driver and vehicle (licensing|standards)|executive) agency"
        r"|office for national statistics|(audit|electoral|forestry|care quality|charity) commission"
        r"|health and safety executive|disclosure and barring service|information commissioner"
        r"|homes england|natural england|historic england|arts council|youth justice board|national highways"
        r"|highways england|planning inspectorate|insolvency service|probation (service|trust))\b"
    ),
    "police or fire authority": (
        r".*\b(police|constabulary)( service| force| authority)?\b(?!\s+[a-z])"
        r"|.*\b(police and crime commissioner|police & crime comm|mayor'?s office for policing|mopac)\b"
        r"|.*\bfire (brigade|commissioner|authority"
        r"|(and|&) (rescue|emergency planning)( service| authority)?)\b"
    ),
}
PAYEE_REASON = "public body named as payee"  # the exclusion reason: 'public body named as payee: council'

#: Grants (docs/methodology.md#grants-as-a-flow): organisation identifier prefixes (org-id.guide) of
#: public bodies: local authorities of England and Wales, Scotland and Northern Ireland, NHS organisations,
#: the UK government's organisations register.
PUBLIC_BODY_ORG_IDS = ("GB-LAE", "GB-LAS", "GB-LANI", "GB-NHS", "GB-GOR")
GRANT_REASONS = {
    "individual": "grant to an individual",
    "org_id": "grant to another public body (by its organisation identifier)",
}
#: The exclusion reasons of the default rule set that a grant's recipient name is tested against: the
#: spend words (pensions, tax and benefits, payments to individuals) describe payments, not recipients.
GRANT_NAME_EXCLUSIONS = ("payment to another public body",)
NO_PROGRAMME = "Grants (no programme named)"


@dataclass
class RuleSet:
    """A named addressable-spend rule set: ``exclusions`` (reason -> pattern on expense type and payee),
    ``payees`` (kind of public body -> pattern on the payee's name alone, from its start) and
    ``overrides``, lower-case expense types -> (category, addressable) from categories.csv."""

    name: str = DEFAULT_RULESET_NAME
    exclusions: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_EXCLUSIONS))
    payees: dict[str, str] = field(default_factory=lambda: dict(PUBLIC_BODY_PAYEES))
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
        names = pd.Series(supplier.unique(), dtype="string")
        for kind, pattern in self.payees.items():
            rx = re.compile(_non_capturing(pattern), re.IGNORECASE)
            hits = set(names[names.str.match(rx).fillna(False)].tolist())
            if hits:
                reason = reason.mask(reason.isna() & supplier.isin(hits), f"{PAYEE_REASON}: {kind}")
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

    def classify_grants(self, grants: pd.DataFrame, prefixes: pd.Series) -> pd.DataFrame:
        """``classify``'s columns for grants (``supplier_name`` the recipient, ``expense_type`` the grant
        programme, ``redacted`` a grant to an individual; ``prefixes`` of the recipients' organisation
        identifiers): excluded, with the first reason that applies, a grant to an individual, a recipient
        whose identifier is a public body's (``PUBLIC_BODY_ORG_IDS``), one whose name matches the rule set's
        public-body patterns (``GRANT_NAME_EXCLUSIONS``, then ``payees``). The category is the programme
        (``NO_PROGRAMME`` without one); categories.csv edits it, and the flag, by programme as it does by
        expense type."""
        programme = grants["expense_type"].astype("string").fillna("")
        name = grants["supplier_name"].astype("string").fillna("")
        reason = pd.Series(pd.NA, index=grants.index, dtype="string")
        reason[grants["redacted"].astype(bool).to_numpy()] = GRANT_REASONS["individual"]
        public = prefixes.reindex(grants.index).isin(PUBLIC_BODY_ORG_IDS).fillna(False).to_numpy(dtype=bool)
        reason = reason.mask(reason.isna() & public, GRANT_REASONS["org_id"])
        names = pd.Series(name.unique(), dtype="string")
        tests = [
            (why, self.exclusions[why], "contains") for why in GRANT_NAME_EXCLUSIONS if why in self.exclusions
        ]
        tests += [(f"{PAYEE_REASON}: {kind}", pattern, "match") for kind, pattern in self.payees.items()]
        for why, pattern, how in tests:
            rx = re.compile(_non_capturing(pattern), re.IGNORECASE)
            test = names.str.contains(rx, regex=True) if how == "contains" else names.str.match(rx)
            hits = set(names[test.fillna(False)].tolist()) - {""}
            if hits:
                reason = reason.mask(reason.isna() & name.isin(hits), why)
        category = programme.mask(programme == "", NO_PROGRAMME)
        if self.overrides:
            key = programme.str.strip().str.lower()
            mapped = key.map({k: v[0] for k, v in self.overrides.items() if v[0]})
            category = mapped.fillna(category).astype("string")
            forced = key.map({k: v[1] for k, v in self.overrides.items() if v[1] is not None})
            individual = grants["redacted"].astype(bool)
            reason = reason.mask(
                forced.eq(False).fillna(False).astype(bool) & reason.isna(), "excluded in categories.csv"
            )
            reason = reason.mask(forced.eq(True).fillna(False).astype(bool) & ~individual, pd.NA)
        return pd.DataFrame(
            {
                "category": category.astype("string"),
                "addressable": reason.isna().to_numpy(),
                "exclusion": reason,
            },
            index=grants.index,
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
