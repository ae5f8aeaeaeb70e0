"""Voices: recordings uploaded once, kept under --voices_dir, and used by id or name, alone or
blended, on every route; and the resolution of a request's `voice` into what the predictor
takes (a speaker, a blend, reference recordings).

Layout under --voices_dir, a volume the replicas share:

    <id>/voice.json          {"id", "object", "name", "created_at", "consent", "seconds"}
    <id>/audio.wav           the recording, decoded, as 16-bit mono WAV at 22,050 Hz
    .names/<sha256 of name>  the id owning the name, created exclusively (O_EXCL): two uploads
                             of one name, even on two replicas, cannot both take it

A voice appears by the rename of a finished temporary directory and disappears by a rename
before its files are removed: a reader sees a whole voice or none.
"""

import dataclasses
import hashlib
import io
import json
import os
import re
import secrets
import shutil
import time
from pathlib import Path

import av
import numpy as np

from transformer.audio import FORMATS, resample
from transformer.cache import ByteBoundedLRU
from transformer.encoders import encode
from transformer.request import SpeechRequestError

VOICE_SAMPLE_RATE = 22050
"""Stored recordings are resampled to this: what XTTS conditions on."""
MIN_SECONDS = 1.0
MAX_SECONDS = 30.0
"""A recording's bounds; the predictor's --max_reference_seconds is 30 by default."""
MAX_VOICES = 1000
MAX_BLEND_TERMS = 8
MAX_WEIGHT = 100.0
NAME_PATTERN = re.compile(r"\w(?:[\w .'-]{0,62}[\w.'-])?")
"""Names: letters, digits, spaces and . ' - _, up to 64; never blend syntax."""
OPENAI_VOICES = frozenset(
    ("alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer", "verse")
)
"""OpenAI's voice names, which clients send by default: the model's default voice, unless the
model has a voice of that name."""
DEFAULT_VOICE = "default"
_TERM = re.compile(r"\s*(?P<name>[^()+]+?)\s*(?:\(\s*(?P<weight>\d+(?:\.\d*)?|\.\d+)\s*\))?\s*")
_ID = re.compile(r"voice_[0-9a-f]{24}")
STALE_CLAIM_SECONDS = 60.0
"""A name claim whose voice never appeared (its upload died) is taken over after this long."""
_AUDIO_CACHE_BYTES = 64 * 1024 * 1024


class VoiceNotFoundError(LookupError):
    """No voice has that id; the message says so."""


@dataclasses.dataclass(frozen=True)
class StoredVoice:
    """A voice's description, as the API answers it."""

    id: str
    name: str
    created_at: int
    seconds: float
    consent: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "object": "audio.voice",
            "name": self.name,
            "created_at": self.created_at,
            "source": "upload",
            "seconds": self.seconds,
        }


@dataclasses.dataclass(frozen=True)
class Voice:
    """What the predictor is sent for a request's `voice`."""

    speaker: str | None
    """The `speaker` parameter: a model's voice, a blend, or None (the default, or cloning)."""
    references: tuple[bytes, ...] = ()
    """Recordings for `speaker_wav`."""

    def digest(self) -> str:
        """Everything that shapes the voice, for cache keys."""
        h = hashlib.sha256(repr(self.speaker).encode())
        for reference in self.references:
            h.update(hashlib.sha256(reference).digest())
        return h.hexdigest()


def decode_recording(data: bytes) -> tuple[np.ndarray, float]:
    """An uploaded recording as mono float32 at VOICE_SAMPLE_RATE, and its seconds. Decoding
    stops past MAX_SECONDS, so a small file that decodes to hours costs nothing."""
    chunks: list[np.ndarray] = []
    try:
        with av.open(io.BytesIO(data), "r") as container:
            if not container.streams.audio or container.streams.audio[0].codec_context is None:
                raise SpeechRequestError("'audio_sample' has no audio stream that can be decoded")
            rate = container.streams.audio[0].rate or VOICE_SAMPLE_RATE
            to_mono = av.AudioResampler(format="flt", layout="mono", rate=rate)
            samples = 0
            for frame in container.decode(audio=0):
                for converted in to_mono.resample(frame):
                    chunk = converted.to_ndarray().reshape(-1)
                    chunks.append(chunk)
                    samples += len(chunk)
                if samples > (MAX_SECONDS + 1) * rate:
                    raise SpeechRequestError(
                        f"'audio_sample' is longer than {MAX_SECONDS:g} s; send at most "
                        f"{MAX_SECONDS:g} s of one person speaking"
                    )
    except (av.error.FFmpegError, ValueError, IndexError, AttributeError, OSError) as exc:
        if isinstance(exc, SpeechRequestError):
            raise
        raise SpeechRequestError(
            "'audio_sample' is not a recording that can be decoded (send wav, mp3, flac or ogg)"
        ) from None
    audio = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    seconds = len(audio) / rate
    if not MIN_SECONDS <= seconds <= MAX_SECONDS:
        raise SpeechRequestError(
            f"'audio_sample' is {seconds:.1f} s long; send {MIN_SECONDS:g} to {MAX_SECONDS:g} s"
        )
    if not np.isfinite(audio).all() or float(np.max(np.abs(audio))) < 1e-3:
        raise SpeechRequestError("'audio_sample' is silent; send a recording of a voice")
    return resample(audio, rate, VOICE_SAMPLE_RATE), round(seconds, 2)


class VoiceStore:
    """Voices kept under one directory; without one, uploads are refused and only the model's
    own voices exist."""

    def __init__(self, root: Path | None) -> None:
        self.root = root
        self._audio: ByteBoundedLRU[bytes] = ByteBoundedLRU(_AUDIO_CACHE_BYTES)
        if root is not None:
            (root / ".names").mkdir(parents=True, exist_ok=True)

    def _require_root(self) -> Path:
        if self.root is None:
            raise SpeechRequestError(
                "this server keeps no voices: start the transformer with --voices_dir"
            )
        return self.root

    def create(self, name: str, recording: bytes, consent: str | None) -> StoredVoice:
        """Store a recording under a new id; `name` must be free. Decodes and checks it."""
        root = self._require_root()
        if not NAME_PATTERN.fullmatch(name) or name.lower() in OPENAI_VOICES | {DEFAULT_VOICE}:
            raise SpeechRequestError(
                f"'name' {name[:64]!r} is not allowed: 1 to 64 letters, digits, spaces and "
                ". ' - _, starting with a letter or digit, and not an OpenAI voice name"
            )
        if _ID.fullmatch(name):
            raise SpeechRequestError("'name' must not look like a voice id")
        if len(self.all()) >= MAX_VOICES:
            raise SpeechRequestError(
                f"this server keeps at most {MAX_VOICES} voices; delete one first"
            )
        audio, seconds = decode_recording(recording)
        voice = StoredVoice(
            id=f"voice_{secrets.token_hex(12)}",
            name=name,
            created_at=int(time.time()),
            seconds=seconds,
            consent=consent,
        )
        claim = self._name_claim(name)
        self._drop_stale_claim(name)
        try:
            descriptor = os.open(claim, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            raise SpeechRequestError(
                f"a voice named {name!r} exists; choose another name"
            ) from None
        with os.fdopen(descriptor, "w") as file:
            file.write(voice.id)
        try:
            staging = root / f".tmp-{voice.id}"
            staging.mkdir()
            (staging / "audio.wav").write_bytes(encode(audio, VOICE_SAMPLE_RATE, FORMATS["wav"]))
            meta = {**voice.to_json(), "consent": consent}
            (staging / "voice.json").write_text(json.dumps(meta), encoding="utf-8")
            os.rename(staging, root / voice.id)
        except BaseException:
            claim.unlink(missing_ok=True)
            shutil.rmtree(root / f".tmp-{voice.id}", ignore_errors=True)
            raise
        return voice

    def all(self) -> list[StoredVoice]:
        """Every stored voice, oldest first."""
        if self.root is None:
            return []
        voices = []
        for entry in self.root.glob("voice_*"):
            voice = self._read(entry)
            if voice is not None:
                voices.append(voice)
        return sorted(voices, key=lambda v: (v.created_at, v.id))

    def get(self, key: str) -> StoredVoice:
        """A voice by id or name."""
        if self.root is not None:
            if _ID.fullmatch(key) and (voice := self._read(self.root / key)) is not None:
                return voice
            owner = self._owner(key)
            if owner is not None and (voice := self._read(self.root / owner)) is not None:
                return voice
        raise VoiceNotFoundError(f"no stored voice has the id or name {key[:64]!r}")

    def delete(self, voice_id: str) -> StoredVoice:
        """Remove a voice (by id); its name is free again."""
        root = self._require_root()
        voice = self.get(voice_id) if _ID.fullmatch(voice_id) else None
        if voice is None or voice.id != voice_id:
            raise VoiceNotFoundError(f"no stored voice has the id {voice_id[:64]!r}")
        trash = root / f".trash-{voice_id}-{secrets.token_hex(4)}"
        try:
            os.rename(root / voice_id, trash)
        except FileNotFoundError:
            raise VoiceNotFoundError(f"no stored voice has the id {voice_id[:64]!r}") from None
        if self._owner(voice.name) == voice_id:
            self._name_claim(voice.name).unlink(missing_ok=True)
        shutil.rmtree(trash, ignore_errors=True)
        return voice

    def recording(self, voice: StoredVoice) -> bytes:
        """The stored recording (WAV); ids never change their audio, so it is cached."""
        cached = self._audio.get(voice.id)
        if cached is None:
            try:
                cached = (self._require_root() / voice.id / "audio.wav").read_bytes()
            except OSError:
                raise VoiceNotFoundError(f"the voice {voice.id} was deleted") from None
            self._audio.put(voice.id, cached, len(cached))
        return cached

    def resolve(self, voice: str | None, catalog: dict | None) -> Voice:
        """What the predictor is sent for `voice`: None, "default" and OpenAI's names mean the
        model's default voice; a stored voice's id or name is cloned from its recording; a
        blend `a(2)+b` of model and stored voices becomes the predictor's blend, stored voices
        as `#k` references. `catalog` (the predictor's voices route, when known) checks names."""
        if voice is None:
            return Voice(None)
        speakers = list((catalog or {}).get("speakers") or [])
        if voice.strip().lower() in OPENAI_VOICES | {DEFAULT_VOICE} and voice not in speakers:
            return Voice(None)
        terms = [self._term(term, voice) for term in voice.split("+")]
        if len(terms) > MAX_BLEND_TERMS:
            raise SpeechRequestError(
                f"'voice' blends {len(terms)} voices; at most {MAX_BLEND_TERMS}"
            )
        references: list[bytes] = []
        parts: list[str] = []
        for name, weight in terms:
            if name in speakers:
                parts.append(f"{name}({weight:g})")
                continue
            try:
                stored = self.get(name)
                recording = self.recording(stored)
            except VoiceNotFoundError:
                if catalog is None:  # not known here: the predictor checks it
                    parts.append(f"{name}({weight:g})")
                    continue
                raise SpeechRequestError(self._unknown(name, speakers)) from None
            references.append(recording)
            parts.append(f"#{len(references) - 1}({weight:g})")
        if len(terms) == 1:
            return Voice(None, tuple(references)) if references else Voice(terms[0][0])
        return Voice("+".join(parts), tuple(references))

    def _term(self, term: str, voice: str) -> tuple[str, float]:
        match = _TERM.fullmatch(term)
        weight = float(match["weight"]) if match and match["weight"] else 1.0
        if match is None or not 0 < weight <= MAX_WEIGHT:
            raise SpeechRequestError(
                f"'voice' {voice[:120]!r} is not a voice or a blend: a voice's id or name, "
                f"or voices joined by '+', each with an optional weight in parentheses from "
                f"0 to {MAX_WEIGHT:g}, e.g. 'alice(2)+bob'"
            )
        return match["name"], weight

    def _unknown(self, name: str, speakers: list[str]) -> str:
        stored = [v.name for v in self.all()]
        available = ", ".join([*speakers, *stored]) or "only the default"
        return f"unknown voice {name[:64]!r}; available: {available} (or 'default')"

    def _drop_stale_claim(self, name: str) -> None:
        """Free a name whose upload died between claiming it and storing its voice (the
        process killed): its claim is older than STALE_CLAIM_SECONDS and no voice has it."""
        claim = self._name_claim(name)
        try:
            age = time.time() - claim.stat().st_mtime
        except OSError:
            return
        owner = self._owner(name)
        root = self._require_root()
        if age > STALE_CLAIM_SECONDS and (owner is None or not (root / owner).is_dir()):
            claim.unlink(missing_ok=True)
            if owner is not None:
                shutil.rmtree(root / f".tmp-{owner}", ignore_errors=True)

    def _owner(self, name: str) -> str | None:
        """The id a name's claim points at, if any (a claim removed meanwhile: none)."""
        try:
            owner = self._name_claim(name).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            return None
        return owner if _ID.fullmatch(owner) else None

    def _name_claim(self, name: str) -> Path:
        digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()
        return self._require_root() / ".names" / digest

    @staticmethod
    def _read(directory: Path) -> StoredVoice | None:
        try:
            meta = json.loads((directory / "voice.json").read_text(encoding="utf-8"))
            return StoredVoice(
                id=meta["id"],
                name=meta["name"],
                created_at=int(meta["created_at"]),
                seconds=float(meta["seconds"]),
                consent=meta.get("consent"),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None
