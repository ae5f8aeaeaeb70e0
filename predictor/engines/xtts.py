"""XTTS-v2 and its fine-tunes (a Bangla XTTS among them), loaded with coqui-tts's Xtts model."""

import contextlib
import hashlib
import pickle
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torchaudio
from TTS.config.shared_configs import BaseDatasetConfig
from TTS.tts.configs.xtts_config import XttsArgs, XttsAudioConfig, XttsConfig
from TTS.tts.layers.xtts.gpt_inference import GPT2InferenceModel
from TTS.tts.layers.xtts.tokenizer import VoiceBpeTokenizer
from TTS.tts.models.xtts import Xtts, _legacy_safe_globals
from TTS.tts.utils.text.cleaners import collapse_whitespace, lowercase

from predictor.engines.base import (
    Engine,
    ModelLoadError,
    NumericOption,
    ReferenceAudio,
    SynthesisInputError,
    SynthesisOptions,
    VoiceCatalog,
)
from voxraga.chunking import split_to_fit

CONDITIONING_SAMPLE_RATE = 22050
"""XTTS computes its conditioning latents from 22.05 kHz audio."""
LATENT_CACHE_SIZE = 64
"""Reference voices whose conditioning latents are kept; each is a few kilobytes."""
DEFAULT_CHAR_LIMIT = 250
"""Characters per generation for a language XTTS's tokenizer has no limit for."""
BRAHMIC_CHAR_LIMIT = 150
"""Bangla packs more sound per character than Latin script; XTTS uses 150 for Hindi too."""
SAMPLING_OPTIONS = {
    "temperature": NumericOption(0.01, 5.0),
    "top_k": NumericOption(1, 1000, integer=True),
    "top_p": NumericOption(0.01, 1.0),
    "repetition_penalty": NumericOption(1.0, 100.0),
    "length_penalty": NumericOption(-10.0, 10.0),
}
GPU_PARALLEL = 4
"""XTTS generations at once on a GPU by default: each decodes one token at a time, a launch-bound
loop that leaves the GPU mostly idle, so several overlap well; each holds its own KV cache."""
_WARM_UP_TEXT = {"bn": "নমস্কার।"}
_CONFIG_CLASSES = [XttsConfig, XttsAudioConfig, XttsArgs, BaseDatasetConfig]


class ServingTokenizer(VoiceBpeTokenizer):
    """XTTS's tokenizer, serving languages that its own text front end does not know.

    A fine-tune adds a language by adding `[xx]` to its vocab and `xx` to config.languages, but
    XTTS's `preprocess_text` raises NotImplementedError for it. Text in such a language arrives
    normalized by the transformer, so it only needs lower-casing and whitespace collapsed.
    """

    def __init__(self, vocab_file: str | Path) -> None:
        super().__init__(vocab_file=vocab_file)
        self.char_limits.setdefault("bn", BRAHMIC_CHAR_LIMIT)

    def preprocess_text(self, txt: str, lang: str) -> str:
        """Clean `txt` with XTTS's own cleaners where it has them, minimally otherwise."""
        try:
            return super().preprocess_text(txt, lang)
        except NotImplementedError:
            return collapse_whitespace(lowercase(txt))

    def char_limit(self, lang: str) -> int:
        """Characters XTTS can say well in one generation for `lang`."""
        return self.char_limits.get(lang.split("-")[0], DEFAULT_CHAR_LIMIT)


class _ReadOnlyXtts(Xtts):
    """Xtts that never writes into its model directory.

    coqui-tts rewrites a legacy model.pth in place when it finds one; model directories are
    read-only on Kubernetes, so the conversion happens in memory only.
    """

    def _load_checkpoint(self, model_path: Path) -> dict:
        try:
            checkpoint = torch.load(model_path, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError:
            # Some checkpoints pickle an XttsConfig beside the weights: the original XTTS-v2
            # release under the classes' old module path, later saves under the current one.
            try:
                with torch.serialization.safe_globals(_CONFIG_CLASSES):
                    checkpoint = torch.load(model_path, map_location="cpu", weights_only=True)
            except pickle.UnpicklingError:
                with _legacy_safe_globals():
                    checkpoint = torch.load(model_path, map_location="cpu", weights_only=True)
        return checkpoint["model"]


class _PrefixPerThread(GPT2InferenceModel):
    """XTTS's GPT wrapper keeps the conditioning prefix of the generation under way on itself
    (`store_prefix_emb`, then `generate`); kept per thread, generations on several threads each
    see their own instead of the last one stored."""

    @property
    def cached_prefix_emb(self) -> torch.Tensor | None:
        return getattr(self._prefixes, "emb", None)

    @cached_prefix_emb.setter
    def cached_prefix_emb(self, value: torch.Tensor | None) -> None:
        self._prefixes.emb = value


def _prefix_per_thread(inference: GPT2InferenceModel) -> None:
    object.__setattr__(inference, "_prefixes", threading.local())
    inference.__class__ = _PrefixPerThread


@dataclass(frozen=True)
class _Voice:
    gpt_cond_latent: torch.Tensor
    speaker_embedding: torch.Tensor


class XttsEngine(Engine):
    """An XTTS checkpoint: config.json ("model": "xtts"), model.pth, vocab.json and optionally
    speakers_xtts.pth with built-in voices."""

    family = "xtts"
    # Generation keeps its state (KV cache, sampled tokens) per call and the weights are only
    # read; the one shared mutable thing, the cloned-voice cache, is locked.
    thread_safe = True
    streams = True

    def __init__(
        self,
        model_dir: Path,
        model: Xtts,
        config: XttsConfig,
        device: str,
        stream_chunk_tokens: int,
    ) -> None:
        self.model_dir = model_dir
        self._model = model
        self._config = config
        self._device = device
        self.stream_chunk_tokens = stream_chunk_tokens
        """Audio tokens decoded into each piece `synthesize_stream` yields."""
        self._tokenizer: ServingTokenizer = model.tokenizer
        self.sample_rate = int(model.args.output_sample_rate)
        self._builtin = self._builtin_voices(model)
        self._cloned: OrderedDict[str, _Voice] = OrderedDict()
        self._cloned_lock = threading.Lock()
        self._thread = threading.local()
        languages = tuple(config.languages)
        self.voices = VoiceCatalog(
            speakers=tuple(self._builtin),
            languages=languages,
            default_speaker=next(iter(self._builtin), None),
            default_language="en" if "en" in languages else (languages[0] if languages else None),
            supports_cloning=True,
            supports_blending=True,
            options=SAMPLING_OPTIONS,
        )

    @classmethod
    def load(cls, model_dir: Path, device: str, stream_chunk_tokens: int) -> "XttsEngine":
        """Load an XTTS checkpoint directory onto `device`; it streams `stream_chunk_tokens`
        audio tokens a piece."""
        config_path = model_dir / "config.json"
        for name in ("model.pth", "vocab.json"):
            if not (model_dir / name).is_file():
                raise ModelLoadError(
                    f"{model_dir}: XTTS checkpoint is missing {name} "
                    "(expected config.json, model.pth, vocab.json and optionally speakers_xtts.pth)"
                )
        config = XttsConfig()
        try:
            config.load_json(str(config_path))
        except Exception as exc:
            raise ModelLoadError(f"{config_path}: not a valid XTTS config.json: {exc}") from exc
        try:
            model = _ReadOnlyXtts(config)
            model.load_checkpoint(config, checkpoint_dir=str(model_dir), eval=True)
        except Exception as exc:
            raise ModelLoadError(
                f"{model_dir / 'model.pth'}: cannot load the XTTS checkpoint: {exc}"
            ) from exc
        model.tokenizer = ServingTokenizer(vocab_file=model_dir / "vocab.json")
        _prefix_per_thread(model.gpt.gpt_inference)
        model.to(device)
        return cls(model_dir, model, config, device, stream_chunk_tokens)

    @staticmethod
    def _builtin_voices(model: Xtts) -> dict[str, _Voice]:
        if model.speaker_manager is None:
            return {}
        return {
            name: _Voice(entry["gpt_cond_latent"], entry["speaker_embedding"])
            for name, entry in model.speaker_manager.speakers.items()
        }

    def default_parallel(self) -> int:
        """Several generations at once on a GPU; one on a CPU, where one already uses every
        core."""
        return GPU_PARALLEL if self._device.startswith("cuda") else 1

    def warm_up_text(self) -> str:
        """A short text in the default language."""
        return _WARM_UP_TEXT.get(self.voices.default_language or "", "Hello.")

    def synthesize(self, text: str, options: SynthesisOptions) -> np.ndarray:
        """Say `text` with a built-in or cloned voice; long text is said sentence by sentence.
        On a GPU each calling thread queues its work on a CUDA stream of its own, so calls from
        several threads run on the GPU at once instead of one after another."""
        with self._stream():
            return self._synthesize(text, options)

    def _stream(self) -> contextlib.AbstractContextManager:
        if not self._device.startswith("cuda"):
            return contextlib.nullcontext()
        stream = getattr(self._thread, "stream", None)
        if stream is None:
            stream = self._thread.stream = torch.cuda.Stream(device=self._device)
        return torch.cuda.stream(stream)

    def synthesize_stream(self, text: str, options: SynthesisOptions) -> Iterator[np.ndarray]:
        """Say `text` as `synthesize` does, yielding the audio of every `stream_chunk_tokens`
        audio tokens as soon as they are sampled (XTTS's `inference_stream`, which cross-fades
        the pieces). The CUDA stream and the GPT's conditioning prefix belong to the thread
        that iterates: iterate on one thread, and close the iterator there to stop early."""
        with self._stream():
            voice, language, sampling = self._prepare(options)
            for chunk in self._chunks(text, language):
                pieces = self._model.inference_stream(
                    chunk,
                    language,
                    voice.gpt_cond_latent,
                    voice.speaker_embedding,
                    stream_chunk_size=self.stream_chunk_tokens,
                    speed=options.speed,
                    enable_text_splitting=False,
                    **sampling,
                )
                try:
                    for piece in pieces:
                        audio = np.asarray(piece.cpu(), dtype=np.float32).reshape(-1)
                        yield np.clip(audio, -1.0, 1.0)
                finally:
                    # Ends the generation on this thread, with the CUDA stream still current.
                    pieces.close()

    def _synthesize(self, text: str, options: SynthesisOptions) -> np.ndarray:
        voice, language, sampling = self._prepare(options)
        pieces = []
        for chunk in self._chunks(text, language):
            result = self._model.inference(
                chunk,
                language,
                voice.gpt_cond_latent,
                voice.speaker_embedding,
                speed=options.speed,
                enable_text_splitting=False,
                **sampling,
            )
            pieces.append(np.asarray(result["wav"], dtype=np.float32).reshape(-1))
        audio = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)
        return np.clip(audio, -1.0, 1.0)

    def _prepare(self, options: SynthesisOptions) -> tuple[_Voice, str, Mapping[str, float]]:
        """The voice, language and sampling options XTTS is called with."""
        voice = self._voice(options)
        language = options.language or self.voices.default_language or "en"
        sampling = {
            name: options.sampling.get(name, self._config[name]) for name in SAMPLING_OPTIONS
        }
        sampling["top_k"] = int(sampling["top_k"])
        return voice, language, sampling

    def _chunks(self, text: str, language: str) -> list[str]:
        chunks = []
        for chunk in split_to_fit(text, self._tokenizer.char_limit(language)):
            chunks.extend(self._fit_tokens(chunk, language))
        return chunks

    def _fit_tokens(self, chunk: str, language: str) -> list[str]:
        tokens = self._tokenizer.encode(chunk.lower(), lang=language)
        words = chunk.split()
        if len(tokens) < self._model.args.gpt_max_text_tokens or len(words) < 2:
            return [chunk]
        half = len(words) // 2
        return self._fit_tokens(" ".join(words[:half]), language) + self._fit_tokens(
            " ".join(words[half:]), language
        )

    def _voice(self, options: SynthesisOptions) -> _Voice:
        if options.blend:
            return self._blended_voice(options)
        if options.references:
            return self._cloned_voice(options.references)
        if options.speaker is not None:
            return self._builtin[options.speaker]
        if self.voices.default_speaker is not None:
            return self._builtin[self.voices.default_speaker]
        raise SynthesisInputError(
            "this XTTS model has no built-in speakers: send reference audio in the "
            "'speaker_wav' input to clone a voice"
        )

    @torch.inference_mode()
    def _blended_voice(self, options: SynthesisOptions) -> _Voice:
        """The weighted sum of the blend's voices: built-in ones, and recordings each cloned
        alone (and cached, as a voice cloned from that one recording is)."""
        voices = [
            self._builtin[term.voice]
            if isinstance(term.voice, str)
            else self._cloned_voice((options.references[term.voice],))
            for term in options.blend
        ]
        # The perceiver resampler of XTTS-v2 makes every latent 32 frames long; without it
        # (gpt_use_perceiver_resampler false) a latent is as long as its recording, up to
        # gpt_cond_len seconds: each is stretched to the longest before they are summed.
        frames = max(voice.gpt_cond_latent.shape[1] for voice in voices)
        latent = sum(
            term.weight * _stretched(voice.gpt_cond_latent.to(self._device), frames)
            for term, voice in zip(options.blend, voices, strict=True)
        )
        embedding = sum(
            term.weight * voice.speaker_embedding.to(self._device)
            for term, voice in zip(options.blend, voices, strict=True)
        )
        return _Voice(latent, embedding)

    def _cloned_voice(self, references: tuple[ReferenceAudio, ...]) -> _Voice:
        key = hashlib.sha256("".join(r.digest for r in references).encode()).hexdigest()
        with self._cloned_lock:
            if key in self._cloned:
                self._cloned.move_to_end(key)
                return self._cloned[key]
        voice = self._conditioning(references)
        with self._cloned_lock:
            self._cloned[key] = voice
            if len(self._cloned) > LATENT_CACHE_SIZE:
                self._cloned.popitem(last=False)
        return voice

    @torch.inference_mode()
    def _conditioning(self, references: tuple[ReferenceAudio, ...]) -> _Voice:
        """XTTS's get_conditioning_latents, from decoded audio instead of file paths."""
        max_samples = CONDITIONING_SAMPLE_RATE * int(self._config.max_ref_len)
        audios, embeddings = [], []
        for reference in references:
            audio = torch.from_numpy(reference.samples).float().unsqueeze(0)
            if reference.sample_rate != CONDITIONING_SAMPLE_RATE:
                audio = torchaudio.functional.resample(
                    audio, reference.sample_rate, CONDITIONING_SAMPLE_RATE
                )
            audio = audio[:, :max_samples].to(self._device)
            if self._config.sound_norm_refs:
                audio = (audio / torch.abs(audio).max().clamp(min=1e-6)) * 0.75
            embeddings.append(self._model.get_speaker_embedding(audio, CONDITIONING_SAMPLE_RATE))
            audios.append(audio)
        try:
            latent = self._model.get_gpt_cond_latents(
                torch.cat(audios, dim=-1),
                CONDITIONING_SAMPLE_RATE,
                length=int(self._config.gpt_cond_len),
                chunk_length=int(self._config.gpt_cond_chunk_len),
            )
        except RuntimeError as exc:
            raise SynthesisInputError(f"speaker_wav cannot be used: {exc}") from exc
        return _Voice(latent, torch.stack(embeddings).mean(dim=0))


def _stretched(latent: torch.Tensor, frames: int) -> torch.Tensor:
    """A [1, T, C] conditioning latent resampled linearly along T to `frames` frames."""
    if latent.shape[1] == frames:
        return latent
    stretched = torch.nn.functional.interpolate(
        latent.transpose(1, 2), size=frames, mode="linear", align_corners=True
    )
    return stretched.transpose(1, 2)
