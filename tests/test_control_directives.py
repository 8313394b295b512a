"""The X-Rivya-Mock header: its grammar, strict refusals, and its effect on requests."""

from __future__ import annotations

import json
import math

import pytest

from rivya_contract.mock_server import Mock, MockConfig
from rivya_contract.mock_server.directives import DirectiveError, parse
from rivya_contract.mock_server.lifecycle import Plan
from rivya_contract.mock_server.specs import Effects


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("status=rate_limited", Effects(code="rate_limited")),
        ("STATUS = 502 ; Retry-After = 9", Effects(status=502, retry_after=9)),
        ("status=not_found; message=gone", Effects(code="not_found", message="gone")),
        ("delay=200ms", Effects(delay=0.2)),
        ("delay=1.5s; drop", Effects(delay=1.5, drop=True)),
        ("delay=2m", Effects(delay=120.0)),
        ("delay=3", Effects(delay=3.0)),
        ("drop", Effects(drop=True)),
    ],
)
def test_answer_directives(header: str, expected: Effects) -> None:
    assert parse(header, creates_task=False).effects == expected


@pytest.mark.parametrize(
    ("header", "plan"),
    [
        ("fail", Plan(0.0, 0.0, "failed")),
        ("fail=generation_failed; after=3s", Plan(0.0, 3.0, "failed")),
        ("fail=nsfw; message=not allowed", Plan(0.0, 0.0, "failed", "nsfw", "not allowed")),
        ("succeed", Plan(0.0, 0.0, "succeeded")),
        ("queued=2s; processing=58s", Plan(2.0, 58.0, "succeeded")),
        ("processing=forever", Plan(0.0, math.inf, "succeeded")),
        ("queued=forever", Plan(math.inf, 0.0, "succeeded")),
        ("after=1m", Plan(0.0, 60.0, "succeeded")),
        (
            "queued_polls=2; processing-polls=3",
            Plan(0.0, 0.0, "succeeded", queued_polls=2, processing_polls=3, by_polls=True),
        ),
    ],
)
def test_task_directives(header: str, plan: Plan) -> None:
    found = parse(header, creates_task=True)
    assert found.plan == plan
    assert found.effects is None


@pytest.mark.parametrize(
    ("header", "named"),
    [
        ("stauts=rate_limited", "'stauts'"),
        ("status=teapot", "status=teapot"),
        ("status=418", "status=418"),
        ("status=", "'status'"),
        ("status=not_found; status=rate_limited", "'status'"),
        ("status=not_found;", "directive 2"),
        (";drop", "directive 1"),
        ("drop=yes", "'drop'"),
        ("delay=fast", "delay=fast"),
        ("delay=1h", "delay=1h"),
        ("delay=301s", "delay=301s"),
        ("delay=-1s", "delay=-1s"),
        ("retry-after=3", "retry_after goes with a code or a status"),
        ("status=rate_limited; retry-after=soon", "retry_after=soon"),
        ("message=hi", "'message'"),
        ("fail; succeed", "'fail'"),
        ("fail=", "'fail'"),
        ("fail=Not-A-Code", "fail=Not-A-Code"),
        ("fail; processing=forever", "cannot fail"),
        ("after=3s; processing=3s", "'after'"),
        ("processing=later", "processing=later"),
        ("status=not_found; fail", "'fail'"),
        ("delay=\uff15s", "delay=\uff15s"),
    ],
)
def test_bad_headers_name_the_bad_directive(header: str, named: str) -> None:
    with pytest.raises(DirectiveError) as caught:
        parse(header, creates_task=True)
    assert named in str(caught.value)


def test_task_directives_only_go_with_a_create() -> None:
    with pytest.raises(DirectiveError, match="only to POST /api/v1/generations"):
        parse("fail", creates_task=False)


def auth(mock: Mock, directive: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {mock.config.api_key}"}
    if directive is not None:
        headers["X-Rivya-Mock"] = directive
    return headers


def test_a_bad_header_is_a_400_naming_it_and_nothing_else_happens() -> None:
    mock = Mock(MockConfig(virtual_clock=True))
    headers = {**auth(mock, "fial=generation_failed"), "Content-Type": "application/json"}
    body = json.dumps({"model": "grok-imagine", "prompt": "a fox"}).encode()
    reply = mock.api.handle("POST", "/api/v1/generations", headers=headers, body=body)
    assert (reply.status, reply.code) == (400, "mock_request_invalid")
    assert "'fial'" in json.loads(reply.body)["error"]["message"]
    assert mock.backend.balance().reserved == 0


def test_task_directives_on_a_poll_are_a_400() -> None:
    mock = Mock()
    reply = mock.api.handle("GET", "/api/v1/credits", headers=auth(mock, "fail"))
    assert (reply.status, reply.code) == (400, "mock_request_invalid")


def test_delay_and_drop_go_on_the_real_answer() -> None:
    mock = Mock()
    reply = mock.api.handle("GET", "/api/v1/credits", headers=auth(mock, "delay=250ms; drop"))
    assert reply.status == 200
    assert (reply.delay, reply.drop) == (0.25, True)


def test_an_injected_error_still_gets_delay_and_drop() -> None:
    mock = Mock()
    directive = "status=rate_limited; delay=1s; drop"
    reply = mock.api.handle("GET", "/api/v1/credits", headers=auth(mock, directive))
    assert (reply.status, reply.delay, reply.drop) == (429, 1.0, True)


def test_the_header_acts_before_auth() -> None:
    mock = Mock()
    reply = mock.api.handle("GET", "/api/v1/credits", headers={"X-Rivya-Mock": "status=503"})
    assert reply.status == 503


def test_the_header_is_ignored_with_control_off() -> None:
    mock = Mock(MockConfig(control=False))
    reply = mock.api.handle("GET", "/api/v1/credits", headers=auth(mock, "status=rate_limited"))
    assert reply.status == 200
    bad = mock.api.handle("GET", "/api/v1/credits", headers=auth(mock, "not a directive"))
    assert bad.status == 200
