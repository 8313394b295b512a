"""Exact decimal steps for number params: the ``x-step`` keyword.

A float ``multipleOf`` fails documented values (``0.7`` is not a float multiple
of ``0.05``), so cards give their step as a decimal string and values are
checked with decimal arithmetic from the param's minimum (or 0):
``x-step: "0.05"`` with minimum 0.7 accepts 0.7, 0.75 and 1.2 and refuses 0.71.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from jsonschema import Draft202012Validator, ValidationError, validators


def on_step(value: float, step: str, start: float = 0) -> bool:
    """Return whether ``value`` is ``start`` plus a whole number of ``step``, exactly."""
    try:
        offset = Decimal(repr(value)) - Decimal(repr(start))
        return offset % Decimal(step) == 0
    except InvalidOperation:
        return False


def _x_step(
    validator: Any, step: str, instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if isinstance(instance, bool) or not isinstance(instance, int | float):
        return
    if not on_step(instance, step, schema.get("minimum", 0)):
        yield ValidationError(f"{instance!r} is not a step of {step}")


StepValidator = validators.extend(  # type: ignore[no-untyped-call]
    Draft202012Validator, {"x-step": _x_step}
)
"""Draft 2020-12 with ``x-step`` checked exactly; what the cards' request schemas compile to."""
