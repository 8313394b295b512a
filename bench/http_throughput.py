"""HTTP throughput: the mock under one uvicorn worker vs a bare Starlette endpoint and peers.

The mock and the bare endpoint run as child processes with the same uvicorn
settings (httptools and uvloop, ``serving.server_stack``); WireMock and Prism,
when installed (``bench/peers.py``), serve the same two endpoints with static
answers. The load (1 create to 4 polls of tasks created earlier, or creates
only with ``--polls 0``) comes from this process, by ``wrk`` when it is
installed, else by the Python load generator. Rounds alternate the order of
the servers so drift on a shared machine hits all alike. Each round's ratio
compares runs made back to back; the figures are the medians over rounds. The
goals: mock/bare >= 0.6 in the mix (0.5 with creates only), mock/WireMock >= 1,
mock/Prism >= 5.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass

from bench.loadgen import run_load
from bench.peers import available
from bench.servers import (
    DEMO_KEY,
    ROOT,
    ServerProcess,
    bare_command,
    floor_command,
    mock_command,
)
from bench.table import Row
from bench.workloads import CreatePollMix
from rivya_contract.mock_server.serving import server_stack

GOALS = {"bare": 0.6, "wiremock": 1.0, "prism": 5.0}
"""The least mock req/s over each other server's, in the 1:4 mix."""
CREATES_GOAL = 0.5
"""The least mock req/s over bare req/s with creates only."""
CONNECTIONS = 32
MOCK_FLAGS = ("--credits", "100000000", "--queued-seconds", "0.05", "--processing-seconds", "0.2")
"""Enough credits for every create; short task timing so polls see every status."""
LUA = ROOT / "bench" / "mix.lua"


@dataclass(frozen=True)
class Measure:
    """One load run against one server."""

    target: str
    tool: str
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    """Responses that were not 2xx, plus transport errors."""
    cpu_us: float = 0.0
    """Server CPU time (user + system) per request, in microseconds."""


def pick_tool(choice: str = "auto") -> str:
    """Return ``wrk`` when asked for or installed (for ``auto``), else ``python``."""
    if choice == "auto":
        return "wrk" if shutil.which("wrk") else "python"
    return choice


def pinning() -> tuple[int, int] | None:
    """Return the CPUs for the servers and for the load, or None where they cannot be pinned.

    Each server gets one CPU, the same for all ("one worker each", a JVM's
    threads included), and the load generator another.
    """
    if (os.cpu_count() or 1) < 2 or shutil.which("taskset") is None:
        return None
    return 1, 0


def _on_cpu(cpu: int | None, command: list[str]) -> list[str]:
    return command if cpu is None else ["taskset", "-c", str(cpu), *command]


def measure_wrk(
    target: str,
    server: ServerProcess,
    seconds: int,
    connections: int,
    polls: int = 4,
    load_cpu: int | None = None,
) -> Measure:
    """Load ``server`` with wrk and ``bench/mix.lua`` for ``seconds`` (wrk on ``load_cpu``)."""
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        server.base_url,
        "--",
        DEMO_KEY,
        str(polls),
    ]
    command = _on_cpu(load_cpu, command)
    cpu = server.cpu_seconds()
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 60)
    last = [line for line in done.stdout.splitlines() if line.startswith("{")][-1]
    totals = json.loads(last)
    errors = sum(
        totals[k]
        for k in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts")
    )
    return Measure(
        target,
        "wrk",
        totals["requests"] / (totals["duration_us"] / 1e6),
        totals["p50_us"] / 1000,
        totals["p99_us"] / 1000,
        totals["requests"],
        errors,
        (server.cpu_seconds() - cpu) / max(1, totals["requests"]) * 1e6,
    )


def measure_python(
    target: str,
    server: ServerProcess,
    seconds: int,
    connections: int,
    polls: int = 4,
    load_cpu: int | None = None,
) -> Measure:
    """Load ``server`` with the Python load generator for ``seconds`` (never pinned)."""
    host, port = server.host_port
    mix = CreatePollMix(f"{host}:{port}", DEMO_KEY, polls=polls)
    cpu = server.cpu_seconds()
    result = run_load(host, port, mix, connections=connections, duration=seconds)
    bad = sum(n for (_, status), n in result.statuses.items() if not 200 <= status < 300)
    return Measure(
        target,
        "python",
        result.rps,
        result.percentile(0.5) * 1000,
        result.percentile(0.99) * 1000,
        result.requests,
        bad + result.transport_errors,
        (server.cpu_seconds() - cpu) / max(1, result.requests) * 1e6,
    )


@dataclass(frozen=True)
class Comparison:
    """Every round's measures of every server, by name (mock, bare, baseline, peers)."""

    tool: str
    measures: dict[str, list[Measure]]
    polls: int = 4
    absent: tuple[str, ...] = ()
    """Peers that are not installed, so not measured."""
    stack: tuple[str, str] = ("", "")
    """The HTTP parser and event loop the mock and the bare endpoint ran on."""
    pinned: tuple[int, int] | None = None
    """The CPU every server ran on and the load generator's (``taskset``), if pinned."""

    @property
    def targets(self) -> list[str]:
        """Return the servers measured, in a fixed order."""
        order = ["mock", "bare", "baseline", "floor", "wiremock", "prism"]
        return [name for name in order if name in self.measures]

    def median(self, target: str, name: str) -> float:
        """Return the median over rounds of one figure (``rps``, ``p50_ms``, ``cpu_us``...)."""
        return float(statistics.median(float(getattr(m, name)) for m in self.measures[target]))

    def ratios(self, target: str = "mock", over: str = "bare") -> list[float]:
        """Return ``target`` req/s over ``over`` req/s for each round (measured back to back)."""
        pairs = zip(self.measures[target], self.measures[over], strict=True)
        return [m.rps / o.rps for m, o in pairs]

    def ratio(self, target: str = "mock", over: str = "bare") -> float:
        """Return the median over rounds of ``ratios``."""
        return statistics.median(self.ratios(target, over))

    def cpu_ratio(self, target: str = "mock", over: str = "bare") -> float:
        """Return the median over rounds of ``over``'s CPU per request over ``target``'s.

        A single worker's capacity is the inverse of its CPU time per request,
        and CPU time is far less disturbed by other load on a shared machine
        than wall-clock throughput. (A peer on the JVM or node may use more
        than one thread.)
        """
        pairs = zip(self.measures[target], self.measures[over], strict=True)
        return float(statistics.median(o.cpu_us / m.cpu_us for m, o in pairs if m.cpu_us))

    @property
    def errors(self) -> int:
        """Return the errors seen in every round."""
        return sum(m.errors for measures in self.measures.values() for m in measures)


def compare(
    *,
    rounds: int,
    seconds: int,
    connections: int = CONNECTIONS,
    tool: str = "auto",
    warmup: int = 2,
    baseline: str | None = None,
    polls: int = 4,
    peers: bool = True,
    pin: bool = False,
) -> Comparison:
    """Serve the apps, warm each up, then measure ``rounds`` rounds in alternating order.

    ``baseline`` is a directory put first on ``PYTHONPATH`` of a third server:
    a tree whose ``rivya_contract`` package stands in for the installed one.
    ``peers`` adds the floor (``bench/floor_app.py``), and WireMock and Prism where
    installed. ``pin`` runs every server on one CPU and wrk on another (``pinning``),
    where the machine allows.
    """
    chosen = pick_tool(tool)
    measure = measure_wrk if chosen == "wrk" else measure_python
    commands: dict[str, ServerProcess] = {
        "mock": ServerProcess(mock_command(*MOCK_FLAGS)),
        "bare": ServerProcess(bare_command()),
    }
    if peers:
        commands["floor"] = ServerProcess(floor_command())
    if baseline is not None:
        commands["baseline"] = ServerProcess(
            mock_command(*MOCK_FLAGS), env={"PYTHONPATH": baseline}
        )
    absent = []
    if peers:
        for name, peer in available().items():
            if peer is None:
                absent.append(name)
            else:
                commands[name] = peer
    pinned = pinning() if pin else None
    load_cpu = None
    if pinned is not None:
        server_cpu, load_cpu = pinned
        for server in commands.values():
            server.command = _on_cpu(server_cpu, server.command)
    with ExitStack() as stack:
        servers = {name: stack.enter_context(server) for name, server in commands.items()}
        for name, server in servers.items():
            # the JVM compiles its hot path during the first seconds: give the peers longer
            seconds_ = warmup * (3 if name in PEERS else 1)
            measure(name, server, seconds_, connections, polls, load_cpu)
        results: dict[str, list[Measure]] = {name: [] for name in servers}
        for index in range(rounds):
            order = list(servers) if index % 2 else list(reversed(servers))
            for name in order:
                measured = measure(name, servers[name], seconds, connections, polls, load_cpu)
                results[name].append(measured)
    return Comparison(chosen, results, polls, tuple(absent), server_stack(), pinned)


PEERS = ("wiremock", "prism")


def _goal(result: Comparison, over: str) -> float | None:
    if over == "bare":
        return GOALS["bare"] if result.polls else CREATES_GOAL
    return GOALS.get(over) if result.polls == 4 else None


def rows(result: Comparison) -> list[Row]:
    """Return the table rows of a comparison."""
    tool = result.tool
    load = "creates only" if result.polls == 0 else f"1 create : {result.polls} polls"
    http, loop = result.stack
    where = "not pinned"
    if result.pinned is not None:
        where = f"servers on CPU {result.pinned[0]}, wrk on CPU {result.pinned[1]}"
    out = [Row("http", "load; server stack", f"{load}; uvicorn on {http} and {loop}; {where}")]
    for target in result.targets:
        out.append(
            Row(
                "http",
                f"{target} req/s ({tool}); p50 / p99 ms; server CPU us/req",
                f"{result.median(target, 'rps'):,.0f}; "
                f"{result.median(target, 'p50_ms'):.2f} / {result.median(target, 'p99_ms'):.2f}; "
                f"{result.median(target, 'cpu_us'):.0f}",
            )
        )
    for over in result.targets[1:]:
        target = "baseline" if over == "baseline" else "mock"
        if over == "baseline":
            over = "bare"
        if over in PEERS and "floor" in result.measures:
            ceiling = result.ratios("floor", over)
            out.append(
                Row(
                    "http",
                    f"floor / {over} req/s, median (range): the ceiling of a Python server",
                    f"{result.ratio('floor', over):.2f} ({min(ceiling):.2f}..{max(ceiling):.2f})",
                )
            )
        ratios = result.ratios(target, over)
        spread = f"{min(ratios):.2f}..{max(ratios):.2f}"
        goal = None if target == "baseline" else _goal(result, over)
        ratio = result.ratio(target, over)
        out.append(
            Row(
                "http",
                f"{target} / {over} req/s, median of {len(ratios)} rounds (range)",
                f"{ratio:.2f} ({spread})",
                "" if goal is None else f">= {goal}",
                None if goal is None else ratio >= goal,
            )
        )
        if over == "bare":
            cpu = result.cpu_ratio(target, over)
            out.append(
                Row("http", f"{over} / {target} server CPU per request", f"{cpu:.2f}", "", None)
            )
    for name in result.absent:
        out.append(Row("http", f"{name}", "absent: not installed (see bench/RESULTS.md)"))
    out.append(Row("http", "error responses", str(result.errors), "0", result.errors == 0))
    return out


def run(quick: bool = True) -> list[Row]:
    """Run the benchmark (quick: 3 rounds of 4 s; full: 8 of 10 s), mix then creates; its rows."""
    rounds, seconds = (3, 4) if quick else (8, 10)
    mix = rows(compare(rounds=rounds, seconds=seconds))
    creates = rows(compare(rounds=rounds, seconds=seconds, polls=0, peers=False))
    return mix + creates


def main(argv: Sequence[str] | None = None) -> None:
    """Run from the command line and print each round and the summary."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=CONNECTIONS)
    parser.add_argument("--tool", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--polls", type=int, default=4, help="polls per create; 0: creates only")
    parser.add_argument("--no-peers", action="store_true", help="leave WireMock and Prism out")
    parser.add_argument(
        "--pin", action="store_true", help="every server on one CPU, wrk on another (taskset)"
    )
    parser.add_argument(
        "--baseline-pythonpath",
        metavar="DIR",
        help="also serve the mock from DIR/rivya_contract (e.g. an older tree) and compare",
    )
    args = parser.parse_args(argv)
    result = compare(
        rounds=args.rounds,
        seconds=args.seconds,
        connections=args.connections,
        tool=args.tool,
        baseline=args.baseline_pythonpath,
        polls=args.polls,
        peers=not args.no_peers,
        pin=args.pin,
    )
    for index in range(args.rounds):
        parts = []
        for target in result.targets:
            m = result.measures[target][index]
            parts.append(
                f"{target} {m.rps:,.0f} req/s (p50 {m.p50_ms:.2f} ms, p99 {m.p99_ms:.2f} ms, "
                f"{m.cpu_us:.0f} us CPU/req, errors {m.errors})"
            )
        ratios = ", ".join(
            f"mock/{over} {result.ratios('mock', over)[index]:.2f}"
            for over in result.targets
            if over not in ("mock", "baseline")
        )
        print(f"round {index + 1}: " + "; ".join(parts) + f"; {ratios}")
    from bench.table import render

    print(render(rows(result)))


if __name__ == "__main__":
    main()
