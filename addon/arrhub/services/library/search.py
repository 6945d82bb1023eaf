"""Turning a user's search text into safe index queries, and correcting typos.

User text never reaches FTS5's query parser as typed: quotes, `AND`/`OR`/`NOT`/`NEAR`,
`*`, `^`, `-`, `:` and parentheses would be syntax (or syntax errors). The text is folded
(case, accents) and split into word tokens, and the expression is built from quoted
tokens only: `"star"* AND "wa"*`, so every word must appear, each as a prefix.

Typos are corrected against the library's own vocabulary (every word of the word index),
as a spelling corrector would: a word that is neither in the vocabulary nor the prefix of
one gets its closest vocabulary words (shared letter trigrams to find candidates, edit
similarity to pick them) as alternatives: `("interstelar"* OR "interstellar")`. The
query then runs on the same word index, ranked as usual; the index stays small (no
per-title trigram index to write during a refresh).
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from difflib import SequenceMatcher

from arrhub.store.library import fold

MAX_TOKENS = 12
MAX_TOKEN_LENGTH = 64
#: Fewer word matches than this and typo corrections are tried.
FUZZY_BELOW = 5
#: Alternatives per misspelt word, and the least similarity (0..1) one must have.
CORRECTIONS = 3
MIN_SIMILARITY = 0.75
#: Vocabulary words compared letter by letter per misspelt word (the most trigrams shared).
SHORTLIST = 40
#: Words shorter than this are not corrected (too many near neighbours to be useful).
MIN_CORRECTED_LENGTH = 4
_WORD = re.compile(r"[^\W_]+")


def tokens(text: str) -> list[str]:
    """Folded word tokens: letters and digits only, no operators, no quotes."""
    found = _WORD.findall(fold(text))
    return [t[:MAX_TOKEN_LENGTH] for t in found[:MAX_TOKENS]]


def _quoted(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def match_expression(words: list[str]) -> str | None:
    """Every token as a quoted prefix, AND-ed; None when there is nothing to search."""
    if not words:
        return None
    return " AND ".join(f"{_quoted(word)}*" for word in words)


def corrected_expression(words: list[str], alternatives: dict[str, list[str]]) -> str | None:
    """Like `match_expression`, each word OR-ed with its corrections."""
    if not words:
        return None
    groups = []
    for word in words:
        options = [f"{_quoted(word)}*", *(_quoted(a) for a in alternatives.get(word, []))]
        groups.append(options[0] if len(options) == 1 else f"({' OR '.join(options)})")
    return " AND ".join(groups)


#: Words up to this long are compared by letter pairs: a swap in "wras" leaves it no
#: trigram in common with "wars", but pairs (" w", "s ") still.
SHORT_WORD = 5


def _grams(word: str, size: int) -> set[str]:
    padded = f" {word} "
    return {padded[i : i + size] for i in range(len(padded) - size + 1)}


def _size(word: str) -> int:
    return 2 if len(word) <= SHORT_WORD else 3


class Vocabulary:
    """The library's words, searchable by shared trigrams; rebuilt as the library changes."""

    def __init__(self, words: list[str]) -> None:
        self.words = sorted(set(words))
        self._postings: dict[str, list[int]] = {}
        for index, word in enumerate(self.words):
            for size in {2, 3} if len(word) <= SHORT_WORD + 1 else {3}:
                for gram in _grams(word, size):
                    self._postings.setdefault(gram, []).append(index)

    def knows(self, word: str) -> bool:
        """The word, or a word it begins (still being typed), is in the library."""
        at = bisect.bisect_left(self.words, word)
        return at < len(self.words) and self.words[at].startswith(word)

    def corrections(self, word: str) -> list[str]:
        """The closest vocabulary words to a misspelt one, best first."""
        if len(word) < MIN_CORRECTED_LENGTH:
            return []
        grams = _grams(word, _size(word))
        shared: Counter[int] = Counter()
        for gram in grams:
            shared.update(self._postings.get(gram, ()))
        need = max(1, len(grams) // 3)
        shortlist = [i for i, n in shared.most_common(SHORTLIST) if n >= need]
        scored = []
        for index in shortlist:
            candidate = self.words[index]
            if abs(len(candidate) - len(word)) > 3:
                continue
            ratio = SequenceMatcher(None, word, candidate).ratio()
            if ratio >= MIN_SIMILARITY:
                scored.append((-ratio, candidate))
        return [candidate for _, candidate in sorted(scored)[:CORRECTIONS]]

    def alternatives(self, words: list[str]) -> dict[str, list[str]]:
        """Corrections for each word the library does not know."""
        found = {}
        for word in words:
            if not self.knows(word):
                options = self.corrections(word)
                if options:
                    found[word] = options
        return found
