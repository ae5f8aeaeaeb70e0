"""Admission, dynamic batching and in-flight deduplication in front of one engine.

Requests are admitted while the text items queued plus in flight stay within a bound; past it a
request is refused at once (QueueFullError, a 429) rather than left to wait without end. The
synthesis threads (one; one a core for engines safe to call from several threads, which then
run calls side by side) take the queue in order: where the engine
says several texts in one call, they combine requests that arrived together with the same
options (up to a batch size, waiting a few milliseconds for company); an engine call makes
word times where any of its requests asks for them. Identical requests in flight (asking for
word times alike) share one synthesis. A request whose callers have all gone is skipped, item
by item.

A streamed request (`stream`) is one text, admitted as one item, said alone by one engine call
whose pieces reach the caller as they are made; a caller that goes away stops it at the next
piece.
"""

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import AsyncGenerator, Hashable
from dataclasses import dataclass, field

import numpy as np

from predictor import metrics
from predictor.engines import Engine, SynthesisOptions, TimedAudio

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Scheduling:
    """How the scheduler admits and combines requests; each is a server flag."""

    max_queue_items: int = 64
    """Text items admitted, queued plus in flight; past it a request is refused at once (an
    idle server admits one request of any size)."""
    batch_max_items: int = 16
    """Text items in one engine call, where the engine batches."""
    batch_wait_s: float = 0.005
    """How long the first request of a batch waits for others to join it."""
    batching: str = "auto"
    """"on", "off", or "auto": where the engine batches and it pays on its device."""
    parallel: int = 0
    """Engine calls at once, for engines safe to call from several threads; 0: what the engine
    says pays on its device (`Engine.default_parallel`)."""


class QueueFullError(Exception):
    """The admission bound is reached; the message says how full the queue is."""


@dataclass(eq=False)
class _Job:
    """One admitted request, shared by every identical caller."""

    key: Hashable
    batch_key: Hashable
    texts: tuple[str, ...]
    options: SynthesisOptions
    word_times: bool
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future
    callers: int = 1
    cancelled: bool = False
    results: dict[int, TimedAudio] = field(default_factory=dict)


_END = object()
"""What a streamed job's queue holds after its last piece."""


@dataclass(eq=False)
class _StreamJob:
    """One admitted streamed request: its pieces go to `pieces` as they are made, then _END or
    the exception that stopped it."""

    text: str
    options: SynthesisOptions
    loop: asyncio.AbstractEventLoop
    # Unbounded: the engine never waits for a slow reader, so the thread is free once the text
    # is said; what waits is a few seconds of float32 audio at most.
    pieces: asyncio.Queue
    cancelled: bool = False

    @property
    def texts(self) -> tuple[str, ...]:
        """What the job counts against the admission bound."""
        return (self.text,)

    def send(self, item: object) -> None:
        """Hand a piece, _END or an exception to the caller's event loop."""
        self.loop.call_soon_threadsafe(self.pieces.put_nowait, item)


def options_key(options: SynthesisOptions) -> Hashable:
    """What makes two requests' options the same: equal keys may share an engine call. Whether
    a request wants word times is not part of it: the times do not change the audio, and an
    engine call makes them where any of its requests wants them."""
    return (
        options.speaker,
        options.blend,
        options.language,
        options.speed,
        tuple(reference.digest for reference in options.references),
        tuple(sorted(options.sampling.items())),
    )


class SynthesisScheduler:
    """Runs the syntheses of one engine on its threads; `synthesize` and `stream` are called
    from the event loop."""

    def __init__(
        self,
        engine: Engine,
        model_name: str,
        model_version: str,
        scheduling: Scheduling,
    ) -> None:
        self.engine = engine
        self.max_queue_items = scheduling.max_queue_items
        self.batch_max_items = scheduling.batch_max_items
        self.batch_wait_s = scheduling.batch_wait_s
        wanted = {"on": True, "off": False}.get(scheduling.batching, engine.batch_by_default)
        self.batches = engine.batches and wanted
        self._labels = {"model": model_name}
        self._versioned = {"model": model_name, "version": model_version}
        self._queue: deque[_Job | _StreamJob] = deque()
        self._in_flight: dict[Hashable, _Job] = {}
        self._admitted_items = 0
        self._condition = threading.Condition()
        workers = (scheduling.parallel or engine.default_parallel()) if engine.thread_safe else 1
        for worker in range(workers):
            name = f"synthesis-{worker}"
            threading.Thread(target=self._run, name=name, daemon=True).start()
        logger.info("Synthesizing on %d thread(s)", workers)

    async def synthesize(
        self, texts: tuple[str, ...], options: SynthesisOptions, word_times: bool = False
    ) -> list[TimedAudio]:
        """The audio of each text, and with `word_times` when each of its words is heard (where
        the engine has `word_durations`); raises QueueFullError at the bound, and what the
        engine raised. Cancelling the caller skips what is not yet synthesized, unless an
        identical request still waits for it."""
        batch_key = options_key(options)
        key = (texts, batch_key, word_times)
        with self._condition:
            job = self._in_flight.get(key)
            if job is not None:
                job.callers += 1
            else:
                self._admit(len(texts))
                loop = asyncio.get_running_loop()
                job = _Job(key, batch_key, texts, options, word_times, loop, loop.create_future())
                self._in_flight[key] = job
                self._enqueue(job)
        try:
            return await asyncio.shield(job.future)
        except asyncio.CancelledError:
            with self._condition:
                job.callers -= 1
                if job.callers == 0:
                    job.cancelled = True
            raise

    async def stream(
        self, text: str, options: SynthesisOptions
    ) -> AsyncGenerator[np.ndarray, None]:
        """The audio of `text`, piece by piece as the engine makes it (`synthesize_stream`).

        Admitted as one item when iteration starts: the first `anext` raises QueueFullError at
        the bound, and any piece may raise what the engine raised. Closing the iterator, or
        cancelling the task that awaits it, stops the engine at its next piece (a job still
        queued is skipped). Never batched with others, nor shared with an identical request.
        """
        with self._condition:
            self._admit(1)
            job = _StreamJob(text, options, asyncio.get_running_loop(), asyncio.Queue())
            self._enqueue(job)
        try:
            while True:
                item = await job.pieces.get()
                if item is _END:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            job.cancelled = True

    def _admit(self, items: int) -> None:
        """Count `items` against the bound, or raise QueueFullError; hold the condition."""
        # An idle server takes any request the limits allow, however many items it has.
        if self._admitted_items and self._admitted_items + items > self.max_queue_items:
            raise QueueFullError(
                f"the server is at capacity: {self._admitted_items} text items are "
                f"queued or being synthesized, at most {self.max_queue_items} are "
                "admitted (--max_queue_items); retry shortly"
            )
        self._admitted_items += items

    def _enqueue(self, job: _Job | _StreamJob) -> None:
        """Queue an admitted job for the synthesis threads; hold the condition."""
        self._queue.append(job)
        metrics.QUEUE_DEPTH.labels(**self._labels).set(self._admitted_items)
        self._condition.notify()

    def _run(self) -> None:
        while True:
            batch = self._next_batch()
            try:
                if isinstance(batch[0], _StreamJob):
                    self._execute_stream(batch[0])
                else:
                    self._execute(batch)
            except Exception as exc:
                for job in batch:
                    _settle(job, exc)
            finally:
                self._release(batch)

    def _next_batch(self) -> list[_Job] | list[_StreamJob]:
        """The oldest job, and where the engine batches, jobs with the same options that fit,
        waiting up to batch_wait_s for them. A streamed job goes alone."""
        with self._condition:
            while not self._queue:
                self._condition.wait()
            first = self._queue.popleft()
            batch, items = [first], len(first.texts)
            if not self.batches or isinstance(first, _StreamJob):
                return batch
            deadline = time.monotonic() + self.batch_wait_s
            while items < self.batch_max_items:
                fits = next(
                    (
                        job
                        for job in self._queue
                        if isinstance(job, _Job)
                        and job.batch_key == first.batch_key
                        and items + len(job.texts) <= self.batch_max_items
                    ),
                    None,
                )
                if fits is not None:
                    self._queue.remove(fits)
                    batch.append(fits)
                    items += len(fits.texts)
                    continue
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._condition.wait(remaining)
            return batch

    def _execute(self, batch: list[_Job]) -> None:
        """Say every text of the batch, in engine calls of at most batch_max_items (one text a
        call where the engine does not batch), skipping the jobs nobody waits for."""
        pending = [(job, index) for job in batch for index in range(len(job.texts))]
        size = self.batch_max_items if self.batches else 1
        options = batch[0].options
        while pending:
            pending = [(job, index) for job, index in pending if not job.cancelled]
            call, pending = pending[:size], pending[size:]
            if not call:
                break
            said = self._engine_call(
                [job.texts[index] for job, index in call],
                options,
                word_times=any(job.word_times for job, _ in call),
            )
            for (job, index), item in zip(call, said, strict=True):
                job.results[index] = item
                if len(job.results) == len(job.texts):
                    _settle(job, [job.results[i] for i in range(len(job.texts))])
        skipped = [job for job in batch if job.cancelled and not job.future.done()]
        for job in skipped:
            logger.info(
                "Request cancelled: %d of %d items skipped",
                len(job.texts) - len(job.results),
                len(job.texts),
            )
            _settle(job, asyncio.CancelledError())

    def _execute_stream(self, job: _StreamJob) -> None:
        """Say the job's text, handing each piece over as it is made; stop at the first piece
        made after the caller went away (nobody reads the queue then)."""
        if job.cancelled:
            logger.info("Streamed request cancelled before it started")
            return
        started = time.perf_counter()
        samples = 0
        pieces = self.engine.synthesize_stream(job.text, job.options)
        try:
            for piece in pieces:
                if job.cancelled:
                    logger.info("Streamed request cancelled after %d samples", samples)
                    break
                samples += len(piece)
                if len(piece):
                    job.send(piece)
        finally:
            # On this thread: an engine's per-thread state (XTTS's CUDA stream) is here.
            pieces.close()
        self._record(1, time.perf_counter() - started, samples)
        job.send(_END)

    def _engine_call(
        self, texts: list[str], options: SynthesisOptions, word_times: bool
    ) -> list[TimedAudio]:
        started = time.perf_counter()
        if word_times:
            said = self.engine.synthesize_batch_timed(texts, options)
        else:
            said = [TimedAudio(audio) for audio in self.engine.synthesize_batch(texts, options)]
        self._record(len(texts), time.perf_counter() - started, sum(len(s.audio) for s in said))
        return said

    def _record(self, items: int, seconds: float, samples: int) -> None:
        """The metrics of one engine call: `items` texts said in `seconds`, `samples` made."""
        audio_seconds = samples / self.engine.sample_rate
        metrics.BATCH_SIZE.labels(**self._labels).observe(items)
        metrics.SYNTHESIS_SECONDS.labels(**self._versioned).observe(seconds)
        metrics.AUDIO_SECONDS.labels(**self._versioned).inc(audio_seconds)
        if audio_seconds > 0:
            metrics.REAL_TIME_FACTOR.labels(**self._labels).observe(seconds / audio_seconds)

    def _release(self, batch: list[_Job] | list[_StreamJob]) -> None:
        with self._condition:
            for job in batch:
                if isinstance(job, _Job):
                    self._in_flight.pop(job.key, None)
                self._admitted_items -= len(job.texts)
            metrics.QUEUE_DEPTH.labels(**self._labels).set(self._admitted_items)


def _settle(job: _Job | _StreamJob, outcome: object) -> None:
    """Resolve the job on its own event loop: a future with a result or an exception, a
    stream with the exception that ended it."""
    if isinstance(job, _StreamJob):
        job.send(outcome)
        return

    def settle() -> None:
        if job.future.done():
            return
        if job.cancelled or isinstance(outcome, asyncio.CancelledError):
            job.future.cancel()
        elif isinstance(outcome, BaseException):
            job.future.set_exception(outcome)
        else:
            job.future.set_result(outcome)

    job.loop.call_soon_threadsafe(settle)
