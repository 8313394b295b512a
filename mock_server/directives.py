"""The ``X-Rivya-Mock`` request header: per-request directives for black-box scenario control.

Grammar (names are case-insensitive, spaces around tokens are ignored)::

    header    = directive *( ";" directive )
    directive = name [ "=" value ]

Directives that shape the answer (any request):

- ``status=<code>``: answer with a documented error code and its status
  (``status=rate_limited``), or ``status=<500..599>`` for a bare server error.
- ``retry-after=<seconds>``: with ``status``, send ``Retry-After`` (whole seconds).
- ``message=<text>``: with ``status``, the error's message (no ``;`` inside).
- ``delay=<duration>``: answer after extra latency (``200ms``, ``1.5s``, ``2m``, ``3``).
- ``drop``: handle the request, then close the connection without an answer.

Directives that script the task a ``POST /api/v1/generations`` creates:

- ``fail`` or ``fail=<code>``: the task ends failed (default code ``generation_failed``);
  ``message=<text>`` sets the task's error message.
- ``succeed``: the task ends succeeded, whatever the configured failure rate.
- ``queued=<duration>``, ``processing=<duration|forever>``: time in each state;
  ``after=<duration>`` is the time until the outcome (queued for none of it).
  Unset times are zero: the first poll sees the outcome.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from rivya_contract.mock_server.lifecycle import Plan
from rivya_contract.mock_server.records import FAILURE_CODE, FAILURE_MESSAGE
from rivya_contract.schemas import contract

HEADER = "x-rivya-mock"
"""The directive header's name, in lower case."""

MAX_DELAY = 300.0
"""Longest latency a directive or fault may add, in seconds."""

DEFAULT_RETRY_AFTER = {"rate_limited": 1, "public_api_disabled": 60}
"""``Retry-After`` seconds sent with an injected code when none is given."""

FLAGS = frozenset({"drop", "succeed"})
TASK_NAMES = frozenset({"fail", "succeed", "queued", "processing", "after"})
NAMES: tuple[str, ...] = ("status", "retry-after", "message", "delay", "drop", "fail", "succeed")
NAMES += ("queued", "processing", "after")

_DURATION = re.compile(r"([0-9]{1,9}(?:\.[0-9]{1,9})?)\s*(ms|s|m)?")
_SECONDS = re.compile(r"[0-9]{1,9}")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, None: 1.0}
TASK_CODE = re.compile(r"[a-z][a-z0-9_]{0,63}")
"""What a task failure code may look like."""


class DirectiveError(ValueError):
    """A malformed ``X-Rivya-Mock`` header; the message names the bad directive."""


@dataclass(slots=True)
class Effects:
    """What scenario control makes one request do.

    An error answer (``code`` or ``status``) replaces the request's own;
    ``delay`` and ``drop`` apply to whatever answer goes out; ``plan`` scripts
    the task a create makes.
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
    plan: Plan | None = None

    @property
    def answers(self) -> bool:
        """Return whether the effects replace the request's answer with an error."""
        return self.code is not None or self.status is not None


def check_answer(code: str | None, status: int | None) -> None:
    """Raise ValueError unless ``code`` is a documented error code and ``status`` is 5xx."""
    if code is not None and status is not None:
        raise ValueError("give a code or a status, not both")
    if code is not None and code not in contract().error_status:
        known = ", ".join(contract().error_status)
        raise ValueError(f"{code!r} is not a documented error code ({known})")
    if status is not None and not 500 <= status <= 599:
        raise ValueError(f"status {status} is not a server error (500..599)")


def check_delay(delay: float) -> None:
    """Raise ValueError unless ``delay`` is between 0 and ``MAX_DELAY`` seconds."""
    if not 0 <= delay <= MAX_DELAY:
        raise ValueError(f"delay must be between 0 and {MAX_DELAY:g} seconds")


def duration(name: str, text: str, *, forever: bool = False) -> float:
    """Parse ``200ms``, ``1.5s``, ``2m`` or plain seconds (and ``forever`` when allowed)."""
    if forever and text.lower() == "forever":
        return math.inf
    match = _DURATION.fullmatch(text)
    if match is None:
        extra = " or forever" if forever else ""
        raise DirectiveError(f"{name}={text}: expected a duration such as 3s or 200ms{extra}")
    return float(match.group(1)) * _UNIT[match.group(2)]


def _split(header: str) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for number, part in enumerate(header.split(";"), start=1):
        name, equals, value = part.partition("=")
        name = name.strip().lower()
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


def _answer(found: dict[str, str | None], effects: Effects) -> None:
    status = found.get("status")
    if status is not None:
        if _SECONDS.fullmatch(status):
            effects.status = int(status)
        else:
            effects.code = status
        try:
            check_answer(effects.code, effects.status)
        except ValueError as error:
            raise DirectiveError(f"status={status}: {error}") from None
    retry = found.get("retry-after")
    if retry is not None:
        if status is None:
            raise DirectiveError("directive 'retry-after' needs 'status'")
        if _SECONDS.fullmatch(retry) is None:
            raise DirectiveError(f"retry-after={retry}: expected whole seconds")
        effects.retry_after = int(retry)
    delay = found.get("delay")
    if delay is not None:
        effects.delay = duration("delay", delay)
        if effects.delay > MAX_DELAY:
            raise DirectiveError(f"delay={delay}: at most {MAX_DELAY:g} seconds")
    effects.drop = "drop" in found


def _plan(found: dict[str, str | None]) -> Plan:
    if "fail" in found and "succeed" in found:
        raise DirectiveError("directives 'fail' and 'succeed' exclude each other")
    if "after" in found and "processing" in found:
        raise DirectiveError("directives 'after' and 'processing' exclude each other")
    code = found.get("fail") or FAILURE_CODE
    if TASK_CODE.fullmatch(code) is None:
        raise DirectiveError(f"fail={code}: a code is lower case letters, digits and _")
    queued = duration("queued", found.get("queued") or "0", forever=True)
    processing = duration("processing", found.get("processing") or "0", forever=True)
    if found.get("after") is not None:
        processing = duration("after", found["after"] or "0")
    failed = "fail" in found
    if failed and math.isinf(processing):
        raise DirectiveError("processing=forever never ends, so the task cannot fail")
    message = found.get("message") or FAILURE_MESSAGE
    return Plan(queued, processing, "failed" if failed else "succeeded", code, message)


def parse(header: str, *, creates_task: bool) -> Effects:
    """Parse an ``X-Rivya-Mock`` header value; raise ``DirectiveError`` naming what is wrong.

    ``creates_task`` says whether the request is a create, the only request
    whose task directives mean something; elsewhere they are errors.
    """
    found = _split(header)
    effects = Effects()
    _answer(found, effects)
    if "message" in found and "fail" not in found and not effects.answers:
        raise DirectiveError("directive 'message' needs 'fail' or 'status'")
    if effects.answers:
        effects.message = found.get("message")
    task = sorted(TASK_NAMES.intersection(found))
    if task:
        if not creates_task:
            raise DirectiveError(f"directive {task[0]!r} applies only to POST /api/v1/generations")
        if effects.answers:
            raise DirectiveError(f"directive {task[0]!r} cannot go with 'status': no task is made")
        effects.plan = _plan(found)
    return effects
