"""One observed exchange against the contract: the client's request and the server's answer.

The rules are the contract suite's: ``schemas/contract.py`` validates requests,
``drift.response_deviations`` classifies answers. Without a check's expectation,
an answer is expected to be the operation's success (its status and schema) or
one of the error codes the surface lists for it, with that code's status.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from rivya_contract.contract_tests.drift import Deviation, Kind, response_deviations
from rivya_contract.schemas import Operation, contract
from rivya_contract.schemas.errors import FieldError


@dataclass(frozen=True)
class Finding:
    """A deviation and the side it is on: ``request`` (the client's) or ``response``."""

    side: str
    deviation: Deviation


def _request_errors(op: Operation, body: bytes) -> list[FieldError]:
    if op.body != "json" or (not body and not op.request_required and op.request is None):
        return []
    try:
        payload = json.loads(body) if body else None
    except ValueError:
        return [FieldError("$", "the body is not JSON")]
    if op.id == "createGeneration":
        return contract().validate_generation_request(payload)
    if op.request is not None and (payload is not None or op.request_required):
        return contract().validate(op.request, payload)
    return []


def request_deviations(op: Operation, body: bytes) -> list[Deviation]:
    """Return how a request body breaks the contract (each one breaking, on the client)."""
    found = []
    for error in _request_errors(op, body):
        kind: Kind = "missing_field" if error.kind == "missing" else "schema"
        found.append(
            Deviation(op.name, kind, "a request the contract accepts", error.message, error.path)
        )
    return found


def answer_deviations(
    op: Operation, status: int, headers: Mapping[str, str], body: bytes
) -> list[Deviation]:
    """Return how an answer to ``op`` differs from what the contract allows for it."""
    c = contract()
    lowered = {name.lower(): value for name, value in headers.items()}
    by_status: dict[int, list[str]] = {}
    for code in op.codes:
        by_status.setdefault(c.status_of(code), []).append(code)
    if op.group == "media":
        if status == op.status or status in by_status:
            return []
        expected = " or ".join(map(str, sorted({op.status, *by_status})))
        return [Deviation(op.name, "status", expected, str(status))]
    if status in by_status and status != op.status:
        return response_deviations(
            op.name,
            status=status,
            headers=lowered,
            body=body,
            expect_status=status,
            expect_code=tuple(by_status[status]),
        )
    return response_deviations(
        op.name,
        status=status,
        headers=lowered,
        body=body,
        expect_status={op.status, *by_status},
        schema=op.response if status == op.status else None,
    )


def exchange_findings(
    op: Operation,
    *,
    request_body: bytes,
    status: int,
    response_headers: Mapping[str, str],
    response_body: bytes,
) -> list[Finding]:
    """Return every deviation of one exchange, the request's first."""
    return [Finding("request", d) for d in request_deviations(op, request_body)] + [
        Finding("response", d)
        for d in answer_deviations(op, status, response_headers, response_body)
    ]
