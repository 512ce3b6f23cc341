"""The fuzzy match threshold, measured on real names (docs/methodology.md#register-matching).

    .venv/bin/python benchmarks/bench_register_threshold.py [REAL_DIR] [--json]

From the real 360Giving recipients (``REAL_DIR/grants_360giving``: organisations' real names and charity
numbers), at thresholds 80 to 95 of rapidfuzz ``ratio`` with the first-word guard, as the register build
matches:

- **known non-matches**: pairs of different charities (different numbers) whose names pass the guard;
  how many score at or above the threshold (each would be a wrong match if one were a payee);
- **name variants**: each name with one letter wrong, one dropped, two swapped, or an 's' added to a word
  (as finance systems write payees); the share matched to the right charity (recall), to a wrong one
  (precision's complement), or to none;
- **real payees**: every payee of the real spend files (``REAL_DIR/spend``) against those charities: how
  many match fuzzily at each threshold (the 90 ones are listed, to be read by eye).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from anchorlib.data.registers.matcher import CURRENT, LIVE, NameIndex
from anchorlib.data.registers.names import register_key
from anchorlib.data.suppliers import same_first_word
from anchorlib.paths import PROJECT_DIR

THRESHOLDS = [80, 85, 88, 90, 92, 95]


def recipients(real: Path) -> pd.DataFrame:
    grants = json.loads((real / "grants_360giving" / "covid19_tracker_grants_data_2020-05.json").read_text())
    rows = {}
    for g in grants["grants"]:
        for o in g.get("recipientOrganization", []):
            n = str(o.get("charityNumber") or "").strip()
            if n.isdigit():
                rows.setdefault(n, o["name"])
    df = pd.DataFrame({"charity_number": list(rows), "name": list(rows.values())})
    df["key"] = register_key(df["name"].astype("string"))
    return df.dropna(subset=["key"]).drop_duplicates("key").reset_index(drop=True)


def variants(key: str, rng: np.random.Generator) -> list[str]:
    """One-letter changes to the longest word (5+ letters) of a key, and an 's' added to its last word."""
    words = key.split(" ")
    i = int(np.argmax([len(w) for w in words]))
    w = words[i]
    out = []
    if len(w) >= 5:
        j = int(rng.integers(1, len(w) - 1))
        other = "E" if w[j] != "E" else "A"
        for changed in (
            w[:j] + other + w[j + 1 :],
            w[:j] + w[j + 1 :],
            w[: j - 1] + w[j] + w[j - 1] + w[j + 1 :],
        ):
            out.append(" ".join([*words[:i], changed, *words[i + 1 :]]))
    if not words[-1].endswith("S"):
        out.append(" ".join([*words[:-1], words[-1] + "S"]))
    return [v for v in out if v != key]


def non_match_scores(df: pd.DataFrame) -> np.ndarray:
    """The scores of pairs of different charities whose keys pass the first-word guard (70 and over)."""
    keys = df["key"].tolist()
    scores = process.cdist(keys, keys, scorer=fuzz.ratio, score_cutoff=70, workers=1)
    out = []
    for a, b in zip(*np.nonzero(np.triu(scores, 1))):
        if same_first_word(keys[a], keys[b]):
            out.append(scores[a, b])
    return np.array(out)


def measure(real: Path) -> dict:
    df = recipients(real)
    names = pd.DataFrame(
        {"name": df["name"], "entity": np.arange(len(df)), "kind": CURRENT, "key": df["key"]}
    )
    rng = np.random.default_rng(1)
    var = [(v, e) for e, k in enumerate(df["key"]) for v in variants(k, rng)]
    pairs = non_match_scores(df)
    from anchorlib.data.ingest import load_spend_file

    payees = pd.concat(
        [load_spend_file(f)[0]["supplier_name"] for f in sorted((real / "spend").glob("*.csv"))]
    ).dropna()
    payee_keys = register_key(pd.Series(payees.unique(), dtype="string")).dropna().unique()
    out = {
        "charities": len(df),
        "variants": len(var),
        "non_match_pairs_70_plus": len(pairs),
        "by_threshold": {},
    }
    for t in THRESHOLDS:
        index = NameIndex(names, np.full(len(df), LIVE), threshold=float(t))
        right = wrong = 0
        for v, e in var:
            m = index.match(v)
            if m.method in ("exact", "fuzzy"):
                right += m.entity == e
                wrong += m.entity != e
        found = [(k, index.match(k)) for k in payee_keys]
        fuzzy = [(k, df["name"][m.entity], m.score) for k, m in found if m.method == "fuzzy"]
        out["by_threshold"][t] = {
            "non_matches_at_or_above": int((pairs >= t).sum()),
            "variants_right": right / len(var),
            "variants_wrong": wrong / len(var),
            "variants_unmatched": 1 - (right + wrong) / len(var),
            "real_payees_fuzzy": len(fuzzy),
            **({"real_payee_fuzzy_matches": sorted(fuzzy)} if t == 90 else {}),
        }
    top = np.sort(pairs)[::-1][:10]
    out["highest_non_match_scores"] = [round(float(x), 1) for x in top]
    return out


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    real = Path(args[0]) if args else PROJECT_DIR.parent / "shared" / "real"
    result = measure(real)
    if "--json" in sys.argv:
        print(json.dumps(result, indent=2, default=str))
        return
    print(
        f"{result['charities']} charities, {result['variants']} name variants, "
        f"{result['non_match_pairs_70_plus']} pairs of different charities passing the guard at 70+"
    )
    head = ["threshold", "non-matches >= t", "variants right", "wrong", "unmatched", "payees fuzzy"]
    print(" ".join(f"{h:>{w}}" for h, w in zip(head, (9, 17, 15, 7, 10, 13))))
    for t, r in result["by_threshold"].items():
        print(
            f"{t:>9} {r['non_matches_at_or_above']:>17} {r['variants_right']:>15.1%} "
            f"{r['variants_wrong']:>7.1%} {r['variants_unmatched']:>10.1%} {r['real_payees_fuzzy']:>13}"
        )
    print("highest scores of known non-matches:", result["highest_non_match_scores"])
    for k, name, score in result["by_threshold"][90]["real_payee_fuzzy_matches"]:
        print(f"  fuzzy at 90: {k!r} -> {name!r} ({score})")


if __name__ == "__main__":
    main()
