"""Soak: many requests against one mock server process; memory must stay flat.

The server runs with small retention (``--max-tasks``, ``--task-ttl``,
``--idempotency-ttl``, ``--journal-size``) and a rate limit too high to trip,
so every bounded structure fills up early and must then stay bounded. The
load mixes creates (plain, with a new Idempotency-Key, replaying a recent one),
polls and credit reads with requests that must fail (unknown task, bad key,
invalid body, reused key with another body); every response is checked
against the status its request must get. The server's VmRSS is sampled
throughout; after the warm-up (the first ``warmup`` share of the requests) it
must not grow by more than ``GROWTH_LIMIT``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from bench.loadgen import LoadResult, Request, run_load
from bench.servers import DEMO_KEY, ServerProcess, mock_command
from bench.table import Row
from bench.workloads import CREATE_BODY, get, post_json

SERVER_FLAGS = (
    "--credits", "1000000000",
    "--max-tasks", "1000",
    "--task-ttl", "5",
    "--idempotency-ttl", "5",
    "--journal-size", "200",
    "--queued-seconds", "0.05",
    "--processing-seconds", "0.2",
    "--rate-limit", "1000000/s",
)  # fmt: skip
"""Small retention, so the bounds are reached within seconds."""

GROWTH_LIMIT_KIB = 8 * 1024
"""Most the server's RSS may grow after the warm-up."""

RECENT = 64
"""Polls and replays pick among the last ``RECENT`` tasks and keys."""

INVALID_BODY = json.dumps(
    {"model": "grok-imagine", "prompt": "a lighthouse", "params": {"aspect_ratio": "4:1"}},
    separators=(",", ":"),
).encode()
OTHER_BODY = json.dumps(
    {"model": "grok-imagine", "prompt": "another prompt for a reused key"}, separators=(",", ":")
).encode()

PATTERN = (
    "create", "poll", "poll", "create_key", "poll", "credits", "poll", "replay_key",
    "poll", "not_found", "poll", "create", "poll", "bad_key", "poll", "invalid",
    "credits", "poll", "conflict", "poll",
)  # fmt: skip
"""Twenty requests: 4 creates, 10 polls, 2 credit reads, 4 that must fail."""

_TASK_ID = re.compile(rb'"id":"(task_[0-9a-f]+)"')


class SoakMix:
    """The soak's request mix; remembers recent tasks and Idempotency-Keys."""

    def __init__(self, host: str, key: str = DEMO_KEY) -> None:
        self.host = host
        self.key = key
        self.tasks: list[bytes] = []
        self.keys: list[str] = []
        self._pattern = itertools.cycle(PATTERN)
        self._serial = itertools.count()
        self._rng = random.Random(3)
        self.replays_seen = 0

    def _recent(self, items: list[bytes] | list[str]) -> int:
        return self._rng.randrange(len(items))

    def next_request(self) -> Request:
        """Return the next request of the pattern (a create while nothing is known yet)."""
        kind = next(self._pattern)
        host, key = self.host, self.key
        if kind in ("poll", "replay_key", "conflict") and not (self.tasks and self.keys):
            kind = "create_key"
        if kind == "create":
            return Request(kind, post_json(host, "/api/v1/generations", key, CREATE_BODY), 202)
        if kind == "create_key":
            extra = f"Idempotency-Key: soak-{next(self._serial)}\r\n"
            raw = post_json(host, "/api/v1/generations", key, CREATE_BODY, extra)
            return Request(kind, raw, 202)
        if kind == "replay_key":
            extra = f"Idempotency-Key: {self.keys[self._recent(self.keys)]}\r\n"
            raw = post_json(host, "/api/v1/generations", key, CREATE_BODY, extra)
            return Request(kind, raw, 202)
        if kind == "conflict":
            extra = f"Idempotency-Key: {self.keys[self._recent(self.keys)]}\r\n"
            raw = post_json(host, "/api/v1/generations", key, OTHER_BODY, extra)
            return Request(kind, raw, 409)
        if kind == "poll":
            task_id = self.tasks[self._recent(self.tasks)].decode()
            return Request(kind, get(host, f"/api/v1/generations/{task_id}", key), 200)
        if kind == "credits":
            return Request(kind, get(host, "/api/v1/credits", key), 200)
        if kind == "not_found":
            path = f"/api/v1/generations/task_{next(self._serial):024x}"
            return Request(kind, get(host, path, key), 404)
        if kind == "bad_key":
            return Request(kind, get(host, "/api/v1/credits", "rvya_sk_not_a_key"), 401)
        return Request(kind, post_json(host, "/api/v1/generations", key, INVALID_BODY), 400)

    def on_response(self, request: Request, status: int, head: bytes, body: bytes) -> None:
        """Remember new tasks and keys; count replays that say they are replays."""
        if request.kind == "replay_key" and b"idempotent-replayed: true" in head.lower():
            self.replays_seen += 1
        if request.kind not in ("create", "create_key") or status != 202:
            return
        found = _TASK_ID.search(body)
        if found is not None:
            _remember(self.tasks, found.group(1))
        if request.kind == "create_key":
            sent = request.raw.split(b"Idempotency-Key: ", 1)[1].split(b"\r\n", 1)[0]
            _remember(self.keys, sent.decode())


def _remember(items: list[bytes] | list[str], item: bytes | str) -> None:
    items.append(item)  # type: ignore[arg-type]
    if len(items) > RECENT:
        del items[0]


@dataclass
class SoakResult:
    """The load's result and the server's memory over the run."""

    load: LoadResult
    samples: list[tuple[int, float, int]] = field(default_factory=list)
    """(requests done, seconds since start, VmRSS KiB)."""
    warmup_share: float = 0.1
    replays_seen: int = 0
    replays_sent: int = 0

    def _after_warmup(self) -> list[tuple[int, float, int]]:
        cut = self.load.requests * self.warmup_share
        return [s for s in self.samples if s[0] >= cut] or self.samples[-1:]

    @property
    def warm_rss(self) -> int:
        """Return the RSS (KiB) at the end of the warm-up."""
        return self._after_warmup()[0][2]

    @property
    def final_rss(self) -> int:
        """Return the last RSS sample (KiB)."""
        return self.samples[-1][2]

    @property
    def peak_after_warmup(self) -> int:
        """Return the highest RSS (KiB) after the warm-up."""
        return max(s[2] for s in self._after_warmup())

    @property
    def growth(self) -> int:
        """Return how much the RSS rose (KiB) from the end of the warm-up to its peak after."""
        return self.peak_after_warmup - self.warm_rss

    @property
    def flat(self) -> bool:
        """Return whether the growth after the warm-up stayed within ``GROWTH_LIMIT_KIB``."""
        return self.growth <= GROWTH_LIMIT_KIB


def soak(
    requests: int, *, max_seconds: float, connections: int = 8, warmup: float = 0.1
) -> SoakResult:
    """Run ``requests`` (or until ``max_seconds``) against one mock server process."""
    with ServerProcess(mock_command(*SERVER_FLAGS)) as server:
        host, port = server.host_port
        mix = SoakMix(f"{host}:{port}")
        samples: list[tuple[int, float, int]] = [(0, 0.0, server.rss_kib())]
        started = time.perf_counter()

        def sample(progress: LoadResult) -> None:
            elapsed = time.perf_counter() - started
            samples.append((progress.requests, elapsed, server.rss_kib()))

        load = run_load(
            host,
            port,
            mix,
            connections=connections,
            duration=max_seconds,
            max_requests=requests,
            tick=sample,
            tick_every=1.0,
        )
        samples.append((load.requests, load.elapsed, server.rss_kib()))
        if not server.alive():
            raise RuntimeError("the server died during the soak")
    sent = sum(n for (kind, _), n in load.statuses.items() if kind == "replay_key")
    return SoakResult(load, samples, warmup, mix.replays_seen, sent)


def rows(result: SoakResult) -> list[Row]:
    """Return the table rows of a soak."""
    load = result.load
    mib = 1024
    return [
        Row("soak", "requests; req/s", f"{load.requests:,}; {load.rps:,.0f}"),
        Row(
            "soak",
            "RSS MiB after warm-up -> peak -> end",
            f"{result.warm_rss / mib:.1f} -> {result.peak_after_warmup / mib:.1f} "
            f"-> {result.final_rss / mib:.1f}",
            f"growth <= {GROWTH_LIMIT_KIB // mib} MiB",
            result.flat,
        ),
        Row(
            "soak",
            "unexpected statuses; transport errors",
            f"{load.unexpected}; {load.transport_errors}",
            "0; 0",
            load.unexpected == 0 and load.transport_errors == 0,
        ),
        Row(
            "soak",
            "replays marked Idempotent-Replayed",
            f"{result.replays_seen} of {result.replays_sent}",
            "all",
            result.replays_seen == result.replays_sent,
        ),
    ]


def run(quick: bool = True) -> list[Row]:
    """Run the soak (quick: 100,000 requests; full: 1,000,000); return its rows."""
    if quick:
        return rows(soak(100_000, max_seconds=120, warmup=0.5))
    return rows(soak(1_000_000, max_seconds=1500, warmup=0.1))


def main(argv: Sequence[str] | None = None) -> None:
    """Run from the command line; print statuses per kind, the RSS samples and the rows."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--max-seconds", type=float, default=1500)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--warmup", type=float, default=0.1, help="share of requests (0..1)")
    args = parser.parse_args(argv)
    result = soak(
        args.requests,
        max_seconds=args.max_seconds,
        connections=args.connections,
        warmup=args.warmup,
    )
    for (kind, status), count in sorted(result.load.statuses.items()):
        print(f"{kind:>12} {status}: {count:,}")
    step = max(1, len(result.samples) // 20)
    for done, elapsed, rss in result.samples[::step] + result.samples[-1:]:
        print(f"  {elapsed:7.1f} s {done:>10,} requests  VmRSS {rss / 1024:7.1f} MiB")
    from bench.table import render

    print(render(rows(result)))


if __name__ == "__main__":
    main()
