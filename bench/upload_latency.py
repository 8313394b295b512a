"""Another client's latency while big uploads stream in (issue 19's resource goal).

A mock on the production stack (``--max-file-bytes 100000000``) takes ``--uploads``
concurrent uploads of ``--mib`` MiB from a separate process, while this process sends
one ``GET /api/v1/credits`` every ``--every`` seconds on a kept-alive connection and
times each answer. The goal: that client's p95 under 20 ms while the uploads run.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence

import httpx

from bench.servers import DEMO_KEY, ServerProcess, mock_command
from bench.table import Row, render

GOAL_MS = 20.0
UPLOADER = """
import asyncio, sys, httpx
from rivya_contract.mock_server import media
url, key, count, mib = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
sample = media.sample("video/mp4")
data = sample + b"\\0" * (mib * 1024 * 1024 - len(sample))
async def main():
    async with httpx.AsyncClient(base_url=url, timeout=600,
                                 headers={"Authorization": f"Bearer {key}"}) as client:
        async def one():
            files = {"file": ("clip.mp4", data, "video/mp4")}
            answer = await client.post("/api/v1/files", data={"kind": "video"}, files=files)
            return answer.status_code
        print(sorted(await asyncio.gather(*(one() for _ in range(count)))), flush=True)
asyncio.run(main())
"""


def measure(uploads: int, mib: int, every: float) -> tuple[list[float], str]:
    """Return the other client's latencies (ms) during the uploads, and their statuses."""
    flags = ("--max-file-bytes", "100000000", "--body-timeout", "600", "--log-level", "warning")
    with ServerProcess(mock_command(*flags)) as server:
        headers = {"Authorization": f"Bearer {DEMO_KEY}"}
        with httpx.Client(base_url=server.base_url, headers=headers, timeout=30) as client:
            client.get("/api/v1/credits")
            args = [server.base_url, DEMO_KEY, str(uploads), str(mib)]
            uploader = subprocess.Popen(
                [sys.executable, "-c", UPLOADER, *args], stdout=subprocess.PIPE, text=True
            )
            latencies = []
            while uploader.poll() is None:
                started = time.perf_counter()
                client.get("/api/v1/credits").raise_for_status()
                latencies.append((time.perf_counter() - started) * 1000)
                time.sleep(every)  # the client's own pace between two requests
            assert uploader.stdout is not None
            return latencies, uploader.stdout.read().strip()


def rows(latencies: list[float], statuses: str) -> list[Row]:
    """Return the table rows: p50, p95 and max of the other client, and the upload statuses."""
    ordered = sorted(latencies)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    value = f"p50 {statistics.median(ordered):.1f} / p95 {p95:.1f} / max {ordered[-1]:.1f} ms"
    return [
        Row(
            "uploads",
            f"another client's GET /credits ({len(ordered)} requests)",
            value,
            f"p95 < {GOAL_MS:g} ms",
            p95 < GOAL_MS,
        ),
        Row("uploads", "upload statuses", statuses),
    ]


def main(argv: Sequence[str] | None = None) -> None:
    """Run from the command line and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--uploads", type=int, default=16)
    parser.add_argument("--mib", type=int, default=49)
    parser.add_argument("--every", type=float, default=0.01)
    args = parser.parse_args(argv)
    print(render(rows(*measure(args.uploads, args.mib, args.every))))


if __name__ == "__main__":
    main()
