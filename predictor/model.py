"""The kserve.Model that serves one speech model over V2: load, predict, metadata."""

import asyncio
import contextlib
import hashlib
import logging
import time
import uuid
from collections.abc import AsyncGenerator, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from kserve import InferOutput, InferRequest, InferResponse, Model
from kserve.errors import InferenceError, InvalidInput, ModelNotReady
from kserve.protocol.infer_type import to_http_parameters

from predictor import metrics
from predictor.engines import (
    STREAM_CHUNK_TOKENS,
    Engine,
    ModelLoadError,
    SynthesisInputError,
    SynthesisOptions,
    TimedAudio,
    load_engine,
)
from predictor.request import RawInput, RequestError, SynthesisRequest, parse_request
from predictor.scheduler import QueueFullError, Scheduling, SynthesisScheduler
from voxraga import word_times as word_times_format
from voxraga.contract import (
    AUDIO_LENGTH_OUTPUT,
    AUDIO_OUTPUT,
    MODEL_VERSION_HEADER,
    MODEL_VERSION_PARAMETER,
    SAMPLE_RATE_PARAMETER,
    SPEAKER_WAV_INPUT,
    TEXT_INPUT,
    WORD_TIMES_OUTPUT,
    Limits,
)
from voxraga.kserve_compat import answers_in_binary
from voxraga.overload import TooManyRequestsError

logger = logging.getLogger(__name__)

BINARY_BYTES_PER_SAMPLE = 4
RETRY_AFTER_S = 1
"""What a refused client is told to wait: the queue moves an item every second or faster."""
JSON_BYTES_PER_SAMPLE = 24
"""A sample in a JSON response: KServe writes Python doubles, about 21 characters each."""


@dataclass(frozen=True)
class AudioStream:
    """One text being said, piece by piece (`SpeechModel.stream`)."""

    sample_rate: int
    """Samples per second of every piece."""
    model_version: str
    """The model that says it."""
    chunks: AsyncGenerator[np.ndarray, None]
    """Mono float32 PCM in [-1, 1], in order, none empty; raises InferenceError if synthesis
    fails part way. Closing it (`aclose`) stops the synthesis."""


class SpeechModel(Model):
    """Text in, speech out: `text` BYTES [N] → `audio` FP32 [N, T], `audio_length` INT32 [N],
    and `word_times` BYTES [N] where asked for and the model has durations."""

    def __init__(
        self,
        name: str,
        model_dir: str,
        device: str = "auto",
        limits: Limits | None = None,
        model_version: str | None = None,
        scratch_dir: Path | None = None,
        scheduling: Scheduling | None = None,
        backend: str = "torch",
        stream_chunk_tokens: int = STREAM_CHUNK_TOKENS,
    ) -> None:
        super().__init__(name, return_response_headers=True)
        self.model_dir = model_dir
        self.device = device
        self.limits = limits or Limits()
        self.model_version = model_version
        self.scratch_dir = scratch_dir or Path("/tmp/vox-raga")
        self.scheduling = scheduling or Scheduling()
        self.backend = backend
        self.stream_chunk_tokens = stream_chunk_tokens
        self.engine: Engine | None = None
        # Engines are not thread-safe, and one synthesis already uses every core: requests queue
        # on the scheduler's one thread, off the event loop, so health checks and metadata are
        # answered meanwhile.
        self.scheduler: SynthesisScheduler | None = None

    def load(self) -> bool:
        """Fetch the model, load it on the device, say one warm-up sentence, then be ready."""
        local_dir = self._fetch()
        device = _resolve_device(self.device)
        started = time.perf_counter()
        engine = load_engine(
            local_dir, device, self.scratch_dir, self.backend, self.stream_chunk_tokens
        )
        logger.info(
            "Loaded %s model from %s on %s in %.1f s",
            engine.family,
            local_dir,
            device,
            time.perf_counter() - started,
        )
        started = time.perf_counter()
        try:
            engine.synthesize(engine.warm_up_text(), SynthesisOptions())
        except Exception as exc:
            raise ModelLoadError(
                f"{local_dir}: the {engine.family} model loaded but cannot synthesize: {exc}"
            ) from exc
        logger.info("Warm-up synthesis took %.1f s", time.perf_counter() - started)
        self.engine = engine
        self.model_version = self.model_version or fingerprint(engine)
        self.scheduler = SynthesisScheduler(engine, self.name, self.model_version, self.scheduling)
        self.ready = True
        return self.ready

    def _fetch(self) -> Path:
        if "://" not in self.model_dir:
            path = Path(self.model_dir)
            if not path.exists():
                raise ModelLoadError(f"{path}: model directory does not exist")
            return path
        # kserve-storage pulls in every cloud SDK: imported only when a URI needs it.
        from kserve_storage import Storage

        try:
            downloaded = Storage.download(self.model_dir, str(self.scratch_dir / "model"))
        except Exception as exc:
            raise ModelLoadError(f"{self.model_dir}: cannot download the model: {exc}") from exc
        return Path(downloaded)

    def get_input_types(self) -> list[dict]:
        """Declared in the V2 model metadata."""
        return [
            {"name": TEXT_INPUT, "datatype": "BYTES", "shape": [-1]},
            {"name": SPEAKER_WAV_INPUT, "datatype": "BYTES", "shape": [-1]},
        ]

    def get_output_types(self) -> list[dict]:
        """Declared in the V2 model metadata: `word_times` where the model can answer it."""
        outputs = [
            {"name": AUDIO_OUTPUT, "datatype": "FP32", "shape": [-1, -1]},
            {"name": AUDIO_LENGTH_OUTPUT, "datatype": "INT32", "shape": [-1]},
        ]
        if self.engine is not None and self.engine.word_durations:
            outputs.append({"name": WORD_TIMES_OUTPUT, "datatype": "BYTES", "shape": [-1]})
        return outputs

    async def predict(
        self,
        payload: InferRequest,
        headers: dict[str, str] | None = None,
        response_headers: dict[str, str] | None = None,
    ) -> InferResponse:
        """Validate, synthesize every item through the scheduler, return padded PCM."""
        engine, scheduler = self._ready_engine()
        with self._counted():
            request = await self._parse(payload, engine)
            said = await scheduler.synthesize(request.texts, request.options, request.word_times)
            self._check_response_size(payload, [item.audio for item in said])
        if response_headers is not None:
            response_headers[MODEL_VERSION_HEADER] = str(self.model_version)
        return self._response(payload, said, engine.sample_rate, request.word_times)

    async def stream(self, payload: InferRequest) -> AudioStream:
        """Validate a request of one text and start saying it, piece by piece as the engine
        makes it. Returns once the first piece is made (or the text is said), so that every
        error before any audio is raised here, as `predict` raises it."""
        engine, scheduler = self._ready_engine()
        # An error, or a cancellation, ends the generator: it has closed what it opened.
        chunks = self._streamed(payload, engine, scheduler)
        first = await anext(chunks, None)
        return AudioStream(engine.sample_rate, str(self.model_version), _then(first, chunks))

    async def _streamed(
        self, payload: InferRequest, engine: Engine, scheduler: SynthesisScheduler
    ) -> AsyncGenerator[np.ndarray, None]:
        with self._counted():
            request = await self._parse(payload, engine)
            if len(request.texts) != 1:
                raise InvalidInput(
                    f"'{TEXT_INPUT}' has {len(request.texts)} items; a stream says one text: "
                    "send one item, or several to /infer"
                )
            async with contextlib.aclosing(
                scheduler.stream(request.texts[0], request.options)
            ) as chunks:
                async for chunk in chunks:
                    yield chunk

    @contextlib.contextmanager
    def _counted(self) -> Iterator[None]:
        """Count the request's outcome, and turn what synthesis raised into the errors clients
        see (QueueFullError a 429, SynthesisInputError a 400, anything unexpected a 500)."""
        outcome = "error"
        try:
            yield
            outcome = "ok"
        except QueueFullError as exc:
            outcome = "rejected"
            raise TooManyRequestsError(str(exc), RETRY_AFTER_S) from exc
        except (asyncio.CancelledError, GeneratorExit):
            # The client went away (gRPC cancel, HTTP disconnect, a stream closed early): its
            # pending items are skipped.
            outcome = "cancelled"
            raise
        except SynthesisInputError as exc:
            outcome = "invalid"
            raise InvalidInput(str(exc)) from exc
        except InvalidInput:
            outcome = "invalid"
            raise
        except Exception as exc:
            logger.exception("Synthesis failed")
            raise InferenceError(f"synthesis failed: {type(exc).__name__}: {exc}") from exc
        finally:
            metrics.REQUESTS.labels(self.name, str(self.model_version), outcome).inc()

    async def _parse(self, payload: InferRequest, engine: Engine) -> SynthesisRequest:
        # Decoding reference audio is real work: off the event loop, but not queued behind
        # synthesis, so a bad request is refused at once.
        try:
            return await asyncio.get_running_loop().run_in_executor(
                None,
                parse_request,
                _raw_inputs(payload),
                to_http_parameters(payload.parameters or {}),
                engine.voices,
                self.limits,
            )
        except RequestError as exc:
            raise InvalidInput(str(exc)) from exc

    def _check_response_size(self, payload: InferRequest, audios: list[np.ndarray]) -> None:
        binary = answers_in_binary(payload, AUDIO_OUTPUT)
        values = len(audios) * max((len(a) for a in audios), default=0)
        size = values * (BINARY_BYTES_PER_SAMPLE if binary else JSON_BYTES_PER_SAMPLE)
        if size > self.limits.max_response_bytes:
            raise InvalidInput(
                f"the audio for this request is {values} samples, about {size} bytes"
                f"{'' if binary else ' as JSON'}; a response carries at most "
                f"{self.limits.max_response_bytes} bytes: send fewer or shorter texts"
                + ("" if binary else ", or ask for binary outputs (binary_data) or use gRPC")
            )

    def _ready_engine(self) -> tuple[Engine, SynthesisScheduler]:
        if self.engine is None or self.scheduler is None:
            raise ModelNotReady(self.name)
        return self.engine, self.scheduler

    def _response(
        self, payload: InferRequest, said: list[TimedAudio], sample_rate: int, word_times: bool
    ) -> InferResponse:
        lengths = np.array([len(item.audio) for item in said], dtype=np.int32)
        padded = np.zeros((len(said), int(lengths.max(initial=0))), dtype=np.float32)
        for row, item in enumerate(said):
            padded[row, : len(item.audio)] = item.audio
        binary = payload.from_grpc or payload.use_binary_outputs
        outputs = {AUDIO_OUTPUT: (padded, "FP32"), AUDIO_LENGTH_OUTPUT: (lengths, "INT32")}
        # Every item's times, or none: where the engine has no durations, the caller estimates.
        timed = word_times and all(item.word_times is not None for item in said)
        if timed:
            outputs[WORD_TIMES_OUTPUT] = (_word_times_tensor(said), "BYTES")
        infer_outputs = []
        for name, (data, datatype) in outputs.items():
            output = InferOutput(name, list(data.shape), datatype)
            if payload.from_grpc:
                # Raw bytes: tritonclient cannot read gRPC outputs in typed contents.
                output.set_data_from_numpy(data, binary_data=True)
            else:
                # to_rest() serializes numpy data as JSON lists or binary, per requested output.
                output.data = data
            infer_outputs.append(output)
        # A client may ask for `word_times` by name: where there are none, it is left out
        # rather than failing the request.
        requested = [
            output
            for output in payload.request_outputs or []
            if output.name != WORD_TIMES_OUTPUT or timed
        ]
        return InferResponse(
            response_id=payload.id or str(uuid.uuid4()),
            model_name=self.name,
            model_version=self.model_version,
            infer_outputs=infer_outputs,
            parameters={
                SAMPLE_RATE_PARAMETER: sample_rate,
                MODEL_VERSION_PARAMETER: str(self.model_version),
            },
            use_binary_outputs=binary,
            requested_outputs=requested or None,
        )


async def _then(
    first: np.ndarray | None, rest: AsyncGenerator[np.ndarray, None]
) -> AsyncGenerator[np.ndarray, None]:
    async with contextlib.aclosing(rest):
        if first is not None:
            yield first
        async for chunk in rest:
            yield chunk


def _word_times_tensor(said: list[TimedAudio]) -> np.ndarray:
    """`word_times` BYTES [N]: each item's [start, end] seconds, a UTF-8 JSON array."""
    return np.array(
        [word_times_format.encode(item.word_times or ()) for item in said], dtype=np.object_
    )


def _raw_inputs(payload: InferRequest) -> dict[str, RawInput]:
    inputs = {}
    for infer_input in payload.inputs:
        try:
            values = infer_input.as_numpy().reshape(-1).tolist()
        # Whatever fails while reading a client's tensor is the client's error.
        except Exception as exc:
            raise InvalidInput(
                f"input '{infer_input.name}' does not match its shape "
                f"{infer_input.shape} and datatype {infer_input.datatype}: {exc}"
            ) from exc
        inputs[infer_input.name] = RawInput(infer_input.datatype, values)
    return inputs


def _resolve_device(device: str) -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ModelLoadError("--device cuda was asked for, but torch sees no CUDA device")
    return device


def fingerprint(engine: Engine) -> str:
    """A version id for a model that was given none: family and a hash of its file names and
    sizes, so two different checkpoints served side by side in a canary tell apart."""
    digest = hashlib.sha256()
    for path in sorted(p for p in engine.model_dir.rglob("*") if p.is_file()):
        digest.update(f"{path.relative_to(engine.model_dir)}:{path.stat().st_size};".encode())
    return f"{engine.family}-{digest.hexdigest()[:12]}"
