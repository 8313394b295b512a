"""Counted rules: a script or fault applies to its next ``times`` matches, then goes."""

from __future__ import annotations


class Counted:
    """A rule that applies to a limited number of matches: ``times`` (None for no limit)."""

    @property
    def used(self) -> int:
        """How many matches it has applied to."""
        raise NotImplementedError

    @property
    def times(self) -> int | None:
        """How many matches it applies to; None for no limit."""
        raise NotImplementedError

    @property
    def remaining(self) -> int | None:
        """Return how many more matches it applies to; None for no limit."""
        times = self.times
        return None if times is None else times - self.used
