"""Bodies, file limits and Content-Type headers the multipart reader refuses, and why."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from multipart_support import (
    BOUNDARY,
    CHUNK_SIZES,
    CONTENT_TYPE,
    body,
    chunks,
    file,
    no_limit,
    outcome,
    part,
    text,
)

from rivya_contract.mock_server.multipart import MultipartReader, Upload, UploadError


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
