"""Ids, key secrets and capability tokens: unguessable unless reproducible ids are asked for.

Every id the mock hands out (``task_``, ``file_``, ``acct_``, ``whend_``, ``evt_`` ...)
comes from the operating system's cryptographic source, so no answer reveals another
account's ids and a restarted mock never issues an old id again. Ids, request ids and
the tokens in media urls take its bytes 4 KiB at a time (``random_hex``): one system
call per few hundred ids instead of one per id; a forked process draws its own. A
config ``seed`` (``--seed``) makes ids reproducible instead: a ``random.Random`` of that
seed, predictable by anyone who sees a few ids, so never for a shared server. Key
secrets and the tokens in media urls are never reproducible.
"""

from __future__ import annotations

import hmac
import os
import random
import secrets
import threading

ID_BITS = 96
"""Random bits in an id: 24 hex digits after the prefix."""

TOKEN_BYTES = 16
"""Random bytes in a capability token (a media url's unguessable part): 32 hex digits."""


class _Pool:
    """Bytes of the operating system's cryptographic source, read ``SIZE`` at a time."""

    SIZE = 4096

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._bytes = b""
        self._at = 0

    def hex(self, count: int) -> str:
        """Return ``count`` bytes never handed out before, as hex."""
        with self._lock:
            at = self._at
            if at + count > len(self._bytes):
                self._bytes = os.urandom(max(self.SIZE, count))
                at = 0
            self._at = at + count
            return self._bytes[at : at + count].hex()

    def forget(self) -> None:
        """Drop the bytes read so far (a forked child must not hand out its parent's)."""
        self._lock = threading.Lock()
        self._bytes = b""
        self._at = 0


_POOL = _Pool()
os.register_at_fork(after_in_child=_POOL.forget)


def random_hex(count: int) -> str:
    """Return ``count`` bytes of the operating system's cryptographic source, as hex."""
    return _POOL.hex(count)


def new_secret(prefix: str) -> str:
    """Return a new secret such as ``rvya_sk_<24 hex digits>``, always from ``secrets``."""
    return f"{prefix}{secrets.token_hex(ID_BITS // 8)}"


def new_token() -> str:
    """Return a new capability token: ``TOKEN_BYTES`` random bytes as hex."""
    return random_hex(TOKEN_BYTES)


class IdSource:
    """Makes ids ``<prefix>_<24 hex digits>``: random, or reproducible for a given ``seed``."""

    def __init__(self, seed: int | None) -> None:
        self._seed = seed
        self._rng = random.Random(seed) if seed is not None else None
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Start the reproducible sequence again (random ids have no sequence)."""
        if self._rng is not None:
            with self._lock:
                self._rng.seed(self._seed)

    def new_id(self, prefix: str) -> str:
        """Return a new id such as ``task_3f2a...``."""
        if self._rng is None:
            return f"{prefix}_{random_hex(ID_BITS // 8)}"
        with self._lock:
            bits = self._rng.getrandbits(ID_BITS)
        return f"{prefix}_{bits:024x}"


def same_token(given: str, expected: str) -> bool:
    """Return whether ``given`` is ``expected``, in time independent of where they differ."""
    encoded = given.encode("utf-8", "surrogatepass")
    return hmac.compare_digest(encoded, expected.encode("utf-8", "surrogatepass"))
