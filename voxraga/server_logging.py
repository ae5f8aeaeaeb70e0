"""KServe's log format for our own loggers, from the first line a server prints."""

import argparse
import logging

from kserve import logging as kserve_logging


def configure_logging(args: argparse.Namespace, package: str) -> None:
    """Configure KServe's logging (as ModelServer would, but before the model loads) and send
    the loggers of `package` and of this shared package through KServe's handlers."""
    if not args.configure_logging:
        return
    kserve_logging.configure_logging(args.log_config_file)
    for name in (package, "voxraga"):
        ours = logging.getLogger(name)
        ours.setLevel(kserve_logging.logger.level or logging.INFO)
        ours.handlers = list(kserve_logging.logger.handlers)
        ours.propagate = False
