"""What chat text adds that no one says aloud: emoji, and marks repeated for emphasis."""

import re

_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\u2600-\u27bf\u2300-\u23ff\u2b00-\u2bff\ufe0f\U000e0020-\U000e007f]"
)
"""Pictographs, dingbats and their modifiers (variation selector, tag characters). Not the
zero-width joiner: Bangla's র‍্য needs it (it joins emoji sequences, and is silent there)."""
_REPEATED_MARK = re.compile(r"([!?।])\1+")


def clean_chat(text: str) -> str:
    """Emoji dropped, and a run of the same mark said once: "Really??? 😊" → "Really?"."""
    return _REPEATED_MARK.sub(r"\1", _EMOJI.sub(" ", text))
