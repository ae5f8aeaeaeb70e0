"""Both servers fuzzed from their own OpenAPI specs with schemathesis: whatever it sends, the
answer is never a 5xx. Bounded in examples per operation to stay within CI time.

schemathesis's pytest plugin does not run under pytest 9 (it reads a private `_nodeid`), so the
operations are driven through hypothesis directly.
"""

import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.servers import PredictorServer

EXAMPLES = 40
FUZZ = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
)


def server_errors(server: PredictorServer) -> tuple[list[str], int]:
    """Every operation of the server's spec, fuzzed: the 5xx answers, and how many operations
    there were. Paths name the served model (a random name is only ever a 404)."""
    schema = schemathesis.openapi.from_url(f"{server.http_url}/openapi.json")
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:

        @FUZZ
        @given(case=operation.as_strategy())
        def call(case: schemathesis.Case) -> None:
            if "model_name" in (case.path_parameters or {}):
                case.path_parameters["model_name"] = server.name
            response = case.call(timeout=60)
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} {case.body!r:.200} -> "
                    f"{response.status_code} {response.text[:200]}"
                )

        call()
    return failures, len(operations)


def test_the_transformer_never_answers_5xx(joe_transformer):
    failures, operations = server_errors(joe_transformer)
    assert operations >= 8
    assert failures == []


def test_the_predictor_never_answers_5xx(piper_server):
    failures, operations = server_errors(piper_server)
    assert operations >= 7
    assert failures == []
