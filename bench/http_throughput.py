"""HTTP throughput: the mock under one uvicorn worker vs a bare Starlette endpoint.

Both servers run as child processes with the same uvicorn settings; the load
(1 create to 4 polls of tasks created earlier) comes from this process, by
``wrk`` when it is installed, else by the Python load generator. Rounds
alternate the two servers so drift on a shared machine hits both alike. Each
round's ratio compares two runs made back to back; the figures are the
medians over rounds and the goal is a median ratio mock/bare >= 0.6.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field

from bench.loadgen import run_load
from bench.servers import DEMO_KEY, ROOT, ServerProcess, bare_command, mock_command
from bench.table import Row
from bench.workloads import CreatePollMix

GOAL = 0.6
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


def measure_wrk(target: str, server: ServerProcess, seconds: int, connections: int) -> Measure:
    """Load ``server`` with wrk and ``bench/mix.lua`` for ``seconds``."""
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
    ]
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


def measure_python(target: str, server: ServerProcess, seconds: int, connections: int) -> Measure:
    """Load ``server`` with the Python load generator for ``seconds``."""
    host, port = server.host_port
    mix = CreatePollMix(f"{host}:{port}", DEMO_KEY)
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
    """Every round's measures of both servers."""

    tool: str
    mock: list[Measure]
    bare: list[Measure]
    baseline: list[Measure] = field(default_factory=list)
    """The mock served from another tree (``--baseline-pythonpath``), when asked for."""

    @staticmethod
    def _median(measures: list[Measure], name: str) -> float:
        return float(statistics.median(float(getattr(m, name)) for m in measures))

    def median(self, target: str, name: str) -> float:
        """Return the median over rounds of one figure (``rps``, ``p50_ms``, ``p99_ms``)."""
        measures = {"mock": self.mock, "bare": self.bare, "baseline": self.baseline}[target]
        return self._median(measures, name)

    def ratios_of(self, measures: list[Measure]) -> list[float]:
        """Return req/s over bare req/s for each round (measured back to back)."""
        return [m.rps / b.rps for m, b in zip(measures, self.bare, strict=True)]

    def cpu_ratio_of(self, measures: list[Measure]) -> float:
        """Return the median over rounds of bare CPU per request over ``measures``' CPU."""
        return float(
            statistics.median(
                b.cpu_us / m.cpu_us for m, b in zip(measures, self.bare, strict=True) if m.cpu_us
            )
        )

    @property
    def ratios(self) -> list[float]:
        """Return mock req/s over bare req/s for each round (the two ran back to back)."""
        return self.ratios_of(self.mock)

    @property
    def ratio(self) -> float:
        """Return the median over rounds of mock req/s over bare req/s."""
        return statistics.median(self.ratios)

    @property
    def cpu_ratio(self) -> float:
        """Return the median over rounds of bare CPU per request over mock CPU per request.

        A single worker's capacity is the inverse of its CPU time per request,
        and CPU time is far less disturbed by other load on a shared machine
        than wall-clock throughput.
        """
        return self.cpu_ratio_of(self.mock)

    @property
    def errors(self) -> int:
        """Return the errors seen in every round."""
        return sum(m.errors for m in self.mock + self.bare + self.baseline)


def compare(
    *,
    rounds: int,
    seconds: int,
    connections: int,
    tool: str = "auto",
    warmup: int = 2,
    baseline: str | None = None,
) -> Comparison:
    """Serve the apps, warm each up, then measure ``rounds`` rounds in alternating order.

    ``baseline`` is a directory put first on ``PYTHONPATH`` of a third server:
    a tree whose ``rivya_contract`` package stands in for the installed one.
    """
    chosen = pick_tool(tool)
    measure = measure_wrk if chosen == "wrk" else measure_python
    commands = {
        "mock": ServerProcess(mock_command(*MOCK_FLAGS)),
        "bare": ServerProcess(bare_command()),
    }
    if baseline is not None:
        commands["baseline"] = ServerProcess(
            mock_command(*MOCK_FLAGS), env={"PYTHONPATH": baseline}
        )
    with ExitStack() as stack:
        servers = {name: stack.enter_context(server) for name, server in commands.items()}
        for name, server in servers.items():
            measure(name, server, warmup, connections)
        results: dict[str, list[Measure]] = {name: [] for name in servers}
        for index in range(rounds):
            order = list(servers) if index % 2 else list(reversed(servers))
            for name in order:
                results[name].append(measure(name, servers[name], seconds, connections))
    return Comparison(chosen, results["mock"], results["bare"], results.get("baseline", []))


def rows(result: Comparison) -> list[Row]:
    """Return the table rows of a comparison."""
    tool = result.tool
    out = []
    for target in ("mock", "bare", "baseline")[: 3 if result.baseline else 2]:
        out.append(
            Row(
                "http",
                f"{target} req/s ({tool}); p50 / p99 ms; server CPU us/req",
                f"{result.median(target, 'rps'):,.0f}; "
                f"{result.median(target, 'p50_ms'):.2f} / {result.median(target, 'p99_ms'):.2f}; "
                f"{result.median(target, 'cpu_us'):.0f}",
            )
        )
    spread = f"{min(result.ratios):.2f}..{max(result.ratios):.2f}"
    out.append(
        Row(
            "http",
            f"mock / bare req/s, median of {len(result.ratios)} rounds (range)",
            f"{result.ratio:.2f} ({spread})",
            f">= {GOAL}",
            result.ratio >= GOAL,
        )
    )
    out.append(
        Row(
            "http",
            "bare / mock server CPU per request, median of rounds",
            f"{result.cpu_ratio:.2f}",
            f">= {GOAL}",
            result.cpu_ratio >= GOAL,
        )
    )
    out.append(Row("http", "error responses", str(result.errors), "0", result.errors == 0))
    return out


def run(quick: bool = True) -> list[Row]:
    """Run the benchmark (quick: 4 rounds of 4 s; full: 8 rounds of 10 s); return its rows."""
    if quick:
        return rows(compare(rounds=4, seconds=4, connections=8))
    return rows(compare(rounds=8, seconds=10, connections=8))


def main(argv: Sequence[str] | None = None) -> None:
    """Run from the command line and print each round and the summary."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--tool", choices=("auto", "wrk", "python"), default="auto")
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
    )
    for index, (mock, bare) in enumerate(zip(result.mock, result.bare, strict=True)):
        print(
            f"round {index + 1}: mock {mock.rps:,.0f} req/s "
            f"(p50 {mock.p50_ms:.2f} ms, p99 {mock.p99_ms:.2f} ms, {mock.cpu_us:.0f} us CPU/req, "
            f"errors {mock.errors}); bare {bare.rps:,.0f} req/s (p50 {bare.p50_ms:.2f} ms, "
            f"p99 {bare.p99_ms:.2f} ms, {bare.cpu_us:.0f} us CPU/req, errors {bare.errors}); "
            f"ratio {mock.rps / bare.rps:.2f}"
        )
    if result.baseline:
        ratios = result.ratios_of(result.baseline)
        print(
            "baseline: per round req/s "
            + ", ".join(f"{m.rps:,.0f}" for m in result.baseline)
            + "; CPU us/req "
            + ", ".join(f"{m.cpu_us:.0f}" for m in result.baseline)
            + f"; baseline / bare req/s median {statistics.median(ratios):.2f} "
            f"({min(ratios):.2f}..{max(ratios):.2f}); bare / baseline CPU per request "
            f"{result.cpu_ratio_of(result.baseline):.2f}"
        )
    from bench.table import render

    print(render(rows(result)))


if __name__ == "__main__":
    main()
