"""Drift: how a target's response differs from the contract, as classified deviations.

Each deviation is breaking or compatible, as the docs' version policy says
(``../shared/rivya-api.md``, Versioning).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal, cast

from rivya_contract.schemas.versioning import accepted_errors, documented_codes, extra_fields

Kind = Literal[
    "status",
    "code",
    "unknown_code",
    "missing_field",
    "extra_field",
    "schema",
    "header",
    "body",
    "new_model",
]
Severity = Literal["breaking", "compatible"]

COMPATIBLE: frozenset[Kind] = frozenset({"unknown_code", "extra_field", "header", "new_model"})
"""Kinds the version policy calls compatible: an added field, model or error code, and the
undocumented ``X-Request-Id`` header. The rest break the contract."""


@dataclass(frozen=True)
class Deviation:
    """One way a response differs from the contract."""

    endpoint: str
    """``METHOD /path/template``, e.g. ``GET /api/v1/generations/{taskId}``."""
    kind: Kind
    expected: str
    actual: str
    path: str = ""
    """Where in the body (a JSON path), for field and schema deviations."""

    @property
    def severity(self) -> Severity:
        """``compatible`` for what the version policy allows, ``breaking`` otherwise."""
        return "compatible" if self.kind in COMPATIBLE else "breaking"

    def to_json(self) -> dict[str, str]:
        """Return the deviation as the JSON report shows it, with its severity."""
        return {**asdict(self), "severity": self.severity}

    @classmethod
    def from_json(cls, raw: Mapping[str, str]) -> Deviation:
        """Read a deviation back from ``to_json``'s form."""
        kind = cast("Kind", raw["kind"])
        return cls(raw["endpoint"], kind, raw["expected"], raw["actual"], raw.get("path", ""))

    def __str__(self) -> str:
        where = f" at {self.path}" if self.path else ""
        return (
            f"{self.endpoint}: {self.kind} ({self.severity}){where}: "
            f"expected {self.expected}, got {self.actual}"
        )


class DriftError(AssertionError):
    """A check found deviations from the contract; ``deviations`` lists them."""

    def __init__(self, check: str, deviations: Sequence[Deviation]) -> None:
        self.check = check
        self.deviations = list(deviations)
        lines = "\n".join(f"  - {d}" for d in self.deviations)
        super().__init__(f"{check}: {len(self.deviations)} deviation(s) from the contract\n{lines}")


def schema_deviations(endpoint: str, schema_name: str, body: Any) -> list[Deviation]:
    """Return how ``body`` differs from the response schema ``schema_name``.

    Breaking: what the opened schema refuses (a missing field, a changed type or
    value). Compatible: each field the strict schema does not know.
    """
    found: list[Deviation] = []
    for error in accepted_errors(schema_name, body):
        if error.kind == "missing":
            found.append(Deviation(endpoint, "missing_field", "present", "absent", error.path))
        else:
            allowed = "a value the schema allows"
            found.append(Deviation(endpoint, "schema", allowed, error.message, error.path))
    for path in extra_fields(schema_name, body):
        found.append(Deviation(endpoint, "extra_field", "absent", "present", path))
    return found


def _error_code(payload: Any) -> str | None:
    error = payload.get("error") if isinstance(payload, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) else None


def _parsed(body: bytes) -> tuple[bool, Any]:
    try:
        return True, json.loads(body) if body else None
    except ValueError:
        return False, None


def response_deviations(
    endpoint: str,
    *,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    expect_status: int | Iterable[int],
    expect_code: str | tuple[str, ...] | None = None,
    schema: str | None = None,
) -> list[Deviation]:
    """Compare one response with what the contract promises.

    ``expect_code`` expects the error envelope with that code (or any of several,
    where the docs allow more than one); ``schema`` names the schema of a success
    body. A status other than the expected one is one deviation and nothing
    else: the body of the wrong answer is not checked against the right one's
    schema. An error code the docs do not list, answered with the expected
    status, is compatible; a documented code other than the expected one breaks
    the contract. The ``X-Request-Id`` header (ours; the docs do not name one) is
    compared with the error's ``requestId`` when present.
    """
    allowed = {expect_status} if isinstance(expect_status, int) else set(expect_status)
    readable, payload = _parsed(body)
    if status not in allowed:
        code = _error_code(payload)
        actual = f"{status} {code}" if code else str(status)
        return [Deviation(endpoint, "status", " or ".join(map(str, sorted(allowed))), actual)]
    found: list[Deviation] = []
    request_id = headers.get("x-request-id")
    if not request_id:
        found.append(Deviation(endpoint, "header", "X-Request-Id", "absent"))
    if not readable:
        return [*found, Deviation(endpoint, "body", "JSON", repr(body[:60]))]
    if expect_code is not None or status >= 400:
        found.extend(schema_deviations(endpoint, "error", payload))
        code = _error_code(payload)
        codes = (expect_code,) if isinstance(expect_code, str) else expect_code
        if codes is not None and code is not None and code not in codes:
            kind: Kind = "code" if code in documented_codes() else "unknown_code"
            found.append(Deviation(endpoint, kind, " or ".join(codes), code, "$.error.code"))
        error = payload.get("error") if isinstance(payload, dict) else None
        if isinstance(error, dict) and request_id and error.get("requestId") != request_id:
            found.append(
                Deviation(
                    endpoint,
                    "header",
                    f"X-Request-Id == requestId ({request_id})",
                    str(error.get("requestId")),
                    "$.error.requestId",
                )
            )
    elif schema is not None:
        found.extend(schema_deviations(endpoint, schema, payload))
    return found
