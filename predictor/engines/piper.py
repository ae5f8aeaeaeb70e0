"""ONNX VITS voices in Piper's format (`voice.onnx` beside `voice.onnx.json`), run by piper-tts.

piper-tts is GPL-3.0-or-later: this module is imported only when a Piper voice is served.
"""

import json
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import onnxruntime
from piper import AudioChunk, PiperConfig, PiperVoice, SynthesisConfig

from predictor.engines.base import (
    Engine,
    ModelLoadError,
    NumericOption,
    SynthesisOptions,
    TimedAudio,
    VoiceCatalog,
)
from predictor.engines.word_times import TimedSymbol, word_times

logger = logging.getLogger(__name__)

SAMPLING_OPTIONS = {
    "noise_scale": NumericOption(0.0, 2.0),
    "noise_w_scale": NumericOption(0.0, 2.0),
}


def find_voice(model_dir: Path) -> tuple[Path, Path] | None:
    """The (onnx, json) pair of the one Piper voice in `model_dir`, or None if it holds none."""
    voices = sorted(p for p in model_dir.glob("*.onnx") if Path(f"{p}.json").is_file())
    if not voices:
        return None
    if len(voices) > 1:
        names = ", ".join(p.name for p in voices)
        raise ModelLoadError(
            f"{model_dir}: holds several Piper voices ({names}); serve one voice per model"
        )
    return voices[0], Path(f"{voices[0]}.json")


class PiperEngine(Engine):
    """A Piper voice: one or more speakers, one language."""

    family = "piper"
    # An ONNX Runtime session runs concurrent calls; Piper's own server relies on it too.
    thread_safe = True

    def default_parallel(self) -> int:
        """One call a core: a call alone uses every core, beside others one thread."""
        return os.cpu_count() or 1

    def __init__(
        self, model_dir: Path, voice: PiperVoice, narrow: PiperVoice, language: str | None
    ) -> None:
        self.model_dir = model_dir
        self._voice = voice
        self._narrow = narrow
        # The graph says how many frames each phoneme lasts where its durations are an output.
        self.word_durations = len(voice.session.get_outputs()) > 1
        self._calls = 0
        self._calls_lock = threading.Lock()
        self.sample_rate = int(voice.config.sample_rate)
        speaker_ids = dict(voice.config.speaker_id_map)
        self._speaker_ids = speaker_ids
        speakers = tuple(sorted(speaker_ids, key=speaker_ids.__getitem__))
        self.voices = VoiceCatalog(
            speakers=speakers,
            languages=(language,) if language else (),
            default_speaker=speakers[0] if speakers else None,
            default_language=language,
            blending_refused_because="a Piper voice is called with one speaker id, not a "
            "speaker embedding that voices could be mixed into",
            options=SAMPLING_OPTIONS,
        )

    @classmethod
    def load(cls, model_dir: Path, device: str) -> "PiperEngine":
        """Load the Piper voice in `model_dir`; CUDA through onnxruntime's CUDA provider."""
        found = find_voice(model_dir)
        if found is None:
            raise ModelLoadError(
                f"{model_dir}: no Piper voice (expected x.onnx beside x.onnx.json)"
            )
        onnx_path, config_path = found
        try:
            config = json.loads(config_path.read_text(encoding="utf-8"))
            graph = _with_durations(onnx_path)
            providers = (
                [("CUDAExecutionProvider", {"cudnn_conv_algo_search": "HEURISTIC"})]
                if device == "cuda"
                else ["CPUExecutionProvider"]
            )
            voices = [
                PiperVoice(
                    config=PiperConfig.from_dict(config),
                    session=onnxruntime.InferenceSession(
                        graph, sess_options=options, providers=providers
                    ),
                )
                for options in (onnxruntime.SessionOptions(), _one_thread())
            ]
        except Exception as exc:
            raise ModelLoadError(f"{onnx_path}: cannot load the Piper voice: {exc}") from exc
        return cls(model_dir, *voices, _language(config))

    def synthesize(self, text: str, options: SynthesisOptions) -> np.ndarray:
        """Say `text`; Piper splits it into sentences itself."""
        chunks = self._say(text, options, alignments=False)
        return _joined([chunk.audio_float_array for chunk in chunks])

    def synthesize_batch_timed(
        self, texts: list[str], options: SynthesisOptions
    ) -> list[TimedAudio]:
        """Say each of `texts` with each word's time, from the frames the voice gives each
        phoneme (where its graph has them as an output)."""
        if not self.word_durations:
            return super().synthesize_batch_timed(texts, options)
        return [self._say_timed(text, options) for text in texts]

    def _say_timed(self, text: str, options: SynthesisOptions) -> TimedAudio:
        chunks = list(self._say(text, options, alignments=True))
        audio = _joined([chunk.audio_float_array for chunk in chunks])
        symbols, samples = [], 0
        for chunk in chunks:
            if chunk.phoneme_alignments is None:
                # A phoneme Piper could not match with its ids: no durations for this text.
                logger.info("Piper gave no phoneme durations for a sentence of %r", text[:80])
                return TimedAudio(audio)
            at = samples
            last = len(chunk.phoneme_alignments) - 1
            for index, alignment in enumerate(chunk.phoneme_alignments):
                # The first and last are the sentence's start and end, not phonemes.
                phoneme = alignment.phoneme if 0 < index < last else None
                end = at + int(alignment.num_samples)
                symbols.append(TimedSymbol(phoneme, at / self.sample_rate, end / self.sample_rate))
                at = end
            # A word ends with its sentence.
            symbols.append(TimedSymbol(" ", at / self.sample_rate, at / self.sample_rate))
            samples += len(chunk.audio_float_array)
        return TimedAudio(audio, word_times(text, symbols))

    def _say(self, text: str, options: SynthesisOptions, alignments: bool) -> Iterator[AudioChunk]:
        """Piper's sentences of `text`, with their phonemes' durations if `alignments`."""
        config = self._voice.config
        syn_config = SynthesisConfig(
            speaker_id=self._speaker_ids.get(options.speaker) if options.speaker else None,
            length_scale=config.length_scale / options.speed,
            noise_scale=options.sampling.get("noise_scale", config.noise_scale),
            noise_w_scale=options.sampling.get("noise_w_scale", config.noise_w_scale),
        )
        # Alone, a call uses every core; beside others, one each, so that threads do not fight
        # over the cores (bench/load.py, 16 clients on two cores: 6.29 requests/s at 309 CPU ms
        # a request, against 5.38 at 364 with every call on every core; Piper's own server 5.77).
        with self._calls_lock:
            self._calls += 1
            voice = self._voice if self._calls == 1 else self._narrow
        try:
            yield from voice.synthesize(text, syn_config, include_alignments=alignments)
        finally:
            with self._calls_lock:
                self._calls -= 1


def _with_durations(onnx_path: Path) -> bytes | str:
    """The voice's graph with each phoneme's frame count as a second output (Piper's own patch,
    in memory: the voice's files are not written), or its path where that cannot be done."""
    try:
        import onnx
        from piper.patch_voice_with_alignment import add_alignment_output
    except ImportError:
        logger.info("No onnx package: Piper words get no times from the voice's durations")
        return str(onnx_path)
    graph = onnx.load(str(onnx_path))
    try:
        add_alignment_output(graph)
    except ValueError as exc:
        # Already an output (a patched voice), or no single Ceil node to find.
        logger.info("Piper voice %s: phoneme durations not added as an output: %s", onnx_path, exc)
    return graph.SerializeToString()


def _joined(pieces: list[np.ndarray]) -> np.ndarray:
    if not pieces:
        return np.zeros(0, dtype=np.float32)
    return np.clip(np.concatenate(pieces), -1.0, 1.0).astype(np.float32)


def _one_thread() -> onnxruntime.SessionOptions:
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return options


def _language(config: dict) -> str | None:
    """The voice's language code, "en" for a voice whose config says en_US."""
    language = config.get("language") or {}
    family = language.get("family") or str(language.get("code", "")).split("_")[0]
    return family or None
