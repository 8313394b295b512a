"""Delivery schedules: a Hypothesis strategy of what webhooks do to a receiver, and its driver.

``delivery_schedules()`` draws a ``DeliverySchedule``: one to four tasks, each finishing
``succeeded`` or ``failed`` after some seconds, and for each task's event

- ``duplicates``: extra copies of an attempt, same ``webhook-id`` and body;
- ``lost_answers``: the receiver handled the attempt but its answer was lost on the way
  back (the mock sees ``500``), so the same event comes again, a retry after a 5xx;
- ``stale``: the first attempt carries a timestamp an hour old, which a verifying receiver
  must refuse (the retry is signed correctly);
- ``delay``: seconds the webhook comes after the poll shows the terminal status (0: it
  comes as the task finishes, before a client polling on its usual schedule sees it);

and for the whole schedule ``reorder`` (the first task's event is held back until the next
one has been sent) and ``rotate_secret`` (the secret is rotated before anything is sent,
so every delivery carries the new and the old signature, and the receiver knows the old).

The faults are drawn apart from the tasks (a list of knob, task index, amount) and aimed
at a task by index. How it shrinks: the list of faults to the fewest that still fail, each
amount to 1, each index to 0 (the first task), the tasks to the fewest (trailing ones go
first), each to ``succeeded`` after 0 s, and to neither reorder nor rotation. A failing
schedule therefore shrinks to the one fault that breaks the receiver, on one task.

``play(schedule, make_receiver)`` runs a schedule: a fresh mock on a virtual clock, the
receiver built by ``make_receiver(secret, clock)`` (an ASGI app or a callable taking an
``httpx.Request``), registered as an endpoint and reached in process (no sockets), the
tasks created and scripted, the faults set, and a day of mock time run through, so every
retry is made. It returns a ``Played``: the tasks, the events and every attempt.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

import httpx
from hypothesis import strategies as st

from rivya_contract.mock_server.webhook_send import is_asgi, run_to_completion

if TYPE_CHECKING:
    from rivya_contract.mock_server.mock import Mock

ENDPOINT_URL = "https://receiver.example.com/webhook"
"""The URL the driver registers; the mock delivers to it in process."""

MakeReceiver = Callable[[str, Callable[[], float]], Any]
"""Builds the receiver under test from the endpoint's signing secret and the mock's clock."""


@dataclass(frozen=True)
class EventPlan:
    """One task of a schedule and what happens to its event's deliveries."""

    outcome: Literal["succeeded", "failed"] = "succeeded"
    after: int = 0
    """Seconds the task spends processing (after one second queued) before its outcome."""
    duplicates: int = 0
    lost_answers: int = 0
    stale: bool = False
    delay: int = 0


@dataclass(frozen=True)
class DeliverySchedule:
    """What webhooks do to a receiver: see the module docstring."""

    events: tuple[EventPlan, ...]
    reorder: bool = False
    rotate_secret: bool = False


Knob = Literal["duplicates", "lost_answers", "stale", "delay"]
_KNOBS: tuple[Knob, ...] = ("duplicates", "lost_answers", "stale", "delay")


@st.composite
def _knob(draw: st.DrawFn) -> tuple[Knob, int, int]:
    """Draw one fault: which knob, on which event (an index taken modulo), how much."""
    kind = draw(st.sampled_from(_KNOBS))
    index = draw(st.integers(0, 3))
    amount = {"duplicates": 2, "lost_answers": 2, "stale": 1, "delay": 120}[kind]
    return kind, index, draw(st.integers(1, amount))


@st.composite
def _schedules(draw: st.DrawFn, max_events: int) -> DeliverySchedule:
    # Faults are drawn apart from the events and aimed at them by index: an index shrinks
    # to 0 and trailing events are easy to delete, so a failure shrinks onto one event.
    base = draw(
        st.lists(
            st.tuples(st.sampled_from(["succeeded", "failed"]), st.integers(0, 30)),
            min_size=1,
            max_size=max_events,
        )
    )
    plans = [EventPlan(outcome=outcome, after=after) for outcome, after in base]  # type: ignore[arg-type]
    for kind, index, amount in draw(st.lists(_knob(), max_size=2 * max_events)):
        n = index % len(plans)
        plan = plans[n]
        if kind == "stale":
            plans[n] = replace(plan, stale=True)
        else:
            top = {"duplicates": 2, "lost_answers": 2, "delay": 120}[kind]
            plans[n] = replace(plan, **{kind: min(top, getattr(plan, kind) + amount)})
    return DeliverySchedule(
        events=tuple(plans), reorder=draw(st.booleans()), rotate_secret=draw(st.booleans())
    )


def delivery_schedules(*, max_events: int = 4) -> st.SearchStrategy[DeliverySchedule]:
    """Return a strategy of delivery schedules of 1 to ``max_events`` tasks."""
    return _schedules(max_events)


@dataclass
class Played:
    """What a schedule did: each task's id and outcome, the events, every attempt."""

    tasks: list[tuple[str, str]]
    events: list[dict[str, Any]]
    attempts: list[dict[str, Any]]
    mock: Mock = field(repr=False)

    def succeeded(self) -> list[str]:
        """Return the ids of the tasks that succeeded."""
        return [task_id for task_id, outcome in self.tasks if outcome == "succeeded"]


class _LossyLink:
    """Hands attempts to the receiver; replaces its first answers to an event by a 500."""

    def __init__(self, receiver: Any, losses: dict[str, int]) -> None:
        self.receiver = receiver
        self.losses = losses
        """Answers still to lose, per task id."""
        self._task_of: dict[str, str] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if is_asgi(self.receiver):
            response = run_to_completion(self._asgi(request))
        else:
            response = self.receiver(request)
        task_id = _task_id(request.content)
        if 200 <= response.status_code < 300 and self.losses.get(task_id, 0) > 0:
            self.losses[task_id] -= 1
            return httpx.Response(500, text="the answer was lost on the way")
        return response

    async def _asgi(self, request: httpx.Request) -> httpx.Response:
        transport = httpx.ASGITransport(app=self.receiver)
        async with httpx.AsyncClient(transport=transport) as client:
            got = await client.send(request)
        return httpx.Response(got.status_code, headers=got.headers, content=got.content)


def _task_id(body: bytes) -> str:
    try:
        data = json.loads(body).get("data") or {}
    except ValueError:
        return ""
    return str(data.get("id", ""))


def play(schedule: DeliverySchedule, make_receiver: MakeReceiver) -> Played:
    """Run ``schedule`` against the receiver ``make_receiver`` builds; see the module docstring."""
    from rivya_contract.mock_server.config import MockConfig
    from rivya_contract.mock_server.mock import Mock

    mock = Mock(MockConfig(virtual_clock=True, credits=10_000))
    try:
        return _play(mock, schedule, make_receiver)
    finally:
        mock.close()


def _play(mock: Mock, schedule: DeliverySchedule, make_receiver: MakeReceiver) -> Played:
    api = _Api(mock)
    created = api.send("POST", "/api/v1/webhooks", {"url": ENDPOINT_URL})
    endpoint_id = created["id"]
    losses: dict[str, int] = {}
    mock.control.webhooks.route(
        ENDPOINT_URL, _LossyLink(make_receiver(created["signing_secret"], mock.clock.now), losses)
    )
    if schedule.rotate_secret:
        api.send("POST", f"/api/v1/webhooks/{endpoint_id}/rotate-secret")
    tasks: list[tuple[str, str]] = []
    for n, plan in enumerate(schedule.events):
        # Queued for a second: nothing finishes, so nothing is sent, before every fault is set.
        mock.control.script(outcome=plan.outcome, queued=1, processing=plan.after)
        task = api.send("POST", "/api/v1/generations", {"model": "grok-imagine", "prompt": "x"})
        tasks.append((task["id"], plan.outcome))
        losses[task["id"]] = plan.lost_answers
        faults = mock.control.webhooks
        if plan.stale:
            faults.fault(sign="stale", task_id=task["id"])
        if plan.delay:
            faults.fault(delay=plan.delay, task_id=task["id"])
        if plan.duplicates:
            faults.fault(duplicate=plan.duplicates, task_id=task["id"])
        if n == 0 and schedule.reorder:
            faults.fault(reorder=True, task_id=task["id"])
    mock.clock.advance(86400)
    events = api.send("GET", "/api/v1/webhook-events")["data"]
    attempts = api.send("GET", f"/api/v1/webhooks/{endpoint_id}/deliveries")["data"]
    return Played(tasks, list(reversed(events)), list(reversed(attempts)), mock)


class _Api:
    """The mock's API through its in-process pipeline, as the demo key."""

    def __init__(self, mock: Mock) -> None:
        self.mock = mock

    def send(self, method: str, path: str, body: Any = None) -> Any:
        headers = {"authorization": f"Bearer {self.mock.config.api_key}"}
        data = b""
        if body is not None:
            headers["content-type"] = "application/json"
            data = json.dumps(body).encode()
        reply = self.mock.api.handle(method, path, headers=headers, body=data)
        if reply.status >= 300:
            raise RuntimeError(f"{method} {path}: {reply.status} {reply.body!r}")
        return json.loads(reply.body)
