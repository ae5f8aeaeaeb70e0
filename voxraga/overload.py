"""The refusal a server at capacity answers with. No KServe import: the transformer's planning
raises it beside tritonclient in tests."""


class TooManyRequestsError(Exception):
    """A server (this one, or the predictor behind it) is at its admission bound: 429 with
    Retry-After, gRPC RESOURCE_EXHAUSTED."""

    def __init__(self, reason: str, retry_after_s: int = 1) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after_s = retry_after_s
