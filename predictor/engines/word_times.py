"""When each word of a text is heard, from the time a VITS (Coqui's or Piper's) spends on each
symbol it says.

A model says symbols (characters or phonemes), not the text's words, and its front end may change
the words: espeak joins short ones ("in the" is one word, "ɪnðə"), expands one into several
("1990"), drops one with nothing to say (a dash). The words the model said are aligned with the
text's words in order, by their lengths and by how each begins, allowing for such joins, splits
and drops: text words said as one share its time by their lengths, a word said as several spans
them, and a word not said at all gets no time (it starts and ends where the word before it ends).
"""

import math
import unicodedata
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate

from predictor.engines.base import WordTimes

JOIN_COST = 0.5
"""What each word beyond the first of a join or a split costs, against a mismatch in length (the
log of the ratio of two lengths)."""
ONSET_COST = 0.6
"""What pairing words that cannot begin alike costs ("for" with a word said "dɑlɚz")."""
DROP_COST = 0.3
"""What leaving a word unmatched costs, plus DROP_COST_PER_LETTER for each of its letters."""
DROP_COST_PER_LETTER = 0.5
DIGIT_LETTERS = 3
"""What one digit counts as, in letters: "1990" is said "nineteen ninety"."""
BAND = 12
"""How many words the alignment may stray from where the words' lengths alone put it."""
_MOVES = ((1, 1), (2, 1), (3, 1), (1, 2), (1, 3), (1, 0), (0, 1))
"""(text words, said words) one step of the alignment consumes: a join or a split is of three
words at most."""

_VOWEL_LETTERS = frozenset("aeiouyh")
_SPELLINGS = {
    **{vowel: _VOWEL_LETTERS for vowel in "aeiouyæɑɐɒʌəɚɛɜɝɪɨʊɔøœɵɤʏ"},
    "j": frozenset("jyue"),
    "w": frozenset("wou"),
    "k": frozenset("kcqx"),
    "ɡ": frozenset("g"),
    "f": frozenset("fp"),
    "v": frozenset("vw"),
    "θ": frozenset("t"),
    "ð": frozenset("t"),
    "s": frozenset("scpx"),
    "z": frozenset("zxs"),
    "ʃ": frozenset("scx"),
    "ʒ": frozenset("gjz"),
    "h": frozenset("hw"),
    "n": frozenset("nkgp"),
    "ŋ": frozenset("n"),
    "ɹ": frozenset("rw"),
    "r": frozenset("rw"),
    "ɾ": frozenset("rtd"),
    "t": frozenset("tc"),
    "d": frozenset("dgj"),
}
"""Latin letters a word whose first phoneme is this may begin with (in English spelling above
all); a symbol not here spells itself, as a character model's symbols do."""


@dataclass(frozen=True)
class TimedSymbol:
    """One symbol a model said, and when: seconds on its audio's timeline."""

    text: str | None
    """A character or phoneme; whitespace where one word ends and the next begins; None for what
    is neither (a blank, a pad, the start or end of a sentence)."""
    start: float
    """When it begins."""
    end: float
    """When it ends."""


@dataclass(frozen=True)
class SaidWord:
    """A word as the model said it: its sounding symbols between two word breaks."""

    text: str
    """Its letters (or phonemes), without punctuation."""
    start: float
    """When its first sounding symbol begins."""
    end: float
    """When its last sounding symbol ends: the pause of a punctuation mark after it is not
    part of it."""


def word_times(text: str, symbols: Sequence[TimedSymbol]) -> WordTimes:
    """(start, end) of each whitespace-separated word of `text`, in order, from the symbols the
    model said for the whole of it."""
    words = text.split()
    said = said_words(symbols)
    times: list[tuple[float, float] | None] = [None] * len(words)
    for first, last, first_said, last_said in align(words, [word.text for word in said]):
        if first == last or first_said == last_said:
            continue
        start, end = said[first_said].start, said[last_said - 1].end
        # Words said as one share its time by their lengths.
        shares = [0, *accumulate(max(letters(word), 1) for word in words[first:last])]
        for offset in range(last - first):
            times[first + offset] = (
                start + (end - start) * shares[offset] / shares[-1],
                start + (end - start) * shares[offset + 1] / shares[-1],
            )
    return _place_unsaid(times)


def said_words(symbols: Sequence[TimedSymbol]) -> list[SaidWord]:
    """The words the model said: runs of symbols between whitespace symbols that have a letter
    or a digit, each from its first such symbol to its last."""
    words = []
    sounds: list[str] = []
    start, end = 0.0, 0.0
    for symbol in (*symbols, TimedSymbol(" ", 0.0, 0.0)):
        if symbol.text is None:
            continue
        if symbol.text.isspace():
            if sounds:
                words.append(SaidWord("".join(sounds), start, end))
            sounds = []
        elif any(unicodedata.category(c)[0] in "LN" for c in symbol.text):
            start = start if sounds else symbol.start
            end = symbol.end
            sounds.append(symbol.text)
    return words


def letters(word: str) -> int:
    """How long `word` is said: its letters, and DIGIT_LETTERS for each digit (a digit is a
    word when said); marks of stress or length (ˈ, ː) are not letters."""
    count = 0
    for c in word:
        category = unicodedata.category(c)
        if category == "Nd":
            count += DIGIT_LETTERS
        elif category[0] in "LN" and category != "Lm":
            count += 1
    return count


def _onset(word: str) -> str | None:
    """The first letter of `word`, lower-case and without accents; None if it has none."""
    for c in unicodedata.normalize("NFD", word.lower()):
        category = unicodedata.category(c)
        if category[0] == "L" and category != "Lm":
            return c
        if category[0] == "N":
            return None
    return None


def _may_begin_alike(word: str, said: str) -> bool:
    """Whether a text word may be said beginning with `said`'s first sound: always, where
    either has no letter to go by or the word is not in a Latin script."""
    letter, sound = _onset(word), _onset(said)
    if letter is None or sound is None or not letter.isascii():
        return True
    return letter in _SPELLINGS.get(sound, frozenset(sound))


def align(words: Sequence[str], said: Sequence[str]) -> list[tuple[int, int, int, int]]:
    """Pair runs of text words with runs of said words, in order: (first, last, first said,
    last said), half-open, covering both. One side of a pair is one word, the other one to three
    words, or none (a word matched with nothing)."""
    n, m = len(words), len(said)
    text_sums = [0, *accumulate(letters(word) for word in words)]
    said_sums = [0, *accumulate(max(letters(word), 1) for word in said)]
    ratio = said_sums[-1] / max(text_sums[-1], 1)

    def centre(i: int) -> int:
        """The said word at the same share of all the letters as text word i."""
        if not text_sums[-1]:
            return round(i * m / n)
        return bisect_left(said_sums, text_sums[i] / text_sums[-1] * said_sums[-1])

    # A band around the centre, each row reaching into the next: the end is always reachable.
    low = [max(0, centre(i) - BAND) for i in range(n + 1)]
    high = [min(m, centre(i) + BAND) for i in range(n + 1)]
    high[n] = m
    for i in range(n):
        high[i] = max(high[i], low[i + 1])

    def cost(i: int, j: int, text_words: int, said_words: int) -> float:
        """What pairing words i - text_words to i with said words j - said_words to j costs."""
        text_letters = text_sums[i] - text_sums[i - text_words]
        said_letters = said_sums[j] - said_sums[j - said_words]
        if not said_words:
            return DROP_COST + DROP_COST_PER_LETTER * ratio * text_letters
        if not text_words:
            return DROP_COST + DROP_COST_PER_LETTER * said_letters
        mismatch = abs(math.log((ratio * text_letters + 1) / (said_letters + 1)))
        onset = 0.0 if _may_begin_alike(words[i - text_words], said[j - said_words]) else 1.0
        return mismatch + JOIN_COST * (text_words + said_words - 2) + ONSET_COST * onset

    best: dict[tuple[int, int], tuple[float, tuple[int, int]]] = {(0, 0): (0.0, (0, 0))}
    for i in range(n + 1):
        for j in range(low[i], high[i] + 1):
            if i or j:
                best[i, j] = min(
                    (best[i - dt, j - ds][0] + cost(i, j, dt, ds), (dt, ds))
                    for dt, ds in _MOVES
                    if (i - dt, j - ds) in best
                )
    pairs = []
    i, j = n, m
    while i or j:
        dt, ds = best[i, j][1]
        pairs.append((i - dt, i, j - ds, j))
        i, j = i - dt, j - ds
    return pairs[::-1]


def _place_unsaid(times: list[tuple[float, float] | None]) -> WordTimes:
    """Each word's time; a word not said has none, where the word before it ends (or, first,
    where the word after it starts)."""
    placed: list[tuple[float, float]] = []
    following = next((time[0] for time in times if time is not None), 0.0)
    for time in times:
        if time is None:
            at = placed[-1][1] if placed else following
            time = (at, at)
        placed.append(time)
    return tuple(placed)
