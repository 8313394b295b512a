"""API key authentication and scope checks."""

from __future__ import annotations

from rivya_contract.mock_server.exchange import ApiError
from rivya_contract.mock_server.records import ApiKey

MAX_KEY_LENGTH = 512
"""Longer bearer tokens are invalid without a lookup."""


def bearer_token(header: str | None) -> str | None:
    """Return the token of an ``Authorization: Bearer <token>`` header, or None.

    The scheme is matched without regard to case (RFC 9110); surrounding
    spaces are ignored. Any other scheme, or a missing token, gives None.
    """
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    token = token.strip()
    return token or None


def lookup_token(header: str | None) -> str | None:
    """Return the bearer token worth looking up: None when missing or too long to be a key."""
    token = bearer_token(header)
    return token if token is not None and len(token) <= MAX_KEY_LENGTH else None


def authenticate(header: str | None, key: ApiKey | None, now: float) -> ApiKey:
    """Return ``key``, the store's answer for the header's token, or raise the documented 401."""
    if key is None:  # a key found means the header held a bearer token
        if bearer_token(header) is None:
            raise ApiError(
                "api_key_missing", "Send your API key as Authorization: Bearer rvya_sk_..."
            )
        raise ApiError("api_key_invalid", "The API key is not valid.")
    if key.revoked:
        raise ApiError("api_key_revoked", "The API key has been revoked.")
    if key.expires_at is not None and now >= key.expires_at:
        raise ApiError("api_key_expired", "The API key has expired.")
    return key


def require_scope(key: ApiKey, scope: str) -> None:
    """Raise api_scope_denied unless the key carries ``scope``."""
    if scope not in key.scopes:
        raise ApiError("api_scope_denied", f"The API key lacks the {scope} scope.")
