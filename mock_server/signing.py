"""Signing webhook deliveries: the Standard Webhooks scheme, signing secrets and their previews.

The API documents a ``whsec_`` signing secret and leaves the signature scheme unspecified;
the mock signs with the common convention, Standard Webhooks. A delivery carries

- ``webhook-id``: the event's id, the same on every retry of one event;
- ``webhook-timestamp``: when this attempt was signed, in whole unix seconds;
- ``webhook-signature``: ``v1,<base64 HMAC-SHA256 of "id.timestamp.body">``, one per secret,
  separated by spaces; the HMAC key is the base64-decoded part of the secret after ``whsec_``.

After a secret rotation the caller passes both the new and the old secret for the overlap
it is configured with, and a receiver holding either one verifies the delivery.

``Signer`` is the one pluggable piece: anything with its ``headers`` method can replace
``StandardWebhooksSigner``. The signer signs with the timestamp it is given, so a stale or
future timestamp is a matter of what the caller passes (``stale_timestamp``,
``future_timestamp``); ``corrupt_signatures`` turns signed headers into well-formed ones
that verify with no secret. Scenario control uses these to mis-sign a delivery.

>>> secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
>>> signed = StandardWebhooksSigner().headers("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
...                                           b'{"test": 2432232314}', [secret])
>>> signed["webhook-signature"]
'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE='
>>> secret_preview(secret)
'whsec_Mf...LaLaSw'
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from secrets import token_bytes
from typing import Protocol

__all__ = [
    "DEFAULT_TOLERANCE",
    "SECRET_BYTES",
    "SECRET_PREFIX",
    "SKEW",
    "Signer",
    "StandardWebhooksSigner",
    "corrupt_signatures",
    "decode_secret",
    "future_timestamp",
    "new_signing_secret",
    "secret_preview",
    "signature",
    "stale_timestamp",
]

SECRET_PREFIX = "whsec_"
"""What every signing secret starts with."""

SECRET_BYTES = 24
"""Random bytes in a new secret: 192 bits, 32 base64 characters with no padding."""

DEFAULT_TOLERANCE = 300
"""Seconds a Standard Webhooks receiver accepts between a timestamp and its own clock."""

SKEW = 3600
"""Seconds by which a stale or future timestamp misses: far outside any usual tolerance."""

_PREVIEW_HEAD = 8
_PREVIEW_TAIL = 6


class Signer(Protocol):
    """Signs one delivery attempt: the headers to send with its body."""

    def headers(
        self, msg_id: str, timestamp: int, body: bytes, secrets: Sequence[str]
    ) -> dict[str, str]:
        """Return the headers that sign ``body`` as ``msg_id`` at ``timestamp`` with ``secrets``.

        ``timestamp`` is in unix seconds and used as given; ``secrets`` holds every secret
        that signs, the newest first (two during a rotation's overlap).
        """
        ...


class StandardWebhooksSigner:
    """The default ``Signer``: Standard Webhooks v1 (HMAC-SHA256) headers, in lower case."""

    def headers(
        self, msg_id: str, timestamp: int, body: bytes, secrets: Sequence[str]
    ) -> dict[str, str]:
        """Return ``webhook-id``, ``webhook-timestamp`` and one ``v1`` signature per secret.

        Raises ``ValueError`` when ``secrets`` is empty or a secret is not ``whsec_`` base64.
        """
        if not secrets:
            raise ValueError("a delivery needs at least one signing secret")
        stamp = str(timestamp)
        signatures = " ".join(
            "v1," + base64.b64encode(signature(decode_secret(secret), msg_id, stamp, body)).decode()
            for secret in secrets
        )
        return {"webhook-id": msg_id, "webhook-timestamp": stamp, "webhook-signature": signatures}


def signature(key: bytes, msg_id: str, timestamp: str, body: bytes) -> bytes:
    """Return the HMAC-SHA256 of ``msg_id.timestamp.body`` under ``key``: one raw signature."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return hmac.new(key, signed, hashlib.sha256).digest()


def decode_secret(secret: str) -> bytes:
    """Return the HMAC key of ``secret``: the base64 after ``whsec_`` (the prefix is optional).

    Missing ``=`` padding is tolerated, as Standard Webhooks libraries do. Raises
    ``ValueError`` for anything else that is not base64, or for an empty key.
    """
    text = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except ValueError:  # binascii.Error, or a non-ASCII string
        raise ValueError("a signing secret is whsec_ followed by base64") from None
    if not key:
        raise ValueError("a signing secret must not be empty")
    return key


def new_signing_secret() -> str:
    """Return a new random secret: ``whsec_`` and the base64 of ``SECRET_BYTES`` bytes."""
    return SECRET_PREFIX + base64.b64encode(token_bytes(SECRET_BYTES)).decode()


def secret_preview(secret: str) -> str:
    """Return the documented preview of ``secret``: its first 8 characters, ``...``, its last 6.

    Raises ``ValueError`` for a secret so short that the preview would show most of it.
    """
    if len(secret) < 2 * (_PREVIEW_HEAD + _PREVIEW_TAIL):
        raise ValueError("the secret is too short to preview")
    return f"{secret[:_PREVIEW_HEAD]}...{secret[-_PREVIEW_TAIL:]}"


def corrupt_signatures(headers: Mapping[str, str]) -> dict[str, str]:
    """Return a copy of Standard Webhooks ``headers`` whose every signature is wrong.

    Each ``v1,<base64>`` entry keeps its shape and length, with the bits of its first byte
    flipped, so a receiver sees a plausible signature that no secret produces for the body.
    """
    corrupted = dict(headers)
    entries = corrupted["webhook-signature"].split(" ")
    corrupted["webhook-signature"] = " ".join(_corrupt(entry) for entry in entries)
    return corrupted


def _corrupt(entry: str) -> str:
    """Return the signature entry ``version,base64`` with its first signature byte inverted."""
    version, _, encoded = entry.partition(",")
    raw = bytearray(base64.b64decode(encoded))
    raw[0] ^= 0xFF
    return f"{version},{base64.b64encode(bytes(raw)).decode()}"


def stale_timestamp(now: float, *, by: int = SKEW) -> int:
    """Return a timestamp ``by`` seconds before ``now``, too old for a receiver to accept."""
    return int(now) - by


def future_timestamp(now: float, *, by: int = SKEW) -> int:
    """Return a timestamp ``by`` seconds after ``now``, too far ahead for a receiver to accept."""
    return int(now) + by
