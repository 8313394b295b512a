"""Cassettes: recorded scenarios, one JSON file each, checked against ``cassette.schema.json``.

A cassette folder holds ``<scenario>.json`` files and a ``blobs/`` folder of the
bytes that are not JSON (uploads, result media), each named by its SHA-256, so
the same file uploaded twice is stored once. ``load`` refuses a file that breaks
the schema or its rules beyond the schema (times running backwards, a stored
blob missing or altered, an entry whose path is another operation's), naming
the file and the entry. API keys never reach a cassette: ``scrub`` redacts them
from every header, string and text body before anything is written.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from rivya_contract.mock_server.journal import _redacted, redact, redact_text
from rivya_contract.mock_server.redaction import Redactor
from rivya_contract.mock_server.routes import HANDLERS, Route, Router
from rivya_contract.schemas import contract, surface
from rivya_contract.schemas.errors import field_errors

FORMAT = "rivya-cassette/1"
"""The ``format`` of every cassette file this version writes and reads."""

BLOBS = "blobs"
"""The folder, next to the cassette files, holding blob bytes by SHA-256."""

DROPPED_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "connection",
        "keep-alive",
        "transfer-encoding",
        "content-encoding",
        "accept-encoding",
        "date",
        "server",
        "user-agent",
    }
)
"""Headers a cassette leaves out: transport details that say nothing about the contract."""


class CassetteError(ValueError):
    """A cassette that cannot be used; the message names the file and the entry."""


def sha256(data: bytes) -> str:
    """Return the SHA-256 of ``data`` in lower-case hex."""
    return hashlib.sha256(data).hexdigest()


def cassette_path(folder: Path, scenario: str) -> Path:
    """Return where the cassette of ``scenario`` lives in ``folder``.

    A name the schema refuses is a ``CassetteError``, so no name leads out of ``folder``.
    """
    rule = contract().schemas["cassette"]["properties"]["scenario"]
    if re.fullmatch(rule["pattern"], scenario) is None:
        raise CassetteError(f"scenario {scenario!r}: {rule['x-error']}")
    return folder / f"{scenario}.json"


@cache
def operation_router() -> Router:
    """Return a router over every surface operation, to name the operation of a request."""
    return Router(Route(op, HANDLERS[op.id], op.status) for op in surface().operations)


def operation_of(method: str, path: str) -> str | None:
    """Return the operationId serving ``method path``, or None for a path the surface lacks."""
    route, _, _ = operation_router().match(method, path)
    return None if route is None else route.op.id


def scrub(value: Any, secrets: Sequence[str] = ()) -> Any:
    """Return parsed JSON with API keys and ``secrets`` redacted from every string."""
    redactor = Redactor(secrets)
    return _redacted(value, redactor, redactor.values())


def scrub_headers(headers: Mapping[str, str], secrets: Sequence[str] = ()) -> dict[str, str]:
    """Return headers fit for a cassette: names lower-cased, transport ones dropped, keys hidden."""
    kept: dict[str, str] = {}
    for name, value in headers.items():
        lowered = name.lower()
        if lowered not in DROPPED_HEADERS:
            kept[lowered] = redact_text(redact(lowered, value, secrets), secrets)
    return dict(sorted(kept.items()))


def scrub_bytes(data: bytes, secrets: Sequence[str] = ()) -> bytes:
    """Return ``data`` with keys redacted if it is text; binary data is returned as it is."""
    if b"rvya_sk_" not in data and not any(s and s.encode() in data for s in secrets):
        return data
    try:
        return redact_text(data.decode(), secrets).encode()
    except UnicodeDecodeError:
        for secret in secrets:
            data = data.replace(secret.encode(), b"[redacted]") if secret else data
        return data


@dataclass
class Cassette:
    """One scenario's recording: its name, the upstream origin, the start and the exchanges.

    ``exchanges`` are the JSON objects of ``cassette.schema.json#/$defs/exchange``.
    ``folder`` is where the file and its blobs live.
    """

    scenario: str
    upstream: str
    recorded_at: str
    exchanges: list[dict[str, Any]] = field(default_factory=list)
    folder: Path | None = None

    @property
    def path(self) -> Path:
        """The cassette file."""
        if self.folder is None:
            raise CassetteError(f"cassette {self.scenario!r} has no folder")
        return cassette_path(self.folder, self.scenario)

    def to_json(self) -> dict[str, Any]:
        """Return the file's content."""
        return {
            "format": FORMAT,
            "scenario": self.scenario,
            "upstream": self.upstream,
            "recorded_at": self.recorded_at,
            "exchanges": self.exchanges,
        }

    def save(self) -> Path:
        """Write the cassette file (indented, keys in a stable order); return its path."""
        path = self.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n")
        return path

    def blob(self, ref: Mapping[str, Any]) -> bytes | None:
        """Return a blob's bytes, or None when only its hash was kept."""
        if not ref.get("stored") or self.folder is None:
            return None
        return (self.folder / BLOBS / str(ref["sha256"])).read_bytes()


def store_blob(
    folder: Path, data: bytes, content_type: str, *, keep: bool = True
) -> dict[str, Any]:
    """Write ``data`` to ``folder/blobs/<sha256>`` (once) when ``keep``; return its reference."""
    digest = sha256(data)
    if keep:
        target = folder / BLOBS / digest
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    return {"sha256": digest, "size": len(data), "content_type": content_type, "stored": keep}


def describe(exchange: Mapping[str, Any]) -> str:
    """Return ``METHOD /path`` of an exchange, as errors and reports name it."""
    request = exchange.get("request")
    if not isinstance(request, dict):
        return "?"
    return f"{request.get('method', '?')} {request.get('path', '?')}"


_ENTRY = re.compile(r"^\$\.exchanges\[(\d+)\]\.?(.*)$")


def _where(path: Path, field: str, document: Any) -> str:
    """Name the entry a field path points into: ``exchanges[3] (POST /api/v1/files): ...``."""
    found = _ENTRY.match(field)
    if found is not None:
        index = int(found.group(1))
        entry = document["exchanges"][index]
        named = describe(entry) if isinstance(entry, dict) else "?"
        rest = found.group(2)
        return f"{path}: exchanges[{index}] ({named}){': ' + rest if rest else ''}"
    return f"{path}: {field.removeprefix('$').lstrip('.') or 'the document'}"


def _check_rules(path: Path, cassette: Cassette) -> None:
    last = 0.0
    for index, exchange in enumerate(cassette.exchanges):
        where = f"{path}: exchanges[{index}] ({describe(exchange)})"
        if exchange["at"] < last:
            raise CassetteError(f"{where}: at {exchange['at']} is before the previous entry's")
        last = exchange["at"]
        request = exchange["request"]
        named = operation_of(request["method"], request["path"])
        if exchange["operation"] != named:
            raise CassetteError(
                f"{where}: operation is {exchange['operation']!r}, but "
                f"{request['method']} {request['path']} is {named!r}"
            )
        for side in ("request", "response"):
            body = exchange[side]["body"] or {}
            ref = body.get("blob") or (body.get("upload") or {}).get("file")
            if ref and ref["stored"]:
                blob = path.parent / BLOBS / ref["sha256"]
                if not blob.is_file():
                    raise CassetteError(f"{where}: {side} blob {blob} is missing")
                if sha256(blob.read_bytes()) != ref["sha256"]:
                    raise CassetteError(f"{where}: {side} blob {blob} does not match its sha256")


def load(path: Path) -> Cassette:
    """Read and check a cassette file; raise ``CassetteError`` naming the file and entry."""
    try:
        document = json.loads(path.read_text())
    except OSError as error:
        raise CassetteError(f"{path}: cannot be read: {error.strerror}") from None
    except ValueError as error:
        raise CassetteError(f"{path}: is not JSON: {error}") from None
    found = sorted(
        contract().validator("cassette").iter_errors(document), key=lambda e: list(e.path)
    )
    if found:
        first = field_errors(found[:1])[0]
        raise CassetteError(f"{_where(path, first.path, document)}: {first.message}")
    cassette = Cassette(
        document["scenario"],
        document["upstream"],
        document["recorded_at"],
        document["exchanges"],
        path.parent,
    )
    if path.name != f"{cassette.scenario}.json":
        raise CassetteError(f"{path}: holds scenario {cassette.scenario!r}; rename one of them")
    _check_rules(path, cassette)
    return cassette


def find(location: Path) -> Path:
    """Return the cassette file ``location`` names: the file itself, or a folder's only one."""
    if location.is_dir():
        files = sorted(p for p in location.glob("*.json") if p.is_file())
        if len(files) != 1:
            listed = ", ".join(p.name for p in files) or "none"
            raise CassetteError(
                f"{location}: a replay needs one cassette file; this folder holds {listed}"
                + ("; name the file" if files else "")
            )
        return files[0]
    if not location.exists():
        raise CassetteError(f"{location}: no such cassette file or folder")
    return location
