"""Admission, dynamic batching and in-flight deduplication in front of one engine.

Requests are admitted while the text items queued plus in flight stay within a bound; past it a
request is refused at once (QueueFullError, a 429) rather than left to wait without end. The
synthesis threads (one; one a core for engines safe to call from several threads, which then
run calls side by side) take the queue in order: where the engine
says several texts in one call, they combine requests that arrived together with the same
options (up to a batch size, waiting a few milliseconds for company). Identical requests in
flight share one synthesis. A request whose callers have all gone is skipped, item by item.
"""

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass, field

import numpy as np

from predictor import metrics
from predictor.engines import Engine, SynthesisOptions

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
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future
    callers: int = 1
    cancelled: bool = False
    results: dict[int, np.ndarray] = field(default_factory=dict)


def options_key(options: SynthesisOptions) -> Hashable:
    """What makes two requests' options the same: equal keys may share an engine call."""
    return (
        options.speaker,
        options.language,
        options.speed,
        tuple(reference.digest for reference in options.references),
        tuple(sorted(options.sampling.items())),
    )


class SynthesisScheduler:
    """Runs the syntheses of one engine on its threads; `synthesize` is called from the loop."""

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
        self._queue: deque[_Job] = deque()
        self._in_flight: dict[Hashable, _Job] = {}
        self._admitted_items = 0
        self._condition = threading.Condition()
        workers = (scheduling.parallel or engine.default_parallel()) if engine.thread_safe else 1
        for worker in range(workers):
            name = f"synthesis-{worker}"
            threading.Thread(target=self._run, name=name, daemon=True).start()
        logger.info("Synthesizing on %d thread(s)", workers)

    async def synthesize(self, texts: tuple[str, ...], options: SynthesisOptions) -> list:
        """The audio of each text; raises QueueFullError at the bound, and what the engine
        raised. Cancelling the caller skips what is not yet synthesized, unless an identical
        request still waits for it."""
        batch_key = options_key(options)
        key = (texts, batch_key)
        with self._condition:
            job = self._in_flight.get(key)
            if job is not None:
                job.callers += 1
            else:
                # An idle server takes any request the limits allow, however many items it has.
                if (
                    self._admitted_items
                    and self._admitted_items + len(texts) > self.max_queue_items
                ):
                    raise QueueFullError(
                        f"the server is at capacity: {self._admitted_items} text items are "
                        f"queued or being synthesized, at most {self.max_queue_items} are "
                        "admitted (--max_queue_items); retry shortly"
                    )
                loop = asyncio.get_running_loop()
                job = _Job(key, batch_key, texts, options, loop, loop.create_future())
                self._in_flight[key] = job
                self._queue.append(job)
                self._admitted_items += len(texts)
                metrics.QUEUE_DEPTH.labels(**self._labels).set(self._admitted_items)
                self._condition.notify()
        try:
            return await asyncio.shield(job.future)
        except asyncio.CancelledError:
            with self._condition:
                job.callers -= 1
                if job.callers == 0:
                    job.cancelled = True
            raise

    def _run(self) -> None:
        while True:
            batch = self._next_batch()
            try:
                self._execute(batch)
            except Exception as exc:
                for job in batch:
                    _settle(job, exc)
            finally:
                self._release(batch)

    def _next_batch(self) -> list[_Job]:
        """The oldest job, and where the engine batches, jobs with the same options that fit,
        waiting up to batch_wait_s for them."""
        with self._condition:
            while not self._queue:
                self._condition.wait()
            first = self._queue.popleft()
            batch, items = [first], len(first.texts)
            if not self.batches:
                return batch
            deadline = time.monotonic() + self.batch_wait_s
            while items < self.batch_max_items:
                fits = next(
                    (
                        job
                        for job in self._queue
                        if job.batch_key == first.batch_key
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
            audios = self._engine_call([job.texts[index] for job, index in call], options)
            for (job, index), audio in zip(call, audios, strict=True):
                job.results[index] = audio
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

    def _engine_call(self, texts: list[str], options: SynthesisOptions) -> list[np.ndarray]:
        started = time.perf_counter()
        audios = self.engine.synthesize_batch(texts, options)
        seconds = time.perf_counter() - started
        audio_seconds = sum(len(a) for a in audios) / self.engine.sample_rate
        metrics.BATCH_SIZE.labels(**self._labels).observe(len(texts))
        metrics.SYNTHESIS_SECONDS.labels(**self._versioned).observe(seconds)
        metrics.AUDIO_SECONDS.labels(**self._versioned).inc(audio_seconds)
        if audio_seconds > 0:
            metrics.REAL_TIME_FACTOR.labels(**self._labels).observe(seconds / audio_seconds)
        return audios

    def _release(self, batch: list[_Job]) -> None:
        with self._condition:
            for job in batch:
                self._in_flight.pop(job.key, None)
                self._admitted_items -= len(job.texts)
            metrics.QUEUE_DEPTH.labels(**self._labels).set(self._admitted_items)


def _settle(job: _Job, outcome: object) -> None:
    """Resolve the job's future on its own event loop: with a result, or an exception."""

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
