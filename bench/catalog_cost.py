"""Per-request cost of ``GET /api/v1/models`` and a create, with the whole catalog against
two cards, in one process and one run: the ratio says whether any work per request grows
with the catalog.

    python -m bench.catalog_cost [--requests N] [--rounds R]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import time
from collections.abc import Sequence

from bench.table import Row, render
from rivya_contract.mock_server import Mock, MockConfig

GOAL = 1.25
"""The whole catalog may cost at most this many times two cards per request."""

TWO = ("grok-imagine", "grok-imagine-video")
BODY = json.dumps({"model": "grok-imagine", "prompt": "a fox", "params": {"aspect_ratio": "16:9"}})


def _mock(small: bool) -> Mock:
    mock = Mock(MockConfig(virtual_clock=True, credits=10**12, max_tasks=10**6))
    if small:
        backend = mock.backend
        cards = {card_id: backend.contract.cards[card_id] for card_id in TWO}
        backend.contract = dataclasses.replace(backend.contract, cards=cards)
    return mock


def per_request(mock: Mock, operation: str, requests: int) -> float:
    """Return the microseconds one request takes through the mock's pipeline."""
    headers = {"Authorization": f"Bearer {mock.config.api_key}"}
    started = time.perf_counter()
    for _ in range(requests):
        if operation == "models":
            reply = mock.api.handle("GET", "/api/v1/models")
        else:
            json_headers = {**headers, "Content-Type": "application/json"}
            reply = mock.api.handle(
                "POST", "/api/v1/generations", headers=json_headers, body=BODY.encode()
            )
        assert reply.status < 300, reply.body[:200]
    return (time.perf_counter() - started) / requests * 1e6


def measure(requests: int, rounds: int) -> dict[str, tuple[float, float]]:
    """Return, per operation, the median microseconds (whole catalog, two cards)."""
    out: dict[str, tuple[float, float]] = {}
    for operation in ("models", "create"):
        full, small = _mock(False), _mock(True)
        per_request(full, operation, 100)
        per_request(small, operation, 100)
        pairs = [
            (per_request(full, operation, requests), per_request(small, operation, requests))
            for _ in range(rounds)
        ]
        out[operation] = (
            statistics.median(p[0] for p in pairs),
            statistics.median(p[1] for p in pairs),
        )
    return out


def rows(results: dict[str, tuple[float, float]]) -> list[Row]:
    """Return the figures and the ratio of each operation, held to the goal."""
    out = []
    for operation, (full, small) in results.items():
        ratio = full / small
        out.append(
            Row(
                "catalog",
                f"{operation}: us/request, all cards; two cards",
                f"{full:,.0f}; {small:,.0f}",
            )
        )
        out.append(
            Row(
                "catalog",
                f"{operation}: all cards / two cards",
                f"{ratio:.2f}",
                f"<= {GOAL:g}",
                ratio <= GOAL,
            )
        )
    return out


def run(quick: bool = True) -> list[Row]:
    """Run the benchmark (quick: 2,000 requests, 3 rounds); return its rows."""
    return rows(measure(2000 if quick else 10000, 3 if quick else 7))


def main(argv: Sequence[str] | None = None) -> None:
    """Run from the command line and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    print(render(rows(measure(args.requests, args.rounds))))


if __name__ == "__main__":
    main()
