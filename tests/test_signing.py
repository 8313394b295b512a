"""Webhook signing and verification, checked against the independent ``standardwebhooks`` library.

Every delivery our signer produces must verify with both ``standardwebhooks`` and our own
``verify_webhook``; every spoiled one (body, secret, signature, timestamp) must fail both.
``standardwebhooks`` reads the system clock, so those checks sign with the current time.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import standardwebhooks
from hypothesis import given, settings
from hypothesis import strategies as st

from rivya_contract.mock_server.signing import (
    DEFAULT_TOLERANCE,
    SECRET_BYTES,
    SKEW,
    Signer,
    StandardWebhooksSigner,
    corrupt_signatures,
    decode_secret,
    future_timestamp,
    new_signing_secret,
    secret_preview,
    stale_timestamp,
)
from rivya_contract.plugin.webhooks import WebhookVerificationError, verify_webhook

SIGNER: Signer = StandardWebhooksSigner()
FAST = settings(max_examples=100, database=None, deadline=None)

EVENT = {
    "id": "evt_01",
    "type": "generation.succeeded",
    "api_version": "2026-05-11",
    "created_at": "2026-05-11T12:00:00Z",
    "data": {"id": "task_01", "status": "succeeded", "prompt": "caf\u00e9 \u732b"},
}
BODY = json.dumps(EVENT, ensure_ascii=False).encode()

JSON_OBJECTS = st.dictionaries(
    st.text(max_size=10),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(st.text(max_size=5), children, max_size=3)
        ),
        max_leaves=10,
    ),
    max_size=5,
)
MSG_IDS = st.from_regex(r"evt_[A-Za-z0-9]{1,32}", fullmatch=True)


def theirs(headers: dict[str, str], body: bytes, secret: str) -> Any:
    """Verify with the independent ``standardwebhooks`` library."""
    return standardwebhooks.Webhook(secret).verify(body, headers)


def ours(headers: dict[str, str], body: bytes, secret: str) -> Any:
    """Verify with ``verify_webhook`` on the system clock, as ``standardwebhooks`` does."""
    return verify_webhook(headers, body, secret)


VERIFIERS = [pytest.param(theirs, id="standardwebhooks"), pytest.param(ours, id="verify_webhook")]
Verifier = Callable[[dict[str, str], bytes, str], Any]
REJECTIONS = (standardwebhooks.WebhookVerificationError, WebhookVerificationError)


def signed(body: bytes = BODY, *secrets: str, timestamp: int | None = None) -> dict[str, str]:
    """Return our signer's headers for ``body`` as event ``evt_01``, at ``timestamp`` or now."""
    stamp = int(time.time()) if timestamp is None else timestamp
    return SIGNER.headers("evt_01", stamp, body, list(secrets))


# Our signer against the Standard Webhooks reference.


def test_the_signer_reproduces_the_standard_webhooks_test_vector() -> None:
    headers = SIGNER.headers(
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        b'{"test": 2432232314}',
        ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
    )
    assert headers == {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    }


def test_the_signer_signs_with_the_timestamp_it_is_given() -> None:
    assert signed(BODY, new_signing_secret(), timestamp=42)["webhook-timestamp"] == "42"


@FAST
@given(event=JSON_OBJECTS, msg_id=MSG_IDS)
def test_every_signed_delivery_verifies_with_both_libraries(
    event: dict[str, Any], msg_id: str
) -> None:
    secret = new_signing_secret()
    body = json.dumps(event).encode()
    headers = SIGNER.headers(msg_id, int(time.time()), body, [secret])
    assert theirs(headers, body, secret) == event
    assert ours(headers, body, secret) == event


@FAST
@given(event=JSON_OBJECTS, msg_id=MSG_IDS, timestamp=st.integers(0, 10**10))
def test_their_signatures_verify_with_ours(
    event: dict[str, Any], msg_id: str, timestamp: int
) -> None:
    secret = new_signing_secret()
    body = json.dumps(event).encode()
    when = datetime.fromtimestamp(timestamp, tz=UTC)
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": standardwebhooks.Webhook(secret).sign(msg_id, when, body.decode()),
    }
    assert verify_webhook(headers, body, secret, now=timestamp) == event


# Spoiled deliveries fail both verifiers.

Delivery = tuple[dict[str, str], bytes, str]
"""The headers, body and secret a receiver verifies."""


def spoil_body(secret: str) -> Delivery:
    return signed(BODY, secret), BODY.replace(b"succeeded", b"failed"), secret


def spoil_secret(secret: str) -> Delivery:
    return signed(BODY, secret), BODY, new_signing_secret()


def spoil_signature(secret: str) -> Delivery:
    return corrupt_signatures(signed(BODY, secret)), BODY, secret


def spoil_stale(secret: str) -> Delivery:
    return signed(BODY, secret, timestamp=stale_timestamp(time.time())), BODY, secret


def spoil_future(secret: str) -> Delivery:
    return signed(BODY, secret, timestamp=future_timestamp(time.time())), BODY, secret


def spoil_id(secret: str) -> Delivery:
    return {**signed(BODY, secret), "webhook-id": "evt_02"}, BODY, secret


def spoil_missing_signature(secret: str) -> Delivery:
    headers = signed(BODY, secret)
    del headers["webhook-signature"]
    return headers, BODY, secret


SPOILERS = [
    spoil_body,
    spoil_secret,
    spoil_signature,
    spoil_stale,
    spoil_future,
    spoil_id,
    spoil_missing_signature,
]


@pytest.mark.parametrize("verify", VERIFIERS)
@pytest.mark.parametrize(
    "spoil", SPOILERS, ids=[f.__name__.removeprefix("spoil_") for f in SPOILERS]
)
def test_a_spoiled_delivery_fails(verify: Verifier, spoil: Callable[[str], Delivery]) -> None:
    headers, body, secret = spoil(new_signing_secret())
    with pytest.raises(REJECTIONS):
        verify(headers, body, secret)


@pytest.mark.parametrize("verify", VERIFIERS)
def test_the_unspoiled_delivery_passes(verify: Verifier) -> None:
    secret = new_signing_secret()
    assert verify(signed(BODY, secret), BODY, secret) == EVENT


def test_the_errors_name_what_failed() -> None:
    secret = new_signing_secret()
    now = time.time()
    cases = [
        (spoil_body(secret), "no signature matches"),
        (spoil_secret(secret), "no signature matches"),
        (spoil_signature(secret), "no signature matches"),
        (spoil_stale(secret), " s old, outside the 300 s tolerance"),
        (spoil_future(secret), " s in the future, outside the 300 s tolerance"),
        (spoil_missing_signature(secret), "missing header: webhook-signature"),
    ]
    for (headers, body, key), message in cases:
        with pytest.raises(WebhookVerificationError, match=re.escape(message)):
            verify_webhook(headers, body, key, now=int(now))


def test_the_tolerance_holds_at_its_bounds() -> None:
    secret = new_signing_secret()
    headers = signed(BODY, secret, timestamp=1_000_000)
    for now in (1_000_000 - DEFAULT_TOLERANCE, 1_000_000, 1_000_000 + DEFAULT_TOLERANCE):
        assert verify_webhook(headers, BODY, secret, now=now) == EVENT
    for now in (1_000_000 - DEFAULT_TOLERANCE - 1, 1_000_000 + DEFAULT_TOLERANCE + 1):
        with pytest.raises(WebhookVerificationError, match="tolerance"):
            verify_webhook(headers, BODY, secret, now=now)
    assert verify_webhook(headers, BODY, secret, now=1_003_600, tolerance=3600) == EVENT


# Secret rotation: two secrets, two signatures, either verifies.


@pytest.mark.parametrize("verify", VERIFIERS)
def test_two_secrets_give_two_signatures_and_either_verifies(verify: Verifier) -> None:
    new, old = new_signing_secret(), new_signing_secret()
    headers = signed(BODY, new, old)
    entries = headers["webhook-signature"].split(" ")
    assert len(entries) == 2
    assert all(entry.startswith("v1,") for entry in entries)
    assert (
        entries[0]
        == signed(BODY, new, timestamp=int(headers["webhook-timestamp"]))["webhook-signature"]
    )
    assert verify(headers, BODY, new) == EVENT
    assert verify(headers, BODY, old) == EVENT
    with pytest.raises(REJECTIONS):
        verify(headers, BODY, new_signing_secret())


@pytest.mark.parametrize("verify", VERIFIERS)
def test_corrupting_two_signatures_spoils_both(verify: Verifier) -> None:
    new, old = new_signing_secret(), new_signing_secret()
    headers = corrupt_signatures(signed(BODY, new, old))
    assert len(headers["webhook-signature"]) == len(signed(BODY, new, old)["webhook-signature"])
    for secret in (new, old):
        with pytest.raises(REJECTIONS):
            verify(headers, BODY, secret)


# verify_webhook's own reading of headers, signatures and bodies.


def test_header_names_are_case_insensitive() -> None:
    secret = new_signing_secret()
    headers = signed(BODY, secret)
    for spelled in (str.upper, str.title):
        renamed = {spelled(name): value for name, value in headers.items()}
        assert verify_webhook(renamed, BODY, secret) == EVENT


def test_other_versions_and_malformed_entries_are_skipped() -> None:
    secret = new_signing_secret()
    headers = signed(BODY, secret)
    good = headers["webhook-signature"]
    digest = good.removeprefix("v1,")
    for extra in (f"v1a,{digest}", "v1,not*base64", "v1,", "garbage", "v1,AAAA"):
        mixed = {**headers, "webhook-signature": f"{extra} {good}"}
        assert verify_webhook(mixed, BODY, secret) == EVENT
    with pytest.raises(WebhookVerificationError):
        verify_webhook({**headers, "webhook-signature": f"v2,{digest}"}, BODY, secret)


@pytest.mark.parametrize("stamp", ["", "-1", "1.5", "12e3", " 1", "1" * 13, "\u0661\u0662"])
def test_a_timestamp_that_is_not_whole_seconds_fails(stamp: str) -> None:
    secret = new_signing_secret()
    headers = {**signed(BODY, secret), "webhook-timestamp": stamp}
    with pytest.raises(WebhookVerificationError):
        verify_webhook(headers, BODY, secret)


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'"text"', b"\xff\xfe", b"[" * 100_000])
def test_a_signed_body_that_is_not_a_json_object_fails(body: bytes) -> None:
    secret = new_signing_secret()
    with pytest.raises(WebhookVerificationError, match="JSON"):
        verify_webhook(signed(body, secret), body, secret)


def test_a_malformed_secret_or_tolerance_is_the_callers_mistake() -> None:
    secret = new_signing_secret()
    headers = signed(BODY, secret)
    for bad in ("", "whsec_", "whsec_not base64!", "whsec_\u00e9\u00e9\u00e9\u00e9"):
        with pytest.raises(ValueError, match="secret"):
            verify_webhook(headers, BODY, bad)
        with pytest.raises(ValueError, match="secret"):
            SIGNER.headers("evt_01", 0, BODY, [bad])
    with pytest.raises(ValueError, match="tolerance"):
        verify_webhook(headers, BODY, secret, tolerance=-1)
    with pytest.raises(ValueError, match="at least one"):
        SIGNER.headers("evt_01", 0, BODY, [])


HEADER_VALUES = st.one_of(st.text(max_size=60), st.sampled_from(["v1,", "v1,AAAA", "0", "v1,=="]))


@FAST
@given(
    headers=st.dictionaries(
        st.sampled_from(["webhook-id", "Webhook-Timestamp", "WEBHOOK-SIGNATURE", "x"]),
        HEADER_VALUES,
    ),
    body=st.binary(max_size=64),
    now=st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15),
)
def test_any_delivery_verifies_or_raises_the_verification_error(
    headers: dict[str, str], body: bytes, now: float
) -> None:
    with contextlib.suppress(WebhookVerificationError):
        verify_webhook(headers, body, new_signing_secret(), now=now)


# Secrets and their previews.


def test_a_new_secret_is_whsec_and_base64_of_random_bytes() -> None:
    made = {new_signing_secret() for _ in range(50)}
    assert len(made) == 50
    for secret in made:
        assert re.fullmatch(r"whsec_[A-Za-z0-9+/]{32}", secret)
        assert len(decode_secret(secret)) == SECRET_BYTES
    assert 24 <= SECRET_BYTES <= 32


def test_a_secret_decodes_with_or_without_its_prefix_and_padding() -> None:
    key = bytes(range(25))
    encoded = base64.b64encode(key).decode()
    assert encoded.endswith("=")
    for text in (f"whsec_{encoded}", encoded, f"whsec_{encoded.rstrip('=')}"):
        assert decode_secret(text) == key


@FAST
@given(text=st.text(max_size=50))
def test_decoding_any_text_gives_a_key_or_a_value_error(text: str) -> None:
    with contextlib.suppress(ValueError):
        assert decode_secret(text)


def test_the_preview_has_the_documented_shape() -> None:
    assert secret_preview("whsec_12" + "x" * 24 + "abc123") == "whsec_12...abc123"
    secret = new_signing_secret()
    preview = secret_preview(secret)
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/]{2}\.\.\.[A-Za-z0-9+/]{6}", preview)
    assert preview == f"{secret[:8]}...{secret[-6:]}"
    with pytest.raises(ValueError, match="too short"):
        secret_preview("whsec_short")


def test_the_mis_signing_timestamps_miss_the_tolerance_by_an_hour() -> None:
    assert stale_timestamp(1_000_000.7) == 1_000_000 - SKEW
    assert future_timestamp(1_000_000.7) == 1_000_000 + SKEW
    assert future_timestamp(0, by=10) == 10
    assert SKEW > DEFAULT_TOLERANCE
