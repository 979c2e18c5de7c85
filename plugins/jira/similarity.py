"""Is this feedback the same request as an open issue? TF-IDF cosine similarity, computed here, no model to download.

Each text (an issue's summary and description, a case's subject and
description) becomes a bag of terms: its words, lower-cased, without common
words, cut to a stem by a small English and German suffix stripper ("exports",
"exported", "exporting" → "export"); the pairs of neighbouring words ("export
invoic"); and, at half weight, the four-letter pieces of each word
("<exp", "expo", "xpor", "port", "ort>"), so a typo or another inflection still
shares most of a word. A term's weight is how often it occurs in the text
(counted, not dampened: what a customer repeats — in the subject and again in
the text — is what they ask for) times how rare it is among the texts seen
(inverse document frequency, log(n / df)), so "export" counts for more than
"option" and "please" for nothing. Two texts are as similar as the cosine of
their weight vectors: 1.0 for the same terms, 0.0 for none shared. Feedback
whose best match reaches ``similarity_threshold`` joins that issue.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable

__all__ = ["Index", "stem", "terms"]

_WORD = re.compile(r"[^\W\d_]{2,}|\d+", re.UNICODE)
_STOP = frozenset(
    """a an and are as at be but by can could do does for from had has have how i if in into is it its me my no not
    of on or our please so than that the their them then there these they this to too us was we were what when
    which who why will with would you your hi hello thanks thank regards dear team would like want wish
    der die das und ist nicht ein eine ich wir sie es zu mit auf für bitte danke hallo""".split()
)
# Inflections, English and German, longest first; a word keeps at least three letters.
_SUFFIXES = ("ungen", "ation", "ings", "ing", "ung", "ies", "ied", "ed", "es", "en", "s", "e")
_NGRAM = 4
_NGRAM_WEIGHT = 0.5  # a shared piece of a word counts for less than a shared word


def stem(word: str) -> str:
    """``word`` without its inflection: at most two suffixes off, and a final "e"."""
    for _ in range(2):
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                if suffix == "s" and word[-2] in "su":  # "access", "status": not plurals
                    continue
                word = word[: -len(suffix)] + ("y" if suffix in ("ies", "ied") else "")
                break
        else:
            break
    return word


def terms(text: str) -> Counter[str]:
    """The text's words (stemmed), word pairs ("a b") and word pieces ("#abcd"), with their counts."""
    words = [stem(w) for w in (m.group(0).lower() for m in _WORD.finditer(text)) if w not in _STOP]
    bag: Counter[str] = Counter(words)
    bag.update(f"{a} {b}" for a, b in zip(words, words[1:]))
    for word in words:
        padded = f"<{word}>"
        bag.update("#" + padded[i : i + _NGRAM] for i in range(max(1, len(padded) - _NGRAM + 1)))
    return bag


class Index:
    """The open issues' texts, ready to be compared with new feedback.

    ``background``: texts that count for how common a term is without being
    matched themselves (the feedback about to be compared); adding one of them
    later does not count it twice.
    """

    def __init__(self, documents: Iterable[tuple[str, str]], background: Iterable[str] = ()) -> None:
        self._bags: dict[str, Counter[str]] = {}
        self._postings: defaultdict[str, list[str]] = defaultdict(list)
        self._df: Counter[str] = Counter()
        self._texts = 0
        self._pending: Counter[str] = Counter()  # background texts not added yet
        self._norms: dict[str, float] = {}  # valid until the document frequencies change
        for text in background:
            self._count(terms(text))
            self._pending[text] += 1
        for key, text in documents:
            self.add(key, text)

    def _count(self, bag: Counter[str]) -> None:
        self._df.update(bag.keys())
        self._texts += 1
        self._norms.clear()

    def add(self, key: str, text: str) -> None:
        bag = terms(text)
        if key in self._bags:  # a new text for a document: it replaces the old one
            for term in self._bags[key]:
                self._postings[term].remove(key)
        self._bags[key] = bag
        for term in bag:
            self._postings[term].append(key)
        if self._pending[text]:
            self._pending[text] -= 1
        else:
            self._count(bag)

    def _idf(self, term: str) -> float:
        n = self._texts + 1  # the text compared counts as one
        return math.log((n + 1) / (self._df.get(term, 0) + 1))

    def _weight(self, term: str) -> float:
        """A term's weight per occurrence."""
        return self._idf(term) * (_NGRAM_WEIGHT if term[0] == "#" else 1.0)

    def _norm(self, key: str) -> float:
        norm = self._norms.get(key)
        if norm is None:
            norm = self._norms[key] = math.sqrt(sum((c * self._weight(t)) ** 2 for t, c in self._bags[key].items()))
        return norm

    def best(self, text: str) -> tuple[str, float] | None:
        """The most similar document and its cosine similarity, or ``None`` if none shares a term."""
        dots: defaultdict[str, float] = defaultdict(float)
        q_norm = 0.0
        for term, count in terms(text).items():
            unit = self._weight(term)
            q_norm += (count * unit) ** 2
            for key in self._postings.get(term, ()):
                dots[key] += count * self._bags[key][term] * unit * unit
        best: tuple[str, float] | None = None
        for key, dot in dots.items():
            if dot <= 0:
                continue
            score = dot / ((math.sqrt(q_norm) * self._norm(key)) or 1.0)
            if best is None or score > best[1]:
                best = (key, score)
        return best
