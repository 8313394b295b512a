"""Examples per second: ``generation_requests`` against ``hypothesis_jsonschema.from_schema``.

Both draw create bodies for the same model from the same schema, the model
card's ``request_schema``. ``from_schema`` cannot follow the schema's
``urn:rivya:schema:`` references, so it gets the same schema with each
``$ref`` replaced by the document it names (the meaning is unchanged). Each
side runs as a Hypothesis test with only the generate phase, no database and
a body that just counts, so the figure is Hypothesis's own cost of drawing an
example. Goal: ours at least twice as fast.

    python -m bench.bench_strategies [--examples N] [--rounds R]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from bench.table import Row, render
from rivya_contract.plugin.strategies import generation_requests
from rivya_contract.schemas import contract

GOAL = 2.0
"""How many times faster ours must be."""


def inlined(schema: Any) -> Any:
    """Return ``schema`` with every ``$ref`` into the contract replaced by its document."""
    if isinstance(schema, list):
        return [inlined(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: inlined(value) for key, value in schema.items() if key != "$ref"}
    if "$ref" in schema:
        target = contract().registry.contents(schema["$ref"])
        body = {k: v for k, v in target.items() if k not in ("$id", "$schema")}
        out.setdefault("allOf", []).append(inlined(body))
    return out


def rate(strategy: st.SearchStrategy[Any], examples: int) -> float:
    """Return how many examples per second Hypothesis draws from ``strategy``."""
    drawn = 0

    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        derandomize=True,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def count(value: Any) -> None:
        nonlocal drawn
        drawn += 1

    started = time.perf_counter()
    count()
    return drawn / (time.perf_counter() - started)


def measure(model: str, examples: int, rounds: int) -> tuple[float, float]:
    """Return the median examples per second of (ours, from_schema) for ``model``."""
    card = contract().cards[model]
    ours = generation_requests(model)
    theirs = from_schema(inlined(card.request_schema))
    rate(ours, 50)  # warm both up: schema compilation, caches
    rate(theirs, 50)
    mine = [rate(ours, examples) for _ in range(rounds)]
    other = [rate(theirs, examples) for _ in range(rounds)]
    return statistics.median(mine), statistics.median(other)


def rows(results: dict[str, tuple[float, float]]) -> list[Row]:
    """Return one row per model: both rates and the ratio, held to the goal."""
    out = []
    for model, (mine, other) in results.items():
        ratio = mine / other
        out.append(Row("strategies", f"{model}: generation_requests ex/s", f"{mine:,.0f}"))
        out.append(Row("strategies", f"{model}: from_schema ex/s", f"{other:,.0f}"))
        out.append(
            Row("strategies", f"{model}: speed-up", f"{ratio:.1f}x", f">= {GOAL:g}x", ratio >= GOAL)
        )
    return out


def run(quick: bool = True) -> list[Row]:
    """Run the benchmark (quick: 300 examples, 3 rounds; full: 2,000 and 5); return its rows."""
    examples, rounds = (300, 3) if quick else (2_000, 5)
    return rows({model: measure(model, examples, rounds) for model in contract().cards})


def main(argv: Sequence[str] | None = None) -> None:
    """Run from the command line and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=2_000, help="examples per round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per side (median)")
    args = parser.parse_args(argv)
    results = {model: measure(model, args.examples, args.rounds) for model in contract().cards}
    print(render(rows(results)))


if __name__ == "__main__":
    main()
