"""The transformer's Prometheus metrics, named as ARCHITECTURE.md fixes them ("Metrics").

They go to prometheus_client's default registry, which KServe's `/metrics` serves.
"""

from prometheus_client import Counter, Histogram

REQUESTS = Counter(
    "tts_transformer_requests",
    "Speech requests by route (openai, v2), format and outcome (ok, invalid, rejected, "
    "unavailable, cancelled, error).",
    ["route", "format", "outcome"],
)
STAGE_SECONDS = Histogram(
    "tts_stage_seconds",
    "Seconds a request spent in each stage: normalize, predict, encode.",
    ["stage"],
    buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
CACHE_HITS = Counter("tts_cache_hits", "Requests answered from the audio cache.")
TIME_TO_FIRST_AUDIO = Histogram(
    "tts_time_to_first_audio_seconds",
    "Seconds from a request to its first audio: the whole file, or a stream's first chunk.",
    ["route"],
    buckets=(0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30),
)
