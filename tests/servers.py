"""Starting the real `python -m predictor` process on free loopback ports."""

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

STARTUP_TIMEOUT_S = 180


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PredictorServer:
    """A running predictor or transformer process."""

    process: subprocess.Popen
    name: str
    http_port: int
    grpc_port: int
    log_path: Path

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def grpc_url(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    @property
    def infer_url(self) -> str:
        return f"{self.http_url}/v2/models/{self.name}/infer"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _start(module: str, name: str, log_dir: Path, args: list[str]) -> PredictorServer:
    """Start `python -m module` and wait until its model reports ready."""
    http_port, grpc_port = free_port(), free_port()
    log_path = log_dir / f"{module}-{name}-{http_port}.log"
    command = [
        sys.executable,
        "-m",
        module,
        "--model_name",
        name,
        "--http_port",
        str(http_port),
        "--grpc_port",
        str(grpc_port),
        *args,
    ]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    server = PredictorServer(process, name, http_port, grpc_port, log_path)
    return wait_until_ready(server, f"/v2/models/{name}/ready", module)


def wait_until_ready(server: PredictorServer, ready_path: str, label: str) -> PredictorServer:
    """Wait until `ready_path` answers 200; stop the server and raise with its log if it exits
    or takes longer than STARTUP_TIMEOUT_S."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            code = server.process.returncode
            raise RuntimeError(f"{label} exited with {code}:\n{server.log()}")
        try:
            if httpx.get(f"{server.http_url}{ready_path}", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    server.stop()
    raise RuntimeError(f"{label} not ready in {STARTUP_TIMEOUT_S} s:\n{server.log()}")


def start_predictor(
    model_dir: Path | str, name: str, log_dir: Path, *extra: str
) -> PredictorServer:
    """Start a predictor and wait until its model reports ready."""
    scratch = log_dir / f"scratch-{name}-{free_port()}"
    return _start(
        "predictor",
        name,
        log_dir,
        ["--model_dir", str(model_dir), "--scratch_dir", str(scratch), *extra],
    )


def start_transformer(
    predictor: PredictorServer, log_dir: Path, *extra: str, protocol: str = "grpc-v2"
) -> PredictorServer:
    """Start a transformer in front of `predictor` (same model name), over `protocol`."""
    port = predictor.grpc_port if protocol == "grpc-v2" else predictor.http_port
    args = ["--predictor_host", f"127.0.0.1:{port}", "--predictor_protocol", protocol, *extra]
    return _start("transformer", predictor.name, log_dir, args)


def run_predictor_to_exit(
    model_dir: Path | str, log_dir: Path, timeout: float = 120
) -> subprocess.CompletedProcess:
    """Run a predictor that is expected to fail at load, and return how it exited."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "predictor",
            "--model_dir",
            str(model_dir),
            "--http_port",
            str(free_port()),
            "--grpc_port",
            str(free_port()),
            "--scratch_dir",
            str(log_dir / "scratch-failing"),
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
