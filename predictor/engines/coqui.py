"""Any other Coqui TTS model (VITS, Glow-TTS, Tacotron2 with a vocoder...), through coqui-tts's
own Synthesizer."""

import contextlib
import dataclasses
import hashlib
import json
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import librosa
import numpy as np
import torch
from TTS.tts.models.vits import Vits
from TTS.utils.synthesizer import PAD_SILENCE_SAMPLES, Synthesizer

from predictor.engines.base import (
    Engine,
    ModelLoadError,
    SynthesisOptions,
    TimedAudio,
    VoiceCatalog,
)
from predictor.engines.word_times import TimedSymbol, word_times
from voxraga.chunking import split_to_fit

CHECKPOINT_NAMES = ("model.pth", "model_file.pth", "best_model.pth", "checkpoint.pth")
"""Checkpoint file names in order of preference; then the newest checkpoint_<step>.pth."""
MAX_CHUNK_CHARS = 500
TRAILING_FRAMES = 16
"""Silent frames a VITS decoder hears after the last one: more than its convolutions reach."""
"""Text is synthesized sentence-packed pieces at a time, which bounds memory per call."""

# Paths a trained config carries from the machine it was trained on, and the names coqui-tts
# gives those files in a released model directory (as its ModelManager does after a download).
_RELOCATABLE_PATHS = {
    "speakers_file": ("speaker_ids.json", "speaker_ids.pth", "speakers.json", "speakers.pth"),
    "d_vector_file": ("speakers.json", "speakers.pth"),
    "language_ids_file": ("language_ids.json",),
    "speaker_encoder_model_path": ("model_se.pth", "model_se.pth.tar"),
    "speaker_encoder_config_path": ("config_se.json",),
}


def find_checkpoint(model_dir: Path) -> Path | None:
    """The checkpoint a Coqui model directory is served from, or None if it holds none."""
    for name in CHECKPOINT_NAMES:
        if (model_dir / name).is_file():
            return model_dir / name
    steps = {}
    for path in model_dir.glob("checkpoint_*.pth"):
        match = re.fullmatch(r"checkpoint_(\d+)\.pth", path.name)
        if match:
            steps[int(match.group(1))] = path
    if steps:
        return steps[max(steps)]
    others = sorted(model_dir.glob("*.pth")) + sorted(model_dir.glob("*.pth.tar"))
    others = [p for p in others if not p.name.startswith(("speaker", "model_se"))]
    return others[0] if len(others) == 1 else None


def relocate_config(config: dict[str, Any], model_dir: Path) -> bool:
    """Point paths in `config` that do not exist at the same files inside `model_dir`.

    Returns whether anything changed.
    """
    changed = False
    for section in (config, config.get("model_args") or {}):
        for key, defaults in _RELOCATABLE_PATHS.items():
            value = section.get(key)
            if not value or isinstance(value, list):
                continue
            if Path(value).is_file():
                continue
            for name in (Path(value).name, *defaults):
                if (model_dir / name).is_file():
                    section[key] = str(model_dir / name)
                    changed = True
                    break
    return changed


class CoquiEngine(Engine):
    """A Coqui TTS checkpoint directory: config.json and a checkpoint, optional speakers and
    language files, optional `vocoder/` directory with its own config.json and checkpoint."""

    family = "coqui"

    def __init__(self, model_dir: Path, synthesizer: Synthesizer, device: str = "cpu") -> None:
        self.model_dir = model_dir
        self._synthesizer = synthesizer
        self._model = synthesizer.tts_model
        self.sample_rate = int(synthesizer.output_sample_rate)
        speakers = self._names(getattr(self._model, "speaker_manager", None), "speaker_names")
        languages = self._names(getattr(self._model, "language_manager", None), "language_names")
        # A VITS without a separate vocoder says a padded batch in one call, with its lengths,
        # and the frames it gave each of its symbols.
        self.batches = isinstance(self._model, Vits) and synthesizer.vocoder_model is None
        self.word_durations = self.batches
        self.voices = VoiceCatalog(
            speakers=speakers,
            languages=languages,
            default_speaker=speakers[0] if speakers else None,
            default_language=languages[0] if languages else None,
            # A VITS is called with a speaker embedding: a weighted sum of its speakers' is one.
            supports_blending=self.batches and len(speakers) > 1,
            blending_refused_because=(
                "it has one voice"
                if len(speakers) <= 1
                else "only a VITS mixes its speakers' embeddings here, and this model is a "
                f"{type(self._model).__name__}"
            ),
        )
        # On a CPU a padded batch costs more than it saves (measured: 0.46 against 0.85
        # requests/s at 16 clients on a full-size VITS); a GPU is filled by it.
        self.batch_by_default = self.batches and device == "cuda"
        self._onnx = False
        if self.batches:
            self._model.waveform_decoder = _TrailingSilence(self._model.waveform_decoder)

    @staticmethod
    def _names(manager: object, attribute: str) -> tuple[str, ...]:
        if manager is None:
            return ()
        return tuple(getattr(manager, attribute, ()) or ())

    @classmethod
    def load(
        cls, model_dir: Path, device: str, scratch_dir: Path, backend: str = "torch"
    ) -> "CoquiEngine":
        """Load a Coqui checkpoint directory onto `device`, on `backend` ("torch", "onnx",
        "onnx-int8": a VITS exported to ONNX into `scratch_dir`); never writes into
        `model_dir`."""
        checkpoint = find_checkpoint(model_dir)
        if checkpoint is None:
            raise ModelLoadError(
                f"{model_dir}: Coqui model has config.json but no checkpoint "
                f"(expected one of {', '.join(CHECKPOINT_NAMES)} or checkpoint_<step>.pth)"
            )
        config_path = _served_config(model_dir, scratch_dir)
        vocoder_checkpoint, vocoder_config = _vocoder(model_dir)
        try:
            synthesizer = Synthesizer(
                tts_checkpoint=checkpoint,
                tts_config_path=config_path,
                vocoder_checkpoint=vocoder_checkpoint,
                vocoder_config=vocoder_config,
                voice_dir=scratch_dir / "voices",
                use_cuda=device == "cuda",
            )
        except Exception as exc:
            raise ModelLoadError(f"{checkpoint}: cannot load the Coqui TTS model: {exc}") from exc
        engine = cls(model_dir, synthesizer, device)
        if backend != "torch":
            engine._run_on_onnx(checkpoint, scratch_dir, device, int8=backend == "onnx-int8")
        return engine

    def _run_on_onnx(self, checkpoint: Path, scratch_dir: Path, device: str, int8: bool) -> None:
        """Export the VITS to ONNX (once per checkpoint: cached in `scratch_dir`), optionally
        with int8 weights, and synthesize through ONNX Runtime from now on."""
        if not self.batches:
            raise ModelLoadError(
                f"{checkpoint}: ONNX runs a VITS without a separate vocoder; this model is a "
                f"{type(self._model).__name__}: serve it with --backend torch"
            )
        stat = checkpoint.stat()
        digest = hashlib.sha256(f"{checkpoint}:{stat.st_size}:{stat.st_mtime_ns}".encode())
        exported = scratch_dir / f"vits-{digest.hexdigest()[:16]}.onnx"
        scratch_dir.mkdir(parents=True, exist_ok=True)
        try:
            if not exported.is_file():
                partial = exported.with_suffix(".partial")
                self._model.export_onnx(str(partial), verbose=False)
                partial.replace(exported)
            if int8:
                quantized = exported.with_suffix(".int8.onnx")
                if not quantized.is_file():
                    _quantize(exported, quantized)
                exported = quantized
            self._model.load_onnx(str(exported), cuda=device == "cuda")
        except Exception as exc:
            raise ModelLoadError(f"{checkpoint}: cannot run the VITS on ONNX: {exc}") from exc
        self._onnx = True
        # The exported graph's one output is the audio.
        self.batches = self.batch_by_default = self.word_durations = False
        if self.voices.supports_blending:
            self.voices = dataclasses.replace(
                self.voices,
                supports_blending=False,
                blending_refused_because="the ONNX graph it runs on takes one speaker id "
                "(--backend onnx); on --backend torch it blends voices",
            )

    def synthesize(self, text: str, options: SynthesisOptions) -> np.ndarray:
        """Say `text`; `speed` sets the model's length scale where it has one."""
        if options.blend:
            # coqui-tts's Synthesizer takes a speaker's name: a blend goes to the VITS directly.
            pieces = [
                self._say_together([chunk], options)[0].audio
                for chunk in split_to_fit(text, MAX_CHUNK_CHARS)
            ]
            return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)
        if self._onnx:
            pieces = [
                self._say_on_onnx(chunk, options) for chunk in split_to_fit(text, MAX_CHUNK_CHARS)
            ]
            audio = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)
            return audio
        base_length_scale = getattr(self._model, "length_scale", None)
        if base_length_scale is not None:
            self._model.length_scale = base_length_scale / options.speed
        try:
            pieces = [
                np.asarray(
                    self._synthesizer.tts(
                        chunk,
                        speaker_name=options.speaker or self.voices.default_speaker,
                        language_name=options.language or self.voices.default_language,
                        split_sentences=False,
                    ),
                    dtype=np.float32,
                )
                for chunk in split_to_fit(text, MAX_CHUNK_CHARS)
            ]
        finally:
            if base_length_scale is not None:
                self._model.length_scale = base_length_scale
        audio = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)
        if base_length_scale is None and options.speed != 1.0:
            audio = librosa.effects.time_stretch(audio, rate=options.speed)
        return np.clip(audio, -1.0, 1.0).astype(np.float32)

    def synthesize_batch(self, texts: list[str], options: SynthesisOptions) -> list[np.ndarray]:
        """Several texts in one VITS call: padded token ids with their lengths in, padded audio
        with each item's frame count out. Each item is what `synthesize` makes of it alone."""
        if not self.batches or len(texts) == 1 or any(len(t) > MAX_CHUNK_CHARS for t in texts):
            return super().synthesize_batch(texts, options)
        return [said.audio for said in self._say_together(texts, options)]

    def synthesize_batch_timed(
        self, texts: list[str], options: SynthesisOptions
    ) -> list[TimedAudio]:
        """Each text as `synthesize_batch` says it, with each word's time from the frames the
        VITS gave each of its symbols (which `speed` has already scaled)."""
        if not self.word_durations:
            return super().synthesize_batch_timed(texts, options)
        if all(len(text) <= MAX_CHUNK_CHARS for text in texts):
            said = self._say_together(texts, options, timed=True)
            return [
                self._timed(text, item.audio, item.symbols)
                for text, item in zip(texts, said, strict=True)
            ]
        return [self._say_timed_in_pieces(text, options) for text in texts]

    def _say_timed_in_pieces(self, text: str, options: SynthesisOptions) -> TimedAudio:
        """A text too long for one call, piece by piece as `synthesize` says it, its words timed
        on the whole."""
        pieces: list[np.ndarray] = []
        symbols: list[TimedSymbol] = []
        for chunk in split_to_fit(text, MAX_CHUNK_CHARS):
            said = self._say_together([chunk], options, timed=True)[0]
            offset = sum(len(piece) for piece in pieces) / self.sample_rate
            symbols += [TimedSymbol(s.text, s.start + offset, s.end + offset) for s in said.symbols]
            pieces.append(said.audio)
            # A word ends with its piece.
            end = offset + len(said.audio) / self.sample_rate
            symbols.append(TimedSymbol(" ", end, end))
        return self._timed(text, np.concatenate(pieces), symbols)

    def _timed(self, text: str, audio: np.ndarray, symbols: list[TimedSymbol]) -> TimedAudio:
        """`audio` with the times of `text`'s words, none past its end (where the model's
        silence at the end was trimmed)."""
        seconds = len(audio) / self.sample_rate
        times = word_times(text, symbols)
        return TimedAudio(audio, tuple((min(a, seconds), min(b, seconds)) for a, b in times))

    def _say_together(
        self, texts: list[str], options: SynthesisOptions, timed: bool = False
    ) -> list["_Said"]:
        """Texts of at most MAX_CHUNK_CHARS each, in one VITS call; with when each of their
        symbols is said if `timed`."""
        model = self._model
        language = options.language or self.voices.default_language
        ids = [model.tokenizer.text_to_ids(text, language=language) for text in texts]
        lengths = torch.tensor([len(i) for i in ids], dtype=torch.long)
        tokens = torch.zeros(len(ids), int(lengths.max()), dtype=torch.long)
        for row, item in enumerate(ids):
            tokens[row, : len(item)] = torch.as_tensor(item, dtype=torch.long)
        language_id = model._get_language_id(language)
        device = model.device
        base_length_scale = model.length_scale
        model.length_scale = base_length_scale / options.speed
        try:
            with torch.inference_mode(), self._speaker(options) as (speaker_id, d_vector):
                aux_input = {
                    "x_lengths": lengths.to(device),
                    "speaker_ids": None if speaker_id is None else speaker_id.repeat(len(ids)),
                    "d_vectors": None if d_vector is None else d_vector.repeat(len(ids), 1),
                    "language_ids": None
                    if language_id is None
                    else torch.tensor([language_id] * len(ids), device=device),
                }
                outputs = model.inference(tokens.to(device), aux_input=aux_input)
        finally:
            model.length_scale = base_length_scale
        audio = outputs["model_outputs"][:, 0, :].cpu().numpy()
        samples_per_frame = int(np.prod(model.args.upsample_rates_decoder))
        frames = outputs["y_mask"].sum(dim=(1, 2)).cpu().numpy().astype(int)
        durations = outputs["durations"][:, 0, :].cpu().numpy().astype(np.float64)
        said = []
        for row, item in enumerate(ids):
            samples = frames[row] * samples_per_frame
            symbols = []
            if timed:
                # The decoder's frames may be finer than the durations' (a VITS whose encoder
                # runs at a lower sample rate): seconds a duration frame from the item's totals.
                frame_seconds = samples / max(float(durations[row].sum()), 1.0) / self.sample_rate
                symbols = self._symbols(item, durations[row, : len(item)] * frame_seconds)
            said.append(_Said(self._finish(audio[row, :samples]), symbols))
        return said

    def _symbols(self, ids: list[int], seconds: np.ndarray) -> list[TimedSymbol]:
        """What each token id stands for (a character or phoneme; None for a blank, the start
        and end), and when it is said: `seconds` each, one after the other."""
        tokenizer = self._model.tokenizer
        blank = tokenizer.blank_id if tokenizer.add_blank else None
        texts: list[str | None] = [
            None if i == blank else tokenizer.characters.id_to_char(i) for i in ids
        ]
        if tokenizer.use_eos_bos:
            texts[0] = texts[-1] = None
        ends = np.cumsum(seconds)
        return [
            TimedSymbol(text, float(end - length), float(end))
            for text, end, length in zip(texts, ends, seconds, strict=True)
        ]

    @contextlib.contextmanager
    def _speaker(
        self, options: SynthesisOptions
    ) -> Iterator[tuple[torch.Tensor | None, torch.Tensor | None]]:
        """The (speaker id, d-vector) a VITS is called with, one of them None, for the duration
        of one call. A blend of a model with a speaker embedding table is one embedding: the
        table is replaced for the call by one whose every row is the blend."""
        model = self._model
        if not options.blend:
            yield model._get_speaker_id_or_dvector(
                options.speaker or self.voices.default_speaker, None, None
            )
            return
        speaker_id, d_vector = self._blended_speaker(options)
        if d_vector is not None:
            yield None, d_vector
            return
        table = model.emb_g
        model.emb_g = _OneSpeaker(speaker_id)
        try:
            yield torch.zeros(1, dtype=torch.long, device=model.device), None
        finally:
            model.emb_g = table

    @torch.inference_mode()
    def _blended_speaker(
        self, options: SynthesisOptions
    ) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        """The weighted sum of the blend's speakers: (their speaker embedding, None) for a
        model with an embedding table, (None, their d-vector) for one with d-vectors; each
        [1, C]."""
        model = self._model
        embeddings, d_vectors = [], []
        for term in options.blend:
            speaker_id, d_vector = model._get_speaker_id_or_dvector(term.voice, None, None)
            if d_vector is not None:
                d_vectors.append(term.weight * d_vector)
            else:
                embeddings.append(term.weight * model.emb_g(speaker_id))
        if d_vectors:
            return None, sum(d_vectors)
        return sum(embeddings), None

    def _say_on_onnx(self, text: str, options: SynthesisOptions) -> np.ndarray:
        """One chunk through the exported graph, finished as Synthesizer.tts finishes it."""
        model = self._model
        language = options.language or self.voices.default_language
        speaker = options.speaker or self.voices.default_speaker
        ids = np.array([model.tokenizer.text_to_ids(text, language=language)], dtype=np.int64)
        manager = model.speaker_manager
        speaker_id = manager.name_to_id[speaker] if manager and speaker else None
        # The exported graph takes a language id only where the model embeds languages.
        languages = model.language_manager.num_languages > 0 and model.embedded_language_dim > 0
        language_id = model._get_language_id(language) if languages else None
        base_length_scale = model.length_scale
        model.length_scale = base_length_scale / options.speed
        try:
            audio = model.inference_onnx(ids, speaker_id=speaker_id, language_id=language_id)
        finally:
            model.length_scale = base_length_scale
        return self._finish(np.asarray(audio, dtype=np.float32).squeeze())

    def _finish(self, waveform: np.ndarray) -> np.ndarray:
        """What Synthesizer.tts does after the model: trim silence, pad the sentence's end."""
        if self._synthesizer.tts_config.audio.get("do_trim_silence"):
            waveform = waveform[: self._model.ap.find_endpoint(waveform)]
        padded = np.concatenate([waveform, np.zeros(PAD_SILENCE_SAMPLES, dtype=np.float32)])
        return np.clip(padded, -1.0, 1.0).astype(np.float32)


def _quantize(exported: Path, quantized: Path) -> None:
    """int8 weights for every layer whose weights the graph holds as constants (a layer whose
    weights the exporter computed, as it may a zeroed one, stays fp32)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(exported)).graph
    constants = {initializer.name for initializer in graph.initializer}
    computed = [
        node.name
        for node in graph.node
        if node.op_type in ("Conv", "ConvTranspose", "MatMul", "Gemm")
        and len(node.input) > 1
        and node.input[1] not in constants
    ]
    partial = quantized.with_suffix(".partial")
    quantize_dynamic(exported, partial, weight_type=QuantType.QInt8, nodes_to_exclude=computed)
    partial.replace(quantized)


@dataclasses.dataclass(frozen=True)
class _Said:
    """A text said in one VITS call."""

    audio: np.ndarray
    """As `synthesize` makes it."""
    symbols: list[TimedSymbol]
    """When each of its symbols is said; empty where that was not asked for."""


class _OneSpeaker(torch.nn.Module):
    """A VITS speaker embedding table whose every row is one embedding (a blend of the
    model's speakers)."""

    def __init__(self, embedding: torch.Tensor) -> None:
        super().__init__()
        self.embedding = embedding

    def forward(self, speaker_ids: torch.Tensor) -> torch.Tensor:
        """The embedding, once per id: [len(speaker_ids), C]."""
        return self.embedding.expand(len(speaker_ids), -1)


class _TrailingSilence(torch.nn.Module):
    """A VITS decoder that always hears silence after the last frame.

    In a padded batch the frames after a short item are silence the decoder's convolutions hear;
    alone, its output ended at the last frame. Decoding every item with silence after it makes
    an item's audio the same alone and in a batch (the last few milliseconds differed).
    """

    def __init__(self, decoder: torch.nn.Module, frames: int = TRAILING_FRAMES) -> None:
        super().__init__()
        self.decoder = decoder
        self.frames = frames

    def forward(self, z: torch.Tensor, g: torch.Tensor | None = None) -> torch.Tensor:
        """Decode `z` with silent frames after it, and cut the audio at `z`'s end."""
        audio = self.decoder(torch.nn.functional.pad(z, (0, self.frames)), g=g)
        samples_per_frame = audio.shape[-1] // (z.shape[-1] + self.frames)
        return audio[..., : z.shape[-1] * samples_per_frame]


def _served_config(model_dir: Path, scratch_dir: Path) -> Path:
    """config.json, or a scratch copy whose training-machine paths point into `model_dir`."""
    config_path = model_dir / "config.json"
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"{config_path}: not a readable JSON Coqui config: {exc}") from exc
    if not relocate_config(config, model_dir):
        return config_path
    scratch_dir.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix="config-", suffix=".json", dir=scratch_dir)
    with open(handle, "w", encoding="utf-8") as file:
        json.dump(config, file)
    return Path(name)


def _vocoder(model_dir: Path) -> tuple[Path | None, Path | None]:
    vocoder_dir = model_dir / "vocoder"
    if not (vocoder_dir / "config.json").is_file():
        return None, None
    checkpoint = find_checkpoint(vocoder_dir)
    if checkpoint is None:
        raise ModelLoadError(
            f"{vocoder_dir}: vocoder has config.json but no checkpoint "
            f"(expected one of {', '.join(CHECKPOINT_NAMES)})"
        )
    return checkpoint, vocoder_dir / "config.json"
