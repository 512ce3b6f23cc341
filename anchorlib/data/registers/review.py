"""The analyst's review of the register's matches (docs/methodology.md#register-matching): the payees most
worth a look, largest spend first, and the decisions that settle them in ``supplier_matches.csv``.

``queue`` lists the payees matched fuzzily, ambiguously or not at all, with the candidate to accept or
reject: from ``register_matches.csv`` after ``anchorlib register build`` (candidates from Companies House
and the Charity Commission), else from the dataset's own matching against ``suppliers.csv`` (candidates
from the register, the best-scoring name below the threshold). ``decide`` writes one decision (accept: the
payee is that supplier; reject: the payee is never matched automatically), replacing any earlier decision
for the same payee; the next ``anchorlib register build`` (or ``open_dataset``) applies it.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pandas as pd

from anchorlib.data.registers.builder import DECISIONS_FILE, MATCHES_FILE
from anchorlib.data.suppliers import normalise_name
from anchorlib.errors import DatasetError, ParameterError

QUEUE_METHODS = ("ambiguous", "none", "fuzzy")
QUEUE_COLUMNS = [
    "payee",
    "spend",
    "method",
    "score",
    "candidate",
    "register",
    "company_number",
    "charity_number",
    "status",
    "postcode",
    "note",
]
DECISION_COLUMNS = ["spend_name", "register_name", "company_number", "charity_number"]


def queue(data_dir: str | Path, n: int = 30, methods: tuple[str, ...] = QUEUE_METHODS) -> pd.DataFrame:
    """The ``n`` payees with the most spend among those matched by ``methods``, with their candidate, and
    whether supplier_matches.csv already decides them (``decided``: accepted, rejected or blank)."""
    root = Path(data_dir).expanduser().resolve()
    path = root / MATCHES_FILE
    if path.exists():
        from anchorlib.data.tables import read_table

        df = read_table(path, ["payee", "method", "spend"], QUEUE_COLUMNS, root=root)
        for c in QUEUE_COLUMNS:
            if c not in df.columns:
                df[c] = pd.NA
        df["spend"] = pd.to_numeric(df["spend"], errors="coerce")
        df["score"] = pd.to_numeric(df["score"], errors="coerce")
        df.attrs["source"] = MATCHES_FILE
    else:
        df = _from_dataset(root)
        df.attrs["source"] = "the dataset's matching against suppliers.csv (no register_matches.csv yet)"
    out = df[df["method"].isin(methods)].sort_values(["spend", "payee"], ascending=[False, True])
    out = out.head(int(n)).reset_index(drop=True)[QUEUE_COLUMNS]
    decided = decisions(root)
    keys = normalise_name(out["payee"].astype("string"))
    out["decided"] = [decided.get(k, "") if pd.notna(k) else "" for k in keys]
    out.attrs["source"] = df.attrs["source"]
    return out


def _from_dataset(root: Path) -> pd.DataFrame:
    """The review rows from the dataset's own matching: its payees, and for those matched fuzzily or not at
    all, the register name scoring best (``matcher.NameIndex`` over suppliers.csv)."""
    import numpy as np

    from anchorlib.data.dataset import open_dataset
    from anchorlib.data.registers.matcher import CURRENT, LIVE, NameIndex
    from anchorlib.data.registers.names import register_key

    ds = open_dataset(root)
    t = ds.matches
    t = t[~t["match_method"].isin(["redacted"])]
    reg = ds.suppliers
    names = pd.DataFrame({"name": reg["supplier_name"], "entity": np.arange(len(reg)), "kind": CURRENT})
    names["key"] = register_key(names["name"].astype("string"))
    index = NameIndex(names, np.full(len(reg), LIVE))
    rows = []
    for r in t.itertuples():
        out = {
            "payee": r.spend_name,
            "spend": float(r.spend),
            "method": r.match_method,
            "score": r.match_score,
        }
        out["candidate"] = r.register_name if pd.notna(r.register_name) else pd.NA
        if r.match_method == "none":
            m = index.match(str(register_key(pd.Series([r.spend_name])).iloc[0]))
            if m.entity is not None:
                out.update(candidate=reg["supplier_name"].iloc[m.entity], score=m.score)
        if pd.notna(out["candidate"]):
            i = reg.index[reg["supplier_name"] == out["candidate"]][0]
            for c in ("company_number", "charity_number", "postcode"):
                out[c] = reg.at[i, c] if c in reg.columns else pd.NA
            out["register"] = "suppliers.csv"
        rows.append(out)
    df = pd.DataFrame(rows)
    for c in QUEUE_COLUMNS:
        if c not in df.columns:
            df[c] = pd.NA
    return df


def decisions(data_dir: str | Path) -> dict[str, str]:
    """Normalised payee -> 'accepted <register name>' or 'rejected', from supplier_matches.csv."""
    df = _read(Path(data_dir))
    keys = normalise_name(df["spend_name"].astype("string"))
    return {
        k: ("rejected" if not str(v).strip() else f"accepted {v}")
        for k, v in zip(keys, df["register_name"].fillna(""))
        if pd.notna(k)
    }


def _read(root: Path) -> pd.DataFrame:
    path = root / DECISIONS_FILE
    if not path.exists():
        return pd.DataFrame({c: pd.Series(dtype="string") for c in DECISION_COLUMNS})
    df = pd.read_csv(path, dtype="string", keep_default_na=False, encoding="utf-8-sig")
    missing = [c for c in ("spend_name", "register_name") if c not in df.columns]
    if missing:
        raise DatasetError(f"missing column(s) {', '.join(missing)}", path=DECISIONS_FILE)
    return df


def decide(
    data_dir: str | Path,
    payee: str,
    accept: bool,
    register_name: str | None = None,
    company_number: str | None = None,
    charity_number: str | None = None,
) -> Path:
    """Write one decision to supplier_matches.csv: ``accept`` (the payee is ``register_name``, the company
    or charity its number names when given) or reject (never matched automatically). An earlier decision
    for the same payee (compared normalised) is replaced; the file's other rows and columns are kept."""
    root = Path(data_dir).expanduser().resolve()
    key = normalise_name(pd.Series([payee], dtype="string")).iloc[0]
    if pd.isna(key):
        raise ParameterError("the payee's name is blank")
    if accept and not (register_name and str(register_name).strip()):
        raise ParameterError(f"accepting a match for '{payee}' needs the register name it is")
    df = _read(root)
    for c in DECISION_COLUMNS:
        if c not in df.columns:
            df[c] = ""
    keep = normalise_name(df["spend_name"].astype("string")).fillna("") != key
    row = {c: "" for c in df.columns}
    row.update(
        spend_name=payee,
        register_name=str(register_name).strip() if accept else "",
        company_number=str(company_number or "") if accept else "",
        charity_number=str(charity_number or "") if accept else "",
    )
    out = pd.concat([df[keep.to_numpy()], pd.DataFrame([row])], ignore_index=True)
    path = root / DECISIONS_FILE
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    out.to_csv(tmp, index=False, quoting=csv.QUOTE_MINIMAL, encoding="utf-8")
    os.replace(tmp, path)
    return path
