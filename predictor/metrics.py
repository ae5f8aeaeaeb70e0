"""The predictor's Prometheus metrics, named as ARCHITECTURE.md fixes them ("Metrics").

They go to prometheus_client's default registry, which KServe's `/metrics` serves.
"""

from prometheus_client import Counter, Gauge, Histogram

OUTCOMES = ("ok", "invalid", "rejected", "cancelled", "error")

REQUESTS = Counter(
    "tts_requests",
    "Synthesis requests by how they ended: ok, invalid (400), rejected (429), cancelled, error.",
    ["model", "version", "outcome"],
)
QUEUE_DEPTH = Gauge(
    "tts_queue_depth",
    "Text items admitted and not yet synthesized (queued plus in flight).",
    ["model"],
)
BATCH_SIZE = Histogram(
    "tts_batch_size",
    "Text items per engine call.",
    ["model"],
    buckets=(1, 2, 4, 8, 16, 32, 64),
)
SYNTHESIS_SECONDS = Histogram(
    "tts_synthesis_seconds",
    "Seconds one engine call took.",
    ["model", "version"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
AUDIO_SECONDS = Counter("tts_audio_seconds", "Seconds of audio synthesized.", ["model", "version"])
REAL_TIME_FACTOR = Histogram(
    "tts_real_time_factor",
    "Synthesis seconds per second of audio, per engine call (below 1 is faster than real time).",
    ["model"],
    buckets=(0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5),
)
