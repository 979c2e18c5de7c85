"""Is this feedback the same request as an open issue? TF-IDF cosine similarity, computed here, no model to download.

Each text (an issue's summary and description, a case's subject and
description) becomes a bag of lower-cased words and word pairs, without
common words; each term is weighted by how rare it is among the texts
compared (inverse document frequency), so "export" counts for more than
"please". Two texts are as similar as the cosine of their weight vectors:
1.0 for the same words, 0.0 for none shared. Feedback whose best match
reaches ``similarity_threshold`` joins that issue.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

__all__ = ["Index", "terms"]

_WORD = re.compile(r"[^\W\d_]{2,}|\d+", re.UNICODE)
_STOP = frozenset(
    """a an and are as at be but by can could do does for from had has have how i if in into is it its me my no not
    of on or our please so than that the their them then there these they this to too us was we were what when
    which who why will with would you your hi hello thanks thank regards dear team would like want wish
    der die das und ist nicht ein eine ich wir sie es zu mit auf für bitte danke hallo""".split()
)


def terms(text: str) -> Counter[str]:
    words = [w for w in (m.group(0).lower() for m in _WORD.finditer(text)) if w not in _STOP]
    bag: Counter[str] = Counter(words)
    bag.update(f"{a} {b}" for a, b in zip(words, words[1:]))
    return bag


class Index:
    """The open issues' texts, ready to be compared with new feedback."""

    def __init__(self, documents: Iterable[tuple[str, str]]) -> None:
        self._bags: dict[str, Counter[str]] = {key: terms(text) for key, text in documents}
        self._df: Counter[str] = Counter()
        for bag in self._bags.values():
            self._df.update(bag.keys())

    def add(self, key: str, text: str) -> None:
        bag = terms(text)
        self._bags[key] = bag
        self._df.update(bag.keys())

    def _weights(self, bag: Counter[str]) -> dict[str, float]:
        n = len(self._bags) + 1
        return {t: (1 + math.log(c)) * (math.log((n + 1) / (self._df.get(t, 0) + 1)) + 1) for t, c in bag.items()}

    def best(self, text: str) -> tuple[str, float] | None:
        """The most similar document and its cosine similarity, or ``None`` if the index is empty."""
        query = self._weights(terms(text))
        q_norm = math.sqrt(sum(w * w for w in query.values())) or 1.0
        best: tuple[str, float] | None = None
        for key, bag in self._bags.items():
            weights = self._weights(bag)
            dot = sum(w * weights.get(t, 0.0) for t, w in query.items())
            if dot == 0:
                continue
            score = dot / (q_norm * (math.sqrt(sum(w * w for w in weights.values())) or 1.0))
            if best is None or score > best[1]:
                best = (key, score)
        return best
