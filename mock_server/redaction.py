"""What the journal shows of a request: every API key and the admin token redacted by value.

A key can arrive anywhere: the Authorization header, a custom header
(``X-Auth-Token``), the query (``?api_key=``), the path, a body, percent-encoded.
``Redactor`` replaces, wherever they appear, anything shaped like an API key
(``rvya_sk_...``), every key the store knows (whatever characters its secret holds)
and the admin token.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from urllib.parse import unquote

SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})
"""Headers whose values the journal never shows."""

REDACTED = "[redacted]"

KEY_PREFIX = "rvya_sk_"

KEY_PATTERN = re.compile(r"rvya_sk_[!-~]+?(?=[\s\"',;&]|$)")
"""An API key written out; shown as ``rvya_sk_[redacted]``. A known key whose secret holds
one of the delimiters is redacted whole by value first."""

_PLAIN_KEY = re.compile(r"rvya_sk_[^\s\"',;&]+")


def _spellings(value: str) -> set[str]:
    """Return ``value`` as written out, inside a JSON string and inside a Python repr."""
    return {value, json.dumps(value)[1:-1], repr(value)[1:-1]}


class Redactor:
    """Redacts ``secrets`` (the admin token) and every key ``known_keys()`` returns."""

    def __init__(
        self, secrets: Sequence[str] = (), known_keys: Callable[[], Iterable[str]] = tuple
    ) -> None:
        self.secrets = tuple(secret for secret in secrets if secret)
        self._known_keys = known_keys

    def values(self) -> list[str]:
        """Return the values to replace whole: the secrets, and keys the pattern cuts short."""
        unusual = [key for key in self._known_keys() if not _PLAIN_KEY.fullmatch(key)]
        # each also as a JSON string and a Python repr spell it (an error message quoting it)
        spelled = {form for value in (*self.secrets, *unusual) for form in _spellings(value)}
        return sorted(spelled, key=len, reverse=True)

    def text(self, text: str, values: Sequence[str] | None = None) -> str:
        """Return ``text`` with every key and secret in it redacted."""
        for value in self.values() if values is None else values:
            if value in text:
                text = text.replace(
                    value, KEY_PREFIX + REDACTED if value.startswith(KEY_PREFIX) else REDACTED
                )
        if KEY_PREFIX in text:
            text = KEY_PATTERN.sub(KEY_PREFIX + REDACTED, text)
        return text

    def url_part(self, text: str, values: Sequence[str] | None = None) -> str:
        """Return a path or query fit to show: decoded where the encoding hid a key."""
        shown = self.text(text, values)
        if "%" in text:
            decoded = unquote(text)
            redacted = self.text(decoded, values)
            if redacted != decoded:
                return redacted
        return shown

    def header(self, name: str, value: str, values: Sequence[str] | None = None) -> str:
        """Return a header value fit to show.

        A credential header is redacted whole (an ``Authorization`` value keeps its
        scheme: ``Bearer [redacted]``); any other value holding a key or a secret is
        redacted whole too.
        """
        if name in SECRET_HEADERS:
            scheme, space, _ = value.strip().partition(" ")
            return f"{scheme} {REDACTED}" if space and scheme.isalpha() else REDACTED
        if self.url_part(value, values) != value:
            return REDACTED
        return value


def redact(name: str, value: str, secrets: Sequence[str] = ()) -> str:
    """Return a header value fit to show (``Redactor.header`` without known keys)."""
    return Redactor(secrets).header(name, value)


def redact_text(text: str, secrets: Sequence[str] = ()) -> str:
    """Return a body fit to show: API keys and ``secrets`` (the admin token) redacted."""
    return Redactor(secrets).text(text)
