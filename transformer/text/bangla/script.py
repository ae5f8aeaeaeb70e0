"""Bangla script repair and chat clean-up: what comes before any number is read."""

import re
import threading
import unicodedata
from functools import lru_cache

from bnunicodenormalizer import Normalizer

from transformer.text.bangla.numbers import compose_nukta

# Letters and signs only: digits (U+09E6-09EF) and currency and number signs (U+09F2-09FB) are
# left to the number rules, which the word repair would otherwise drop.
_BANGLA_WORD = r"[\u0980-\u09E5\u09F0\u09F1\u09FC-\u09FF]+"
_MAX_REPAIRED_WORD = 64
"""Longer "words" are left as they are: the repair takes time quadratic in a word's length, and no
Bangla word comes near this."""
# র‍্য (র, ZWJ, hasanta, য: RAB's র‍্যাব) is how Bangla writes ra-phala after র; elsewhere the
# joiners only steer rendering.
_JOINER = re.compile("\u200c|(?<!র)\u200d|\u200d(?!\u09cd)")
_RA_ZWJ = "র\u200d\u09cd"

_local = threading.local()
"""bnunicodenormalizer's Normalizer keeps the word it is repairing on itself: one per thread
(normalization runs in worker threads, several requests at once)."""


def _normalizer() -> Normalizer:
    if not hasattr(_local, "normalizer"):
        _local.normalizer = Normalizer()
    return _local.normalizer


def repair_unicode(text: str) -> str:
    """NFC, Bangla's own full stop for the look-alike `৷`, nukta letters composed, broken
    hasanta and vowel-sign sequences repaired word by word."""
    text = unicodedata.normalize("NFC", text).replace("৷", "।")
    text = _JOINER.sub("", text)
    words = text.split(_RA_ZWJ)
    return _RA_ZWJ.join(re.sub(_BANGLA_WORD, _repair_word, compose_nukta(w)) for w in words)


def _repair_word(match: re.Match[str]) -> str:
    word = match.group(0)
    return word if len(word) > _MAX_REPAIRED_WORD else _repair(word)


# Words repeat, and the repair costs tens of microseconds a call.
@lru_cache(maxsize=4096)
def _repair(word: str) -> str:
    repaired = _normalizer()(word)["normalized"]
    return repaired if repaired else word
