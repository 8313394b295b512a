"""Scale out: one in-memory worker, one Redis worker and two Redis workers on the 1:4 mix.

The three servers run in one session, each on the same load (``wrk`` with
``bench/mix.lua`` when installed, else the Python load generator), in alternating
order over rounds so drift on a shared machine hits all alike. A redis-server of
its own (``redis-server`` on PATH) holds the shared state; Redis's own count of
the mock's steps and heads over each run gives the round trips per request. The goal: two Redis
workers serve at least 1.5x what one Redis worker serves, median over rounds.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager

import redis

from bench.http_throughput import MOCK_FLAGS, Measure, measure_python, measure_wrk, pick_tool
from bench.servers import ServerProcess, mock_command
from bench.table import Row

GOAL = 1.5
STARTUP_TIMEOUT = 10.0


@contextmanager
def redis_server() -> Iterator[str]:
    """Run a redis-server on a free port without persistence; yield its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not on PATH (make system-deps installs it)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory() as folder:
        args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", folder]
        process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"redis://127.0.0.1:{port}/0"
        client = redis.Redis.from_url(url)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        try:
            while True:
                try:
                    client.ping()
                    break
                except redis.ConnectionError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.02)
            yield url
        finally:
            client.close()
            process.terminate()
            process.wait(timeout=STARTUP_TIMEOUT)


def round_trips(url: str) -> int:
    """Return how many store round trips Redis has served: the mock's steps (EVALSHA) and
    heads (MGET); neither is ever called from inside a step."""
    client = redis.Redis.from_url(url)
    try:
        stats = client.info("commandstats")
    finally:
        client.close()
    return sum(
        int(stats.get(f"cmdstat_{name}", {}).get("calls", 0)) for name in ("evalsha", "mget")
    )


def compare(
    *, rounds: int, seconds: int, connections: int, tool: str = "auto"
) -> tuple[str, dict[str, list[Measure]], dict[str, list[float]]]:
    """Measure the three servers over ``rounds``; return the tool, measures and trips/req."""
    chosen = pick_tool(tool)
    measure = measure_wrk if chosen == "wrk" else measure_python
    with ExitStack() as stack:
        url = stack.enter_context(redis_server())
        shared = ("--store", url)
        commands = {
            "memory, 1 worker": mock_command(*MOCK_FLAGS),
            "redis, 1 worker": mock_command(*MOCK_FLAGS, *shared, "--namespace", "one"),
            "redis, 2 workers": mock_command(
                *MOCK_FLAGS, *shared, "--namespace", "two", "--workers", "2"
            ),
        }
        servers = {
            name: stack.enter_context(ServerProcess(command)) for name, command in commands.items()
        }
        for name, server in servers.items():
            measure(name, server, 2, connections)
        measures: dict[str, list[Measure]] = {name: [] for name in servers}
        trips: dict[str, list[float]] = {name: [] for name in servers if "redis" in name}
        for index in range(rounds):
            order = list(servers) if index % 2 else list(reversed(servers))
            for name in order:
                before = round_trips(url)
                found = measure(name, servers[name], seconds, connections)
                measures[name].append(found)
                if name in trips:
                    trips[name].append((round_trips(url) - before) / max(1, found.requests))
    return chosen, measures, trips


def rows(tool: str, measures: dict[str, list[Measure]], trips: dict[str, list[float]]) -> list[Row]:
    """Return the table rows: req/s of each server, Redis round trips, the scaling ratio."""
    out = []
    for name, found in measures.items():
        rps = statistics.median(m.rps for m in found)
        p99 = statistics.median(m.p99_ms for m in found)
        errors = sum(m.errors for m in found)
        value = f"{rps:,.0f}; p99 {p99:.2f} ms; errors {errors}"
        if name in trips:
            value += f"; {statistics.median(trips[name]):.2f} Redis round trips/req"
        out.append(Row("redis scale", f"{name} req/s ({tool})", value))
    one, two = measures["redis, 1 worker"], measures["redis, 2 workers"]
    ratios = [b.rps / a.rps for a, b in zip(one, two, strict=True)]
    ratio = statistics.median(ratios)
    out.append(
        Row(
            "redis scale",
            f"2 / 1 Redis workers req/s, median of {len(ratios)} rounds "
            f"({min(ratios):.2f}..{max(ratios):.2f})",
            f"{ratio:.2f}",
            f">= {GOAL}",
            ratio >= GOAL,
        )
    )
    memory = measures["memory, 1 worker"]
    cost = statistics.median(a.rps / m.rps for a, m in zip(one, memory, strict=True))
    out.append(Row("redis scale", "1 Redis worker / 1 memory worker req/s", f"{cost:.2f}"))
    errors = sum(m.errors for found in measures.values() for m in found)
    out.append(Row("redis scale", "error responses", str(errors), "0", errors == 0))
    return out


def run(quick: bool = True) -> list[Row]:
    """Run the benchmark (quick: 3 rounds of 4 s; full: 6 rounds of 10 s); return its rows."""
    if quick:
        return rows(*compare(rounds=3, seconds=4, connections=32))
    return rows(*compare(rounds=6, seconds=10, connections=32))


def main(argv: Sequence[str] | None = None) -> None:
    """Run from the command line and print the table."""
    from bench.table import render

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--tool", choices=("auto", "wrk", "python"), default="auto")
    args = parser.parse_args(argv)
    found = compare(
        rounds=args.rounds, seconds=args.seconds, connections=args.connections, tool=args.tool
    )
    print(render(rows(*found)))


if __name__ == "__main__":
    main()
