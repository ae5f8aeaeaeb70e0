"""Under load, against the real servers: a bounded queue that refuses at once with 429 (gRPC
RESOURCE_EXHAUSTED) and Retry-After, health that answers while saturated, identical requests
that share one synthesis, and the metrics that show it."""

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import httpx
import numpy as np
import pytest
from prometheus_client.parser import text_string_to_metric_families
from tritonclient.grpc import service_pb2 as pb
from tritonclient.grpc import service_pb2_grpc as pb_grpc

from tests.servers import PredictorServer, start_predictor, start_transformer

LONG = " ".join(f"Sentence {n} keeps the voice busy for a while." for n in range(12))
PREDICTOR_METRICS = {
    "tts_requests": "counter",
    "tts_queue_depth": "gauge",
    "tts_batch_size": "histogram",
    "tts_synthesis_seconds": "histogram",
    "tts_audio_seconds": "counter",
    "tts_real_time_factor": "histogram",
}
TRANSFORMER_METRICS = {
    "tts_transformer_requests": "counter",
    "tts_stage_seconds": "histogram",
    "tts_cache_hits": "counter",
    "tts_time_to_first_audio_seconds": "histogram",
}


def infer_body(*texts: str) -> dict:
    return {
        "inputs": [
            {"name": "text", "shape": [len(texts)], "datatype": "BYTES", "data": list(texts)}
        ]
    }


def scrape(server: PredictorServer) -> dict:
    """name -> (type, {(sample name, labels): value})"""
    text = httpx.get(f"{server.http_url}/metrics").text
    return {
        family.name: (
            family.type,
            {(s.name, tuple(sorted(s.labels.items()))): s.value for s in family.samples},
        )
        for family in text_string_to_metric_families(text)
    }


def sample(metrics: dict, family: str, sample_name: str, **labels: str) -> float:
    return sum(
        value
        for (name, label_items), value in metrics.get(family, ("", {}))[1].items()
        if name == sample_name and labels.items() <= dict(label_items).items()
    )


@pytest.fixture(scope="module")
def small_queue(
    piper_dir: Path, log_dir: Path
) -> Iterator[tuple[PredictorServer, PredictorServer]]:
    """A predictor admitting 2 text items, and a transformer in front of it."""
    predictor = start_predictor(piper_dir, "busy", log_dir, "--max_queue_items", "2")
    transformer = start_transformer(predictor, log_dir, "--max_concurrent_requests", "64")
    yield predictor, transformer
    transformer.stop()
    predictor.stop()


def binary_request(text: str) -> dict:
    """httpx arguments for a V2 request with the binary tensor extension, as the transformer
    sends: JSON float responses are KServe's slow path (the event loop serializes them)."""
    raw = len(text.encode()).to_bytes(4, "little") + text.encode()
    header = json.dumps(
        {
            "inputs": [
                {
                    "name": "text",
                    "shape": [1],
                    "datatype": "BYTES",
                    "parameters": {"binary_data_size": len(raw)},
                }
            ],
            "outputs": [{"name": "audio", "parameters": {"binary_data": True}}],
        }
    ).encode()
    return {
        "content": header + raw,
        "headers": {
            "Content-Type": "application/octet-stream",
            "Inference-Header-Content-Length": str(len(header)),
        },
    }


async def _flood(
    url: str, requests: list[dict], health_url: str
) -> tuple[list[httpx.Response], list[float]]:
    health_times: list[float] = []
    async with httpx.AsyncClient(timeout=120) as client:
        tasks = [asyncio.create_task(client.post(url, **request)) for request in requests]
        while not all(task.done() for task in tasks):
            started = time.monotonic()
            assert (await client.get(health_url)).status_code == 200
            health_times.append(time.monotonic() - started)
            await asyncio.sleep(0.05)
        return [task.result() for task in tasks], health_times


def test_past_the_bound_the_predictor_answers_429_at_once_and_health_stays_fast(small_queue):
    predictor, _ = small_queue
    requests = [binary_request(f"{LONG} Request {n}.") for n in range(6)]
    started = time.monotonic()
    responses, health = asyncio.run(
        _flood(predictor.infer_url, requests, f"{predictor.http_url}/v2/health/ready")
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(200) >= 2 and statuses.count(429) >= 1, statuses
    assert set(statuses) <= {200, 429}
    refused = next(r for r in responses if r.status_code == 429)
    assert refused.headers["retry-after"] == "1"
    assert "--max_queue_items" in refused.json()["error"]
    assert refused.elapsed.total_seconds() < 1.0 < time.monotonic() - started
    assert max(health) < 0.5, health


def test_grpc_clients_get_resource_exhausted_with_retry_after(small_queue):
    predictor, _ = small_queue

    def request(n: int) -> pb.ModelInferRequest:
        text = pb.ModelInferRequest.InferInputTensor(
            name="text",
            datatype="BYTES",
            shape=[1],
            contents=pb.InferTensorContents(bytes_contents=[f"{LONG} Call {n}.".encode()]),
        )
        return pb.ModelInferRequest(model_name="busy", inputs=[text])

    with grpc.insecure_channel(predictor.grpc_url) as channel:
        stub = pb_grpc.GRPCInferenceServiceStub(channel)
        # Distinct texts: identical requests would share one synthesis.
        calls = [stub.ModelInfer.future(request(n), timeout=120) for n in range(4)]
        codes, trailers = [], []
        for call in calls:
            try:
                call.result()
                codes.append(grpc.StatusCode.OK)
            except grpc.RpcError as exc:
                codes.append(exc.code())
                trailers.append(dict(exc.trailing_metadata() or ()))
    assert grpc.StatusCode.RESOURCE_EXHAUSTED in codes, codes
    assert set(codes) <= {grpc.StatusCode.OK, grpc.StatusCode.RESOURCE_EXHAUSTED}
    assert trailers and all(t.get("retry-after") == "1" for t in trailers)


def speak_at_once(transformer: PredictorServer, label: str, count: int) -> list[httpx.Response]:
    """`count` distinct long texts sent to the OpenAI route at once."""
    bodies = [{"input": f"{LONG} {label} {n}.", "response_format": "pcm"} for n in range(count)]
    responses, _ = asyncio.run(
        _flood(
            f"{transformer.http_url}/v1/audio/speech",
            [{"json": body} for body in bodies],
            f"{transformer.http_url}/v2/health/live",
        )
    )
    return responses


def test_the_transformer_passes_the_predictors_429_on(small_queue):
    """A request whose first sentence the predictor refuses is a 429 with Retry-After; the
    later sentences of a request already answering wait their turn instead (below)."""
    predictor, transformer = small_queue

    async def refused_while_busy() -> tuple[httpx.Response, httpx.Response, httpx.Response]:
        async with httpx.AsyncClient(timeout=120) as client:
            two_long = infer_body(LONG, LONG)
            busy = asyncio.create_task(client.post(predictor.infer_url, json=two_long))
            await asyncio.sleep(0.3)
            url = f"{transformer.http_url}/v1/audio/speech"
            refused = await client.post(url, json={"input": "Passed on.", "response_format": "pcm"})
            whole = await client.post(url, json={"input": "Refused too.", "stream": False})
            return refused, whole, await busy

    refused, whole, busy = asyncio.run(refused_while_busy())
    assert busy.status_code == 200
    for response in (refused, whole):
        assert response.status_code == 429, response.text
        assert response.headers["retry-after"] == "1"
        assert response.json()["error"]["type"] == "rate_limit_error"


def test_a_request_already_answering_waits_out_the_predictors_429s(small_queue):
    _, transformer = small_queue
    responses = speak_at_once(transformer, "Passed on", 6)
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {200, 429}, statuses
    for response in responses:
        if response.status_code == 200:
            audio = np.frombuffer(response.content, "<i2")
            assert len(audio) / 22050 > 0.8 * len(LONG) / 19, "the whole text is said"


def test_the_transformer_bounds_its_own_requests(piper_server, log_dir):
    transformer = start_transformer(
        piper_server, log_dir, "--max_concurrent_requests", "1", "--max_batch_size", "4"
    )
    try:
        responses = speak_at_once(transformer, "Own bound", 3)
        statuses = sorted(r.status_code for r in responses)
        assert statuses[0] == 200 and statuses[-1] == 429, statuses
        refused = next(r for r in responses if r.status_code == 429)
        assert "--max_concurrent_requests" in refused.json()["error"]["message"]
        v2 = httpx.post(
            f"{transformer.http_url}/v2/models/{transformer.name}/infer",
            json=infer_body("Fine once the others are done."),
            timeout=60,
        )
        assert v2.status_code == 200
    finally:
        transformer.stop()


def test_identical_requests_in_flight_share_one_synthesis(piper_dir, log_dir):
    predictor = start_predictor(piper_dir, "dedup", log_dir)
    try:
        before = scrape(predictor)

        async def overlap() -> list[httpx.Response]:
            async with httpx.AsyncClient(timeout=120) as client:
                busy = asyncio.create_task(client.post(predictor.infer_url, json=infer_body(LONG)))
                await asyncio.sleep(0.2)
                same = [
                    client.post(predictor.infer_url, json=infer_body("Say it once."))
                    for _ in range(2)
                ]
                return [await busy, *await asyncio.gather(*same)]

        busy, first, second = asyncio.run(overlap())
        assert busy.status_code == first.status_code == second.status_code == 200
        assert first.json()["outputs"] == second.json()["outputs"]
        after = scrape(predictor)
        calls = sample(after, "tts_synthesis_seconds", "tts_synthesis_seconds_count") - sample(
            before, "tts_synthesis_seconds", "tts_synthesis_seconds_count"
        )
        ok = sample(after, "tts_requests", "tts_requests_total", outcome="ok") - sample(
            before, "tts_requests", "tts_requests_total", outcome="ok"
        )
        assert ok == 3
        assert calls == 2, "the busy request, then one synthesis for the two identical ones"
    finally:
        predictor.stop()


def test_every_metric_is_exported_and_counts_what_happened(joe_transformer, piper_server):
    text = "Metrics count this sentence."
    assert (
        httpx.post(f"{joe_transformer.http_url}/v1/audio/speech", json={"input": text}).status_code
        == 200
    )
    assert (
        httpx.post(f"{joe_transformer.http_url}/v1/audio/speech", json={"input": text}).status_code
        == 200
    )
    assert (
        httpx.post(f"{joe_transformer.http_url}/v1/audio/speech", json={"input": ""}).status_code
        == 400
    )
    predictor_metrics = scrape(piper_server)
    for name, kind in PREDICTOR_METRICS.items():
        assert predictor_metrics[name][0] == kind, name
    assert (
        sample(predictor_metrics, "tts_requests", "tts_requests_total", model="joe", outcome="ok")
        >= 1
    )
    assert (
        sample(predictor_metrics, "tts_audio_seconds", "tts_audio_seconds_total", model="joe") > 0
    )
    assert sample(predictor_metrics, "tts_batch_size", "tts_batch_size_count", model="joe") >= 1
    assert sample(predictor_metrics, "tts_real_time_factor", "tts_real_time_factor_count") >= 1
    transformer_metrics = scrape(joe_transformer)
    for name, kind in TRANSFORMER_METRICS.items():
        assert transformer_metrics[name][0] == kind, name
    requests = "tts_transformer_requests_total"
    assert (
        sample(
            transformer_metrics,
            "tts_transformer_requests",
            requests,
            route="openai",
            format="mp3",
            outcome="ok",
        )
        >= 2
    )
    assert (
        sample(
            transformer_metrics,
            "tts_transformer_requests",
            requests,
            route="openai",
            outcome="invalid",
        )
        >= 1
    )
    assert sample(transformer_metrics, "tts_cache_hits", "tts_cache_hits_total") >= 1
    for stage in ("normalize", "predict", "encode"):
        assert (
            sample(transformer_metrics, "tts_stage_seconds", "tts_stage_seconds_count", stage=stage)
            >= 1
        )
    assert (
        sample(
            transformer_metrics,
            "tts_time_to_first_audio_seconds",
            "tts_time_to_first_audio_seconds_count",
            route="openai",
        )
        >= 2
    )


def test_requests_that_arrive_together_share_one_engine_call(vits_dir, log_dir):
    # A VITS batches (on a CPU when asked); the first request waits up to 300 ms for others
    # with the same options.
    predictor = start_predictor(
        vits_dir, "batching", log_dir, "--batching", "on", "--batch_wait_ms", "300"
    )
    try:
        before = scrape(predictor)

        async def together() -> list[httpx.Response]:
            async with httpx.AsyncClient(timeout=60) as client:
                calls = [
                    client.post(predictor.infer_url, **binary_request(text))
                    for text in ("one request", "and another one", "a third")
                ]
                return await asyncio.gather(*calls)

        assert [r.status_code for r in asyncio.run(together())] == [200, 200, 200]
        alone = httpx.post(predictor.infer_url, **binary_request("one request"), timeout=60)
        assert alone.status_code == 200
        after = scrape(predictor)

        def delta(sample_name: str) -> float:
            return sample(after, "tts_batch_size", sample_name) - sample(
                before, "tts_batch_size", sample_name
            )

        assert delta("tts_batch_size_count") == 2, "one call for the three, one for the last"
        assert delta("tts_batch_size_sum") == 4
    finally:
        predictor.stop()
