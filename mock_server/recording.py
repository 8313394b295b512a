"""Recording: turn the exchanges a client has with an upstream into a cassette.

Any front end that sees whole requests and answers feeds them to a ``Recorder``:
the validating proxy (``rivya-mock proxy --record``) and the pytest marker's
recording transport. The recorder learns each API key from the requests'
``Authorization`` headers and redacts it everywhere it writes; JSON bodies are
kept as JSON, uploads as their form fields and the file's hash, other bodies
(result media) as a hash with the bytes under ``blobs/`` when no larger than
``max_blob_bytes``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rivya_contract.mock_server.auth import bearer_token
from rivya_contract.mock_server.cassette import (
    Cassette,
    cassette_path,
    operation_of,
    scrub,
    scrub_bytes,
    scrub_headers,
    store_blob,
)
from rivya_contract.mock_server.clock import iso
from rivya_contract.mock_server.journal import redact_text
from rivya_contract.mock_server.multipart import MultipartReader, UploadError

MAX_BLOB_BYTES = 16 * 1024 * 1024
"""Largest result body a cassette keeps the bytes of; larger ones keep their hash only."""


def _media_type(headers: Mapping[str, str]) -> str:
    for name, value in headers.items():
        if name.lower() == "content-type":
            return value
    return ""


def api_keys(headers: Mapping[str, str]) -> list[str]:
    """Return the credentials a request's headers carry (``Authorization``, ``X-Api-Key``)."""
    found = []
    for name, value in headers.items():
        if name.lower() in ("authorization", "x-api-key"):
            token = bearer_token(value) or value.strip()
            if token:
                found.append(token)
    return found


def _json(data: bytes) -> tuple[bool, Any]:
    try:
        return True, json.loads(data)
    except (ValueError, RecursionError):
        return False, None


class Recorder:
    """Collects exchanges into the cassette of one scenario in ``folder``; thread-safe.

    ``record`` takes one exchange; ``save`` writes the cassette file (again after
    each later exchange, if called again).
    """

    def __init__(
        self,
        folder: Path,
        scenario: str,
        upstream: str,
        *,
        secrets: tuple[str, ...] = (),
        max_blob_bytes: int = MAX_BLOB_BYTES,
    ) -> None:
        cassette_path(folder, scenario)  # refuses a name that is not a scenario's
        self.cassette = Cassette(scenario, upstream.rstrip("/"), iso(time.time()), [], folder)
        self.max_blob_bytes = max_blob_bytes
        self._secrets = list(secrets)
        self._started = time.monotonic()
        self._lock = threading.Lock()

    def learn(self, headers: Mapping[str, str]) -> None:
        """Remember the API key a request carries, so that nothing written holds it."""
        with self._lock:
            self._secrets += [key for key in api_keys(headers) if key not in self._secrets]

    @property
    def secrets(self) -> tuple[str, ...]:
        """The keys seen so far (never written anywhere)."""
        return tuple(self._secrets)

    def elapsed(self) -> float:
        """Seconds since the recording started."""
        return time.monotonic() - self._started

    def _body(self, data: bytes, headers: Mapping[str, str]) -> Any:
        if not data:
            return None
        media_type = _media_type(headers)
        if media_type.startswith("multipart/form-data"):
            upload = self._upload(data, media_type)
            if upload is not None:
                return upload
        if "json" in media_type or not media_type:
            readable, payload = _json(data)
            if readable:
                return {"json": scrub(payload, self._secrets)}
        assert self.cassette.folder is not None
        data = scrub_bytes(data, self._secrets)
        keep = len(data) <= self.max_blob_bytes
        return {"blob": store_blob(self.cassette.folder, data, media_type, keep=keep)}

    def _upload(self, data: bytes, media_type: str) -> dict[str, Any] | None:
        try:
            reader = MultipartReader(media_type, file_limit=lambda _fields: len(data))
            reader.feed(data)
            upload = reader.finish()
        except UploadError:
            return None
        assert self.cassette.folder is not None
        file = upload.file
        return {
            "upload": {
                "fields": scrub(dict(upload.fields), self._secrets),
                "filename": file.filename,
                "file": store_blob(self.cassette.folder, file.data, file.content_type),
            }
        }

    def record(
        self,
        *,
        at: float,
        seconds: float,
        method: str,
        path: str,
        query: str,
        request_headers: Mapping[str, str],
        request_body: bytes,
        status: int,
        response_headers: Mapping[str, str],
        response_body: bytes,
    ) -> dict[str, Any]:
        """Add one exchange (``at``: from ``elapsed()`` when the request arrived); return it."""
        self.learn(request_headers)
        secrets = self._secrets
        exchange = {
            "at": round(at, 6),
            "seconds": round(seconds, 6),
            "operation": operation_of(method, path),
            "request": {
                "method": method,
                "path": redact_text(path, secrets),
                "query": redact_text(query, secrets),
                "headers": scrub_headers(request_headers, secrets),
                "body": self._body(request_body, request_headers),
            },
            "response": {
                "status": status,
                "headers": scrub_headers(response_headers, secrets),
                "body": self._body(response_body, response_headers),
            },
        }
        with self._lock:
            self.cassette.exchanges.append(exchange)
            self.cassette.exchanges.sort(key=lambda entry: entry["at"])
        return exchange

    def save(self) -> Path:
        """Write the cassette file; return its path."""
        with self._lock:
            return self.cassette.save()
