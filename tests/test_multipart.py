from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Mapping

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rivya_contract.mock_server.multipart import (
    FilePart,
    MultipartReader,
    Upload,
    UploadError,
    sanitize_filename,
)

BOUNDARY = "b0undary"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"
CHUNK_SIZES = [1, 7, None]  # None: the whole body in one call
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def no_limit(_fields: Mapping[str, str]) -> int:
    return 10_000_000


def chunks(body: bytes, size: int | None) -> list[bytes]:
    if size is None:
        return [body]
    return [body[i : i + size] for i in range(0, len(body), size)]


def read(
    body: bytes,
    content_type: str = CONTENT_TYPE,
    chunk_size: int | None = None,
    file_limit: Callable[[Mapping[str, str]], int] = no_limit,
    **options: int,
) -> Upload:
    reader = MultipartReader(content_type, file_limit=file_limit, **options)  # type: ignore[arg-type]
    for chunk in chunks(body, chunk_size):
        reader.feed(chunk)
    return reader.finish()


def outcome(
    body: bytes,
    content_type: str = CONTENT_TYPE,
    chunk_size: int | None = None,
    file_limit: Callable[[Mapping[str, str]], int] = no_limit,
    **options: int,
) -> Upload | str:
    """Return the upload, or the message of the error, draining the body either way."""
    reader = MultipartReader(content_type, file_limit=file_limit, **options)  # type: ignore[arg-type]
    raised: list[str] = []
    for chunk in chunks(body, chunk_size):
        try:
            reader.feed(chunk)
        except UploadError as exc:
            raised.append(str(exc))
    try:
        upload = reader.finish()
    except UploadError as exc:
        assert len(raised) <= 1
        assert raised in ([], [str(exc)])
        return str(exc)
    assert raised == []
    return upload


def part(headers: list[str], data: bytes, boundary: str = BOUNDARY) -> bytes:
    head = "".join(f"{h}\r\n" for h in headers)
    return f"--{boundary}\r\n{head}\r\n".encode() + data + b"\r\n"


def text(name: str, value: str | bytes) -> bytes:
    data = value.encode() if isinstance(value, str) else value
    return part([f'Content-Disposition: form-data; name="{name}"'], data)


def file(
    data: bytes = PNG_BYTES,
    filename: str | bytes = "photo.png",
    name: str = "file",
    content_type: str | None = "image/png",
) -> bytes:
    raw_name = filename if isinstance(filename, bytes) else filename.encode()
    headers = [b'Content-Disposition: form-data; name="' + name.encode() + b'"; filename="']
    disposition = headers[0] + raw_name + b'"'
    extra = f"Content-Type: {content_type}\r\n".encode() if content_type else b""
    return f"--{BOUNDARY}\r\n".encode() + disposition + b"\r\n" + extra + b"\r\n" + data + b"\r\n"


def body(*parts: bytes, close: bool = True) -> bytes:
    return b"".join(parts) + (f"--{BOUNDARY}--\r\n".encode() if close else b"")


def httpx_body(data: dict[str, str], files: dict[str, tuple[str, bytes, str]]) -> tuple[bytes, str]:
    request = httpx.Request("POST", "http://x", data=data, files=files)
    return request.read(), request.headers["content-type"]


# Accepted uploads


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


# File names


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("photo.png", "photo.png"),
        ("../../etc/passwd", "passwd"),
        ("/abs/path/img.jpg", "img.jpg"),
        ("C:\\Users\\me\\Pictures\\img.jpg", "img.jpg"),
        ("dir\\sub/mixed.webp", "mixed.webp"),
        ("bell\x07tab\tnul\x00.png", "belltabnul.png"),
        ("del\x7fc1\x85.png", "delc1.png"),
        ("  spaced name.png  ", "spaced name.png"),
        ("..", ""),
        ("a/.", ""),
        ("dir/", ""),
        ("", ""),
        ("naïve ☕.png", "naïve ☕.png"),
        ("100%25.png", "100%25.png"),
    ],
)
def test_sanitize_filename(sent: str, kept: str) -> None:
    assert sanitize_filename(sent) == kept


def test_sanitize_filename_caps_length_and_keeps_extension() -> None:
    long_name = "a" * 300 + ".png"
    kept = sanitize_filename(long_name)
    assert len(kept) == 255
    assert kept.endswith(".png")
    assert kept.startswith("a" * 250)
    no_extension = "b" * 300
    assert sanitize_filename(no_extension) == "b" * 255
    long_extension = "c." + "d" * 300
    assert len(sanitize_filename(long_extension)) == 255
    assert sanitize_filename("e" * 255) == "e" * 255


@pytest.mark.parametrize("chunk_size", CHUNK_SIZES)
def test_filenames_are_sanitised_in_uploads(chunk_size: int | None) -> None:
    upload = read(body(file(filename="../x/\x01evil.png")), chunk_size=chunk_size)
    assert upload.file.filename == "evil.png"


def test_utf8_filename_from_httpx() -> None:
    raw, content_type = httpx_body({}, {"file": ("fotó ☕.png", PNG_BYTES, "image/png")})
    assert read(raw, content_type).file.filename == "fotó ☕.png"


def test_non_utf8_filename_falls_back_to_latin1() -> None:
    upload = read(body(file(filename=b"caf\xe9.png")))
    assert upload.file.filename == "café.png"


def test_empty_filename_is_kept_empty() -> None:
    assert read(body(file(filename=""))).file.filename == ""


# Rejections


def hostile_cases() -> list[tuple[str, bytes, str, dict[str, int]]]:
    """(case id, body, expected message fragment, reader options)."""
    big = b"z" * 4097
    return [
        ("no-file", body(text("kind", "image")), "missing 'file' part", {}),
        ("empty-form", body(), "missing 'file' part", {}),
        ("two-files", body(file(), file()), "more than one 'file' part", {}),
        ("file-without-filename", body(text("file", "abc")), "must be a file upload", {}),
        ("file-in-other-field", body(file(name="other"), file()), "unexpected file", {}),
        ("zero-byte-file", body(file(b"")), "file is empty", {}),
        ("duplicate-field", body(text("kind", "a"), text("kind", "b"), file()), "duplicate", {}),
        ("bad-utf8", body(text("prompt", b"\xff\xfe"), file()), "not valid UTF-8", {}),
        ("field-too-big", body(text("prompt", big), file()), "exceeds 4096 bytes", {}),
        (
            "field-over-custom-limit",
            body(text("p", "12345"), file()),
            "exceeds 4 bytes",
            {"max_field_bytes": 4},
        ),
        (
            "too-many-parts",
            body(*[text(f"f{i}", "v") for i in range(16)], file()),
            "too many parts",
            {},
        ),
        (
            "too-many-parts-custom",
            body(text("a", "1"), text("b", "2"), file()),
            "at most 2",
            {"max_parts": 2},
        ),
        ("truncated-in-file", body(file())[:-40], "truncated", {}),
        ("truncated-before-close", body(file(), close=False), "truncated", {}),
        ("truncated-in-headers", f"--{BOUNDARY}\r\nContent-Dispo".encode(), "truncated", {}),
        ("truncated-closing-boundary", body(file())[:-3], "truncated", {}),
        ("empty-body", b"", "request body is empty", {}),
        (
            "no-disposition",
            body(part(["Content-Type: text/plain"], b"x"), file()),
            "no Content-Disposition",
            {},
        ),
        ("no-headers", body(part([], b"x"), file()), "no Content-Disposition", {}),
        (
            "not-form-data",
            body(part(['Content-Disposition: attachment; name="a"'], b"x"), file()),
            "not form-data",
            {},
        ),
        (
            "no-name",
            body(part(["Content-Disposition: form-data"], b"x"), file()),
            "no field name",
            {},
        ),
        (
            "empty-name",
            body(part(['Content-Disposition: form-data; name=""'], b"x"), file()),
            "no field name",
            {},
        ),
        (
            "duplicate-header",
            body(part(['Content-Disposition: form-data; name="a"'] * 2, b"x"), file()),
            "more than one content-disposition header",
            {},
        ),
        ("garbage", b"this is not multipart at all", "invalid boundary line", {}),
        (
            "wrong-boundary",
            body(file()).replace(BOUNDARY.encode(), b"other"),
            "invalid boundary",
            {},
        ),
        (
            "bad-header-line",
            f"--{BOUNDARY}\r\nno colon here\r\n\r\n".encode(),
            "invalid part header",
            {},
        ),
        (
            "bare-cr-in-header",
            f"--{BOUNDARY}\r\nA: b\rC: d\r\n\r\n".encode(),
            "invalid part header",
            {},
        ),
        (
            "header-too-long",
            body(part(["X-Pad: " + "p" * 5000], b"x"), file()),
            "header is too long",
            {},
        ),
        (
            "too-many-headers",
            body(part([f"X-H{i}: v" for i in range(9)], b"x"), file()),
            "too many headers",
            {},
        ),
        ("no-crlf-after-boundary", f"--{BOUNDARY}xx\r\n".encode(), "invalid boundary line", {}),
    ]


@pytest.mark.parametrize(
    ("raw", "message", "options"),
    [
        pytest.param(raw, message, options, id=case)
        for case, raw, message, options in hostile_cases()
    ],
)
def test_rejections_are_the_same_for_every_chunk_size(
    raw: bytes, message: str, options: dict[str, int]
) -> None:
    results = {size: outcome(raw, CONTENT_TYPE, size, no_limit, **options) for size in CHUNK_SIZES}
    assert all(isinstance(result, str) for result in results.values()), results
    assert len(set(results.values())) == 1, results
    assert message in str(results[None])


@pytest.mark.parametrize("chunk_size", CHUNK_SIZES)
def test_file_over_the_limit_is_rejected_early(chunk_size: int | None) -> None:
    limit = 1000
    data = bytes(5000)
    prefix = body(text("kind", "image"), file(b""), close=False)[: -len(b"\r\n")]
    raw = body(text("kind", "image"), file(data))
    reader = MultipartReader(CONTENT_TYPE, file_limit=lambda _: limit)
    offset, error = 0, None
    for chunk in chunks(raw, chunk_size):
        try:
            reader.feed(chunk)
        except UploadError as exc:
            error = exc
            break
        offset += len(chunk)
    assert str(error) == "file exceeds 1000 bytes"
    # The reader stopped before holding much more than the limit: it had
    # received at most the limit, one chunk and a boundary's length of file bytes.
    slack = len(f"\r\n--{BOUNDARY}") + 2
    assert offset <= len(prefix) + limit + slack
    assert reader.error is error


def test_file_limit_can_depend_on_the_kind() -> None:
    def by_kind(fields: Mapping[str, str]) -> int:
        return {"image": 10, "video": 1000}[fields["kind"]]

    data = b"q" * 100
    assert outcome(body(text("kind", "image"), file(data)), file_limit=by_kind) == (
        "file exceeds 10 bytes"
    )
    accepted = outcome(body(text("kind", "video"), file(data)), file_limit=by_kind)
    assert isinstance(accepted, Upload)


def test_file_limit_may_reject_with_upload_error() -> None:
    def strict(fields: Mapping[str, str]) -> int:
        if "kind" not in fields:
            raise UploadError("field 'kind' must come before the file")
        return 100

    assert outcome(body(file()), file_limit=strict) == "field 'kind' must come before the file"


@pytest.mark.parametrize(
    "header",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/mixed; boundary=abc",
        "",
        "multipart/form-data-extra; boundary=abc",
    ],
)
def test_rejects_non_form_data_content_types(header: str) -> None:
    with pytest.raises(UploadError, match="must be multipart/form-data"):
        MultipartReader(header, file_limit=no_limit)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("multipart/form-data", "no multipart boundary"),
        ("multipart/form-data; charset=utf-8", "no multipart boundary"),
        ("multipart/form-data; boundary=", "invalid multipart boundary"),
        ('multipart/form-data; boundary=""', "invalid multipart boundary"),
        ("multipart/form-data; boundary=" + "a" * 71, "invalid multipart boundary"),
        ('multipart/form-data; boundary="abc "', "invalid multipart boundary"),
        ('multipart/form-data; boundary="a{b}"', "invalid multipart boundary"),
        ('multipart/form-data; boundary="a\\"b"', "invalid multipart boundary"),
        ("multipart/form-data; boundary=abc\x00", "invalid multipart boundary"),
        ("multipart/form-data; boundary=ab€", "not valid"),
    ],
)
def test_rejects_missing_or_invalid_boundaries(header: str, message: str) -> None:
    with pytest.raises(UploadError, match=message):
        MultipartReader(header, file_limit=no_limit)


def test_longest_valid_boundary_is_accepted() -> None:
    MultipartReader("multipart/form-data; boundary=" + "a" * 70, file_limit=no_limit)


@pytest.mark.parametrize("options", [{"max_parts": 0}, {"max_field_bytes": 0}])
def test_limits_must_be_positive(options: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        MultipartReader(CONTENT_TYPE, file_limit=no_limit, **options)  # type: ignore[arg-type]


# Error contract


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
