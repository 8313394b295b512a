"""The ``X-Rivya-Mock`` request header: per-request directives for black-box scenario control.

Grammar (names are case-insensitive, ``-`` and ``_`` in them are the same,
spaces around tokens are ignored)::

    header    = directive *( ";" directive )
    directive = name [ "=" value ]

Directives that shape the answer (any request), the fields of a fault:

- ``status=<code>``: answer with a documented error code and its status
  (``status=rate_limited``), or ``status=<500..599>`` for a bare server error.
- ``retry_after=<seconds>``: with ``status``, send ``Retry-After`` (whole seconds).
- ``message=<text>``: with ``status``, the error's message (no ``;`` inside).
- ``delay=<duration>``: answer after extra latency (``200ms``, ``1.5s``, ``2m``, ``3``).
- ``drop``: handle the request, then close the connection without an answer.

Directives that script the task a ``POST /api/v1/generations`` creates, the
fields of a script:

- ``fail`` or ``fail=<code>``: the task ends failed (default code ``generation_failed``);
  ``message=<text>`` sets the task's error message.
- ``succeed``: the task ends succeeded, whatever the configured failure rate.
- ``queued=<duration|forever>``, ``processing=<duration|forever>``: time in each state;
  ``after=<duration>`` is the time until the outcome (queued for none of it).
  Unset times are zero: the first poll sees the outcome.
- ``queued_polls=<n>``, ``processing_polls=<n>``: count polls instead of time; the
  first n polls see the task queued, the next ones processing.

Directives that act on webhook deliveries, the fields of a webhook fault: on a create
they apply to the first attempt of the created task's events, on
``POST /api/v1/webhooks/{endpointId}/test`` to the test event's:

- ``webhook_duplicate`` or ``webhook_duplicate=<n>``: send n extra copies (default 1).
- ``webhook_delay=<duration>``: put the attempt off on the mock's clock.
- ``webhook_drop``: lose the attempt on the way (it is retried).
- ``webhook_reorder``: hold it back until the endpoint's next attempt has gone out.
- ``webhook_sign=bad|stale|future``: a wrong signature, or a timestamp an hour off.

And on any ``webhooks:manage`` request: ``webhook_resend=<event id>`` sends one of the
account's events again, with the same webhook-id.

The values are checked by the same rules as the control API's fault, script and webhook
fault bodies (``specs``), so a bad value gets the same message everywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rivya_contract.mock_server.lifecycle import Plan
from rivya_contract.mock_server.specs import Effects, SpecError, fault_spec, script_spec
from rivya_contract.mock_server.webhook_faults import delivery_fault_spec
from rivya_contract.schemas import surface

HEADER = "x-rivya-mock"
"""The directive header's name, in lower case."""

ANSWER_NAMES: tuple[str, ...] = ("status", "retry_after", "message", "delay", "drop")
TASK_NAMES: tuple[str, ...] = ("fail", "succeed", "queued", "processing", "after")
TASK_NAMES += ("queued_polls", "processing_polls")
WEBHOOK_NAMES: tuple[str, ...] = ("webhook_duplicate", "webhook_delay", "webhook_drop")
WEBHOOK_NAMES += ("webhook_reorder", "webhook_sign")
NAMES = ANSWER_NAMES + TASK_NAMES + WEBHOOK_NAMES + ("webhook_resend",)
FLAGS = frozenset({"drop", "succeed", "webhook_drop", "webhook_reorder"})
OPTIONAL_VALUE = frozenset({"fail", "webhook_duplicate"})
WEBHOOK_TARGETS = frozenset({"createGeneration", "testWebhookEndpoint"})

_DURATION = re.compile(r"(-?[0-9]{1,15}(?:\.[0-9]{1,9})?)\s*(ms|s|m)?")
_NUMBER = re.compile(r"-?[0-9]{1,30}(\.[0-9]{1,30})?")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, None: 1.0}


class DirectiveError(ValueError):
    """A malformed ``X-Rivya-Mock`` header; the message names the bad directive."""


@dataclass(frozen=True, slots=True)
class Directives:
    """What one header asks for: effects on the answer and a plan for the created task."""

    effects: Effects | None = None
    plan: Plan | None = None
    webhook: dict[str, Any] | None = None
    """Webhook fault fields for the deliveries the request leads to, and ``resend``."""


def duration(text: str) -> Any:
    """Return seconds for ``200ms``, ``1.5s``, ``2m`` or ``3`` (whole ones as int).

    ``forever`` stays as it is, and so does anything else, for the spec's rules to judge.
    """
    match = _DURATION.fullmatch(text)
    if match is None:
        return text
    seconds = float(match.group(1)) * _UNIT[match.group(2)]
    return int(seconds) if seconds.is_integer() else seconds


def _number(text: str) -> Any:
    """Return ``text`` as the JSON number it spells, or as it is for the spec's rules to judge."""
    found = _NUMBER.fullmatch(text)
    if found is None:
        return text
    return float(text) if found.group(1) else int(text)


def _split(header: str) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for number, part in enumerate(header.split(";"), start=1):
        name, equals, value = part.partition("=")
        name = name.strip().lower().replace("-", "_")
        if not name:
            raise DirectiveError(f"directive {number} is empty")
        if name not in NAMES:
            raise DirectiveError(f"unknown directive {name!r}; known: {', '.join(NAMES)}")
        if name in found:
            raise DirectiveError(f"directive {name!r} is given twice")
        value = value.strip()
        if name in FLAGS and equals:
            raise DirectiveError(f"directive {name!r} takes no value")
        if name not in FLAGS and name not in OPTIONAL_VALUE and not value:
            raise DirectiveError(f"directive {name!r} needs a value ({name}=...)")
        if name in OPTIONAL_VALUE and equals and not value:
            raise DirectiveError(f"directive {name!r} needs a value after '=' (or no '=')")
        found[name] = value if equals else None
    return found


def _answer_fields(found: dict[str, str | None]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    status = found.get("status")
    if status is not None:
        fields["status" if _NUMBER.fullmatch(status) else "code"] = _number(status)
    if found.get("retry_after") is not None:
        fields["retry_after"] = _number(found["retry_after"] or "")
    if found.get("delay") is not None:
        fields["delay"] = duration(found["delay"] or "")
    if "drop" in found:
        fields["drop"] = True
    if "message" in found and status is not None:
        fields["message"] = found["message"]
    return fields


def _task_fields(found: dict[str, str | None]) -> dict[str, Any]:
    if "fail" in found and "succeed" in found:
        raise DirectiveError("directives 'fail' and 'succeed' exclude each other")
    if "after" in found and "processing" in found:
        raise DirectiveError("directives 'after' and 'processing' exclude each other")
    fields: dict[str, Any] = {}
    if "fail" in found:
        fields["outcome"] = "failed"
        if found["fail"] is not None:
            fields["code"] = found["fail"]
        if found.get("message") is not None:
            fields["message"] = found["message"]
    for name in ("queued", "processing"):
        if found.get(name) is not None:
            fields[name] = duration(found[name] or "")
    if found.get("after") is not None:
        fields["processing"] = duration(found["after"] or "")
    for name in ("queued_polls", "processing_polls"):
        if found.get(name) is not None:
            fields[name] = _number(found[name] or "")
    return fields


def _webhook_fields(found: dict[str, str | None], operation: str | None) -> dict[str, Any] | None:
    named = [name for name in WEBHOOK_NAMES if name in found]
    if named and operation not in WEBHOOK_TARGETS:
        raise DirectiveError(
            f"directive {named[0]!r} applies only to POST /api/v1/generations and "
            "POST /api/v1/webhooks/{endpointId}/test"
        )
    resend = found.get("webhook_resend")
    if resend is not None and (operation is None or surface()[operation].tag != "Webhooks"):
        raise DirectiveError("directive 'webhook_resend' applies only to webhooks:manage requests")
    if not named:
        return None if resend is None else {"resend": resend}
    fields: dict[str, Any] = {}
    if "webhook_duplicate" in found:
        fields["duplicate"] = _number(found["webhook_duplicate"] or "1")
    if found.get("webhook_delay") is not None:
        fields["delay"] = duration(found["webhook_delay"] or "")
    if "webhook_drop" in found:
        fields["drop"] = True
    if "webhook_reorder" in found:
        fields["reorder"] = True
    if found.get("webhook_sign") is not None:
        fields["sign"] = found["webhook_sign"]
    try:
        delivery_fault_spec(fields)
    except SpecError as error:
        name = f"webhook_{error.field}"
        source = (
            None if name not in found else name if found[name] is None else f"{name}={found[name]}"
        )
        raise DirectiveError(f"{source}: {error}" if source else str(error)) from None
    return {**fields, "resend": resend} if resend is not None else fields


def parse(header: str, *, creates_task: bool, operation: str | None = None) -> Directives:
    """Parse an ``X-Rivya-Mock`` header value; raise ``DirectiveError`` naming what is wrong.

    ``creates_task`` says whether the request is a create, the only request
    whose task directives mean something; elsewhere they are errors.
    ``operation`` (the operationId) decides where webhook directives apply.
    """
    found = _split(header)
    webhook = _webhook_fields(found, operation)
    answer = _answer_fields(found)
    if "message" in found and "fail" not in found and "status" not in found:
        raise DirectiveError("directive 'message' needs 'fail' or 'status'")
    task = [name for name in TASK_NAMES if name in found]
    if task and not creates_task:
        raise DirectiveError(f"directive {task[0]!r} applies only to POST /api/v1/generations")
    if task and "status" in found:
        raise DirectiveError(f"directive {task[0]!r} cannot go with 'status': no task is made")
    try:
        effects = fault_spec(answer).effects if answer else None
        plan = script_spec(_task_fields(found)).plan if task else None
    except SpecError as error:
        source = _source(found, error.field)
        raise DirectiveError(f"{source}: {error}" if source else str(error)) from None
    return Directives(effects, plan, webhook)


_FIELD_SOURCES = {"code": ("status", "fail"), "processing": ("processing", "after")}


def _source(found: dict[str, str | None], field: str | None) -> str | None:
    """Return the directive, as sent, that gave ``field`` its value."""
    for name in _FIELD_SOURCES.get(field or "", (field or "",)):
        if name in found:
            value = found[name]
            return name if value is None else f"{name}={value}"
    return None
