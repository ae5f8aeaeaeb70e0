"""Running a check in a new Python process: KServe's gRPC protos (which the transformer's
predictor client imports) and tritonclient's cannot share the test process."""

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path


def in_a_fresh_python(check: Callable[..., None], *args: object) -> None:
    """Run `check(*args)`, a module-level function of a test module, in a new Python process;
    its arguments must be literals (repr round-trips them)."""
    code = f"from {check.__module__} import {check.__name__}; {check.__name__}(*{args!r})"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
