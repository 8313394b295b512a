"""``python -m bench`` (``make bench``): the quick version of every benchmark, one table.

Exits non-zero when a benchmark fails to run or misses its goal.
"""

from __future__ import annotations

import platform
import subprocess
import sys
import time
import traceback
from collections.abc import Callable

from bench import (
    bench_strategies,
    catalog_cost,
    http_throughput,
    inprocess_cycle,
    redis_scale,
    request_cost,
    soak,
)
from bench.table import Row, render


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


BENCHMARKS: list[tuple[str, Callable[[bool], list[Row]]]] = [
    ("http", http_throughput.run),
    ("redis scale", redis_scale.run),
    ("in-process cycle", inprocess_cycle.run),
    ("request cost", request_cost.run),
    ("strategies", bench_strategies.run),
    ("catalog", catalog_cost.run),
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
