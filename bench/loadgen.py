"""A Python HTTP/1.1 load generator: several keep-alive connections over asyncio streams.

It is the fallback when ``wrk`` is not installed, and the driver of the soak,
where each request kind is checked against the status it must get.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

LATENCY_SAMPLE = 200_000
"""Most latencies kept; past that a uniform reservoir sample is kept."""
CONNECT_TIMEOUT = 10.0
RESPONSE_TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class Request:
    """One request on the wire, the kind it counts under, and the status it must get."""

    kind: str
    raw: bytes
    expect: int


class Workload(Protocol):
    """Chooses each next request and learns from each response."""

    def next_request(self) -> Request:
        """Return the next request to send."""
        ...

    def on_response(self, request: Request, status: int, head: bytes, body: bytes) -> None:
        """Take note of a response (e.g. the id of a created task)."""
        ...


@dataclass
class LoadResult:
    """What a load run did: counts, elapsed time, a latency sample and statuses per kind."""

    requests: int = 0
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    """Seconds per request (all of them, or a uniform sample past ``LATENCY_SAMPLE``)."""
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    unexpected: int = 0
    """Responses whose status was not the one their request must get."""
    transport_errors: int = 0
    """Connections that failed or closed mid-request."""

    @property
    def rps(self) -> float:
        """Return requests per second."""
        return self.requests / self.elapsed if self.elapsed else 0.0

    def percentile(self, share: float) -> float:
        """Return the latency (seconds) below which ``share`` (0..1) of requests fall."""
        ordered = sorted(self.latencies)
        if not ordered:
            return 0.0
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _content_length(head: bytes) -> int:
    lowered = head.lower()
    at = lowered.find(b"\r\ncontent-length:")
    if at < 0:
        return 0
    end = lowered.find(b"\r\n", at + 2)
    return int(lowered[at + 17 : end].strip())


class _Run:
    def __init__(
        self, workload: Workload, duration: float, max_requests: int, result: LoadResult
    ) -> None:
        self.workload = workload
        self.deadline = time.perf_counter() + duration
        self.max_requests = max_requests
        self.issued = 0
        self.result = result
        self.rng = random.Random(7)

    def take(self) -> Request | None:
        if self.issued >= self.max_requests or time.perf_counter() >= self.deadline:
            return None
        self.issued += 1
        return self.workload.next_request()

    def record(self, request: Request, status: int, latency: float) -> None:
        result = self.result
        result.requests += 1
        result.statuses[(request.kind, status)] += 1
        if status != request.expect:
            result.unexpected += 1
        if len(result.latencies) < LATENCY_SAMPLE:
            result.latencies.append(latency)
        else:
            slot = self.rng.randrange(result.requests)
            if slot < LATENCY_SAMPLE:
                result.latencies[slot] = latency

    async def connection(self, host: str, port: int) -> None:
        workload = self.workload
        while True:
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(host, port), CONNECT_TIMEOUT
                )
            except (OSError, TimeoutError):
                self.result.transport_errors += 1
                if self.take() is None:
                    return
                continue
            try:
                while (request := self.take()) is not None:
                    started = time.perf_counter()
                    writer.write(request.raw)
                    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), RESPONSE_TIMEOUT)
                    body = await reader.readexactly(_content_length(head))
                    latency = time.perf_counter() - started
                    status = int(head[9:12])
                    self.record(request, status, latency)
                    workload.on_response(request, status, head, body)
                return
            except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError):
                self.result.transport_errors += 1
            finally:
                writer.close()


async def _run(
    host: str,
    port: int,
    workload: Workload,
    connections: int,
    duration: float,
    max_requests: int,
    tick: Callable[[LoadResult], None] | None,
    tick_every: float,
) -> LoadResult:
    result = LoadResult()
    run = _Run(workload, duration, max_requests, result)
    started = time.perf_counter()

    async def ticker() -> None:
        while True:
            await asyncio.sleep(tick_every)
            if tick is not None:
                tick(result)

    ticking = asyncio.create_task(ticker())
    try:
        await asyncio.gather(*(run.connection(host, port) for _ in range(connections)))
    finally:
        ticking.cancel()
    result.elapsed = time.perf_counter() - started
    return result


def run_load(
    host: str,
    port: int,
    workload: Workload,
    *,
    connections: int = 8,
    duration: float = 10.0,
    max_requests: int = 10**9,
    tick: Callable[[LoadResult], None] | None = None,
    tick_every: float = 1.0,
) -> LoadResult:
    """Drive ``workload`` over ``connections`` until ``duration`` seconds or ``max_requests``."""
    return asyncio.run(
        _run(host, port, workload, connections, duration, max_requests, tick, tick_every)
    )
