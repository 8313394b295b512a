"""Verify a webhook delivery in your own receiver, the way the mock signs it.

The mock signs deliveries with Standard Webhooks (``webhook-id``, ``webhook-timestamp``,
``webhook-signature: v1,<base64 HMAC-SHA256>``, the key being the base64 after ``whsec_``).
``verify_webhook`` checks one delivery against the endpoint's signing secret and returns
the event; a receiver answers ``2xx`` only when it returns and ``4xx`` when it raises
``WebhookVerificationError``.

>>> from rivya_contract.mock_server.signing import StandardWebhooksSigner, new_signing_secret
>>> secret = new_signing_secret()
>>> body = b'{"id": "evt_1", "type": "generation.succeeded", "api_version": "2026-05-11"}'
>>> headers = StandardWebhooksSigner().headers("evt_1", 1767225600, body, [secret])
>>> verify_webhook(headers, body, secret, now=1767225660)["type"]
'generation.succeeded'
>>> verify_webhook(headers, body + b" ", secret, now=1767225660)
Traceback (most recent call last):
    ...
rivya_contract.plugin.webhooks.WebhookVerificationError: no signature matches the secret
"""

from __future__ import annotations

import base64
import hmac
import json
import re
import time
from collections.abc import Mapping
from typing import Any

from rivya_contract.mock_server.signing import DEFAULT_TOLERANCE, decode_secret, signature

__all__ = ["WebhookVerificationError", "verify_webhook"]

_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


class WebhookVerificationError(Exception):
    """A delivery that does not verify; the message names what failed.

    A header is missing, no signature matches, the timestamp is outside the tolerance, or
    the body is not a JSON object.
    """


def verify_webhook(
    headers: Mapping[str, str],
    body: bytes,
    secret: str,
    *,
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> dict[str, Any]:
    """Return the event of a Standard Webhooks delivery signed with ``secret``.

    ``headers`` are the delivery's headers, names in any case; ``body`` its exact bytes, as
    received. The delivery verifies when one of the space-separated ``v1`` signatures in
    ``webhook-signature`` is the HMAC-SHA256 of ``id.timestamp.body`` under ``secret``
    (compared in constant time; entries of other versions are skipped), and
    ``webhook-timestamp`` is within ``tolerance`` seconds of ``now`` (default: the system
    clock), in either direction.

    Raises ``WebhookVerificationError`` naming what failed, and ``ValueError`` when
    ``secret`` is not a ``whsec_`` secret or ``tolerance`` is negative: those are mistakes
    of the receiver, not of the delivery.
    """
    key = decode_secret(secret)
    if tolerance < 0:
        raise ValueError("tolerance must not be negative")
    lowered = {name.lower(): value for name, value in headers.items()}
    missing = [name for name in _HEADERS if not lowered.get(name)]
    if missing:
        raise WebhookVerificationError(f"missing header: {', '.join(missing)}")
    msg_id, stamp, signatures = (lowered[name] for name in _HEADERS)
    if _TIMESTAMP.fullmatch(stamp) is None:
        raise WebhookVerificationError("webhook-timestamp is not a unix time in whole seconds")
    expected = signature(key, msg_id, stamp, body)
    if not any(_matches(entry, expected) for entry in signatures.split()):
        raise WebhookVerificationError("no signature matches the secret")
    age = (time.time() if now is None else now) - int(stamp)
    if age > tolerance:
        raise WebhookVerificationError(
            f"webhook-timestamp is {int(age)} s old, outside the {tolerance} s tolerance"
        )
    if -age > tolerance:
        raise WebhookVerificationError(
            f"webhook-timestamp is {int(-age)} s in the future, outside the {tolerance} s tolerance"
        )
    return _event(body)


def _matches(entry: str, expected: bytes) -> bool:
    """Tell whether the signature entry ``v1,<base64>`` is ``expected``."""
    version, _, encoded = entry.partition(",")
    if version != "v1":
        return False
    try:
        given = base64.b64decode(encoded, validate=True)
    except ValueError:  # binascii.Error, or a non-ASCII string
        return False
    return hmac.compare_digest(given, expected)


def _event(body: bytes) -> dict[str, Any]:
    """Return the JSON object ``body`` holds, or raise ``WebhookVerificationError``."""
    try:
        event = json.loads(body)
    except (ValueError, RecursionError):
        raise WebhookVerificationError("the body is not JSON") from None
    if not isinstance(event, dict):
        raise WebhookVerificationError("the body is not a JSON object")
    return event
