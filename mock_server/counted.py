"""Counted rules: a script or fault applies to its next ``times`` matches, then goes."""

from __future__ import annotations

from rivya_contract.mock_server.rules import StoredRule


class Counted:
    """A rule that applies to a limited number of matches: ``times`` (None for no limit).

    Its uses are counted where it is kept (``rule``, from ``rules.py``), so a handle to it
    stays current whichever process counts them.
    """

    rule: StoredRule | None
    """Where its uses are counted; None for one not kept."""

    @property
    def used(self) -> int:
        """How many matches it has applied to, wherever they were counted."""
        return 0 if self.rule is None else self.rule.used

    @property
    def times(self) -> int | None:
        """How many matches it applies to; None for no limit."""
        raise NotImplementedError

    @property
    def remaining(self) -> int | None:
        """Return how many more matches it applies to; None for no limit."""
        times = self.times
        return None if times is None else times - self.used
