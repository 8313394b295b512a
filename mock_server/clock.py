"""Clocks: the system clock, and a virtual clock that moves only when told."""

from __future__ import annotations

import contextvars
import math
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

AdvanceHook = Callable[[float], None]
"""Called by ``advance`` with the time it moves to. A ``VirtualClock`` calls it before the
jump, so the hook may move the clock through earlier moments with ``set`` (webhook retries
fall due there); a ``SystemClock`` calls it after."""

LATEST = 253402300799.0
"""The last second a timestamp can show (9999-12-31T23:59:59Z); no clock moves past it."""
_TOO_LATE = "the clock cannot move past 9999-12-31T23:59:59Z"


class Clock(Protocol):
    """A source of the current time in seconds since the epoch that never goes backwards."""

    on_advance: AdvanceHook | None
    """Called by ``advance`` with the time it moves to (see ``AdvanceHook``)."""
    virtual: bool
    """True for a time that moves only when advanced; the hook may then ``set`` it through
    the moments on the way."""

    def set(self, when: float) -> float:
        """Move a virtual time forward to ``when``; return the new time."""
        ...

    def now(self) -> float:
        """Return the current time."""
        ...

    def advance(self, seconds: float) -> float:
        """Move time forward by ``seconds`` (not negative); return the new time."""
        ...


class SystemClock:
    """The wall clock, held monotonic: if the system time steps back, time stands still.

    ``advance`` adds an offset, so a mock on real time can still skip ahead.
    """

    virtual = False

    def __init__(self) -> None:
        self._last = 0.0
        self._offset = 0.0
        self._lock = threading.Lock()
        self.on_advance: AdvanceHook | None = None

    def now(self) -> float:
        """Return the wall time plus the offset, never less than a time already returned."""
        current = time.time() + self._offset
        if current > self._last:
            self._last = current
        return self._last

    def advance(self, seconds: float) -> float:
        """Move time forward by ``seconds`` (not negative); return the new time."""
        if not 0 <= seconds < math.inf:
            raise ValueError("the clock only moves forward")
        if self.now() + seconds > LATEST:
            raise ValueError(_TOO_LATE)
        with self._lock:
            self._offset += seconds
            self._last += seconds
        if self.on_advance is not None:
            self.on_advance(self.now())
        return self.now()

    def set(self, when: float) -> float:
        """Wall time cannot be set; the time stays as it is."""
        return self.now()


class VirtualClock:
    """A clock that stands still until advanced; thread-safe."""

    virtual = True

    def __init__(self, start: float | None = None) -> None:
        self._now = time.time() if start is None else start
        self._lock = threading.Lock()
        self._advancing = threading.RLock()
        """Held by ``advance`` across its hook, so that advances add up, one at a time."""
        self.on_advance: AdvanceHook | None = None

    def now(self) -> float:
        """Return the virtual time."""
        return self._now

    def advance(self, seconds: float) -> float:
        """Move time forward by ``seconds`` (not negative); return the new time."""
        if not 0 <= seconds < math.inf:
            raise ValueError("the clock only moves forward")
        with self._advancing:
            with self._lock:
                target = self._now + seconds
                if target > LATEST:
                    raise ValueError(_TOO_LATE)
            if self.on_advance is not None:
                self.on_advance(target)
            with self._lock:
                self._now = max(self._now, target)
                return self._now

    def set(self, when: float) -> float:
        """Move time forward to ``when`` (seconds since the epoch); return the new time."""
        with self._lock:
            if when < self._now:
                raise ValueError("the clock only moves forward")
            if when > LATEST:
                raise ValueError(_TOO_LATE)
            self._now = when
            return self._now


PINNED: contextvars.ContextVar[float | None] = contextvars.ContextVar("pinned", default=None)
"""The time of the request being handled, when its clock costs a round trip to read: read
once with the request's head, then seen by every step of that request."""


def pin(now: float | None) -> contextvars.Token[float | None] | None:
    """Pin this request's time to ``now`` (None pins nothing); return the token to unpin."""
    return None if now is None else PINNED.set(now)


def unpin(token: contextvars.Token[float | None] | None) -> None:
    """End a pin made by ``pin``."""
    if token is not None:
        PINNED.reset(token)


def iso(when: float) -> str:
    """Format epoch seconds as ISO 8601 UTC with milliseconds: ``2026-05-11T00:00:00.000Z``."""
    # isoformat truncates to milliseconds as the format asks, and is faster than strftime.
    return datetime.fromtimestamp(when, tz=UTC).isoformat(timespec="milliseconds")[:-6] + "Z"
