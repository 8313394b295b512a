"""One row of the benchmark table, and the table as text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    """One measured figure: which benchmark, what, its value, and the goal it is held to."""

    bench: str
    metric: str
    value: str
    goal: str = ""
    ok: bool | None = None
    """True or False when the row is held to a goal; None when it is only informative."""

    @property
    def verdict(self) -> str:
        """Return ``ok``, ``MISSED`` or an empty string for rows without a goal."""
        if self.ok is None:
            return ""
        return "ok" if self.ok else "MISSED"


def render(rows: Sequence[Row]) -> str:
    """Return the rows as a Markdown table."""
    header = ("benchmark", "metric", "value", "goal", "verdict")
    cells = [header, *((r.bench, r.metric, r.value, r.goal, r.verdict) for r in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(header))]

    def line(values: Sequence[str]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule, *(line(c) for c in cells[1:])])
