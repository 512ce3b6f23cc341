"""Grants beside spend (docs/methodology.md#grants): the grant flow of a dataset's payments.

A dataset's ``grants/<anchor_id>/`` holds the anchor's 360Giving files (read by
anchorlib/data/ingest/grants.py). Their grants in pounds join the payments as rows of their own
``flow`` ('grant'; a spend file's rows are 'spend'), so every metric, chart, app and report can take
spend, grants or both (``flow_key``; the default is spend alone, as before grants were read). A grant
joins the register and is placed as a payment is, with what a grant adds:

- its recipient's **organisation identifier** classifies and places it: a company number (``GB-COH-``,
  or the Companies House number given) finds the register's entry by ``company_number``, a charity
  number (``GB-CHC-``, ``GB-SC-``, ``GB-NIC-``, or the number given) by ``charity_number``, before the
  name is matched; a registered charity is a VCSE; a local authority, NHS body or government body
  (``GB-LAE-``, ``GB-LAS-``, ``GB-LANI-``, ``GB-NHS-``, ``GB-GOR-``) is another public body, not
  addressable (addressable.py's ``classify_grants``);
- **placing**: by the recipient's postcode (the register entry's, else the grant's) or, where that
  places nothing, by the beneficiary location's ONS code (a district, ward or LSOA); the named option
  ``grant_location`` ('recipient', the default, or 'beneficiary': the beneficiary location first) says
  which comes first, and ``placed_by`` what placed each grant.

Grants to individuals are counted in every total and never named (they are ``redacted``). Grants in
another currency never reach the payments: their count and amount per currency are in the grant
reports.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from anchorlib.data.ingest.report import SPEND_COLUMNS
from anchorlib.data.payments import PLACED_BY, SPEND_CATEGORICALS, Joiner, categorical, compact
from anchorlib.data.places import (
    LONDON_REGION,
    SMALL_AREA_PREFIXES,
    WARD_PREFIXES,
    Geography,
    code_kind,
    is_gss_code,
    is_lad_code,
)
from anchorlib.errors import ParameterError

#: How every output names a flow choice.
FLOW_LABELS = {"spend": "spend", "grant": "grants", "both": "spend and grants"}
_FLOW_SPELLINGS = {
    "spend": "spend",
    "grant": "grant",
    "grants": "grant",
    "both": "both",
    "spend and grants": "both",
    "spend+grant": "both",
    "spend+grants": "both",
    "all": "both",
}
#: The named option that places a grant, and what each means (every output with grants names it).
GRANT_LOCATIONS = {
    "recipient": "the recipient's postcode, else the beneficiary location",
    "beneficiary": "the beneficiary location, else the recipient's postcode",
}
DEFAULT_GRANT_LOCATION = "recipient"

#: Organisation identifier prefixes (org-id.guide) anchorlib reads.
CHARITY_PREFIXES = {"GB-CHC": "CHC", "GB-SC": "SC", "GB-NIC": "NIC"}
COMPANY_PREFIX = "GB-COH"
_ORG_ID = re.compile(r"^\s*([A-Z0-9]+-[A-Z0-9]+)-(.+?)\s*$", re.IGNORECASE)
_COMPANY = re.compile(r"^([A-Z]{2})?([0-9]{1,8})$")


def flow_key(flow: object = "spend") -> str:
    """'spend', 'grant' or 'both' for a flow choice as a user writes it ('grants', 'spend and grants', a
    list of flows); ParameterError naming the choices otherwise."""
    if flow is None:
        return "spend"
    if isinstance(flow, (list, tuple, set, frozenset)):
        got = {flow_key(f) for f in flow}
        return "both" if "both" in got or got == {"spend", "grant"} else next(iter(got), "spend")
    key = _FLOW_SPELLINGS.get(" ".join(str(flow).lower().split()))
    if key is None:
        raise ParameterError(f"flow must be 'spend', 'grant' or 'both' (spend and grants), not '{flow}'")
    return key


def flow_label(flow: object = "spend") -> str:
    """How outputs name a flow choice: 'spend', 'grants' or 'spend and grants'."""
    return FLOW_LABELS[flow_key(flow)]


def check_grant_location(value: object) -> str:
    """The grant location option (``GRANT_LOCATIONS``), or ParameterError naming the choices."""
    key = str(value or DEFAULT_GRANT_LOCATION).strip().lower()
    if key not in GRANT_LOCATIONS:
        raise ParameterError(f"grant_location must be 'recipient' or 'beneficiary', not '{value}'")
    return key


# --- organisation identifiers ----------------------------------------------------------------------


def org_prefix(org_id: object) -> str | None:
    """The org-id.guide prefix of an organisation identifier ('GB-CHC-1136547' -> 'GB-CHC'), upper case;
    '360G' for a publisher's own ('360G-...'), None for none."""
    if org_id is None or pd.isna(org_id):
        return None
    text = str(org_id).strip().upper()
    if text.startswith("360G-"):
        return "360G"
    m = _ORG_ID.match(text)
    return m.group(1).upper() if m else None


def _id_part(org_id: object, prefixes) -> tuple[str, str] | None:
    m = _ORG_ID.match(str(org_id)) if org_id is not None and not pd.isna(org_id) else None
    if m and m.group(1).upper() in prefixes:
        return m.group(1).upper(), m.group(2).strip().upper()
    return None


def charity_key(number: object, register: str | None = None) -> str | None:
    """A charity number compared across the register and grants: 'CHC:1136547' (England and Wales; a linked
    charity's '-1' left off), 'SC:SC012345' (Scotland), 'NIC:100001' (Northern Ireland). ``register``: the
    register the number is known to be of (an identifier's prefix); without it, a Scottish number is told by
    its 'SC', a Northern Irish one by 'NIC' or 'NI', and digits are England and Wales'."""
    if number is None or pd.isna(number):
        return None
    text = re.sub(r"[\s.]", "", str(number)).upper()
    if not text:
        return None
    if register == "SC" or (register is None and re.fullmatch(r"SC[0-9]{5,6}", text)):
        digits = re.sub(r"^SC", "", text)
        return f"SC:SC{digits.zfill(6)}" if digits.isdigit() else None
    if register == "NIC" or (register is None and re.fullmatch(r"NIC?[0-9]+", text)):
        digits = re.sub(r"^NIC?", "", text)
        return f"NIC:{int(digits)}" if digits.isdigit() else None
    main = text.split("-")[0]
    return f"CHC:{int(main)}" if main.isdigit() and 0 < int(main) else None


def company_key(number: object) -> str | None:
    """A Companies House number as it is registered: 8 characters, leading zeros kept ('849633' is
    '00849633'; 'sc123456' is 'SC123456'); None for anything else."""
    if number is None or pd.isna(number):
        return None
    text = re.sub(r"[\s.]", "", str(number)).upper()
    m = _COMPANY.match(text)
    if not m or not text:
        return None
    letters = m.group(1) or ""
    return letters + m.group(2).zfill(8 - len(letters))


def recipient_numbers(grants: pd.DataFrame) -> pd.DataFrame:
    """Per grant: ``company`` and ``charity`` keys (``company_key``, ``charity_key``) from its identifier's
    prefix, else the numbers the grant gives; ``prefix`` of its identifier."""
    ids = grants["recipient_id"]
    company, charity = [], []
    for gid, cc, ch in zip(ids, grants["company_number"], grants["charity_number"]):
        own = _id_part(gid, (COMPANY_PREFIX,))
        company.append(company_key(own[1] if own else cc))
        reg = _id_part(gid, tuple(CHARITY_PREFIXES))
        charity.append(charity_key(reg[1], CHARITY_PREFIXES[reg[0]]) if reg else charity_key(ch))
    return pd.DataFrame(
        {
            "company": pd.Series(company, dtype="string", index=grants.index),
            "charity": pd.Series(charity, dtype="string", index=grants.index),
            "prefix": pd.Series([org_prefix(g) for g in ids], dtype="string", index=grants.index),
        }
    )


def register_numbers(reg: pd.DataFrame) -> tuple[dict[str, int], dict[str, int]]:
    """(company key -> register row, charity key -> register row) of suppliers.csv's company_number and
    charity_number (the first row where two share a number)."""
    out = []
    for col, key in (("company_number", company_key), ("charity_number", charity_key)):
        found: dict[str, int] = {}
        if col in reg.columns:
            for i, v in zip(range(len(reg)), reg[col]):
                k = key(v)
                if k is not None and k not in found:
                    found[k] = i
        out.append(found)
    return out[0], out[1]


def number_matches(numbers: pd.DataFrame, reg: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(register row or -1, 'company number' / 'charity number' / '') per grant: its company number first,
    then its charity number, in the register."""
    by_company, by_charity = register_numbers(reg)
    rows = np.full(len(numbers), -1, dtype=np.int64)
    how = np.full(len(numbers), "", dtype=object)
    for k, (company, charity) in enumerate(zip(numbers["company"], numbers["charity"])):
        if not pd.isna(company) and company in by_company:
            rows[k], how[k] = by_company[company], "company number"
        elif not pd.isna(charity) and charity in by_charity:
            rows[k], how[k] = by_charity[charity], "charity number"
    return rows, how


# --- placing by beneficiary location ---------------------------------------------------------------


class BeneficiaryPlaces:
    """ONS codes of beneficiary locations -> a place (lad, rgn, lsoa, imd_decile), from the dataset's
    geography: a district is itself; a ward is in the district geography/wards.csv (or the postcode
    directory's ward column) puts it; an LSOA in the district the directory's postcodes there (or the IoD
    file's district column) put it, with its IMD decile."""

    def __init__(self, geography: Geography):
        pc = geography.postcodes
        self.rgn = _unique_map(pc, "lad", "rgn")
        self.lsoa_lad = _unique_map(pc, "lsoa", "lad")
        if "lad" in geography.imd.columns:
            for k, v in _unique_map(geography.imd, "lsoa", "lad").items():
                self.lsoa_lad.setdefault(k, v)
        self.ward_lad = _unique_map(pc, "ward", "lad") if "ward" in pc.columns else {}
        if geography.wards is not None:
            for k, v in zip(geography.wards["ward"], geography.wards["lad"]):
                self.ward_lad.setdefault(str(k), str(v))
        self.decile = dict(zip(geography.imd["lsoa"].astype(str), geography.imd["imd_decile"]))
        self.has_wards = bool(self.ward_lad)

    def place(self, codes: str | None) -> tuple[dict | None, str]:
        """(lad, rgn, lsoa, imd_decile, or None when the codes place nothing; why not, or '')."""
        if codes is None or pd.isna(codes) or not str(codes):
            return None, "no beneficiary location code"
        lads, lsoas, unplaced = set(), set(), []
        for code in str(codes).split(";"):
            prefix = code[:3]
            if code in self.lsoa_lad:  # a small area of the geography: its district, and its decile
                lads.add(self.lsoa_lad[code])
                lsoas.add(code)
            elif code in self.ward_lad:
                lads.add(self.ward_lad[code])
            elif is_lad_code(code):
                lads.add(code)
            elif prefix in WARD_PREFIXES and is_gss_code(code):
                unplaced.append(f"ward {code} is in no ward lookup")
            elif prefix in SMALL_AREA_PREFIXES and is_gss_code(code):
                unplaced.append(f"{code_kind(code)} {code} not in the geography")
            else:
                unplaced.append(f"{code_kind(code)} {code} names no district")
        if len(lads) > 1:
            return None, f"beneficiary locations in {len(lads)} districts"
        if not lads:
            return None, unplaced[0] if unplaced else "no beneficiary location code"
        lad = next(iter(lads))
        lsoa = next(iter(lsoas)) if len(lsoas) == 1 else None
        rgn = self.rgn.get(lad) or (LONDON_REGION if lad.startswith("E09") else None)
        return {"lad": lad, "rgn": rgn, "lsoa": lsoa, "imd_decile": self.decile.get(lsoa)}, ""


def _unique_map(df: pd.DataFrame, key: str, value: str) -> dict[str, str]:
    """key -> value where every row of ``key`` has the one ``value`` (an LSOA in one district)."""
    if key not in df.columns or value not in df.columns:
        return {}
    pairs = df[[key, value]].dropna().drop_duplicates()
    one = pairs[~pairs[key].duplicated(keep=False)]
    return dict(zip(one[key].astype(str), one[value].astype(str)))


# --- the join ---------------------------------------------------------------------------------------


def join_grants(
    grants: pd.DataFrame, joiner: Joiner, geography: Geography, location: str = DEFAULT_GRANT_LOCATION
) -> pd.DataFrame:
    """Grants (anchor_id + ingest.grants.GRANT_COLUMNS) as payments of the 'grant' flow: the columns of
    ``Joiner.join`` (matched to the register by company number, charity number, then name; located;
    classified by ``RuleSet.classify_grants``), placed by ``location`` (``GRANT_LOCATIONS``; ``placed_by``
    says what placed each), a registered charity counted as a VCSE."""
    location = check_grant_location(location)
    numbers = recipient_numbers(grants)
    spend = grants[["anchor_id", *SPEND_COLUMNS]].copy()
    for c in SPEND_CATEGORICALS:  # text as categoricals, as a spend file's payments hold it
        spend[c] = compact(spend[c].astype("string"))
    spend = spend.reset_index(drop=True)
    out = joiner.join(spend, matched=number_matches(numbers, joiner.reg), flow="grant")
    classes = joiner.ruleset.classify_grants(spend, numbers["prefix"].reset_index(drop=True))
    for c in ("category", "exclusion"):
        out[c] = compact(classes[c])
    out["addressable"] = classes["addressable"].to_numpy(dtype=bool)
    charity = (numbers["charity"].notna() | numbers["prefix"].isin(list(CHARITY_PREFIXES))).to_numpy()
    vcse = out["is_vcse"].to_numpy(dtype="float64", na_value=np.nan)
    vcse[charity] = 1.0
    out["is_vcse"] = pd.array(np.where(np.isnan(vcse), None, vcse == 1.0), dtype="boolean")
    return _placed(out, grants["beneficiary_codes"].reset_index(drop=True), geography, location)


def _placed(out: pd.DataFrame, codes: pd.Series, geography: Geography, location: str) -> pd.DataFrame:
    """The grants located: the recipient's postcode (``Joiner.join`` found it) and the beneficiary
    location, in the order ``location`` says; ``placed_by`` names which placed each (<NA>: neither)."""
    places = BeneficiaryPlaces(geography)
    recipient = out["lad"].notna().to_numpy()
    got = [places.place(c)[0] for c in codes]
    beneficiary = np.array([g is not None for g in got], dtype=bool)
    use = beneficiary & (~recipient if location == "recipient" else np.ones(len(out), dtype=bool))
    cols = {
        c: out[c].astype("string").to_numpy(dtype=object, na_value=None)
        for c in ("postcode", "lad", "rgn", "lsoa")
    }
    decile = out["imd_decile"].astype("Int64").to_numpy(dtype="float64", na_value=np.nan)
    for k in np.flatnonzero(use):
        g = got[k]
        cols["postcode"][k] = None
        cols["lad"][k], cols["rgn"][k], cols["lsoa"][k] = g["lad"], g["rgn"], g["lsoa"]
        decile[k] = np.nan if g["imd_decile"] is None or pd.isna(g["imd_decile"]) else float(g["imd_decile"])
    for c, values in cols.items():
        out[c] = compact(pd.Series(values, dtype="string"))
    out["imd_decile"] = pd.array(np.where(np.isnan(decile), None, decile), dtype="Float64").astype("Int64")
    placed = np.full(len(out), -1, dtype=np.int8)
    placed[recipient & ~use] = PLACED_BY.index("recipient postcode")
    placed[use] = PLACED_BY.index("beneficiary location")
    out["placed_by"] = categorical(placed, PLACED_BY)
    return out


def empty_grants() -> pd.DataFrame:
    """No grants, with the columns and types of a dataset's ``grants`` (anchor_id + GRANT_COLUMNS)."""
    from anchorlib.data.ingest.grants import GRANT_COLUMNS

    frame = pd.DataFrame({c: pd.Series([], dtype="string") for c in ["anchor_id", *GRANT_COLUMNS]})
    return frame.astype(
        {
            "payment_date": "datetime64[ns]",
            "amount": "float64",
            "redacted": "bool",
            "source_line": "int64",
        }
    )


def with_grant_part(relation, grants: pd.DataFrame, store) -> object:
    """An out-of-core dataset's payments (a ``PaymentsRelation``) and its grants: the grants written once
    as Parquet parts of their own (anchorlib/data/storage/parts.py: one per anchor and financial year, as
    every reader takes them; ``flow`` 'grant'; the relation's columns), in the cache folder ``store``'s
    ``grant-parts``, keyed by their content."""
    import hashlib
    import tempfile
    from dataclasses import replace
    from pathlib import Path

    from anchorlib.data.storage import parts

    frame = grants[list(relation.columns)]
    folder = (
        Path(store) / "grant-parts" if store is not None else Path(tempfile.gettempdir()) / "anchorlib-grants"
    )
    folder.mkdir(parents=True, exist_ok=True)
    new = []
    anchors = frame["anchor_id"].astype(str)
    for anchor_id in sorted(anchors.unique()):
        rows = frame[(anchors == anchor_id).to_numpy()]
        text = rows.astype("string").fillna("")
        digest = hashlib.sha256(
            pd.util.hash_pandas_object(text, index=False).to_numpy().tobytes()
        ).hexdigest()
        key = f"grants-{digest[:24]}"
        got = parts.read_manifest(folder, key) or parts.write(folder, key, anchor_id, rows)
        new += [replace(p, flow="grant") for p in got[0]]
    return replace(relation, parts=(*relation.parts, *new), attrs=dict(relation.attrs))
