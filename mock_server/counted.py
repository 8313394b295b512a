"""Counted rules: a script or fault applies to its next ``times`` matches, then goes."""

from __future__ import annotations


def check_times(times: int | None) -> int | None:
    """Return ``times`` if it is a whole number >= 1 or None; raise ValueError otherwise."""
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
        raise ValueError("times must be a whole number >= 1, or None for no limit")
    return times


class Counted:
    """A rule that applies to a limited number of matches: ``times`` (None for no limit)."""

    times: int | None
    used: int

    @property
    def remaining(self) -> int | None:
        """Return how many more matches it applies to; None for no limit."""
        return None if self.times is None else self.times - self.used

    def use(self) -> bool:
        """Count one more match; return whether that used it up."""
        self.used += 1
        return self.remaining == 0
