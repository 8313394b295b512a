"""How the multipart reader reports errors: raised once, stored, and the reader closed."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from multipart_support import CONTENT_TYPE, PNG_BYTES, body, chunks, file, no_limit, text

from rivya_contract.mock_server.multipart import MultipartReader, UploadError


def test_first_error_is_raised_once_then_stored() -> None:
    raw = body(text("kind", "a"), text("kind", "b"), file())
    reader = MultipartReader(CONTENT_TYPE, file_limit=no_limit)
    pieces = chunks(raw, 7)
    raised: list[UploadError] = []
    for piece in pieces:
        try:
            reader.feed(piece)
        except UploadError as exc:
            raised.append(exc)
    assert len(raised) == 1
    assert str(raised[0]) == "duplicate field 'kind'"
    assert reader.error is raised[0]
    reader.feed(b"anything at all, even garbage \xff\xff")  # drained without a word
    with pytest.raises(UploadError) as first:
        reader.finish()
    assert first.value is raised[0]
    with pytest.raises(UploadError) as second:
        reader.finish()
    assert second.value is raised[0]


def test_error_is_none_while_the_upload_is_acceptable() -> None:
    reader = MultipartReader(CONTENT_TYPE, file_limit=no_limit)
    reader.feed(body(file())[:20])
    assert reader.error is None


def test_finish_is_idempotent_and_ends_feeding() -> None:
    reader = MultipartReader(CONTENT_TYPE, file_limit=no_limit)
    reader.feed(body(file()))
    upload = reader.finish()
    assert reader.finish() is upload
    with pytest.raises(RuntimeError):
        reader.feed(b"more")


def test_truncation_is_stored_for_later_finish_calls() -> None:
    reader = MultipartReader(CONTENT_TYPE, file_limit=no_limit)
    reader.feed(body(file(), close=False))
    with pytest.raises(UploadError, match="truncated") as first:
        reader.finish()
    assert reader.error is first.value
    with pytest.raises(UploadError) as second:
        reader.finish()
    assert second.value is first.value


def test_empty_chunks_are_ignored() -> None:
    reader = MultipartReader(CONTENT_TYPE, file_limit=no_limit)
    reader.feed(b"")
    for piece in chunks(body(file()), 5):
        reader.feed(piece)
        reader.feed(b"")
    assert reader.finish().file.data == PNG_BYTES


def test_unexpected_file_limit_errors_propagate_and_disable_the_reader() -> None:
    def broken(_fields: Mapping[str, str]) -> int:
        raise KeyError("kind")

    reader = MultipartReader(CONTENT_TYPE, file_limit=broken)
    with pytest.raises(KeyError):
        reader.feed(body(file()))
    assert reader.error is None
    with pytest.raises(RuntimeError):
        reader.feed(b"x")
    with pytest.raises(RuntimeError):
        reader.finish()
