"""The console log of ``rivya-mock serve``: one line per request, as text or JSON.

``Api.done`` emits one record per answered request on the
``rivya_contract.mock_server.requests`` logger, carrying the ``Call`` and the
``Reply``, and only when the level lets it through; the line is formatted
here, by the handler, never in the pipeline. API and media requests log at
INFO, control API requests (the dashboard polls them) at DEBUG.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import IO, Any, Literal

LogFormat = Literal["text", "json"]
LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}
LEVELS["error"] = logging.ERROR

_RESET = "\033[0m"
_COLOURS = {2: "\033[32m", 3: "\033[36m", 4: "\033[33m", 5: "\033[31m"}
_DIM = "\033[2m"


def _clock(created: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(created)) + f".{int(created % 1 * 1000):03d}"


def request_fields(record: logging.LogRecord) -> dict[str, Any] | None:
    """Return the request a record describes (method, path, ...), or None for other records."""
    call = getattr(record, "call", None)
    reply = getattr(record, "reply", None)
    if call is None or reply is None:
        return None
    return {
        "method": call.method,
        "path": call.path,
        "status": reply.status,
        "code": reply.code,
        "ms": round(call.seconds * 1000, 3),
        "request_id": call.request_id,
    }


class TextFormatter(logging.Formatter):
    """``12:00:01.234 POST /api/v1/generations 202 - 1.2 ms req_...``, coloured on a terminal."""

    def __init__(self, colour: bool) -> None:
        super().__init__()
        self.colour = colour

    def format(self, record: logging.LogRecord) -> str:
        """Format a request as one line; any other record as time, level and message."""
        stamp = _clock(record.created)
        fields = request_fields(record)
        if fields is None:
            text = f"{stamp} {record.levelname.lower()} {record.getMessage()}"
            if record.exc_info:
                text += "\n" + self.formatException(record.exc_info)
            return text
        status = str(fields["status"])
        code = fields["code"] or "-"
        if self.colour:
            colour = _COLOURS.get(fields["status"] // 100, "")
            status = f"{colour}{status}{_RESET}"
            code = f"{colour}{code}{_RESET}" if fields["code"] else code
            request_id = f"{_DIM}{fields['request_id']}{_RESET}"
        else:
            request_id = fields["request_id"]
        return (
            f"{stamp} {fields['method']} {fields['path']} {status} {code} "
            f"{fields['ms']:.1f} ms {request_id}"
        )


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, and the request's fields or the message."""

    def format(self, record: logging.LogRecord) -> str:
        """Format a record as a JSON line."""
        line: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.created % 1 * 1000):03d}Z",
            "level": record.levelname.lower(),
        }
        fields = request_fields(record)
        if fields is None:
            line["logger"] = record.name
            line["message"] = record.getMessage()
            if record.exc_info:
                line["exception"] = self.formatException(record.exc_info)
        else:
            line.update(fields)
        return json.dumps(line, ensure_ascii=False)


def configure(level: str, log_format: LogFormat, stream: IO[str] | None = None) -> None:
    """Send the mock's and the server's logs to ``stream`` (stdout) at ``level``, one handler."""
    out = sys.stdout if stream is None else stream
    handler = logging.StreamHandler(out)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter(colour=out.isatty()))
    for name in ("rivya_contract", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers = [handler] if name != "uvicorn.error" else []
        logger.setLevel(LEVELS[level])
        logger.propagate = name == "uvicorn.error"
