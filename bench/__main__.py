"""``python -m bench`` (``make bench``): the quick version of every benchmark, one table.

Exits non-zero when a benchmark fails to run or misses its goal.
"""

from __future__ import annotations

import importlib
import platform
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

from bench import http_throughput, inprocess_cycle, soak
from bench.table import Row, render

STRATEGIES = "bench.bench_strategies"


def machine() -> str:
    """Return one line naming the machine: cores, CPU model, Python."""
    model = "unknown CPU"
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
        for line in lscpu.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    cores = subprocess.run(["nproc"], capture_output=True, text=True, timeout=10).stdout.strip()
    return f"{cores} cores ({model}), Python {platform.python_version()}"


def _as_row(item: Any) -> Row:
    if isinstance(item, Row):
        return item
    if isinstance(item, dict):
        return Row(**{k: item[k] for k in ("bench", "metric", "value", "goal", "ok") if k in item})
    return Row("strategies", "result", str(item))


def strategies(quick: bool) -> list[Row]:
    """Run ``bench/bench_strategies.py`` when it exists; else a row saying it is missing."""
    try:
        module = importlib.import_module(STRATEGIES)
    except ModuleNotFoundError as error:
        if error.name != STRATEGIES:
            raise
        return [Row("strategies", "bench/bench_strategies.py", "not present: not measured")]
    run = getattr(module, "run", None)
    if run is None:
        return [Row("strategies", "bench/bench_strategies.py", "has no run(): not measured")]
    return [_as_row(item) for item in run(quick=quick)]


BENCHMARKS: list[tuple[str, Callable[[bool], list[Row]]]] = [
    ("http", http_throughput.run),
    ("in-process cycle", inprocess_cycle.run),
    ("strategies", strategies),
    ("soak", soak.run),
]


def main() -> int:
    """Run every quick benchmark; print the table; return 1 if any failed or missed its goal."""
    started = time.monotonic()
    rows: list[Row] = []
    failed = False
    for name, run in BENCHMARKS:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        try:
            rows.extend(run(True))
        except Exception as error:  # one broken benchmark must not hide the others
            traceback.print_exc()
            rows.append(Row(name, "run", f"FAILED: {type(error).__name__}: {error}", ok=False))
            failed = True
    print()
    print(f"machine: {machine()}")
    print(f"command: {sys.executable} -m bench   ({time.monotonic() - started:.0f} s)")
    print()
    print(render(rows))
    missed = [row for row in rows if row.ok is False]
    return 1 if failed or missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
