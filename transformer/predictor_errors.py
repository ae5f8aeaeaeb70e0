"""How a predictor call fails, apart from its client (which imports KServe's gRPC protos):
the planning and pipeline modules handle these without importing it."""


class PredictorUnavailableError(RuntimeError):
    """The predictor cannot be reached or is not ready: a 503."""


class PredictorRejectedError(ValueError):
    """The predictor refused the request as invalid: a 400 with its message."""


class PredictorStreamError(PredictorUnavailableError):
    """A stream broke off after its audio had begun: the predictor failed part way (its
    message), or the connection or the framing did."""
