"""Ids, key secrets and capability tokens: unguessable unless reproducible ids are asked for.

Every id the mock hands out (``task_``, ``file_``, ``acct_``, ``whend_``, ``evt_`` ...)
comes from the operating system's cryptographic source (``secrets``), so no answer
reveals another account's ids and a restarted mock never issues an old id again. A
config ``seed`` (``--seed``) makes ids reproducible instead: a ``random.Random`` of that
seed, predictable by anyone who sees a few ids, so never for a shared server. Key
secrets and the tokens in media urls always come from ``secrets``.
"""

from __future__ import annotations

import hmac
import random
import secrets
import threading

ID_BITS = 96
"""Random bits in an id: 24 hex digits after the prefix."""

TOKEN_BYTES = 16
"""Random bytes in a capability token (a media url's unguessable part): 32 hex digits."""


def new_secret(prefix: str) -> str:
    """Return a new secret such as ``rvya_sk_<24 hex digits>``, always from ``secrets``."""
    return f"{prefix}{secrets.token_hex(ID_BITS // 8)}"


def new_token() -> str:
    """Return a new capability token: ``TOKEN_BYTES`` random bytes as hex."""
    return secrets.token_hex(TOKEN_BYTES)


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
            return f"{prefix}_{secrets.token_hex(ID_BITS // 8)}"
        with self._lock:
            bits = self._rng.getrandbits(ID_BITS)
        return f"{prefix}_{bits:024x}"


def same_token(given: str, expected: str) -> bool:
    """Return whether ``given`` is ``expected``, in time independent of where they differ."""
    encoded = given.encode("utf-8", "surrogatepass")
    return hmac.compare_digest(encoded, expected.encode("utf-8", "surrogatepass"))
