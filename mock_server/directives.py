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

The values are checked by the same rules as the control API's fault and
script bodies (``specs``), so a bad value gets the same message everywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rivya_contract.mock_server.lifecycle import Plan
from rivya_contract.mock_server.specs import Effects, SpecError, fault_spec, script_spec

HEADER = "x-rivya-mock"
"""The directive header's name, in lower case."""

ANSWER_NAMES: tuple[str, ...] = ("status", "retry_after", "message", "delay", "drop")
TASK_NAMES: tuple[str, ...] = ("fail", "succeed", "queued", "processing", "after")
TASK_NAMES += ("queued_polls", "processing_polls")
NAMES = ANSWER_NAMES + TASK_NAMES
FLAGS = frozenset({"drop", "succeed"})

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
        if name not in FLAGS and name != "fail" and not value:
            raise DirectiveError(f"directive {name!r} needs a value ({name}=...)")
        if name == "fail" and equals and not value:
            raise DirectiveError("directive 'fail' needs a code after '=' (or no '=')")
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


def parse(header: str, *, creates_task: bool) -> Directives:
    """Parse an ``X-Rivya-Mock`` header value; raise ``DirectiveError`` naming what is wrong.

    ``creates_task`` says whether the request is a create, the only request
    whose task directives mean something; elsewhere they are errors.
    """
    found = _split(header)
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
    return Directives(effects, plan)


_FIELD_SOURCES = {"code": ("status", "fail"), "processing": ("processing", "after")}


def _source(found: dict[str, str | None], field: str | None) -> str | None:
    """Return the directive, as sent, that gave ``field`` its value."""
    for name in _FIELD_SOURCES.get(field or "", (field or "",)):
        if name in found:
            value = found[name]
            return name if value is None else f"{name}={value}"
    return None
