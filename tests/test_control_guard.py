"""The control plane's guard: the admin token, the directive header's policy, the journal."""

from __future__ import annotations

import json
import re
import urllib.parse

from support import served

from rivya_contract.mock_server import Mock, MockConfig
from rivya_contract.mock_server.exposure import guarded, is_loopback

ADMIN = "adm1n-s3cret-token"


def test_loopback_names_and_addresses() -> None:
    for host in ("127.0.0.1", "127.8.9.1", "::1", "[::1]", "localhost", "api.localhost"):
        assert is_loopback(host), host
    for host in ("0.0.0.0", "::", "192.168.1.4", "10.0.0.1", "example.com", "mock"):
        assert not is_loopback(host), host


def test_a_token_is_generated_only_beyond_loopback_without_one() -> None:
    assert guarded(MockConfig(host="127.0.0.1")) == (MockConfig(host="127.0.0.1"), None)
    chosen = MockConfig(host="0.0.0.0", admin_token=ADMIN)
    assert guarded(chosen) == (chosen, None)
    off = MockConfig(host="0.0.0.0", control=False)
    assert guarded(off) == (off, None)
    config, token = guarded(MockConfig(host="0.0.0.0"))
    assert token is not None and len(token) >= 32 and config.admin_token == token
    assert guarded(MockConfig(host="0.0.0.0"))[1] != token


def test_serving_beyond_loopback_without_a_token_guards_the_control_api() -> None:
    with served("--host", "0.0.0.0") as server:
        line = server.wait_for("generated")
        found = re.search(r"admin\s*:\s*(\S+)", line)
        assert found is not None
        token = found.group(1)
        with server.client() as client:
            refused = client.post("/__mock__/reset")
            assert refused.status_code == 401
            assert refused.json()["error"]["code"] == "mock_unauthorized"
            keys = client.post("/__mock__/keys", json={"account_id": "acct_demo"})
            assert keys.status_code == 401
            admitted = client.get("/__mock__/journal", headers={"Authorization": f"Bearer {token}"})
            assert admitted.status_code == 200
        assert token not in "\n".join(server.announcement[:-2])  # shown once, in its own lines


def test_serving_beyond_loopback_with_a_token_uses_it() -> None:
    with served("--host", "0.0.0.0", "--admin-token", ADMIN) as server:
        server.wait_for("metrics")
        with server.client() as client:
            assert client.post("/__mock__/reset").status_code == 401
            headers = {"Authorization": f"Bearer {ADMIN}"}
            assert client.post("/__mock__/reset", headers=headers).status_code == 200
    assert not any("generated" in line for line in server.announcement)


def _credits(mock: Mock, **headers: str) -> int:
    headers = {"Authorization": f"Bearer {mock.config.api_key}", **headers}
    return mock.api.handle("GET", "/api/v1/credits", headers=headers).status


def test_with_a_token_a_directive_needs_it_beside() -> None:
    mock = Mock(MockConfig(admin_token=ADMIN))
    assert _credits(mock, **{"X-Rivya-Mock": "status=503"}) == 401
    assert mock.control.journal[-1].code == "mock_unauthorized"
    wrong = {"X-Rivya-Mock": "status=503", "X-Rivya-Mock-Token": ADMIN + "x"}
    assert _credits(mock, **wrong) == 401
    right = {"X-Rivya-Mock": "status=503", "X-Rivya-Mock-Token": ADMIN}
    assert _credits(mock, **right) == 503
    assert _credits(mock) == 200
    assert _credits(Mock(), **{"X-Rivya-Mock": "status=503"}) == 503  # no token: open


def test_keys_sent_anywhere_never_reach_the_journal() -> None:
    mock = Mock(MockConfig(admin_token=ADMIN))
    odd = "rvya_sk_we&ird;key,with\"delims'"
    issued = mock.control.accounts.issue_key("acct_demo")
    mock.control.accounts.issue_key("acct_demo", key=odd)
    secrets = [mock.config.api_key, issued, odd, ADMIN]
    for secret in secrets:
        quoted = urllib.parse.quote(secret, safe="")
        mock.api.handle("GET", "/api/v1/credits", query=f"api_key={secret}")
        mock.api.handle("GET", "/api/v1/credits", query=f"api_key={quoted}")
        mock.api.handle("GET", f"/api/v1/generations/{quoted}")
        mock.api.handle("GET", "/api/v1/credits", headers={"X-Auth-Token": secret})
        mock.api.handle("GET", "/api/v1/credits", headers={"X-Api-Token": f"Token {secret}"})
        body = json.dumps({"model": "grok-imagine", "prompt": secret, "note": [secret]})
        mock.api.handle(
            "POST",
            "/api/v1/generations",
            headers={"Authorization": f"Bearer {issued}", "Content-Type": "application/json"},
            body=body.encode(),
        )
        escaped = json.dumps({"prompt": secret}).replace("_", "\\u005f").encode()
        mock.api.handle(
            "POST",
            "/api/v1/generations",
            headers={"Authorization": f"Bearer {issued}", "Content-Type": "application/json"},
            body=escaped,
        )
    shown = json.dumps([entry.to_json() for entry in mock.control.journal])
    assert len(mock.control.journal) == 7 * len(secrets)
    for secret in secrets:
        assert secret not in shown
        assert urllib.parse.quote(secret, safe="") not in shown
    assert "we&ird" not in shown and "delims" not in shown


def test_the_journal_is_bounded_in_bytes() -> None:
    mock = Mock(MockConfig(journal_max_bytes=2_000_000))
    head = {"X-Padding": "p" * 120_000}
    for _ in range(100):
        mock.api.handle("GET", "/api/v1/models", headers=head)
    journal = mock.control.journal
    assert journal.bytes <= 2_000_000
    assert 10 <= len(journal) <= 17
    mock.api.handle("GET", "/api/v1/models")
    assert journal[-1].path == "/api/v1/models" and journal.bytes <= 2_000_000


def test_a_refused_key_request_stores_nothing() -> None:
    mock = Mock()
    before = len(mock.backend.store.keys())
    for expires_in in (1e20, 1e308, -1e20, 3153600001, "soon", True):
        body = json.dumps({"account_id": "acct_demo", "expires_in": expires_in}).encode()
        reply = mock.api.handle(
            "POST", "/__mock__/keys", body=body, headers={"Content-Type": "application/json"}
        )
        assert (reply.status, reply.code) == (400, "mock_request_invalid"), expires_in
    assert len(mock.backend.store.keys()) == before
