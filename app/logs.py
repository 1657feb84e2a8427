"""Structured logging: key=value lines by default, JSON lines when asked.

Log events carry ids and counts only: never tweet text, passwords, tokens or keys.
"""

from __future__ import annotations

import logging
import sys

import structlog

from app.config import Settings


def configure_logging(settings: Settings) -> None:
    level = logging.getLevelNamesMapping().get(settings.openrec_log_level.upper(), logging.INFO)
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if settings.openrec_log_json
        else structlog.processors.KeyValueRenderer(key_order=["event"])
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )
    root = logging.getLogger()
    present = set(root.handlers)
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s %(message)s")
    for handler in set(root.handlers) - present:  # libraries that set their own logger's level (bm25s) stay quiet
        handler.setLevel(level)
    # uvicorn's own access log would repeat our request line without the user id.
    logging.getLogger("uvicorn.access").disabled = not settings.openrec_access_log


def _stderr_logger(*_: object) -> structlog.PrintLogger:
    """A logger on the standard error of the moment, not of configuration time (which may since be replaced)."""
    return structlog.PrintLogger(file=sys.stderr)
