"""Turning a user's search text into safe index queries, and typo-tolerant scoring.

User text never reaches FTS5's query parser as typed: quotes, `AND`/`OR`/`NOT`/`NEAR`,
`*`, `^`, `-`, `:` and parentheses would be syntax (or syntax errors). The text is folded
(case, accents) and split into word tokens, and the expression is built from quoted
tokens only: `"star"* AND "wa"*`, so every word must appear, each as a prefix.

When the words find too few titles (a typo: "interstelar"), candidates come from the
trigram index (the rarest of the query's trigrams, so a common one like "the" does not
pull in half the library) and are ranked by how many of the query's trigrams each
title contains, then by overall similarity.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from arrhub.store.library import fold

MAX_TOKENS = 12
MAX_TOKEN_LENGTH = 64
#: Fewer word matches than this and the fuzzy candidates are added.
FUZZY_BELOW = 5
FUZZY_CANDIDATES = 200
#: Share of the query's trigrams a title must contain to count as a fuzzy match.
FUZZY_MIN = 0.5
#: Below this trigram score a candidate is not compared word by word.
PRESELECT = 0.2
_WORD = re.compile(r"[^\W_]+")


def tokens(text: str) -> list[str]:
    """Folded word tokens: letters and digits only, no operators, no quotes."""
    found = _WORD.findall(fold(text))
    return [t[:MAX_TOKEN_LENGTH] for t in found[:MAX_TOKENS]]


def match_expression(words: list[str]) -> str | None:
    """Every token as a quoted prefix, AND-ed; None when there is nothing to search."""
    if not words:
        return None
    return " AND ".join(f'"{word}"*' for word in words)


def trigrams(text: str) -> set[str]:
    """The word-padded trigrams of folded text (" in", "int", ..., "ar ")."""
    grams: set[str] = set()
    for word in tokens(text):
        padded = f" {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def index_trigrams(words: list[str]) -> set[str]:
    """The query's trigrams as the trigram index stores them (no padding, inside words)."""
    grams: set[str] = set()
    for word in words:
        grams.update(word[i : i + 3] for i in range(len(word) - 2))
    return grams


def similarity(query_grams: set[str], title: str) -> float:
    """0..1: mostly the share of the query's trigrams in the title (partial titles match),
    a little of the Dice coefficient (shorter, closer titles first)."""
    if not query_grams:
        return 0.0
    title_grams = trigrams(title)
    if not title_grams:
        return 0.0
    common = len(query_grams & title_grams)
    containment = common / len(query_grams)
    dice = 2 * common / (len(query_grams) + len(title_grams))
    return 0.8 * containment + 0.2 * dice


def word_similarity(words: list[str], title: str) -> float:
    """0..1: each query word against its closest title word (edit-based, so a swapped
    pair of letters, which breaks two trigrams, still scores high), averaged."""
    title_words = tokens(title)
    if not words or not title_words:
        return 0.0
    total = 0.0
    for word in words:
        best = 0.0
        for candidate in title_words:
            matcher = SequenceMatcher(None, word, candidate)
            if matcher.real_quick_ratio() > best and matcher.quick_ratio() > best:
                best = max(best, matcher.ratio())
        total += best
    return total / len(words)


def fuzzy_score(words: list[str], query_grams: set[str], title: str) -> float:
    gram_score = similarity(query_grams, title)
    if gram_score < PRESELECT:
        return gram_score
    return max(gram_score, 0.9 * word_similarity(words, title))
