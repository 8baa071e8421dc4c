"""How the service logs: plain lines or one JSON object per line (python-json-logger), at a level.

Plain: `2026-11-30 04:50:33 INFO dragoman.events job 1c18… submitted: 2 tasks`. JSON: the same as
fields (`time`, `level`, `logger`, `message`) plus every extra the record carries (`event`, `job_id`,
`task_id`, `status`, ...), for log shippers that index fields.
"""

from __future__ import annotations

import logging
import sys
from typing import Literal

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

__all__ = ["LOG_LEVELS", "LogFormat", "configure_logging"]

LOG_LEVELS = ("debug", "info", "warning", "error")
LogFormat = Literal["text", "json"]


def configure_logging(level: str = "info", log_format: LogFormat = "text") -> None:
    """Send every record at `level` or above to stderr, as plain lines or JSON objects. Replaces the
    root logger's handlers (uvicorn's loggers propagate to it)."""
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                # uvicorn's copy of its message with terminal colour codes, and Python 3.12's asyncio task
                reserved_attrs=[*RESERVED_ATTRS, "color_message", "taskName"],
            )
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
