"""Drift: how a target's response differs from the contract, as structured deviations."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from rivya_contract.schemas import contract

Kind = Literal["status", "code", "missing_field", "extra_field", "schema", "header", "body"]


@dataclass(frozen=True)
class Deviation:
    """One way a response breaks the contract."""

    endpoint: str
    """``METHOD /path/template``, e.g. ``GET /api/v1/generations/{taskId}``."""
    kind: Kind
    expected: str
    actual: str
    path: str = ""
    """Where in the body (a JSON path), for field and schema deviations."""

    def __str__(self) -> str:
        where = f" at {self.path}" if self.path else ""
        return f"{self.endpoint}: {self.kind}{where}: expected {self.expected}, got {self.actual}"


class DriftError(AssertionError):
    """A check found deviations from the contract; ``deviations`` lists them."""

    def __init__(self, check: str, deviations: Sequence[Deviation]) -> None:
        self.check = check
        self.deviations = list(deviations)
        lines = "\n".join(f"  - {d}" for d in self.deviations)
        super().__init__(f"{check}: {len(self.deviations)} deviation(s) from the contract\n{lines}")


_FIELD_KINDS: dict[str, tuple[Kind, str, str]] = {
    "missing": ("missing_field", "present", "absent"),
    "unknown": ("extra_field", "absent", "present"),
}


def schema_deviations(endpoint: str, schema_name: str, body: Any) -> list[Deviation]:
    """Return how ``body`` breaks the schema called ``schema_name`` (empty when it conforms)."""
    found: list[Deviation] = []
    for error in contract().validate(schema_name, body):
        if error.kind == "invalid":
            allowed = "a value the schema allows"
            found.append(Deviation(endpoint, "schema", allowed, error.message, error.path))
        else:
            kind, expected, actual = _FIELD_KINDS[error.kind]
            found.append(Deviation(endpoint, kind, expected, actual, error.path))
    return found


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
    where the docs allow more than one); ``schema``
    names the schema of a success body. Every response must carry an
    ``X-Request-Id`` header, and an error's ``requestId`` must equal it.
    """
    allowed = {expect_status} if isinstance(expect_status, int) else set(expect_status)
    found: list[Deviation] = []
    if status not in allowed:
        found.append(
            Deviation(endpoint, "status", " or ".join(map(str, sorted(allowed))), str(status))
        )
    request_id = headers.get("x-request-id")
    if not request_id:
        found.append(Deviation(endpoint, "header", "X-Request-Id", "absent"))
    try:
        payload = json.loads(body) if body else None
    except ValueError:
        return [*found, Deviation(endpoint, "body", "JSON", repr(body[:60]))]
    if expect_code is not None or status >= 400:
        found.extend(schema_deviations(endpoint, "error", payload))
        error = payload.get("error") if isinstance(payload, dict) else None
        code = error.get("code") if isinstance(error, dict) else None
        codes = (expect_code,) if isinstance(expect_code, str) else expect_code
        if codes is not None and code not in codes:
            found.append(Deviation(endpoint, "code", " or ".join(codes), str(code), "$.error.code"))
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


@dataclass(frozen=True)
class DriftRecord:
    """The deviations one check found, for the report."""

    check: str
    deviations: tuple[Deviation, ...]


def report_json(
    records: Iterable[DriftRecord],
    *,
    target: str,
    passed: int,
    failed: int,
    left_out: Iterable[tuple[str, str]] = (),
    other_failures: Iterable[tuple[str, str]] = (),
) -> str:
    """Return the drift report as JSON.

    It holds the target, the counts, every deviation (with the check that found
    it), the checks left out and why, and failures that were not drift.
    """
    items = [
        {"check": record.check, **asdict(deviation)}
        for record in records
        for deviation in record.deviations
    ]
    summary = {
        "target": target,
        "passed": passed,
        "failed": failed,
        "drift": bool(items),
        "deviations": items,
        "left_out": [{"check": check, "reason": reason} for check, reason in left_out],
        "other_failures": [{"check": check, "message": text} for check, text in other_failures],
    }
    return json.dumps(summary, indent=2)


def report_text(records: Sequence[DriftRecord]) -> str:
    """Return a human summary of the deviations, grouped by endpoint."""
    by_endpoint: dict[str, list[tuple[str, Deviation]]] = {}
    for record in records:
        for deviation in record.deviations:
            by_endpoint.setdefault(deviation.endpoint, []).append((record.check, deviation))
    if not by_endpoint:
        return "No drift: every check matched the contract."
    lines = [f"Drift from the contract on {len(by_endpoint)} endpoint(s):"]
    for endpoint, found in sorted(by_endpoint.items()):
        lines.append(f"  {endpoint}")
        for check, deviation in found:
            where = f" at {deviation.path}" if deviation.path else ""
            lines.append(
                f"    - {deviation.kind}{where}: expected {deviation.expected}, "
                f"got {deviation.actual}   [{check}]"
            )
    return "\n".join(lines)
