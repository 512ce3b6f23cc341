"""Register names: the matching key of a payee or register name, and the pre-filter that finds, in a
multi-gigabyte Companies House file, the few companies a payee could match before any name is
normalised (docs/methodology.md#register-matching).

``register_key`` is the payee-name key of ``suppliers.normalise_name`` (called, never copied) after the
spellings the registers write and payees do not: the long legal forms Companies House prints in full
(PUBLIC LIMITED COMPANY, LIMITED LIABILITY PARTNERSHIP, P.L.C.), their Welsh forms (CYFYNGEDIG, CYF, CCC,
CWMNI BUDDIANT CYMUNEDOL, PAC), CHARITABLE INCORPORATED ORGANISATION and a trailing CIO, and an insolvency
note payees carry ('(IN LIQUIDATION)'). 'Acme Public Limited Company', 'ACME P.L.C.' and 'Acme plc' are one
key, 'ACME'.

Normalising every one of 5.5 million names takes ~50 s, so the scan first computes, with Arrow's
vectorised string kernels, a *rough* key per name (``rough_keys``): the same steps on ASCII text, minus
the ones that only ever shorten the key at its end. For an ASCII name, the true key's first word is the
rough key's first word (or the second, after a leading THE), and the true key with its spaces removed is a
prefix of the rough key with its spaces removed (``tests/test_registers_names.py`` checks this against
``normalise_name`` itself). ``Blocker`` turns the payees' keys into the sets a rough key is tested against,
so that every company whose true key could equal a payee's, or pass the fuzzy match's first-word guard
(``suppliers.same_first_word``: equal first words, one typo apart, or spaced differently), is kept. Names
with other than ASCII letters are always kept: accents fold in ``normalise_name`` alone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from anchorlib.data.suppliers import _DROP_SUFFIXES, _LEGAL_FORMS, _TRADING_AS, normalise_name

#: (pattern, replacement) applied in order to the upper-cased name before ``normalise_name``: the registers'
#: own spellings of what payees write short. RE2 syntax (Arrow's kernels), upper case.
REGISTER_FORMS: list[tuple[str, str]] = [
    (r"\bPUBLIC LIMITED COMPANY\b", " PLC "),
    (r"\bLIMITED LIABILITY PARTNERSHIP\b", " LLP "),
    (r"\bCHARITABLE INCORPORATED ORGANI[SZ]ATION\b", " CIO "),
    (r"\bCWMNI CYFYNGEDIG CYHOEDDUS\b", " PLC "),
    (r"\bCWMNI BUDDIANT CYMUNEDOL\b", " CIC "),
    (r"\bPARTNERIAETH ATEBOLRWYDD CYFYNGEDIG\b", " LLP "),
    (r"\bCYFYNGEDIG\b", " LTD "),
    (r"\bP\s*\.\s*L\s*\.\s*C\b\.?", " PLC "),
    (r"[\s(]+IN (LIQUIDATION|ADMINISTRATION|RECEIVERSHIP)[\s)]*$", ""),
    (r"\s+(CYF|CCC|CBC|PAC)\.?\s*$", " LTD"),
    (r"\s+\(?CIO\)?\s*$", ""),
]
_ANY_FORM = "|".join(f"(?:{p})" for p, _ in REGISTER_FORMS)


def _register_forms(values: pa.Array) -> pa.Array:
    """Upper case, then REGISTER_FORMS, applied only to the names holding one (one test for all: most
    names hold none)."""
    s = pc.utf8_upper(values)
    has = _np(pc.match_substring_regex(s, pattern=_ANY_FORM))
    if not has.any():
        return s
    sub = s.filter(pa.array(has))
    for pattern, repl in REGISTER_FORMS:
        sub = pc.replace_substring_regex(sub, pattern=pattern, replacement=repl)
    return pc.replace_with_mask(s, pa.array(has), sub)


def register_key(names: pd.Series) -> pd.Series:
    """The matching key of payee or register names: ``normalise_name`` after the registers' own
    spellings (``REGISTER_FORMS``). <NA> for a blank name."""
    values = pa.array(names.astype("string").to_numpy(dtype=object, na_value=None), type=pa.string())
    forms = pd.Series(
        _register_forms(values).to_numpy(zero_copy_only=False), index=names.index, dtype="string"
    )
    return normalise_name(forms)


def arrow_key(names: pa.Array) -> pa.Array:
    """``register_key`` in Arrow's vectorised kernels, for ASCII names: the steps of
    ``suppliers.normalise_name``, with its own patterns, in its order (accents need Python's NFKD: names with
    other than ASCII letters go through ``register_key`` instead). Blank -> "".
    ``tests/test_registers_names.py`` checks it gives ``register_key``'s result."""
    s = pc.replace_substring_regex(_register_forms(names), pattern=r"\bT/A\b", replacement=" TA ")
    for pattern, repl in _LEGAL_FORMS:
        s = pc.replace_substring_regex(s, pattern=pattern, replacement=repl)
    s = pc.replace_substring_regex(s, pattern=r"[^A-Z0-9 ]+", replacement=" ")
    # only spaces are left: normalise_name's '\s+' -> ' ' is runs of two or more
    s = pc.utf8_trim_whitespace(pc.replace_substring_regex(s, pattern=r"  +", replacement=" "))
    s = pc.replace_substring_regex(s, pattern=_TRADING_AS.pattern, replacement="")
    s = pc.replace_substring_regex(s, pattern=r"^THE\s+|\s+THE$", replacement="")
    s = pc.replace_substring_regex(s, pattern=_DROP_SUFFIXES.pattern, replacement="")
    s = pc.replace_substring_regex(s, pattern=r"\s+AND$", replacement="")
    return pc.fill_null(pc.utf8_trim_whitespace(s), "")


#: A key's first word can be a longer word of the raw name, shortened by normalise_name or REGISTER_FORMS.
_SHORTENED = {
    "LTD": ["LIMITED", "CYFYNGEDIG"],
    "CO": ["COMPANY"],
    "PLC": ["PUBLIC", "CWMNI"],
    "LLP": ["LIMITED", "PARTNERIAETH"],
    "CIC": ["COMMUNITY", "CWMNI"],
    "CIO": ["CHARITABLE"],
    "TA": ["T"],
    "AND": [""],
}
#: Raw first tokens that never start a key: 'THE' is dropped; a name starting with '&' or 'P.L.C.' is
#: kept whatever its words (it is rare and normalise_name rewrites its first word).
_ODD_START = r"^[^A-Z0-9]*(&|P\s*\.\s*L\s*\.\s*C)"


def deletions(word: str) -> set[str]:
    """``word`` and every word one letter shorter: two words at most one edit apart share one."""
    return {word, *(word[:i] + word[i + 1 :] for i in range(len(word)))}


def _deletions_arrow(words: pa.Array, longest: int) -> list[pa.Array]:
    """``words`` and, per position, each word without its letter there (Arrow arrays, aligned)."""
    out = [words]
    for i in range(longest):
        head = pc.utf8_slice_codeunits(words, 0, i)
        tail = pc.utf8_slice_codeunits(words, i + 1)
        out.append(pc.binary_join_element_wise(head, tail, ""))
    return out


class Prefilter:
    """Which register names could match a query key (payees, register rows), decided without normalising
    every name: a cheap test on the raw name's first words; then, for the names that pass it, the key itself
    (``arrow_key``) and a score.

    A name is kept when its key equals a query's, or when its key's first word could pass the fuzzy match's
    first-word guard (``suppliers.same_first_word``) against a query's and the two keys score at least
    ``threshold`` (rapidfuzz ``ratio``); and, for the analyst's review, a name that is the best so far for a
    query at ``floor`` or more. The guard passes for equal first words, first words one edit apart (both of
    4+ letters), and first words spaced differently (one is a prefix of the other, and the other key without
    spaces starts with the longer): so a name's first word must be a prefix of a query's key without spaces
    (its first word included) or one edit from a query's first word. Names with other than ASCII letters
    are always kept (their key needs Python's NFKD)."""

    def __init__(self, keys: pd.Series, threshold: float, floor: float):
        keys = sorted({k for k in keys.dropna() if k})
        self.query = keys
        self.keys = pa.array(keys, type=pa.string())
        self.threshold, self.floor = float(threshold), float(floor)
        self.best = np.zeros(
            len(keys), dtype=np.float64
        )  # each query's best score below the threshold so far
        compatible: dict[str, set[int]] = {}  # a name's first word -> the queries it may match
        typo: dict[str, set[str]] = {}
        self.by_first: dict[str, set[int]] = {}
        for q, k in enumerate(keys):
            first, packed = k.split(" ", 1)[0], k.replace(" ", "")
            for n in range(1, len(packed) + 1):  # a prefix of the packed key: the spacing rule, both ways
                compatible.setdefault(packed[:n], set()).add(q)
            self.by_first.setdefault(first, set()).add(q)
            if len(first) >= 4:
                for d in deletions(first):
                    typo.setdefault(d, set()).add(first)
        self.compatible, self.typo = compatible, typo
        words = set(compatible)
        for short, longer in _SHORTENED.items():
            if short in words:
                words |= {w for w in longer if w}
        self.words = pa.array(sorted(words), type=pa.string())
        self.typo_set = pa.array(sorted(typo), type=pa.string())
        self.longest = max((len(k.split(" ", 1)[0]) for k in keys), default=0)
        self._memo: dict[str, np.ndarray] = {}
        self._seen: set[str] = set()  # first words already tested for a one-edit neighbour
        self._near_words: set[str] = set()  # those that have one
        self._near = pa.array([], type=pa.string())

    def candidates(self, first: str) -> tuple[np.ndarray, list[str]]:
        """The queries (indexes into ``query``, and their keys) a name whose key starts with the word
        ``first`` may match."""
        hit = self._memo.get(first)
        if hit is None:
            out = set(self.compatible.get(first, ()))
            if len(first) >= 4:
                for d in deletions(first):
                    for w in self.typo.get(d, ()):
                        out |= self.by_first[w]
            ids = np.array(sorted(out), dtype=np.int64)
            hit = self._memo[first] = (ids, [self.query[q] for q in ids])
        return hit

    def keep(self, names: pa.Array) -> np.ndarray:
        """Boolean mask over ``names`` (Arrow strings): the names to keep."""
        upper = pc.utf8_upper(names)
        words = pc.extract_regex(upper, pattern=r"^[^A-Z0-9]*(?P<a>[A-Z0-9]*)[^A-Z0-9]*(?P<b>[A-Z0-9]*)")
        a, b = pc.struct_field(words, "a"), pc.struct_field(words, "b")
        after_the = pc.if_else(pc.equal(a, "THE"), b, "")
        odd = pc.match_substring_regex(upper, pattern=_ODD_START)
        keep = _np(pc.invert(pc.fill_null(pc.string_is_ascii(names), True))) | _np(odd)
        maybe = _np(pc.is_in(a, value_set=self.words)) | _np(pc.is_in(after_the, value_set=self.words))
        maybe |= _np(pc.is_in(pc.binary_join_element_wise(a, b, ""), value_set=self.words))  # 'T/A' -> 'TA'
        if len(self.typo_set):
            maybe |= self._typo(a) | self._typo(after_the)
        maybe &= ~keep
        idx = np.flatnonzero(maybe)
        if len(idx):
            keys = arrow_key(names.take(pa.array(idx)))
            exact = _np(pc.is_in(keys, value_set=self.keys))
            keep[idx[exact]] = True
            rest = np.flatnonzero(~exact)
            if len(rest):
                keep[idx[rest[self._close(keys.take(pa.array(rest)))]]] = True
        return keep

    def _close(self, keys: pa.Array) -> np.ndarray:
        """Whether each key scores at least ``threshold`` against a query its first word is compatible with,
        or is the best yet for one at ``floor`` or more."""
        from rapidfuzz import fuzz, process

        out = np.zeros(len(keys), dtype=bool)
        first = pc.struct_field(pc.extract_regex(keys, pattern=r"^(?P<w>[^ ]*)"), "w")
        codes = pc.dictionary_encode(first)
        groups = codes.dictionary.to_pylist()
        order = np.argsort(codes.indices.to_numpy(zero_copy_only=False), kind="stable")
        bounds = np.searchsorted(
            codes.indices.to_numpy(zero_copy_only=False)[order], np.arange(len(groups) + 1)
        )
        values = np.asarray(keys.to_numpy(zero_copy_only=False), dtype=object)
        for g, word in enumerate(groups):
            if not word:
                continue
            queries, strings = self.candidates(word)
            if not len(queries):
                continue
            at = order[bounds[g] : bounds[g + 1]]
            scores = process.cdist(strings, values[at], scorer=fuzz.ratio, score_cutoff=self.floor, workers=1)
            out[at[(scores >= self.threshold).any(axis=0)]] = True
            j = scores.argmax(axis=1)
            s = scores[np.arange(len(queries)), j]
            better = (s >= self.floor) & (s < self.threshold) & (s > self.best[queries])
            if better.any():
                out[at[j[better]]] = True
                self.best[queries[better]] = s[better]
        return out

    def _typo(self, first: pa.Array) -> np.ndarray:
        """Whether each word (4+ letters) shares a one-letter deletion with a query's first word. Each
        distinct word is tested once per scan (``_seen``): common first words recur in every block."""
        uniq = pc.unique(first)
        length = pc.utf8_length(uniq)
        uniq = uniq.filter(pc.and_(pc.greater_equal(length, 4), pc.less_equal(length, self.longest + 1)))
        uniq = uniq.filter(pc.invert(pc.is_in(uniq, value_set=self.words)))  # those pass already
        new = [w for w in uniq.to_pylist() if w not in self._seen]
        if new:
            arr = pa.array(new, type=pa.string())
            hit = np.zeros(len(new), dtype=bool)
            for variant in _deletions_arrow(arr, max(map(len, new))):
                hit |= _np(pc.is_in(variant, value_set=self.typo_set))
            self._seen.update(new)
            if hit.any():
                self._near_words.update(w for w, h in zip(new, hit) if h)
                self._near = pa.array(sorted(self._near_words), type=pa.string())
        if not len(self._near):
            return np.zeros(len(first), dtype=bool)
        return _np(pc.is_in(first, value_set=self._near))


def _np(mask) -> np.ndarray:
    return np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)
