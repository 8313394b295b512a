"""Uploads the multipart reader accepts, whatever the chunks the body arrives in."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from multipart_support import (
    BOUNDARY,
    CHUNK_SIZES,
    CONTENT_TYPE,
    PNG_BYTES,
    body,
    file,
    httpx_body,
    no_limit,
    outcome,
    part,
    read,
    text,
)

from rivya_contract.mock_server.multipart import FilePart, MultipartReader


@pytest.mark.parametrize("chunk_size", CHUNK_SIZES)
def test_reads_an_httpx_upload(chunk_size: int | None) -> None:
    raw, content_type = httpx_body(
        {"kind": "image", "model": "grok-imagine", "client_request_id": "r-1"},
        {"file": ("photo.png", PNG_BYTES, "image/png")},
    )
    upload = read(raw, content_type, chunk_size)
    assert upload.fields == {"kind": "image", "model": "grok-imagine", "client_request_id": "r-1"}
    assert upload.file == FilePart("file", "photo.png", "image/png", PNG_BYTES)


def test_file_bytes_that_look_like_boundaries_survive() -> None:
    tricky = b"\r\n--b0undar\r\n--b0undary-\r\n--b0undaryX\r\n-\r\r\n\n--" * 50
    raw = body(text("kind", "image"), file(tricky))
    results = {chunk_size: read(raw, chunk_size=chunk_size) for chunk_size in (1, 2, 3, 7, 64)}
    assert all(upload.file.data == tricky for upload in results.values())


def test_large_file_in_many_chunk_sizes() -> None:
    data = bytes((i * 31 + i // 256) & 0xFF for i in range(200_000))
    raw, content_type = httpx_body({"kind": "video"}, {"file": ("clip.mp4", data, "video/mp4")})
    for chunk_size in (7, 4096, 65_536, None):
        assert read(raw, content_type, chunk_size).file.data == data


@settings(max_examples=60, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=12))
def test_any_split_of_the_body_gives_the_same_upload(cuts: list[int]) -> None:
    raw = body(text("kind", "image"), text("model", "m"), file(), text("after", "x"))
    points = sorted({min(c, len(raw)) for c in cuts} | {0, len(raw)})
    reader = MultipartReader(CONTENT_TYPE, file_limit=no_limit)
    for start, end in itertools.pairwise(points):
        reader.feed(raw[start:end])
    assert reader.finish() == read(raw)


def test_file_limit_sees_the_fields_sent_before_the_file() -> None:
    seen: list[dict[str, str]] = []

    def limit(fields: Mapping[str, str]) -> int:
        seen.append(dict(fields))
        return 5000

    raw = body(text("kind", "image"), text("model", "m1"), file(), text("client_request_id", "c"))
    upload = read(raw, chunk_size=7, file_limit=limit)
    assert seen == [{"kind": "image", "model": "m1"}]
    assert upload.fields == {"kind": "image", "model": "m1", "client_request_id": "c"}


@pytest.mark.parametrize("chunk_size", CHUNK_SIZES)
def test_file_at_the_limit_is_accepted_and_one_byte_more_is_not(chunk_size: int | None) -> None:
    data = b"x" * 100
    assert read(body(file(data)), chunk_size=chunk_size, file_limit=lambda _: 100).file.data == data
    too_big = body(file(data + b"y"))
    result = outcome(too_big, CONTENT_TYPE, chunk_size, lambda _: 100)
    assert result == "file exceeds 100 bytes"


def test_limits_at_their_edges_are_accepted() -> None:
    fields = [text(f"f{i}", "v" * 16) for i in range(15)]
    upload = read(body(*fields, file()), max_parts=16, max_field_bytes=16)
    assert len(upload.fields) == 15


def test_missing_file_content_type_defaults_to_octet_stream() -> None:
    upload = read(body(file(content_type=None)))
    assert upload.file.content_type == "application/octet-stream"


def test_file_content_type_is_normalised() -> None:
    upload = read(body(file(content_type="Image/PNG; charset=binary")))
    assert upload.file.content_type == "image/png"


def test_text_fields_are_utf8() -> None:
    upload = read(body(text("prompt", "ÿ café ☕"), text("empty", ""), file()))
    assert upload.fields == {"prompt": "ÿ café ☕", "empty": ""}


def test_custom_file_field() -> None:
    upload = read(body(file(name="upload")), file_field="upload")  # type: ignore[arg-type]
    assert upload.file.field == "upload"


def test_content_type_header_variants_are_accepted() -> None:
    raw = body(file())
    for header in (
        f"Multipart/Form-Data; boundary={BOUNDARY}",
        f'multipart/form-data; charset=utf-8; boundary="{BOUNDARY}"',
        f"multipart/form-data;boundary={BOUNDARY}",
    ):
        assert read(raw, header).file.data == PNG_BYTES


def test_boundary_with_all_allowed_characters() -> None:
    boundary = "'()+_,-./:=? aZ9"
    raw = part(['Content-Disposition: form-data; name="file"; filename="a"'], b"1", boundary)
    raw += f"--{boundary}--".encode()
    upload = read(raw, f'multipart/form-data; boundary="{boundary}"')
    assert upload.file.data == b"1"


def test_epilogue_and_leading_newlines_are_ignored() -> None:
    raw = b"\r\n" + body(file()) + b"epilogue that is not a part"
    assert read(raw).file.data == PNG_BYTES


def test_closing_boundary_without_trailing_newline() -> None:
    raw = file() + f"--{BOUNDARY}--".encode()
    assert read(raw).file.data == PNG_BYTES


def test_result_types_are_frozen() -> None:
    upload = read(body(file()))
    with pytest.raises(dataclasses.FrozenInstanceError):
        upload.file = upload.file  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        upload.file.data = b""  # type: ignore[misc]
