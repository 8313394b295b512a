"""Clocks: the system clock, and a virtual clock that moves only when told."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """A source of the current time in seconds since the epoch that never goes backwards."""

    def now(self) -> float:
        """Return the current time."""
        ...


class SystemClock:
    """The wall clock, held monotonic: if the system time steps back, time stands still."""

    def __init__(self) -> None:
        self._last = 0.0

    def now(self) -> float:
        """Return the wall time, never less than a time already returned."""
        current = time.time()
        if current > self._last:
            self._last = current
        return self._last


class VirtualClock:
    """A clock that stands still until advanced; thread-safe."""

    def __init__(self, start: float | None = None) -> None:
        self._now = time.time() if start is None else start
        self._lock = threading.Lock()

    def now(self) -> float:
        """Return the virtual time."""
        return self._now

    def advance(self, seconds: float) -> float:
        """Move time forward by ``seconds`` (not negative); return the new time."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._now += seconds
            return self._now

    def set(self, when: float) -> float:
        """Move time forward to ``when`` (seconds since the epoch); return the new time."""
        with self._lock:
            if when < self._now:
                raise ValueError("the clock only moves forward")
            self._now = when
            return self._now


def iso(when: float) -> str:
    """Format epoch seconds as ISO 8601 UTC with milliseconds: ``2026-05-11T00:00:00.000Z``."""
    moment = datetime.fromtimestamp(when, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
