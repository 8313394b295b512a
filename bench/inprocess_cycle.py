"""In-process cycle: create, poll (queued), advance the virtual clock, poll (succeeded).

Measured through the plain pipeline (``mock.api.handle``) and through respx
routing for an httpx client, the way the pytest plugin serves tests. The goals:
a median full cycle under 0.08 ms through the pipeline, under 0.4 ms through
httpx and respx (most of which is httpx's own work). A third way, without a
goal, is httpx's floor: the same client and checks on an ``httpx.MockTransport``
that replays one real cycle's three answers, so no mock and no respx at all.
"""

from __future__ import annotations

import argparse
import importlib
import itertools
import json
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import httpx
import orjson

from bench.table import Row
from bench.workloads import CREATE_BODY
from rivya_contract.mock_server import Mock, MockConfig, Reply
from rivya_contract.mock_server.clock import VirtualClock
from rivya_contract.schemas import contract

GOAL_MS = {"mock.api.handle": 0.08, "httpx + respx": 0.4}
"""The goal for the median cycle, by way."""
BASE_URL = "https://rivya.ai"
MODEL = "grok-imagine"


def new_mock() -> tuple[Mock, VirtualClock, float]:
    """Return a mock on a virtual clock, its clock, and the seconds a task takes to finish."""
    mock = Mock(MockConfig(virtual_clock=True, credits=10**9))
    clock = mock.clock
    if not isinstance(clock, VirtualClock):
        raise TypeError("the mock should be on the virtual clock")
    card = contract().cards[MODEL]
    return mock, clock, card.queued_seconds + card.processing_seconds


def _check(status: int, body: bytes, want_status: int, want_state: str) -> str:
    if status != want_status:
        raise RuntimeError(f"expected {want_status}, got {status}: {body[:200]!r}")
    task: dict[str, Any] = orjson.loads(body)  # the check, not the mock: kept cheap
    if task["status"] != want_state:
        raise RuntimeError(f"expected a {want_state} task, got {task['status']}")
    return str(task["id"])


def plain_cycle(mock: Mock, clock: VirtualClock, duration: float) -> Callable[[], None]:
    """Return one full cycle through ``mock.api.handle``."""
    api = mock.api
    headers = {"Authorization": f"Bearer {mock.config.api_key}"}
    create_headers = {**headers, "Content-Type": "application/json"}

    def cycle() -> None:
        reply: Reply = api.handle(
            "POST", "/api/v1/generations", headers=create_headers, body=CREATE_BODY
        )
        task_id = _check(reply.status, reply.body, mock.config.create_status, "queued")
        reply = api.handle("GET", f"/api/v1/generations/{task_id}", headers=headers)
        _check(reply.status, reply.body, 200, "queued")
        clock.advance(duration)
        reply = api.handle("GET", f"/api/v1/generations/{task_id}", headers=headers)
        _check(reply.status, reply.body, 200, "succeeded")

    return cycle


@contextmanager
def routed(mock: Mock) -> Iterator[str]:
    """Route httpx calls to ``BASE_URL`` into ``mock``; yield which router does it.

    The plugin's router is used when the plugin offers one; otherwise a respx
    route whose side effect runs ``mock.api.handle``.
    """
    try:
        helpers: Any = importlib.import_module("rivya_contract.plugin.respx_routes")
    except ImportError:
        helpers = None
    mock_router = getattr(helpers, "mock_router", None)
    if mock_router is not None:
        with mock_router(mock, BASE_URL):
            yield "plugin.respx_routes.mock_router"
        return
    import respx

    def answer(request: httpx.Request) -> httpx.Response:
        reply = mock.api.handle(
            request.method,
            request.url.path,
            query=request.url.query.decode("ascii"),
            headers=dict(request.headers),
            body=request.content,
            base_url=BASE_URL,
        )
        return httpx.Response(reply.status, headers=reply.headers, content=reply.body)

    with respx.mock(assert_all_called=False) as router:
        router.route(url__startswith=BASE_URL + "/").mock(side_effect=answer)
        yield "respx side effect calling mock.api.handle (bench's own)"


def respx_cycle(
    client: httpx.Client, mock: Mock, clock: VirtualClock, duration: float
) -> Callable[[], None]:
    """Return one full cycle through an httpx client routed by respx."""
    body = json.loads(CREATE_BODY)

    def cycle() -> None:
        response = client.post("/api/v1/generations", json=body)
        task_id = _check(
            response.status_code, response.content, mock.config.create_status, "queued"
        )
        response = client.get(f"/api/v1/generations/{task_id}")
        _check(response.status_code, response.content, 200, "queued")
        clock.advance(duration)
        response = client.get(f"/api/v1/generations/{task_id}")
        _check(response.status_code, response.content, 200, "succeeded")

    return cycle


def recorded_answers() -> list[httpx.Response]:
    """Return the three answers of one real cycle through the mock, in order."""
    mock, clock, duration = new_mock()
    answers: list[httpx.Response] = []
    hooks: dict[str, list[Callable[[httpx.Response], None]]] = {"response": [answers.append]}
    with routed(mock), httpx.Client(base_url=BASE_URL, event_hooks=hooks) as client:
        client.headers["Authorization"] = f"Bearer {mock.config.api_key}"
        respx_cycle(client, mock, clock, duration)()
    return answers


def replaying(answers: Sequence[httpx.Response]) -> httpx.MockTransport:
    """Return a transport answering each request with the next of ``answers``, over and over."""
    turn = itertools.cycle([(a.status_code, a.headers.raw, a.content) for a in answers])

    def replay(request: httpx.Request) -> httpx.Response:
        status, headers, body = next(turn)
        return httpx.Response(status, headers=headers, content=body)

    return httpx.MockTransport(replay)


def timed(cycle: Callable[[], None], count: int, warmup: int) -> list[float]:
    """Run ``cycle`` ``warmup`` times untimed, then ``count`` times; return seconds per run."""
    for _ in range(warmup):
        cycle()
    times = []
    clock = time.perf_counter
    for _ in range(count):
        started = clock()
        cycle()
        times.append(clock() - started)
    return times


def summary(times: list[float]) -> tuple[float, float]:
    """Return the median and the 99th percentile in milliseconds."""
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return statistics.median(ordered) * 1000, p99 * 1000


def measure(count: int) -> dict[str, tuple[float, float, str]]:
    """Time ``count`` cycles each way; return (median ms, p99 ms, how) per way."""
    results: dict[str, tuple[float, float, str]] = {}
    mock, clock, duration = new_mock()
    plain = summary(timed(plain_cycle(mock, clock, duration), count, count // 10))
    results["mock.api.handle"] = (*plain, "mock.api.handle")
    mock, clock, duration = new_mock()
    with routed(mock) as how, httpx.Client(base_url=BASE_URL) as client:
        client.headers["Authorization"] = f"Bearer {mock.config.api_key}"
        cycle = respx_cycle(client, mock, clock, duration)
        routed_times = summary(timed(cycle, count, count // 10))
    results["httpx + respx"] = (*routed_times, how)
    mock, clock, _ = new_mock()
    transport = replaying(recorded_answers())
    with httpx.Client(base_url=BASE_URL, transport=transport) as client:
        client.headers["Authorization"] = f"Bearer {mock.config.api_key}"
        cycle = respx_cycle(client, mock, clock, 0.0)
        floor = summary(timed(cycle, count, count // 10))
    results["httpx floor"] = (*floor, "httpx.MockTransport replaying one cycle's answers")
    return results


def rows(results: dict[str, tuple[float, float, str]]) -> list[Row]:
    """Return the table rows of the measured cycles."""
    out = []
    for way, (median, p99, _how) in results.items():
        out.append(
            Row(
                "in-process cycle",
                f"{way}: median (p99) ms per cycle",
                f"{median:.3f} ({p99:.3f})",
                f"median < {GOAL_MS[way]:g} ms" if way in GOAL_MS else "",
                median < GOAL_MS[way] if way in GOAL_MS else None,
            )
        )
    return out


def run(quick: bool = True) -> list[Row]:
    """Run the benchmark (quick: 2,000 cycles each way; full: 20,000); return its rows."""
    return rows(measure(2_000 if quick else 20_000))


def main(argv: Sequence[str] | None = None) -> None:
    """Run from the command line and print the rows."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cycles", type=int, default=20_000)
    args = parser.parse_args(argv)
    results = measure(args.cycles)
    for way, (_, _, how) in results.items():
        print(f"{way}: routed by {how}")
    from bench.table import render

    print(render(rows(results)))


if __name__ == "__main__":
    main()
