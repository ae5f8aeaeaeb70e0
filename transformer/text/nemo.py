"""NeMo text processing: the WFST grammars that say numbers, dates, money, units and more in words,
for English and the other languages NeMo covers.

Grammars are compiled once into a directory (`make grammars`, the transformer image's build) and
loaded from it on a language's first use (a third of a second for English). A language whose
grammar is not there yet is compiled in the background (half a minute to a few minutes, and
hundreds of MB while it runs) rather than inside a request: until it is ready, `normalize`
answers None and the caller reads the text with its own rules. One Normalizer is not thread-safe
(its token parser keeps state between calls), so each language's calls are serialized.
"""

import argparse
import contextlib
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from voxraga.chunking import split_to_fit

log = logging.getLogger(__name__)

LANGUAGES = ("en", "es", "fr", "de", "it", "pt", "ru", "ar", "zh", "ja", "hu", "ko", "hi", "sv")
"""The languages NeMo normalizes text for that a voice here may speak."""
GRAMMAR_DIR_ENV = "VOX_GRAMMAR_DIR"
MAX_PIECE_CHARS = 300
"""NeMo's time grows faster than its input: longer text goes to it in pieces cut at clause,
then word boundaries."""
MAX_NEMO_CHARS = 1000
"""Past this much of one text, the rest is read by the caller's own rules: a sentence is far
shorter, and hostile input must not hold a request (or the language's lock) for seconds."""
MAX_NEMO_SECONDS = 0.2
"""Likewise past this much of NeMo's time on one text (it takes about 0.5 ms a character of
nonsense, a few ms a sentence of prose), on a machine slower or busier than ours."""
MAX_REQUEST_SECONDS = 1.0
"""NeMo's time for all the sentences of one request (request_budget): a 10,000-character
request of one-word sentences must not take seconds of a worker thread."""
MAX_TOKEN_CHARS = 64
"""A piece with a longer run of non-spaces is no word a grammar knows; NeMo is slow on it."""

_LONG_TOKEN = re.compile(rf"\S{{{MAX_TOKEN_CHARS + 1},}}")


def default_grammar_dir() -> Path:
    """$VOX_GRAMMAR_DIR, else $XDG_CACHE_HOME/vox-raga/grammars (~/.cache/vox-raga/grammars)."""
    if os.environ.get(GRAMMAR_DIR_ENV):
        return Path(os.environ[GRAMMAR_DIR_ENV])
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "vox-raga" / "grammars"


def nemo_language(language: str) -> str | None:
    """NeMo's code for one of our base language codes, None where NeMo lacks the language."""
    return language if language in LANGUAGES else None


def _quiet_nemo_logger() -> None:
    """NeMo logs every sentence at INFO ("Skipping post-processing ...") through a handler of its
    own, and resets its level on each call: drop its handler, pass on warnings only."""
    nemo_logger = logging.getLogger("NeMo-text-processing")
    for handler in list(nemo_logger.handlers):
        nemo_logger.removeHandler(handler)
    nemo_logger.addFilter(lambda record: record.levelno >= logging.WARNING)


def _marker(directory: Path, language: str) -> Path:
    return directory / f"{language}.compiled"


def is_compiled(directory: Path, language: str) -> bool:
    """Whether `directory` holds a whole compiled grammar for `language`: NeMo writes its .far
    files one by one, so a marker written after they all loaded says so."""
    return _marker(directory, language).exists()


def _build(directory: Path, language: str) -> Any:
    from nemo_text_processing.text_normalization.normalize import Normalizer

    _quiet_nemo_logger()
    directory.mkdir(parents=True, exist_ok=True)
    normalizer = Normalizer(
        input_case="cased", lang=language, cache_dir=str(directory), overwrite_cache=False
    )
    marker = _marker(directory, language)
    if not marker.exists():
        marker.touch()
    return normalizer


class Grammars:
    """NeMo normalizers per language, loaded on first use from `directory`."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or default_grammar_dir()
        self._normalizers: dict[str, Any] = {}
        self._locks = {language: threading.Lock() for language in LANGUAGES}
        self._compiling: set[str] = set()
        self._guard = threading.Lock()

    def prepare(self, language: str) -> None:
        """Load `language`, compiling its grammar first (here, blocking) if it is missing."""
        self._load(language, compile_missing=True)

    def warm(self, language: str) -> None:
        """Load (or compile) `language` in the background, so that no request waits for it."""
        if not nemo_language(language) or language in self._normalizers:
            return
        with self._guard:
            if language in self._compiling:
                return
            self._compiling.add(language)
        threading.Thread(target=self._load_in_background, args=(language,), daemon=True).start()

    def normalize(self, text: str, language: str) -> str | None:
        """`text` in words by NeMo's grammar for `language`; None where it has no say: no
        grammar, not compiled yet, or NeMo failed (logged)."""
        try:
            normalizer = self._load(language, compile_missing=False)
        except Exception:
            log.exception("could not load the %s grammar from %s", language, self.directory)
            normalizer = None
        if normalizer is None:
            if nemo_language(language) and language not in self._compiling:
                log.warning(
                    "no compiled %s grammar in %s: compiling it in the background (minutes); "
                    "until then %s text is read by the fallback rules (`make grammars` or "
                    "`python -m transformer.text.nemo %s` compiles it ahead)",
                    language,
                    self.directory,
                    language,
                    language,
                )
                self.warm(language)
            return None
        with self._locks[language]:
            try:
                return normalizer.normalize(text, punct_post_process=True)
            except Exception:
                log.warning("NeMo failed on a %s text of %d characters", language, len(text))
                log.debug("NeMo failed on %r", text, exc_info=True)
                return None

    def _load(self, language: str, compile_missing: bool) -> Any:
        if language in self._normalizers or not nemo_language(language):
            return self._normalizers.get(language)
        if not compile_missing and not is_compiled(self.directory, language):
            return None
        with self._locks[language]:
            if language not in self._normalizers:
                started = time.perf_counter()
                compiled = is_compiled(self.directory, language)
                if not compiled:
                    log.warning("compiling the %s grammar into %s", language, self.directory)
                self._normalizers[language] = _build(self.directory, language)
                log.info(
                    "%s the %s grammar in %.1f s",
                    "loaded" if compiled else "compiled",
                    language,
                    time.perf_counter() - started,
                )
        return self._normalizers[language]

    def _load_in_background(self, language: str) -> None:
        try:
            self._load(language, compile_missing=True)
        except Exception:
            log.exception("could not compile the %s grammar into %s", language, self.directory)
            with self._guard:
                self._compiling.discard(language)  # the next text tries (and warns) again


def pieces(text: str) -> Iterator[tuple[str, bool]]:
    """`text` cut for NeMo, at sentences, then clauses, then spaces (split_to_fit): (piece,
    whether NeMo may read it). Past MAX_NEMO_CHARS in all, or
    where a piece holds a run of more than MAX_TOKEN_CHARS non-spaces, NeMo may not."""
    budget = MAX_NEMO_CHARS
    for piece in split_to_fit(text, MAX_PIECE_CHARS):
        nemo_may = budget >= len(piece) and not _LONG_TOKEN.search(piece)
        if nemo_may:
            budget -= len(piece)
        yield piece, nemo_may


def read(
    text: str,
    language: str,
    fallback: Callable[[str], str],
    after: Callable[[str], str] = lambda said: said,
) -> str:
    """`text` read by NeMo piece by piece (`after` tidying what it says), by `fallback` where it
    has no say: no grammar, not compiled yet, a failure, past its budget of characters or time."""
    deadline = time.perf_counter() + MAX_NEMO_SECONDS
    if (request_deadline := _REQUEST_DEADLINE.get()) is not None:
        deadline = min(deadline, request_deadline)
    said = []
    for piece, nemo_may in pieces(text):
        words = None
        if nemo_may and time.perf_counter() < deadline:
            words = GRAMMARS.normalize(piece, language)
        said.append(after(words) if words is not None else fallback(piece))
    return " ".join(said)


_REQUEST_DEADLINE: ContextVar[float | None] = ContextVar("nemo_request_deadline", default=None)


@contextlib.contextmanager
def request_budget(seconds: float = MAX_REQUEST_SECONDS) -> Iterator[None]:
    """NeMo's time for every text read inside the block (one request's sentences): past it,
    the fallback rules read the rest."""
    token = _REQUEST_DEADLINE.set(time.perf_counter() + seconds)
    try:
        yield
    finally:
        _REQUEST_DEADLINE.reset(token)


GRAMMARS = Grammars()
"""The process's grammars; `configure` points them at another directory."""


def configure(directory: Path) -> None:
    """Use the grammars compiled in `directory` (the transformer's --grammar_dir)."""
    global GRAMMARS
    GRAMMARS = Grammars(directory)


def main(argv: list[str] | None = None) -> None:
    """`python -m transformer.text.nemo en es ...`: compile grammars ahead of serving."""
    parser = argparse.ArgumentParser(
        prog="python -m transformer.text.nemo", description=main.__doc__
    )
    parser.add_argument("languages", nargs="*", help=f"default: all ({' '.join(LANGUAGES)})")
    parser.add_argument("--grammar_dir", type=Path, default=default_grammar_dir())
    parser.add_argument(
        "--if_nemo", action="store_true", help="skip the languages NeMo lacks (bn) without error"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    grammars = Grammars(args.grammar_dir)
    for language in args.languages or LANGUAGES:
        if nemo_language(language):
            grammars.prepare(language)
        elif not args.if_nemo:
            parser.error(f"NeMo has no grammar for {language!r}; it has {', '.join(LANGUAGES)}")


if __name__ == "__main__":
    main()
