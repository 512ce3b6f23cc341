"""Payee names -> register entities (docs/methodology.md#register-matching).

An *entity* is one company or one charity (a charitable company is both: one entity). It is known by
its names: its current name, then its previous names (Companies House) or its linked charities' names
(Charity Commission). For each query key (``names.register_key``):

1. **exact**: entities one of whose current names has the key; failing that, one of whose other names
   has it. Among them, a live one (company ``Active``, charity ``Registered``) beats namesakes in
   liquidation, administration, receivership, a voluntary arrangement, being struck off or removed: one
   live entity is the match, two or more are **ambiguous**; with none live, one entity is the match and
   more are ambiguous;
2. **fuzzy**: otherwise the best rapidfuzz ``ratio`` at or above the threshold
   (``suppliers.FUZZY_THRESHOLD``) among names passing the first-word guard
   (``suppliers.same_first_word``); entities tied at the best score are settled as above;
3. **none**: otherwise, with the best-scoring name below the threshold (from ``REVIEW_FLOOR``) kept as a
   suggestion for the analyst's review.

Candidates are looked up by first word (``Blocker``'s rule, in memory): only names whose first word can
pass the guard are scored.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from anchorlib.data.registers.names import deletions
from anchorlib.data.suppliers import FUZZY_THRESHOLD, same_first_word

REVIEW_FLOOR = 75.0  # a suggestion below the threshold is shown for review from this score
CURRENT, OTHER = 0, 1  # name kinds: an entity's current name, or a previous / linked charity's name
LIVE, NOT_LIVE = 0, 1


@dataclass
class Match:
    method: str  # exact, fuzzy, ambiguous, none
    entity: int | None  # the entity matched (exact, fuzzy), or the suggestion (none)
    score: float | None
    candidates: tuple[int, ...] = ()  # ambiguous: the tied entities
    via: str = ""  # 'current name', 'other name' (a previous or linked charity's name), 'suggestion'
    passed_over: tuple[int, ...] = ()  # namesakes not live that a live entity beat


class NameIndex:
    """The names of the entities, indexed for exact look-up and for scoring by first word.

    ``keys``: one row per name with ``key`` (register_key), ``entity`` (its row in the entities table) and
    ``kind`` (CURRENT or OTHER); ``live``: per entity, LIVE or NOT_LIVE."""

    def __init__(self, keys: pd.DataFrame, live: np.ndarray, threshold: float = FUZZY_THRESHOLD):
        keys = keys.dropna(subset=["key"]).drop_duplicates(["key", "entity", "kind"]).reset_index(drop=True)
        self.key = keys["key"].astype(str).to_numpy(dtype=object)
        self.entity = keys["entity"].to_numpy(dtype=np.int64)
        self.kind = keys["kind"].to_numpy(dtype=np.int8)
        self.live = np.asarray(live, dtype=np.int8)
        self.threshold = float(threshold)
        self.exact: dict[str, list[int]] = {}
        self.by_first: dict[str, list[int]] = {}
        for i, k in enumerate(self.key):
            self.exact.setdefault(k, []).append(i)
            self.by_first.setdefault(k.split(" ", 1)[0], []).append(i)
        self.typo: dict[str, set[str]] = {}
        for w in self.by_first:
            if len(w) >= 4:
                for d in deletions(w):
                    self.typo.setdefault(d, set()).add(w)

    def settle(self, names: list[int]) -> tuple[int | None, tuple[int, ...], tuple[int, ...], str]:
        """Among names of one score: (the entity, or None when ambiguous; the tied entities; the namesakes
        passed over; 'current name' or 'other name'). Current names first, then live entities first."""
        best_kind = min(int(self.kind[i]) for i in names)
        entities = sorted({int(self.entity[i]) for i in names if self.kind[i] == best_kind})
        live = [e for e in entities if self.live[e] == LIVE] or entities
        passed = tuple(e for e in entities if e not in live)
        via = "current name" if best_kind == CURRENT else "other name"
        if len(live) == 1:
            return live[0], (), passed, via
        return None, tuple(live), passed, via

    def _candidates(self, key: str) -> list[int]:
        first = key.split(" ", 1)[0]
        packed = key.replace(" ", "")
        words = {packed[:n] for n in range(1, len(packed) + 1)} & self.by_first.keys()
        if len(first) >= 4:
            for d in deletions(first):
                words |= self.typo.get(d, set())
        out: list[int] = []
        for w in words:
            out += self.by_first[w]
        return out

    def match(self, key: str | None) -> Match:
        if key is None or (isinstance(key, float) and np.isnan(key)) or key is pd.NA:
            return Match("none", None, None)
        hits = self.exact.get(key)
        if hits:
            entity, tied, passed, via = self.settle(hits)
            if entity is None:
                return Match("ambiguous", None, 100.0, tied, via, passed)
            return Match("exact", entity, 100.0, (), via, passed)
        from rapidfuzz import fuzz, process

        cands = self._candidates(key)
        if not cands:
            return Match("none", None, None)
        choices = [self.key[i] for i in cands]
        scores = process.cdist([key], choices, scorer=fuzz.ratio, score_cutoff=REVIEW_FLOOR, workers=1)[0]
        order = np.flatnonzero(scores >= REVIEW_FLOOR)
        order = order[np.argsort(-scores[order], kind="stable")]
        passing = [j for j in order if same_first_word(key, choices[j])]
        if not passing:
            return Match("none", None, None)
        best = float(scores[passing[0]])
        if best < self.threshold:
            return Match("none", int(self.entity[cands[passing[0]]]), round(best, 1), (), "suggestion")
        entity, tied, passed, via = self.settle([cands[j] for j in passing if scores[j] == best])
        if entity is None:
            return Match("ambiguous", None, round(best, 1), tied, via, passed)
        return Match("fuzzy", entity, round(best, 1), (), via, passed)

    def match_all(self, keys: pd.Series) -> list[Match]:
        """``match`` for each key (one computation per distinct key)."""
        memo: dict[str, Match] = {}
        out = []
        for k in keys.astype("object"):
            k = None if k is None or k is pd.NA or (isinstance(k, float) and np.isnan(k)) else str(k)
            if k not in memo:
                memo[k] = self.match(k)
            out.append(memo[k])
        return out
