"""Helpers for the server tests: clients for each transport, a served subprocess, small builders.

Three ways to reach a mock, each giving an ``httpx.Client``:

- ``in_process(mock)``: requests go straight into ``mock.api.handle``;
- ``asgi(mock)``: requests go through the Starlette app (``TestClient``);
- ``served(...)``: a real ``rivya-mock serve`` subprocess on a free port.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import httpx
from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():
    # Starlette suggests another HTTP client package; httpx is the one this project uses.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

from rivya_contract.mock_server import media
from rivya_contract.mock_server.mock import DEMO_ACCOUNT, Mock
from rivya_contract.mock_server.records import Account, ApiKey
from rivya_contract.plugin.respx_routes import mock_transport
from rivya_contract.schemas import validate

API = "/api/v1"
IN_PROCESS_BASE = "https://rivya.ai"
STARTUP_TIMEOUT = 20.0
RATIOS = ("1:1", "2:3", "3:2", "16:9", "9:16")
"""Every aspect ratio grok-imagine offers."""

_ANNOUNCE = re.compile(r"serving (http://\S+?)/api/v1\b")


def bearer(key: str) -> dict[str, str]:
    """Return the Authorization header for ``key``."""
    return {"Authorization": f"Bearer {key}"}


def in_process(mock: Mock) -> httpx.Client:
    """Return a client whose requests run through the mock's pipeline, with no ASGI or sockets."""
    return httpx.Client(transport=mock_transport(mock), base_url=IN_PROCESS_BASE)


def asgi(mock: Mock) -> httpx.Client:
    """Return a client for ``mock.app`` through Starlette's test client."""
    return TestClient(mock.app)


TRANSPORTS = ("in_process", "asgi")
"""The in-memory transports every state-reading test runs over."""


def client_for(transport: str, mock: Mock) -> httpx.Client:
    """Return a client of ``mock`` over the named in-memory transport."""
    return in_process(mock) if transport == "in_process" else asgi(mock)


def add_account(mock: Mock, account_id: str, credits: int, **key: Any) -> str:
    """Create an account holding ``credits`` and one key for it; return the key's secret.

    ``key`` takes ``ApiKey`` fields (``scopes``, ``revoked``, ``expires_at``).
    """
    mock.backend.add_account(account_id, credits)
    secret = f"rvya_sk_test_{account_id}"
    mock.backend.store.add_key(ApiKey(secret, account_id, **key))
    return secret


def account(mock: Mock, account_id: str = DEMO_ACCOUNT) -> Account:
    """Return an account as stored, without settling anything."""
    found = mock.backend.store.account(account_id)
    assert found is not None
    return found


def ledger_ok(mock: Mock) -> bool:
    """Return whether every account's wallet invariant holds right now."""
    return all(each.ledger_ok() for each in mock.backend.store.accounts())


def text_request(prompt: str = "A red fox in fresh snow", **params: str) -> dict[str, Any]:
    """Return the seed's minimal grok-imagine request with ``params`` over the example's."""
    return {
        "model": "grok-imagine",
        "prompt": prompt,
        "params": {"aspect_ratio": "1:1", "enable_pro": "false", **params},
    }


def reference_request(file_url: str, aspect_ratio: str = "1:1") -> dict[str, Any]:
    """Return the seed's reference-file request naming an uploaded file's url."""
    body = text_request("Make the sky violet", aspect_ratio=aspect_ratio)
    body["params"]["referenceMediaItems"] = [
        {
            "url": file_url,
            "kind": "image",
            "name": "reference-image.png",
            "mimeType": "image/png",
        }
    ]
    return body


def upload(
    client: httpx.Client,
    key: str,
    data: bytes,
    *,
    name: str = "reference-image.png",
    mime: str = "image/png",
    **fields: str,
) -> httpx.Response:
    """POST ``data`` to the Files API with the form ``fields`` (``kind``, ``model``, ...)."""
    return client.post(
        f"{API}/files", headers=bearer(key), data=fields, files={"file": (name, data, mime)}
    )


def reference_png(width: int = 48, height: int = 32) -> bytes:
    """Return a small, valid PNG to upload as a reference."""
    return media.png(width, height, seed=7)


def create(
    client: httpx.Client,
    key: str,
    body: Any,
    *,
    idempotency_key: str | None = None,
) -> httpx.Response:
    """POST a generation request."""
    headers = bearer(key)
    if idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key
    return client.post(f"{API}/generations", headers=headers, json=body)


def poll(client: httpx.Client, key: str, task_id: str) -> httpx.Response:
    """GET a task."""
    return client.get(f"{API}/generations/{task_id}", headers=bearer(key))


def balance(client: httpx.Client, key: str) -> int:
    """Return the wallet balance ``GET /credits`` reports."""
    response = client.get(f"{API}/credits", headers=bearer(key))
    assert response.status_code == 200, response.text
    body = response.json()
    assert validate("credits", body) == []
    value = body["current_credits"]
    assert isinstance(value, int)
    return value


def path_of(url: str) -> str:
    """Return the path of an absolute url the mock handed out."""
    return urlsplit(url).path


def valid(schema: str, response: httpx.Response) -> dict[str, Any]:
    """Return the response's JSON body after checking it against ``schema``."""
    body = response.json()
    assert validate(schema, body) == [], (schema, body)
    assert isinstance(body, dict)
    return body


def check_envelope(body: Any, request_id: str | None, code: str) -> dict[str, Any]:
    """Assert ``body`` is a valid error envelope with ``code`` whose requestId is ``request_id``."""
    assert validate("error", body) == [], body
    error = body["error"]
    assert error["code"] == code, error
    assert error["requestId"] == request_id
    assert isinstance(error, dict)
    return error


def error_of(response: httpx.Response, code: str, status: int) -> dict[str, Any]:
    """Check an error response: status, envelope schema, code and X-Request-Id; return it."""
    assert response.status_code == status, response.text
    return check_envelope(response.json(), response.headers.get("X-Request-Id"), code)


def without_request_id(response: httpx.Response) -> dict[str, Any]:
    """Return an error body with its requestId removed, to compare two errors."""
    body = response.json()
    assert isinstance(body, dict)
    body["error"].pop("requestId")
    return body


def rivya_mock() -> Path:
    """Return the ``rivya-mock`` command installed next to this Python."""
    found = shutil.which("rivya-mock", path=str(Path(sys.executable).parent))
    assert found is not None, "rivya-mock is not installed next to sys.executable"
    return Path(found)


def clean_env(**extra: str) -> dict[str, str]:
    """Return this process's environment without RIVYA_MOCK_* variables, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RIVYA_MOCK_")}
    env.update(extra)
    return env


@dataclass
class Served:
    """A running ``rivya-mock serve`` subprocess."""

    base_url: str
    """``http://127.0.0.1:<port>``."""
    announcement: list[str]
    """The lines printed up to and including the base URL."""
    process: subprocess.Popen[str] = field(repr=False)
    stdout: queue.Queue[str | None] = field(repr=False)
    stderr: list[str] = field(default_factory=list, repr=False)

    def client(self, **options: Any) -> httpx.Client:
        """Return a client of this server."""
        return httpx.Client(base_url=self.base_url, timeout=30.0, **options)

    def wait_for(self, text: str, timeout: float = STARTUP_TIMEOUT) -> str:
        """Return the next line of output that contains ``text`` (it joins ``announcement``)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.stdout.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no line with {text!r} in {self.announcement}") from None
            if line is None:
                raise AssertionError(f"the server ended without printing {text!r}")
            self.announcement.append(line.rstrip("\n"))
            if text in line:
                return line


def _pump(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def _collect(stream: IO[str], keep: list[str]) -> None:
    keep.extend(stream)


@contextmanager
def served(*args: str, env: Mapping[str, str] | None = None) -> Iterator[Served]:
    """Run ``rivya-mock serve --port 0 <args>``; yield it once it announces its URL; stop it."""
    process = subprocess.Popen(
        [str(rivya_mock()), "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(env) if env is not None else clean_env(),
    )
    assert process.stdout is not None and process.stderr is not None
    out: queue.Queue[str | None] = queue.Queue()
    errors: list[str] = []
    threading.Thread(target=_pump, args=(process.stdout, out), daemon=True).start()
    threading.Thread(target=_collect, args=(process.stderr, errors), daemon=True).start()
    try:
        seen: list[str] = []
        deadline = time.monotonic() + STARTUP_TIMEOUT
        base_url = None
        while base_url is None:
            try:
                line = out.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise RuntimeError(f"rivya-mock did not start: {seen} {errors}") from None
            if line is None:
                process.wait(timeout=STARTUP_TIMEOUT)
                raise RuntimeError(f"rivya-mock exited {process.returncode}: {''.join(errors)}")
            seen.append(line.rstrip("\n"))
            found = _ANNOUNCE.search(line)
            base_url = found.group(1) if found else None
        yield Served(base_url, seen, process, out, errors)
    finally:
        process.terminate()
        try:
            process.wait(timeout=STARTUP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_cli(*args: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``rivya-mock <args>`` to completion and return its result."""
    return subprocess.run(
        [str(rivya_mock()), *args],
        capture_output=True,
        text=True,
        env=dict(env) if env is not None else clean_env(),
        timeout=60,
        check=False,
    )


def json_bytes(value: Any) -> bytes:
    """Return ``value`` as compact JSON bytes."""
    return json.dumps(value, separators=(",", ":")).encode()
