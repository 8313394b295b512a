"""The contract suite's view of a target: requests that check themselves against the contract."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from rivya_contract.contract_tests.drift import Deviation, DriftError, response_deviations

DEFAULT_KEY = object()
"""Marker: send the target's own API key."""


@dataclass
class ContractClient:
    """Sends requests to one target and checks each response against the contract."""

    http: httpx.Client
    """A client whose base URL is the target's (``https://rivya.ai`` or a mock)."""
    api_key: str

    def headers(self, key: object = DEFAULT_KEY, **extra: str) -> dict[str, str]:
        """Return request headers with ``key`` as the bearer token (None: no Authorization)."""
        headers = dict(extra)
        token = self.api_key if key is DEFAULT_KEY else key
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return headers

    def request(
        self,
        method: str,
        path: str,
        *,
        key: object = DEFAULT_KEY,
        json_body: Any = None,
        content: bytes | None = None,
        files: Mapping[str, Any] | None = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send one request to the target and return its response."""
        all_headers = self.headers(key, **dict(headers or {}))
        if json_body is not None:
            content = json.dumps(json_body).encode()
            all_headers.setdefault("Content-Type", "application/json")
        return self.http.request(
            method, path, headers=all_headers, content=content, files=files, data=data
        )


class Recorder:
    """The compatible deviations of the running check, and whether they fail it (strict)."""

    def __init__(self) -> None:
        self.strict = False
        self.found: list[Deviation] = []

    def begin(self, *, strict: bool) -> None:
        """Start a check: forget what the last one found."""
        self.strict = strict
        self.found = []

    def take(self) -> list[Deviation]:
        """Return what the check found so far, and forget it."""
        found, self.found = self.found, []
        return found


RECORDER = Recorder()
"""The running check's warnings; the suite's conftest starts it for every check."""


def report(check: str, deviations: Iterable[Deviation]) -> None:
    """Raise ``DriftError`` for breaking deviations (any, when strict); keep the rest."""
    found = list(deviations)
    if any(d.severity == "breaking" for d in found) or (found and RECORDER.strict):
        raise DriftError(check, found)
    RECORDER.found.extend(found)


def expect(
    response: httpx.Response,
    endpoint: str,
    *,
    status: int | Iterable[int],
    code: str | tuple[str, ...] | None = None,
    schema: str | None = None,
    check: str = "",
) -> Any:
    """Raise ``DriftError`` unless the response keeps the contract; return its parsed JSON body.

    ``endpoint`` is ``METHOD /path/template``; ``code`` expects the error
    envelope with that code (or one of several); ``schema`` names the success
    body's schema. Compatible deviations (an added field or error code) are kept
    as the check's warnings instead, unless the run is strict.
    """
    deviations = response_deviations(
        endpoint,
        status=response.status_code,
        headers=response.headers,
        body=response.content,
        expect_status=status,
        expect_code=code,
        schema=schema,
    )
    report(check or endpoint, deviations)
    try:
        return response.json()
    except ValueError:
        return None
