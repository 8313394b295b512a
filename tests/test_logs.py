"""The console log's formats, its colours, and that a filtered-out level costs no record."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from support import bearer

from rivya_contract.mock_server import logs
from rivya_contract.mock_server.api import requests_log
from rivya_contract.mock_server.mock import Mock


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    names = ("rivya_contract", "uvicorn", "uvicorn.error")
    saved = {n: (logging.getLogger(n).handlers[:], logging.getLogger(n).level) for n in names}
    propagate = {n: logging.getLogger(n).propagate for n in names}
    yield
    for name, (handlers, level) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers, logger.level, logger.propagate = handlers, level, propagate[name]


def test_a_terminal_gets_the_status_and_code_in_colour() -> None:
    out = Terminal()
    logs.configure("info", "text", out)
    mock = Mock()
    mock.api.handle("GET", "/api/v1/credits")
    line = out.getvalue().strip()
    assert "\033[33m401\033[0m" in line and "\033[33mapi_key_missing\033[0m" in line
    plain = io.StringIO()
    logs.configure("info", "text", plain)
    mock.api.handle("GET", "/api/v1/credits")
    assert "\033[" not in plain.getvalue() and " 401 api_key_missing " in plain.getvalue()


def test_other_records_keep_their_message_in_both_formats() -> None:
    out = io.StringIO()
    logs.configure("info", "json", out)
    logging.getLogger("rivya_contract.mock_server").warning("disk %s", "full")
    line = json.loads(out.getvalue())
    assert (line["level"], line["message"], line["logger"]) == (
        "warning",
        "disk full",
        "rivya_contract.mock_server",
    )


def test_a_filtered_level_makes_no_record(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[str] = []
    original = logging.Logger.makeRecord

    def counting(self: logging.Logger, *args: object, **kwargs: object) -> logging.LogRecord:
        made.append(self.name)
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(logging.Logger, "makeRecord", counting)
    out = io.StringIO()
    logs.configure("warning", "text", out)
    mock = Mock()
    for _ in range(5):
        mock.api.handle("GET", "/api/v1/credits", headers=bearer(mock.config.api_key))
    assert made == [] and out.getvalue() == ""
    logs.configure("info", "text", out)
    mock.api.handle("GET", "/api/v1/credits", headers=bearer(mock.config.api_key))
    mock.api.handle("GET", "/__mock__/clock")  # control requests log at debug
    assert made == [requests_log.name]
