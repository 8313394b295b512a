"""Hostile Authorization headers and hostile task and file ids, sent as raw bytes.

The bearer scheme is matched without regard to case (RFC 9110) and spaces
around the token are ignored; anything else is a 401 envelope. Ids that
traverse, are percent-encoded, very long or unicode are not_found, never a
500, and never reach another resource.
"""

from __future__ import annotations

import pytest
from hostile_support import (
    PNG,
    PRICE,
    Live,
    RawReply,
    assert_still_serving,
    raw_exchange,
    raw_request,
)
from support import API, check_envelope, error_of

from rivya_contract.mock_server.config import MockConfig
from rivya_contract.schemas import validate

START = MockConfig().credits


def get(live: Live, path: str | bytes, authorization: str | bytes | None = None) -> RawReply:
    """Send ``GET path`` exactly as given, with the demo key unless ``authorization`` is given."""
    headers: dict[str, str | bytes] = {
        "Authorization": f"Bearer {live.key}" if authorization is None else authorization
    }
    target = path.decode("latin-1") if isinstance(path, bytes) else path
    reply = raw_exchange(live.address, raw_request("GET", target, headers))
    assert reply is not None, "no reply"
    return reply


def assert_raw_error(reply: RawReply, code: str, status: int) -> str:
    """Assert ``reply`` is the envelope for ``code`` with ``status``; return its message."""
    assert reply.status == status, (reply.status, reply.body[:300])
    error = check_envelope(reply.json(), reply.headers["x-request-id"], code)
    message: str = error["message"]
    return message


@pytest.mark.parametrize(
    "template",
    [
        "bearer {key}",
        "BEARER {key}",
        "BeArEr {key}",
        "Bearer    {key}",
        "Bearer {key}    ",
        "   Bearer {key}",
    ],
)
def test_scheme_case_and_extra_spaces_are_accepted(live: Live, template: str) -> None:
    reply = get(live, f"{API}/credits", template.format(key=live.key))
    assert reply.status == 200, reply.body
    assert reply.json() == {"current_credits": START}
    assert_still_serving(live, START)


def test_lowercase_scheme_can_create(live: Live) -> None:
    response = live.client.post(
        f"{API}/generations",
        json={"model": "grok-imagine", "prompt": "a fox"},
        headers={"Authorization": f"bearer {live.key}"},
    )
    assert response.status_code == 202, response.text
    assert live.credits() == START - PRICE


HOSTILE_KEYS: dict[str, tuple[bytes, str]] = {
    "no scheme": (b"{key}", "api_key_missing"),
    "scheme alone": (b"Bearer", "api_key_missing"),
    "scheme and spaces": (b"Bearer     ", "api_key_missing"),
    "other scheme": (b"Basic {key}", "api_key_missing"),
    "scheme glued to key": (b"Bearer{key}", "api_key_missing"),
    "two tokens": (b"Bearer {key} {key}", "api_key_invalid"),
    "key in upper case": (b"Bearer {upper}", "api_key_invalid"),
    "key with a suffix": (b"Bearer {key}x", "api_key_invalid"),
    "non-ASCII UTF-8 key": ("Bearer rvya_sk_ключ_🔑".encode(), "api_key_invalid"),
    "Latin-1 key": (b"Bearer rvya_sk_\xe9\xff", "api_key_invalid"),
    "invalid UTF-8 key": (b"Bearer {key}\xc3\x28", "api_key_invalid"),
    "100 KB key": (b"Bearer rvya_sk_" + b"a" * 100_000, "api_key_invalid"),
    "100 KB key after the real one": (b"Bearer {key}" + b"a" * 100_000, "api_key_invalid"),
}


@pytest.mark.parametrize(("template", "code"), HOSTILE_KEYS.values(), ids=HOSTILE_KEYS.keys())
def test_hostile_authorization_is_a_401_envelope(live: Live, template: bytes, code: str) -> None:
    header = template.replace(b"{key}", live.key.encode()).replace(
        b"{upper}", live.key.upper().encode()
    )
    assert_raw_error(get(live, f"{API}/credits", header), code, 401)
    assert_still_serving(live, START)


def test_tab_between_scheme_and_key_is_a_401(live: Live) -> None:
    reply = get(live, f"{API}/credits", f"Bearer\t{live.key}")
    assert reply.status == 401
    check_envelope(reply.json(), reply.headers["x-request-id"], "api_key_missing")


def test_hostile_key_on_a_public_endpoint_is_ignored(live: Live) -> None:
    reply = get(live, f"{API}/models", b"Bearer " + b"\xff" * 100_000)
    assert reply.status == 200
    assert validate("model-list", reply.json()) == []


HOSTILE_IDS = {
    "dot dot": "..",
    "encoded dot dot": "%2e%2e",
    "encoded traversal to credits": "%2e%2e%2fcredits",
    "upper-case encoded traversal": "%2E%2E%2F%2E%2E%2Fcredits",
    "encoded slash traversal": "..%2f..%2f..%2fetc%2fpasswd",
    "double-encoded traversal": "%252e%252e%252fcredits",
    "backslash traversal": "..%5c..%5ccredits",
    "NUL": "%00",
    "invalid percent-encoding": "%zz",
    "lone percent": "%",
    "invalid UTF-8 escape": "%ff%fe",
    "encoded lone surrogate": "%ed%a0%80",
    "10 KB": "t" * 10_240,
    "10 KB of encoded unicode": "%e2%9c%93" * 1_200,
    "unicode": "%e3%82%bf%e3%82%b9%e3%82%af_%f0%9f%a6%8a",
    "right-to-left override": "task_%e2%80%aeabc",
    "query lookalike": "task_1%3fa=b",
    "encoded newline": "task_1%0Ax",
    "encoded CRLF": "%0D%0A",
    "line separator": "task_%E2%80%A8",
    "next line": "task_%C2%85",
}
ID_ROUTES = [
    f"{API}/generations/{{id}}",
    f"{API}/files/{{id}}",
    "/media/files/{id}/x",
    "/media/results/{id}/x/0.png",
]


@pytest.mark.parametrize("route", ID_ROUTES)
@pytest.mark.parametrize("hostile", HOSTILE_IDS.values(), ids=HOSTILE_IDS.keys())
def test_hostile_id_is_not_found(live: Live, route: str, hostile: str) -> None:
    assert_raw_error(get(live, route.format(id=hostile)), "not_found", 404)
    assert_still_serving(live, START)


@pytest.mark.parametrize(
    "suffix", ["/..", "%2f..", "%2f..%2f..%2fcredits", "%00", "%20", "/", "%2f", "x"]
)
def test_real_task_id_with_a_hostile_suffix_is_not_found(live: Live, suffix: str) -> None:
    created = live.create()
    assert created.status_code == 202
    task_id = created.json()["id"]
    assert get(live, f"{API}/generations/{task_id}").status == 200
    assert_raw_error(get(live, f"{API}/generations/{task_id}{suffix}"), "not_found", 404)
    assert_raw_error(get(live, f"{API}/generations/{task_id.upper()}"), "not_found", 404)
    assert_still_serving(live, START - PRICE)


def test_raw_dot_segments_are_not_resolved(live: Live) -> None:
    # A client that does not normalise the path must not reach /credits through a task id.
    message = assert_raw_error(get(live, f"{API}/generations/../credits"), "not_found", 404)
    assert "no such endpoint" in message
    assert_still_serving(live, START)


def test_raw_unicode_in_the_request_line_is_refused_without_a_crash(live: Live) -> None:
    # Unencoded bytes above 0x7f are not valid in a request target; the HTTP layer refuses them.
    reply = get(live, f"{API}/generations/task_\u00e9".encode().decode("latin-1"))
    assert reply.status == 400
    assert_still_serving(live, START)


def test_another_accounts_task_and_file_are_not_found(live: Live) -> None:
    task_id = live.create().json()["id"]
    upload = live.client.post(
        f"{API}/files",
        data={"kind": "image"},
        files={"file": ("fox.png", PNG, "image/png")},
        headers=live.auth(),
    )
    assert upload.status_code == 201, upload.text
    stored = upload.json()
    other = live.mock.control.accounts.create("acct_other", credits=100)
    key = live.mock.control.accounts.issue_key(other.id)
    for path in (task_id, task_id + "%2f..", "..%2f" + task_id, "%2e%2e%2f" + task_id):
        reply = get(live, f"{API}/generations/{path}", f"Bearer {key}")
        assert_raw_error(reply, "not_found", 404)
    assert_raw_error(get(live, f"{API}/files/{stored['id']}", f"Bearer {key}"), "not_found", 404)
    borrowed = {
        "model": "grok-imagine",
        "prompt": "edit someone else's image",
        "params": {"referenceMediaItems": [{"url": stored["url"], "kind": "image"}]},
    }
    response = live.client.post(
        f"{API}/generations", json=borrowed, headers={"Authorization": f"Bearer {key}"}
    )
    error = error_of(response, "validation_failed", 400)
    assert error["message"].startswith("$.params.referenceMediaItems[0].url")
    assert live.mock.control.accounts.get(other.id).balance == 100
    assert_still_serving(live, START - PRICE)


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "PROPFIND", "FOO", "DELETE", "PUT"])
def test_unserved_method_is_a_not_found_envelope(live: Live, method: str) -> None:
    headers = {"Authorization": f"Bearer {live.key}", "Content-Length": "0"}
    reply = raw_exchange(live.address, raw_request(method, f"{API}/credits", headers))
    assert reply is not None
    assert reply.headers["content-type"] == "application/json"
    message = assert_raw_error(reply, "not_found", 404)
    assert message == f"{method} is not served here: {method} {API}/credits"
    assert_still_serving(live, START)
