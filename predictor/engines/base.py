"""The one small interface every model family implements, and the typed values it trades in."""

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


class ModelLoadError(RuntimeError):
    """A model directory that cannot be served; the message names the path and what was expected."""


class SynthesisInputError(ValueError):
    """A request the engine cannot honour (an unknown voice, reference audio it cannot use).

    The message says what was wrong and what is allowed; it becomes a 400.
    """


@dataclass(frozen=True)
class NumericOption:
    """A model-specific sampling option a request may set, with its allowed range."""

    minimum: float
    """Smallest allowed value."""
    maximum: float
    """Largest allowed value."""
    integer: bool = False
    """Whether only whole numbers are allowed."""


@dataclass(frozen=True)
class VoiceCatalog:
    """What a loaded model can speak with."""

    speakers: tuple[str, ...] = ()
    """Built-in voice ids, in the model's order; empty for a single-voice model."""
    languages: tuple[str, ...] = ()
    """Language codes the model speaks; empty when the model is not language-specific."""
    default_speaker: str | None = None
    """The voice used when a request names none."""
    default_language: str | None = None
    """The language used when a request names none."""
    supports_cloning: bool = False
    """Whether `speaker_wav` reference recordings are accepted."""
    supports_blending: bool = False
    """Whether `speaker` may mix several voices by weight ("alice(2)+bob")."""
    blending_refused_because: str = "it has one voice"
    """Why this model cannot blend voices, where it cannot: said in the 400 a blend gets."""
    options: Mapping[str, NumericOption] = field(default_factory=dict)
    """Model-specific sampling options, by request parameter name."""


@dataclass(frozen=True)
class ReferenceAudio:
    """A decoded reference recording for voice cloning."""

    samples: np.ndarray
    """Mono float32 PCM in [-1, 1]."""
    sample_rate: int
    """Samples per second of `samples`."""
    digest: str
    """sha256 of the encoded bytes the client sent: the cache key of what is computed from it."""


@dataclass(frozen=True)
class BlendTerm:
    """One voice of a blend and its share of it."""

    voice: str | int
    """A built-in voice id, or (an int) the index of a recording in `references`."""
    weight: float
    """Its share: the weights of a blend sum to 1."""


@dataclass(frozen=True)
class SynthesisOptions:
    """How to say one text: already validated against the engine's VoiceCatalog."""

    speaker: str | None = None
    """A built-in voice id, or None for the default voice (or the cloned one, or a blend)."""
    language: str | None = None
    """A language code from the catalog, or None."""
    speed: float = 1.0
    """Speaking rate; 2.0 is twice as fast."""
    references: tuple[ReferenceAudio, ...] = ()
    """Recordings to clone the voice from; they take precedence over `speaker`."""
    blend: tuple[BlendTerm, ...] = ()
    """The voice as a mix of voices (two or more, or one recording of several in
    `references`), in a canonical order; empty where `speaker` or all of `references` is the
    voice. It takes precedence over both."""
    sampling: Mapping[str, float] = field(default_factory=dict)
    """Values for the engine's sampling options, by name."""


WordTimes = tuple[tuple[float, float], ...]
"""(start, end) seconds of each whitespace-separated word of a text, in order."""


@dataclass(frozen=True)
class TimedAudio:
    """One text said, and when each of its words is heard."""

    audio: np.ndarray
    """Mono float32 PCM in [-1, 1] at the engine's `sample_rate`."""
    word_times: WordTimes | None = None
    """Each word's time on `audio`'s timeline, from the model's own durations; None where the
    engine has none."""


class Engine(ABC):
    """A loaded model that turns normalized text into float32 PCM.

    Engines know nothing of HTTP or KServe. Unless `thread_safe`, the model server calls them
    from one thread at a time.
    """

    family: str
    """Model family name, e.g. "xtts", "coqui", "piper"."""
    sample_rate: int
    """Samples per second of what `synthesize` returns."""
    voices: VoiceCatalog
    """Speakers, languages and options this model accepts."""
    model_dir: Path
    """Where the model was loaded from."""
    batches: bool = False
    """Whether `synthesize_batch` says several texts in one model call."""
    batch_by_default: bool = False
    """Whether batching pays on the device the engine is on (`--batching auto`)."""
    thread_safe: bool = False
    """Whether `synthesize` may run on several threads at once."""
    streams: bool = False
    """Whether `synthesize_stream` yields audio before the whole text is said."""
    word_durations: bool = False
    """Whether `synthesize_batch_timed` says when each word is heard, from the model's own
    durations."""

    def default_parallel(self) -> int:
        """Engine calls at once when `--parallel` is 0: one for engines that are not
        `thread_safe`, else what pays on the engine's device."""
        return 1

    def warm_up_text(self) -> str:
        """A short text in the model's default language, said once before the model is ready."""
        return "Hello."

    @abstractmethod
    def synthesize(self, text: str, options: SynthesisOptions) -> np.ndarray:
        """Say `text`; return mono float32 PCM in [-1, 1] at `sample_rate`."""

    def synthesize_batch(self, texts: list[str], options: SynthesisOptions) -> list[np.ndarray]:
        """Say each of `texts`, each as `synthesize` would; engines that batch override it."""
        return [self.synthesize(text, options) for text in texts]

    def synthesize_batch_timed(
        self, texts: list[str], options: SynthesisOptions
    ) -> list[TimedAudio]:
        """Say each of `texts` as `synthesize_batch` does, with each word's time where the engine
        has `word_durations` (None elsewhere). Engines with durations override it."""
        return [TimedAudio(audio) for audio in self.synthesize_batch(texts, options)]

    def synthesize_stream(self, text: str, options: SynthesisOptions) -> Iterator[np.ndarray]:
        """Say `text` piece by piece as it is made: mono float32 PCM in [-1, 1] at
        `sample_rate`, the pieces in order. Engines that stream override it; this one yields
        what `synthesize` says, once. Iterate it on one thread, and close it to stop early."""
        yield self.synthesize(text, options)
