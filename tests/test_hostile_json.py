"""Malformed and hostile JSON bodies on POST /generations, over real HTTP.

Every rejection must be the API's own envelope (400 validation_failed), must
not reserve credits or create a task, and must leave the server answering the
next valid request. The JSON body limit is ``MockConfig.max_body_bytes``
(1 MiB by default): a larger body is validation_failed, and the server keeps
reading it in bounded memory.
"""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest
from hostile_support import (
    MODEL,
    VALID_CREATE,
    Live,
    assert_still_serving,
    live_mock,
    raw_exchange,
    raw_request,
)
from support import API, check_envelope, error_of

from rivya_contract.mock_server.config import MockConfig
from rivya_contract.schemas import CONTROL_PREFIX, contract, validate

START = MockConfig().credits
LIMIT = MockConfig().max_body_bytes
PROMPT_LIMIT = contract().cards[MODEL].max_prompt_length
VALID = json.dumps(VALID_CREATE).encode()


def rejected(live: Live, body: bytes, content_type: str | None = "application/json") -> str:
    """POST ``body``; assert validation_failed and that nothing was reserved; return the message."""
    error = error_of(live.post_raw(body, content_type), "validation_failed", 400)
    assert_still_serving(live, START)
    message: str = error["message"]
    return message


MALFORMED = {
    "truncated": (b'{"model": "grok-imagine", "prompt": ', "malformed JSON"),
    "unquoted key": (b'{model: "grok-imagine"}', "malformed JSON"),
    "trailing comma": (b'{"model": "grok-imagine",}', "malformed JSON"),
    "trailing garbage": (VALID + b" {}", "malformed JSON"),
    "two documents": (VALID + VALID, "malformed JSON"),
    "raw control character": (b'{"model": "grok-imagine", "prompt": "a\x01b"}', "malformed JSON"),
    "NaN": (b'{"model": "grok-imagine", "prompt": "x", "params": {"aspect_ratio": NaN}}', "NaN"),
    "Infinity": (
        b'{"model": "grok-imagine", "prompt": "x", "params": {"x": Infinity}}',
        "Infinity",
    ),
    "-Infinity": (
        b'{"model": "grok-imagine", "prompt": "x", "params": {"x": -Infinity}}',
        "Infinity",
    ),
    "duplicate top-level key": (
        b'{"model": "grok-imagine", "prompt": "a fox", "prompt": "a cat"}',
        "duplicate key 'prompt'",
    ),
    "duplicate params key": (
        b'{"model": "grok-imagine", "prompt": "x",'
        b' "params": {"aspect_ratio": "1:1", "aspect_ratio": "16:9"}}',
        "duplicate key 'aspect_ratio'",
    ),
    "invalid UTF-8 byte": (b'{"model": "grok-imagine", "prompt": "\xff\xfe"}', "not valid UTF-8"),
    "overlong UTF-8": (b'{"model": "grok-imagine", "prompt": "\xc0\xaf"}', "not valid UTF-8"),
    "UTF-8 encoded surrogate": (
        b'{"model": "grok-imagine", "prompt": "\xed\xa0\x80"}',
        "not valid UTF-8",
    ),
    "truncated UTF-8 sequence": (b'{"model": "grok-imagine", "prompt": "\xf0\x9f\x98"}', "UTF-8"),
    "empty": (b"", "empty"),
    "only whitespace": (b" \r\n\t ", "empty"),
}


@pytest.mark.parametrize(("body", "expected"), MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_body_is_validation_failed(live: Live, body: bytes, expected: str) -> None:
    assert expected in rejected(live, body)


@pytest.mark.parametrize("body", [b"[]", b'["model"]', b'"grok-imagine"', b"42", b"null", b"true"])
def test_json_that_is_not_an_object_is_rejected(live: Live, body: bytes) -> None:
    assert rejected(live, body) == "$: the request body must be a JSON object"


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/jsonp",
        "json",
        "",
    ],
)
def test_wrong_or_missing_content_type_is_rejected(live: Live, content_type: str | None) -> None:
    assert rejected(live, VALID, content_type) == "Content-Type must be application/json"


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", "Application/JSON", "application/json ;x=1"]
)
def test_content_type_parameters_and_case_are_accepted(live: Live, content_type: str) -> None:
    response = live.post_raw(VALID, content_type)
    assert response.status_code == 202, response.text
    assert live.credits() == START - contract().cards[MODEL].base_credits


@pytest.mark.parametrize(("opening", "closing"), [(b"[", b"]"), (b'{"a":', b"}")])
def test_nesting_ten_thousand_levels_deep_is_rejected(
    live: Live, opening: bytes, closing: bytes
) -> None:
    deep = opening * 10_000 + b"1" + closing * 10_000
    body = b'{"model": "grok-imagine", "prompt": "x", "params": {"aspect_ratio": ' + deep + b"}}"
    assert rejected(live, body) == "the request body is nested too deeply"


@pytest.mark.parametrize("field", ["model", "prompt", "params"])
def test_nesting_just_within_the_parser_gives_a_field_error(live: Live, field: str) -> None:
    fields = {"model": b'"grok-imagine"', "prompt": b'"x"', field: b"[" * 900 + b"]" * 900}
    body = b"{" + b", ".join(b'"%s": %s' % (k.encode(), v) for k, v in fields.items()) + b"}"
    message = rejected(live, body)
    assert message.startswith(f"$.{field}: must be"), message


@pytest.mark.parametrize(
    "escaped",
    ["\\u0000", "a\\u0000b", "\\ud800", "x\\udfff", "\\ud800x", "\\udc00\\ud800", "\\ud83d"],
)
def test_prompt_with_nul_or_lone_surrogate_names_the_prompt(live: Live, escaped: str) -> None:
    body = ('{"model": "grok-imagine", "prompt": "' + escaped + '"}').encode()
    message = rejected(live, body)
    assert message.startswith("$.prompt: must not contain NUL"), message


def test_escaped_surrogate_pair_is_one_valid_character(live: Live) -> None:
    response = live.post_raw(b'{"model": "grok-imagine", "prompt": "\\ud83e\\udd8a"}')
    assert response.status_code == 202, response.text


@pytest.mark.parametrize(
    "body",
    [
        b'{"model": "grok-imagine", "prompt": "x", "\\ud800": 1}',
        b'{"model": "grok-imagine", "prompt": "x", "params": {"\\udfff": "1"}}',
    ],
    ids=["top-level key", "params key"],
)
def test_lone_surrogate_in_a_key_is_a_readable_error(live: Live, body: bytes) -> None:
    message = rejected(live, body)
    assert "\ufffd" in message and "is not a known" in message


def test_prompt_of_four_byte_characters_at_the_limit_is_accepted(live: Live) -> None:
    assert PROMPT_LIMIT is not None
    prompt = "\U0001f98a" * PROMPT_LIMIT
    assert len(prompt.encode()) == 4 * PROMPT_LIMIT
    response = live.create({"model": MODEL, "prompt": prompt})
    assert response.status_code == 202, response.text[:300]
    assert validate("task", response.json()) == []


def test_prompt_of_four_byte_characters_past_the_limit_is_rejected(live: Live) -> None:
    assert PROMPT_LIMIT is not None
    prompt = "\U0001f98a" * (PROMPT_LIMIT + 1)
    error = error_of(live.create({"model": MODEL, "prompt": prompt}), "validation_failed", 400)
    assert error["message"] == (
        f"$.prompt: must be at most {PROMPT_LIMIT} characters, got {PROMPT_LIMIT + 1}"
    )
    assert_still_serving(live, START)


def padded(size: int) -> bytes:
    """Return a valid create body padded with whitespace to exactly ``size`` bytes."""
    return VALID + b" " * (size - len(VALID))


def test_body_at_the_limit_is_accepted(live: Live) -> None:
    response = live.post_raw(padded(LIMIT))
    assert response.status_code == 202, response.text


def test_body_one_byte_over_the_limit_is_rejected(live: Live) -> None:
    assert rejected(live, padded(LIMIT + 1)) == f"the request body exceeds {LIMIT} bytes"


def test_oversize_chunked_body_is_drained_in_bounded_memory(live: Live) -> None:
    chunk = b" " * 65_536
    total = 16 * LIMIT

    def stream() -> Iterator[bytes]:
        yield VALID
        for _ in range(total // len(chunk)):
            yield chunk

    tracemalloc.start()
    try:
        response = live.client.post(
            f"{API}/generations",
            content=stream(),
            headers=live.auth(**{"Content-Type": "application/json"}),
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    error = error_of(response, "validation_failed", 400)
    assert error["message"] == f"the request body exceeds {LIMIT} bytes"
    assert peak < 4 * LIMIT, f"reading a {total}-byte body peaked at {peak} bytes"
    assert_still_serving(live, START)


def test_configured_body_limit_applies() -> None:
    with live_mock(MockConfig(max_body_bytes=len(VALID))) as live:
        assert live.post_raw(VALID).status_code == 202
        error = error_of(live.post_raw(VALID + b" "), "validation_failed", 400)
        assert error["message"] == f"the request body exceeds {len(VALID)} bytes"
        assert_still_serving(live, START - contract().cards[MODEL].base_credits)


@pytest.mark.parametrize("key", ["", "k" * 256, "k" * 10_000], ids=["empty", "256", "10,000"])
def test_idempotency_key_outside_the_documented_length_is_rejected(live: Live, key: str) -> None:
    error = error_of(live.create(**{"Idempotency-Key": key}), "validation_failed", 400)
    assert error["message"] == "Idempotency-Key must be 1 to 255 characters"
    assert_still_serving(live, START)


def test_idempotency_key_of_the_longest_documented_length_is_accepted(live: Live) -> None:
    first = live.create(**{"Idempotency-Key": "k" * 255})
    again = live.create(**{"Idempotency-Key": "k" * 255})
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"]
    assert live.credits() == START - contract().cards[MODEL].base_credits


def strict_json(text: str) -> Any:
    """Parse ``text`` as RFC 8259 JSON: NaN and Infinity are errors."""

    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} in a response")

    return json.loads(text, parse_constant=refuse)


def test_hostile_bodies_leave_the_journal_readable(live: Live) -> None:
    hostile = {
        "NaN": b'{"model": "grok-imagine", "prompt": "x", "params": {"aspect_ratio": NaN}}',
        "deep": b'{"model": ' + b"[" * 10_000 + b"]" * 10_000 + b"}",
        "surrogate key": b'{"model": "grok-imagine", "prompt": "x", "\\ud800": 1}',
        "invalid UTF-8": b'{"model": "grok-imagine", "prompt": "\xff"}',
    }
    for body in hostile.values():
        error_of(live.post_raw(body), "validation_failed", 400)
    parsed = {"model": "grok-imagine", "prompt": "x", "\ud800": 1}
    assert [entry.json for entry in live.mock.control.journal] == [None, None, parsed, None]
    response = live.client.get(f"{CONTROL_PREFIX}/journal")
    assert response.status_code == 200, response.text[:300]
    entries = strict_json(response.text)["data"]
    shown = {"model": "grok-imagine", "prompt": "x", "\ufffd": 1}
    assert [entry["json"] for entry in entries] == [None, None, shown, None]
    assert [entry["code"] for entry in entries] == ["validation_failed"] * 4
    assert_still_serving(live, START)


@pytest.mark.parametrize(
    "body",
    [{"to": 2.0e15}, {"to": 1.0e308}, {"advance": 1.0e15}, {"to": "10000-01-01T00:00:00Z"}],
    ids=["to year 63 million", "to 1e308", "advance 1e15", "to year 10000"],
)
def test_clock_cannot_be_sent_past_the_last_timestamp(live: Live, body: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="9999-12-31"):
        live.mock.clock.advance(1.0e15)
    with live_mock(MockConfig(virtual_clock=True)) as frozen:
        before = frozen.client.get(f"{CONTROL_PREFIX}/clock").json()
        response = frozen.client.post(f"{CONTROL_PREFIX}/clock", json=body)
        error = error_of(response, "mock_request_invalid", 400)
        assert any(part in error["message"] for part in ("9999-12-31", "to:", "advance:")), error
        with pytest.raises(ValueError, match="9999-12-31"):
            frozen.mock.clock.advance(1.0e15)
        assert frozen.client.get(f"{CONTROL_PREFIX}/clock").json() == before
        assert_still_serving(frozen, START)
        assert frozen.errors.take() == []


@pytest.mark.parametrize(
    "header", [b"application/json\xff", b"\xc3\x28", b"application/\xe2\x80\x8bjson"]
)
def test_invalid_utf8_in_the_content_type_header(live: Live, header: bytes) -> None:
    headers: dict[str, str | bytes] = {
        "Authorization": f"Bearer {live.key}",
        "Content-Type": header,
        "Content-Length": str(len(VALID)),
    }
    reply = raw_exchange(live.address, raw_request("POST", f"{API}/generations", headers, VALID))
    assert reply is not None and reply.status == 400
    error = check_envelope(reply.json(), reply.headers["x-request-id"], "validation_failed")
    assert error["message"] == "Content-Type must be application/json"
    assert_still_serving(live, START)
