"""The passage of a body most like a quote that was not found: the hint in the error message.

Comparing the quote with every window of the body costs time in proportion to the body times
the quote (minutes for an unmatched quote in a 35,000-word article). Instead the body's words are
indexed once, each word of the quote (or, when misspelt, the body words sharing most of its
letter trigrams) votes for the places where the quote would start if that word were in its
place, rare words voting more, and only the windows around the best-voted places are compared
character by character (difflib, as before). A quote with a typo or two still finds its passage,
since all its other words vote for it.
"""

from __future__ import annotations

import difflib
import math
import re
from collections import defaultdict
from collections.abc import Sequence

_WORD = re.compile(r"\S+")
_PUNCTUATION = "\"'()[]{}<>.,;:!?«»‹›-*_`"
# Below this much work (windows times quote length) every window is compared, as the hint always
# was: exact, and quick for an article of ordinary length. Above it, the index narrows the search.
FULL_SCAN_BUDGET = 200_000
# Alignments (places where the quote may start) compared character by character, best-voted
# first; each is nine windows (one word earlier or later, one word shorter or longer).
CANDIDATES = 6
# Body words a quote word may stand for when it is not a body word itself (a typo).
FUZZY_WORDS = 6
# Occurrences of one word that are looked at: a word that frequent says little about where.
MAX_POSITIONS = 2000
# Longer quotes are compared word by word: difflib's character comparison grows with the square.
MAX_CHAR_COMPARE = 1000


def _key(word: str) -> str:
    return word.strip(_PUNCTUATION).casefold() or word.casefold()


def _trigrams(key: str) -> set[str]:
    padded = f"  {key} "
    return {padded[i:i + 3] for i in range(len(padded) - 2)}


class PassageIndex:
    """Every word of the body's blocks, indexed for `closest`."""

    def __init__(self, texts: Sequence[str]):
        self.texts = texts
        self.spans: list[list[tuple[int, int]]] = []  # per block: (start, end) of each word
        self.positions: dict[str, list[tuple[int, int]]] = defaultdict(list)  # key -> (block, word)
        keys: dict[str, str] = {}
        for block, text in enumerate(texts):
            spans = [match.span() for match in _WORD.finditer(text)]
            self.spans.append(spans)
            for index, (start, end) in enumerate(spans):
                word = text[start:end]
                key = keys.get(word)
                if key is None:
                    key = keys[word] = _key(word)
                self.positions[key].append((block, index))
        self.total = sum(len(spans) for spans in self.spans)
        self._by_trigram: dict[str, list[str]] | None = None

    def closest(self, quote: str) -> tuple[int, int, int] | None:
        """(block, start, end) of the window most like `quote`, or None if nothing is alike."""
        size = max(1, len(quote.split()))
        if 3 * self.total * len(quote) <= FULL_SCAN_BUDGET:
            return self._scan_all(quote, size)
        return self._search(quote)

    def _scan_all(self, quote: str, size: int) -> tuple[int, int, int] | None:
        """Every window of size-1, size and size+1 words: the best by difflib's ratio, first on ties."""
        best: tuple[int, int, int] | None = None
        best_score = 0.0
        matcher = difflib.SequenceMatcher(autojunk=False)
        matcher.set_seq2(quote)
        for number, text in enumerate(self.texts):
            words = self.spans[number]
            for width in (size - 1, size, size + 1):
                if width < 1:
                    continue
                for i in range(max(1, len(words) - width + 1)):
                    window = words[i:i + width]
                    if not window:
                        continue
                    start, end = window[0][0], window[-1][1]
                    matcher.set_seq1(text[start:end])
                    if matcher.real_quick_ratio() <= best_score or matcher.quick_ratio() <= best_score:
                        continue
                    score = matcher.ratio()
                    if score > best_score:
                        best, best_score = (number, start, end), score
        return best

    def _similar(self, key: str) -> list[tuple[str, float]]:
        """Body words sharing most letter trigrams with `key`, with their Dice similarity."""
        if self._by_trigram is None:
            self._by_trigram = defaultdict(list)
            for word in self.positions:
                for gram in _trigrams(word):
                    self._by_trigram[gram].append(word)
        grams = _trigrams(key)
        shared: dict[str, int] = defaultdict(int)
        for gram in grams:
            for word in self._by_trigram.get(gram, ()):
                shared[word] += 1
        scored = [(2 * count / (len(grams) + len(_trigrams(word))), word) for word, count in shared.items()]
        scored.sort(key=lambda item: (-item[0], item[1]))
        return [(word, score) for score, word in scored[:FUZZY_WORDS] if score >= 0.3]

    def _search(self, quote: str) -> tuple[int, int, int] | None:
        words = [_key(word) for word in quote.split()]
        if not words or not self.total:
            return None
        votes: dict[tuple[int, int], float] = defaultdict(float)
        for offset, key in enumerate(words):
            stands_for = [(key, 1.0)] if key in self.positions else self._similar(key)
            for word, similarity in stands_for:
                places = self.positions[word]
                weight = similarity * math.log(1 + self.total / len(places))
                for block, index in places[:MAX_POSITIONS]:
                    votes[(block, max(0, index - offset))] += weight
        places = sorted(votes, key=lambda place: (-votes[place], place))[:CANDIDATES]
        return self._best_window(quote, len(words), places)

    def _best_window(self, quote: str, size: int, places: list[tuple[int, int]]) -> tuple[int, int, int] | None:
        """The best of the windows near `places` (best-voted first, so that most are dismissed by
        difflib's quick upper bounds); ties go to the earliest, as in the full scan."""
        widths = [w for w in (size - 1, size, size + 1) if w >= 1]
        windows: dict[tuple[int, int, int], None] = {}
        for block, start in places:
            count = len(self.spans[block])
            for order, width in enumerate(widths):
                for first in (start, start - 1, start + 1):
                    windows[(block, order, min(max(0, first), max(0, count - width)))] = None
        by_words = len(quote) > MAX_CHAR_COMPARE
        matcher = difflib.SequenceMatcher(autojunk=False)
        matcher.set_seq2(quote.split() if by_words else quote)
        best: tuple[tuple[float, tuple[int, int, int]], tuple[int, int, int]] | None = None
        for window in windows:
            block, order, first = window
            spans = self.spans[block][first:first + widths[order]]
            if not spans:
                continue
            start, end = spans[0][0], spans[-1][1]
            text = self.texts[block][start:end]
            matcher.set_seq1(text.split() if by_words else text)
            floor = best[0][0] if best else 0.0
            if matcher.real_quick_ratio() < floor or matcher.quick_ratio() < floor:
                continue
            rank = (matcher.ratio(), (-block, -order, -first))
            if rank[0] > 0 and (best is None or rank > best[0]):
                best = (rank, (block, start, end))
        return best[1] if best else None
