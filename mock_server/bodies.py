"""Request body readers: a bounded JSON buffer, a streaming multipart upload, and none."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from rivya_contract.mock_server.exchange import ApiError, Call
from rivya_contract.mock_server.multipart import MultipartReader, UploadError
from rivya_contract.schemas import Contract

if TYPE_CHECKING:
    from collections.abc import Mapping

    from rivya_contract.mock_server.config import MockConfig


class NoBody:
    """Discards a body the endpoint does not read."""

    def feed(self, chunk: bytes) -> None:
        """Drop the chunk."""

    def close(self, call: Call) -> None:
        """Nothing to finish."""


class JsonBody:
    """Buffers a JSON body up to ``limit`` bytes; past that it only counts."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._chunks: list[bytes] = []
        self._size = 0

    def feed(self, chunk: bytes) -> None:
        """Keep the chunk while the body is within the limit."""
        self._size += len(chunk)
        if self._size <= self.limit:
            self._chunks.append(chunk)
        else:
            self._chunks.clear()

    def close(self, call: Call) -> None:
        """Put the body into ``call``; a body over the limit is validation_failed."""
        if self._size > self.limit:
            raise ApiError("validation_failed", f"the request body exceeds {self.limit} bytes")
        call.body = b"".join(self._chunks)


def upload_limit(fields: Mapping[str, str], c: Contract) -> int:
    """Return the size limit of an upload from the form fields sent before the file."""
    card = c.cards.get(fields.get("model", ""))
    policy = card.upload_policy if card is not None and card.upload_policy else None
    policy = policy or c.default_upload_policy
    kind = policy.kinds.get(fields.get("kind", ""))
    return kind.max_bytes if kind is not None else policy.largest()


class UploadBody:
    """Streams a multipart upload through the reader, which enforces size limits as it reads."""

    def __init__(self, config: MockConfig, content_type: str, c: Contract) -> None:
        self._error: UploadError | None = None
        self._reader: MultipartReader | None = None
        try:
            limit = functools.partial(upload_limit, c=c)
            self._reader = MultipartReader(content_type, file_limit=limit)
        except UploadError as error:
            self._error = error

    def feed(self, chunk: bytes) -> None:
        """Pass the chunk to the reader; after a problem, drop the rest."""
        if self._error is not None or self._reader is None:
            return
        try:
            self._reader.feed(chunk)
        except UploadError as error:
            self._error = error

    def close(self, call: Call) -> None:
        """Put the parsed upload into ``call`` or raise validation_failed."""
        try:
            if self._error is not None:
                raise self._error
            assert self._reader is not None
            call.upload = self._reader.finish()
        except UploadError as error:
            raise ApiError("validation_failed", f"upload rejected: {error}") from None
