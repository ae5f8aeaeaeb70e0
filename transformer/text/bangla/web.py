"""Web and e-mail addresses in Bangla text, read as Bangla readers say them: the names in Latin
letters as written, the signs between them in Bangla (info@bb.org.bd info অ্যাট bb ডট org ডট bd;
no one reads the scheme aloud)."""

import re

SIGNS = {".": " ডট ", "/": " স্ল্যাশ ", "@": " অ্যাট ", "_": " আন্ডারস্কোর ", "-": " ড্যাশ "}
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
"""A name between dots: no hyphen at its ends (bd-এ is bd and a case ending)."""
_EMAIL = re.compile(rf"(?<![\w.+-])[A-Za-z0-9._%+-]+@{_LABEL}(?:\.{_LABEL})+")
_URL = re.compile(
    rf"(?<![\w@.])(?:https?://)?(?:www\.)?{_LABEL}(?:\.{_LABEL})*"
    r"\.(?:com|org|net|gov|edu|info|io|bd|co|uk|in|us|me)(?![A-Za-z0-9]|-[A-Za-z0-9])"
    r"(?:/[A-Za-z0-9._~%/-]*[A-Za-z0-9_~%/-])?"
)


def expand_web_addresses(text: str) -> str:
    """E-mail and web addresses with their signs said in Bangla, the scheme dropped."""

    def say(match: re.Match[str]) -> str:
        address = re.sub(r"^https?://", "", match[0]).rstrip("/")
        return " " + "".join(SIGNS.get(ch, ch) for ch in address) + " "

    return _URL.sub(say, _EMAIL.sub(say, text))
