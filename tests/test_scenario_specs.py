"""One verdict for one spec: the control API, the X-Rivya-Mock header, the rivya_scenario
marker and the Python calls accept and refuse the same faults and scripts, with the same
message."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rivya_contract.mock_server import Mock
from rivya_contract.plugin.scenario import apply_scenario

FAULTS: list[tuple[dict[str, Any], str | None]] = [
    ({"code": "rate_limited"}, None),
    ({"code": "rate_limited", "retry_after": 5}, None),
    ({"status": 503, "retry_after": 2, "times": 3}, None),
    ({"delay": 0.2}, None),
    ({"drop": True}, None),
    ({"path": "/api/v1/generations/{taskId}", "code": "not_found", "times": None}, None),
    ({"method": "POST", "path": "/api/v1/*", "code": "insufficient_credits"}, None),
    (
        {"code": "rate_limited", "retry_after": 10**12},
        "retry_after: 1000000000000 breaks maximum 999999999",
    ),
    ({"code": "teapot"}, "code: 'teapot' is not a documented error code"),
    ({"status": 418}, "status: 418 breaks minimum 500"),
    ({"code": "not_found", "status": 500}, "give a code or a status, not both"),
    ({"retry_after": 3}, "retry_after goes with a code or a status"),
    ({}, "a fault needs a code, a status, a delay or drop"),
    ({"delay": 0}, "a fault needs a code, a status, a delay or drop"),
    ({"delay": 301}, "delay: 301 breaks maximum 300"),
    ({"delay": "fast"}, "delay: must be a number, got 'fast'"),
    (
        {"retry_after": "soon", "code": "rate_limited"},
        "retry_after: must be an integer, got 'soon'",
    ),
    ({"code": "not_found", "times": 0}, "times: 0 breaks minimum 1"),
    ({"code": "not_found", "path": "api/v1/credits"}, "path: 'api/v1/credits' does not match '^/'"),
    (
        {"code": "not_found", "message": "x" * 5001},
        "message: must be at most 5000 characters, got 5001",
    ),
]
"""Fault specs and the message each gets (None: accepted)."""

SCRIPTS: list[tuple[dict[str, Any], str | None]] = [
    ({"outcome": "failed", "code": "nsfw", "message": "no"}, None),
    ({"queued": 2, "processing": 30}, None),
    ({"processing": "forever"}, None),
    ({"queued_polls": 2, "processing_polls": 3}, None),
    ({"model": "grok-imagine", "prompt_contains": "fox", "times": None}, None),
    (
        {"outcome": "exploded"},
        "outcome: must be one of ['succeeded', 'failed', 'processing'], got 'exploded'",
    ),
    ({"model": "no-such-model"}, "model: unknown model 'no-such-model'"),
    ({"queued": -1}, "queued: -1 breaks minimum 0"),
    ({"outcome": "failed", "processing": "forever"}, "a task processing for ever cannot fail"),
    (
        {"code": "Not A Code", "outcome": "failed"},
        "code: 'Not A Code' does not match '^[a-z][a-z0-9_]{0,63}$'",
    ),
    ({"times": 0}, "times: 0 breaks minimum 1"),
    ({"prompt_contains": "x" * 5001}, "prompt_contains: must be at most 5000 characters, got 5001"),
    (
        {"queued": 1, "queued_polls": 1},
        "time a task in seconds (queued, processing) or in polls (queued_polls, "
        "processing_polls), not both",
    ),
    ({"queued_polls": -1}, "queued_polls: -1 breaks minimum 0"),
    ({"processing_polls": 1.5}, "processing_polls: must be an integer, got 1.5"),
]
"""Script specs and the message each gets (None: accepted)."""


def _python(mock: Mock, kind: str, spec: dict[str, Any]) -> str | None:
    add = mock.control.fault if kind == "fault" else mock.control.script
    try:
        add(**spec)
    except ValueError as error:
        return str(error)
    return None


def _control_api(mock: Mock, kind: str, spec: dict[str, Any]) -> str | None:
    reply = mock.api.handle("POST", f"/__mock__/{kind}s", body=json.dumps(spec).encode())
    if reply.status == 201:
        return None
    assert (reply.status, reply.code) == (400, "mock_request_invalid")
    message: str = json.loads(reply.body)["error"]["message"]
    return message


def _marker(mock: Mock, kind: str, spec: dict[str, Any]) -> str | None:
    try:
        if kind == "fault":
            apply_scenario(mock, fault=spec)
        else:
            apply_scenario(mock, **spec)
    except ValueError as error:
        return str(error)
    return None


def _header_value(kind: str, spec: dict[str, Any]) -> str | None:
    """Spell ``spec`` as an X-Rivya-Mock header, or None when the header cannot say it."""
    parts = []
    if "code" in spec and "status" in spec:
        return None  # one status directive names either
    for name, value in spec.items():
        if kind == "fault":
            if name in ("code", "status"):
                parts.append(f"status={value}")
            elif name == "drop" and value is True:
                parts.append("drop")
            elif name in ("retry_after", "delay", "message"):
                parts.append(f"{name}={value}")
            else:
                return None
        else:
            if name == "outcome" and value == "failed":
                parts.append(f"fail={spec['code']}" if "code" in spec else "fail")
            elif name == "outcome" and value == "succeeded":
                parts.append("succeed")
            elif name in ("queued", "processing", "queued_polls", "processing_polls"):
                parts.append(f"{name}={value}")
            elif name == "message" and spec.get("outcome") == "failed":
                parts.append(f"message={value}")
            elif name == "code" and spec.get("outcome") == "failed":
                continue
            else:
                return None
    if not parts or any(";" in part for part in parts):
        return None
    return "; ".join(parts)


def _header(mock: Mock, kind: str, header: str) -> str | None:
    headers = {
        "Authorization": f"Bearer {mock.config.api_key}",
        "Content-Type": "application/json",
        "X-Rivya-Mock": header,
    }
    if kind == "fault":
        reply = mock.api.handle("GET", "/api/v1/credits", headers=headers)
    else:
        body = json.dumps({"model": "grok-imagine", "prompt": "a fox"}).encode()
        reply = mock.api.handle("POST", "/api/v1/generations", headers=headers, body=body)
    if reply.code != "mock_request_invalid":
        return None
    message: str = json.loads(reply.body)["error"]["message"]
    return message


CASES = [("fault", spec, message) for spec, message in FAULTS]
CASES += [("script", spec, message) for spec, message in SCRIPTS]


@pytest.mark.parametrize(
    ("kind", "spec", "message"), CASES, ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(CASES)]
)
def test_every_front_end_gives_the_same_verdict_and_message(
    kind: str, spec: dict[str, Any], message: str | None
) -> None:
    verdicts = {
        "python": _python(Mock(), kind, spec),
        "control API": _control_api(Mock(), kind, spec),
        "marker": _marker(Mock(), kind, spec),
    }
    for front_end, verdict in verdicts.items():
        if message is None:
            assert verdict is None, front_end
        else:
            assert verdict is not None, front_end
            assert verdict.startswith(message), (front_end, verdict)
    assert len(set(verdicts.values())) == 1, verdicts
    header = _header_value(kind, spec)
    if header is not None:
        said = _header(Mock(), kind, header)
        if message is None:
            assert said is None, said
        else:
            assert said is not None and said.startswith("X-Rivya-Mock: "), said
            assert said.endswith(verdicts["python"] or ""), said


def test_the_header_corpus_covers_each_kind() -> None:
    spelled = [_header_value(kind, spec) for kind, spec, _ in CASES]
    refused = [message for (_, _, message), h in zip(CASES, spelled, strict=True) if h and message]
    assert len([h for h in spelled if h]) >= 15
    assert len(refused) >= 8


def test_a_refused_spec_leaves_nothing_behind() -> None:
    mock = Mock()
    for kind, spec, message in CASES:
        if message is not None:
            _python(mock, kind, spec)
            _control_api(mock, kind, spec)
            _marker(mock, kind, spec)
    assert mock.control.faults == [] and mock.control.scripts == []
