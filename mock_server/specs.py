"""Faults and scripts as specs: one validator for every front end.

The control API body, the ``X-Rivya-Mock`` header, the ``rivya_scenario``
marker and the Python calls ``mock.control.fault(...)`` and
``mock.control.script(...)`` all turn their input into a mapping of the field
names of ``control.schema.json`` (``$defs/fault``, ``$defs/script``) and hand
it to :func:`fault_spec` or :func:`script_spec`. The same input therefore gets
the same verdict and the same message everywhere; a front end only adds where
the input came from.
"""

from __future__ import annotations

import math
from collections.abc import Container, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from rivya_contract.mock_server.lifecycle import Plan
from rivya_contract.mock_server.paths import PathPattern
from rivya_contract.mock_server.records import FAILURE_CODE, FAILURE_MESSAGE
from rivya_contract.schemas import FieldError, contract
from rivya_contract.schemas.errors import field_errors

ScriptOutcome = Literal["succeeded", "failed", "processing"]

FOREVER = "forever"
"""The value of ``queued`` or ``processing`` that never ends."""

DEFAULT_RETRY_AFTER = {"rate_limited": 1, "public_api_disabled": 60}
"""``Retry-After`` seconds sent with an injected code when none is given."""


class SpecError(ValueError):
    """A fault or script that breaks its rules; the message names the field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        """The first failing field; None when the rule is about the whole spec."""


class Conflict(SpecError):
    """A well-formed request the mock's state refuses (an id in use): ``409 mock_conflict``."""


@dataclass(frozen=True, slots=True)
class Effects:
    """What scenario control makes one request's answer do.

    An error answer (``code`` or ``status``) replaces the request's own;
    ``delay`` and ``drop`` apply to whatever answer goes out.
    """

    code: str | None = None
    """A documented error code to answer with."""
    status: int | None = None
    """A bare server error status (500..599) to answer with."""
    retry_after: int | None = None
    message: str | None = None
    """The error's message; None gives a realistic default."""
    delay: float = 0.0
    drop: bool = False

    @property
    def answers(self) -> bool:
        """Return whether the effects replace the request's answer with an error."""
        return self.code is not None or self.status is not None

    def under(self, over: Effects) -> Effects:
        """Return these effects (a fault's) overridden by ``over`` (the request's header)."""
        answer = over if over.answers else self
        return Effects(
            code=answer.code,
            status=answer.status,
            retry_after=answer.retry_after,
            message=answer.message,
            delay=over.delay or self.delay,
            drop=over.drop or self.drop,
        )


@dataclass(frozen=True)
class FaultSpec:
    """A fault: its effects, which requests it is for, and how many it hits."""

    effects: Effects
    method: str | None = None
    path: PathPattern | None = None
    account: str | None = None
    times: int | None = 1
    """How many requests it hits; None for every match until removed."""


@dataclass(frozen=True)
class ScriptSpec:
    """A script: the plan of the tasks it makes, which creates it is for, and how many."""

    plan: Plan
    outcome: ScriptOutcome = "succeeded"
    model: str | None = None
    prompt_contains: str | None = None
    client_request_id: str | None = None
    account: str | None = None
    times: int | None = 1
    """How many creates it scripts; None for every match until removed."""


def describe(error: FieldError) -> str:
    """Render a field error as ``field: message`` (the message alone for the whole spec)."""
    where = error.path.removeprefix("$").removeprefix(".")
    return f"{where}: {error.message}" if where else error.message


def check(shape: str, fields: Mapping[str, Any]) -> None:
    """Raise ``SpecError`` unless ``fields`` fit ``control.schema.json#/$defs/<shape>``."""
    problems = field_errors(contract().control_validator(shape).iter_errors(dict(fields)))
    fields_wrong = [problem for problem in problems if problem.path != "$"]
    problems = fields_wrong or problems  # a rule between fields may only echo a bad field
    if problems:
        first = problems[0].path.removeprefix("$").removeprefix(".") or None
        raise SpecError("; ".join(describe(problem) for problem in problems[:5]), first)


def _seconds(value: Any) -> float:
    return math.inf if value == FOREVER else float(value)


def fault_spec(fields: Mapping[str, Any]) -> FaultSpec:
    """Return the fault ``fields`` describe (``control.schema.json#/$defs/fault``).

    Raises:
        SpecError: Naming the first fields that break a rule.

    """
    check("fault", fields)
    code = fields.get("code")
    known = contract().error_status
    if code is not None and code not in known:
        raise SpecError(
            f"code: {code!r} is not a documented error code ({', '.join(known)})", "code"
        )
    effects = Effects(
        code=code,
        status=fields.get("status"),
        retry_after=fields.get("retry_after"),
        message=fields.get("message"),
        delay=float(fields.get("delay", 0.0)),
        drop=bool(fields.get("drop", False)),
    )
    path = fields.get("path")
    return FaultSpec(
        effects=effects,
        method=fields.get("method"),
        path=None if path is None else PathPattern.parse(path),
        account=fields.get("account"),
        times=fields.get("times", 1),
    )


def script_spec(fields: Mapping[str, Any], models: Container[str] | None = None) -> ScriptSpec:
    """Return the script ``fields`` describe (``control.schema.json#/$defs/script``).

    ``models`` are the model ids a script may name (the packaged catalog by default).

    Raises:
        SpecError: Naming the first fields that break a rule.

    """
    check("script", fields)
    model = fields.get("model")
    if model is not None and model not in (contract().cards if models is None else models):
        raise SpecError(f"model: unknown model {model!r}", "model")
    outcome: ScriptOutcome = fields.get("outcome", "succeeded")
    by_polls = "queued_polls" in fields or "processing_polls" in fields
    queued = _seconds(fields.get("queued", 0))
    processing = math.inf if outcome == "processing" else _seconds(fields.get("processing", 0))
    queued_polls = int(fields.get("queued_polls", 0)) if by_polls else None
    processing_polls = None
    if by_polls and outcome != "processing":
        processing_polls = int(fields.get("processing_polls", 0))
    plan = Plan(
        queued_seconds=0.0 if by_polls else queued,
        processing_seconds=0.0 if by_polls else processing,
        outcome="failed" if outcome == "failed" else "succeeded",
        error_code=fields.get("code", FAILURE_CODE),
        error_message=fields.get("message") or FAILURE_MESSAGE,
        queued_polls=queued_polls,
        processing_polls=processing_polls,
        by_polls=by_polls,
    )
    return ScriptSpec(
        plan=plan,
        outcome=outcome,
        model=model,
        prompt_contains=fields.get("prompt_contains"),
        client_request_id=fields.get("client_request_id"),
        account=fields.get("account"),
        times=fields.get("times", 1),
    )


def given(**fields: Any) -> dict[str, Any]:
    """Return the keyword arguments of a Python call that were given (not None) as spec fields.

    ``times`` is kept even when None: there, None means no limit.
    """
    out = {name: value for name, value in fields.items() if value is not None or name == "times"}
    for name in ("queued", "processing"):
        if isinstance(out.get(name), float) and math.isinf(out[name]):
            out[name] = FOREVER
    return out
