"""Examples per second: ``generation_requests`` against ``hypothesis_jsonschema.from_schema``.

Both draw create bodies for the same model from the same schema, the model
card's ``request_schema``. ``from_schema`` cannot follow the schema's
``urn:rivya:schema:`` references, so it gets the same schema with each
``$ref`` replaced by the document it names (the meaning is unchanged). Each
side runs as a Hypothesis test with only the generate phase, no database and
a body that just counts, so the figure is Hypothesis's own cost of drawing an
example. Goals: ours at least twice as fast for one model, ten times over the whole
catalog (``generation_requests()`` against a ``one_of`` of every card's schema).

    python -m bench.bench_strategies [--examples N] [--rounds R]

hypothesis-jsonschema 0.23.1 (the latest) drives Hypothesis internals that
Hypothesis 6.170.6 and later changed, so ``from_schema`` fails on any object
schema there; with such a Hypothesis the ``from_schema`` rows say so instead of
a figure. To compare, use a separate environment with Hypothesis 6.170.5::

    python3 -m venv /tmp/hjs
    /tmp/hjs/bin/pip install "hypothesis==6.170.5" "hypothesis-jsonschema==0.23.1"
    /tmp/hjs/bin/pip install -e .
    /tmp/hjs/bin/python -m bench.bench_strategies
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


INCOMPATIBLE = "'many' object has no attribute 'more'"
"""The error hypothesis-jsonschema 0.23.1 raises under Hypothesis 6.170.6 and later."""


ALL = "all models"
"""The name of the comparison over the whole catalog (one strategy each side)."""

ALL_GOAL = 10.0
"""How many times faster ours must be over the whole catalog."""


def measure(model: str, examples: int, rounds: int) -> tuple[float, float | None]:
    """Return the median examples per second of (ours, from_schema) for ``model`` or ``ALL``.

    The second is None when hypothesis-jsonschema cannot run with this Hypothesis.
    """
    if model == ALL:
        cards = list(contract().cards.values())
        ours = generation_requests()
        theirs = st.one_of([from_schema(inlined(card.request_schema)) for card in cards])
    else:
        ours = generation_requests(model)
        theirs = from_schema(inlined(contract().cards[model].request_schema))
    rate(ours, 50)  # warm both up: schema compilation, caches
    mine = statistics.median(rate(ours, examples) for _ in range(rounds))
    try:
        rate(theirs, 50)
    except AttributeError as error:
        if INCOMPATIBLE not in str(error):
            raise
        return mine, None
    return mine, statistics.median(rate(theirs, examples) for _ in range(rounds))


def rows(results: dict[str, tuple[float, float | None]]) -> list[Row]:
    """Return one row per model: both rates and the ratio, held to the goal."""
    out = []
    for model, (mine, other) in results.items():
        if other is None:
            out.append(Row("strategies", f"{model}: generation_requests ex/s", f"{mine:,.0f}"))
            out.append(
                Row(
                    "strategies",
                    f"{model}: from_schema ex/s",
                    "n/a: hypothesis-jsonschema needs Hypothesis <= 6.170.5",
                )
            )
            continue
        ratio = mine / other
        goal = ALL_GOAL if model == ALL else GOAL
        out.append(Row("strategies", f"{model}: generation_requests ex/s", f"{mine:,.0f}"))
        out.append(Row("strategies", f"{model}: from_schema ex/s", f"{other:,.0f}"))
        out.append(
            Row("strategies", f"{model}: speed-up", f"{ratio:.1f}x", f">= {goal:g}x", ratio >= goal)
        )
    return out


def run(quick: bool = True) -> list[Row]:
    """Run the benchmark (quick: 200 examples, 1 round; full: 500 and 3); return its rows."""
    examples, rounds = (200, 1) if quick else (500, 3)
    models = [ALL, "grok-imagine", "elevenlabs-dialogue-v3"] if quick else [ALL, *contract().cards]
    return rows({model: measure(model, examples, rounds) for model in models})


def main(argv: Sequence[str] | None = None) -> None:
    """Run from the command line and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=500, help="examples per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per side (median)")
    args = parser.parse_args(argv)
    models = [ALL, *contract().cards]
    results = {model: measure(model, args.examples, args.rounds) for model in models}
    print(render(rows(results)))


if __name__ == "__main__":
    main()
