"""Hostile POST /files uploads, over real HTTP and raw sockets.

Every rejection is 400 validation_failed in the API's envelope, stores
nothing, and the server still accepts the next valid upload and create.
"""

from __future__ import annotations

import socket
import time

import httpx
import pytest
from hostile_support import (
    PNG,
    Live,
    assert_still_serving,
    raw_exchange,
    raw_request,
)
from support import API, check_envelope, error_of

from rivya_contract.mock_server.config import MockConfig
from rivya_contract.schemas import contract, validate

START = MockConfig().credits
BOUNDARY = "hostile-boundary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
IMAGE_LIMIT = contract().default_upload_policy.kinds["image"].max_bytes
BODY_TIMEOUT = 0.5
"""The server's body_timeout in these tests: how long it waits for a body that stalls."""

Part = tuple[list[bytes], bytes]


def field(name: str, value: bytes) -> Part:
    """Return a text form field."""
    return ([f'Content-Disposition: form-data; name="{name}"'.encode()], value)


def file_part(
    data: bytes = PNG,
    filename: bytes = b"fox.png",
    content_type: bytes = b"image/png",
    name: bytes = b"file",
) -> Part:
    """Return a file part; ``filename`` is sent as raw bytes."""
    disposition = b'Content-Disposition: form-data; name="' + name + b'"; filename="' + filename
    return ([disposition + b'"', b"Content-Type: " + content_type], data)


def multipart(*parts: Part, closed: bool = True) -> bytes:
    """Return a multipart body; ``closed=False`` leaves out the closing boundary."""
    out = b""
    for headers, data in parts:
        out += f"--{BOUNDARY}\r\n".encode() + b"".join(h + b"\r\n" for h in headers)
        out += b"\r\n" + data + b"\r\n"
    return out + (f"--{BOUNDARY}--\r\n".encode() if closed else b"")


def image(data: bytes = PNG, **options: bytes) -> bytes:
    """Return a well-formed upload of an image file."""
    return multipart(field("kind", b"image"), file_part(data, **options))


@pytest.fixture(scope="module")
def live_config() -> MockConfig:
    """The live mock stops waiting for a stalled body after ``BODY_TIMEOUT``."""
    return MockConfig(body_timeout=BODY_TIMEOUT)


def upload(live: Live, body: bytes, content_type: str | None = MULTIPART) -> httpx.Response:
    headers = live.auth() if content_type is None else live.auth(**{"Content-Type": content_type})
    return live.client.post(f"{API}/files", content=body, headers=headers)


def assert_uploads_still_work(live: Live) -> None:
    """Assert a valid upload is stored and readable, then that creates work with exact credits."""
    response = upload(live, image())
    assert response.status_code == 201, response.text
    stored = response.json()
    assert validate("file", stored) == []
    again = live.client.get(f"{API}/files/{stored['id']}", headers=live.auth())
    assert again.status_code == 200 and again.json() == stored
    assert_still_serving(live, START)


def rejected(live: Live, body: bytes, content_type: str | None = MULTIPART) -> str:
    """Upload ``body``; assert validation_failed, then that the server still works; return it."""
    error = error_of(upload(live, body, content_type), "validation_failed", 400)
    assert_uploads_still_work(live)
    message: str = error["message"]
    assert message.startswith("upload rejected: ")
    return message.removeprefix("upload rejected: ")


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("multipart/form-data", "Content-Type has no multipart boundary"),
        ("multipart/form-data; boundary=", "Content-Type has an invalid multipart boundary"),
        ("multipart/form-data; boundary=" + "b" * 71, "invalid multipart boundary"),
        ("application/json", "Content-Type must be multipart/form-data"),
        (None, "Content-Type must be multipart/form-data"),
    ],
)
def test_missing_or_bad_boundary(live: Live, content_type: str | None, expected: str) -> None:
    assert expected in rejected(live, image(), content_type)


CLOSING = len(f"--{BOUNDARY}--\r\n")


@pytest.mark.parametrize(
    "cut",
    [-CLOSING, -CLOSING + 8, -CLOSING - 2, 60, 150],
    ids=[
        "no closing boundary",
        "inside the closing boundary",
        "inside the file",
        "in headers",
        "in a part",
    ],
)
def test_truncated_multipart(live: Live, cut: int) -> None:
    body = image()[:cut]
    assert "truncated" in rejected(live, body)


def test_body_that_is_not_multipart_at_all(live: Live) -> None:
    assert rejected(live, b"no parts here\r\n") == "malformed multipart body: invalid boundary line"


def test_empty_body(live: Live) -> None:
    assert rejected(live, b"") == "request body is empty"


def test_one_hundred_parts(live: Live) -> None:
    extra = [field(f"extra{n}", b"x") for n in range(98)]
    body = multipart(field("kind", b"image"), file_part(), *extra)
    assert rejected(live, body) == "too many parts: at most 16 are allowed"


def test_missing_file_part(live: Live) -> None:
    assert rejected(live, multipart(field("kind", b"image"))) == "missing 'file' part"


def test_file_field_without_a_filename(live: Live) -> None:
    body = multipart(field("kind", b"image"), field("file", PNG))
    assert rejected(live, body) == "field 'file' must be a file upload with a filename"


def test_two_file_parts(live: Live) -> None:
    body = multipart(field("kind", b"image"), file_part(), file_part())
    assert rejected(live, body) == "more than one 'file' part"


def test_zero_byte_file(live: Live) -> None:
    assert rejected(live, image(b"")) == "file is empty"


def test_file_at_the_limit_is_accepted(live: Live) -> None:
    data = PNG + bytes(IMAGE_LIMIT - len(PNG))
    response = upload(live, image(data))
    assert response.status_code == 201, response.text
    assert response.json()["size_bytes"] == IMAGE_LIMIT


def test_file_one_byte_over_the_limit(live: Live) -> None:
    data = PNG + bytes(IMAGE_LIMIT + 1 - len(PNG))
    assert rejected(live, image(data)) == f"file exceeds {IMAGE_LIMIT} bytes"


SIGNATURE_CASES = {
    "PNG declared as JPEG": (
        image(content_type=b"image/jpeg"),
        "declared image/jpeg but the content is image/png",
    ),
    "text declared as PNG": (image(b"hello, world\n" * 20), "has no recognised signature"),
    "PNG named .jpg": (
        image(filename=b"fox.jpg", content_type=b"application/octet-stream"),
        "the name says image/jpeg but the content is image/png",
    ),
    "HTML named .png": (image(b"<html><script>alert(1)</script>"), "no recognised signature"),
    "PNG declared as video": (
        multipart(field("kind", b"video"), file_part(content_type=b"video/mp4")),
        "looks like image/png",
    ),
}


@pytest.mark.parametrize(("body", "expected"), SIGNATURE_CASES.values(), ids=SIGNATURE_CASES.keys())
def test_signature_contradicting_the_declared_type(live: Live, body: bytes, expected: str) -> None:
    assert expected in rejected(live, body)


UNSAFE_NAMES = {
    b"../../etc/passwd.png": "passwd.png",
    b"..\\..\\windows\\system32\\fox.png": "fox.png",
    b"/absolute/fox.png": "fox.png",
    b"a\x00b\x01c\x1b[31m\x7f.png": "abc[31m.png",
    b"\tfox\x0b.png ": "fox.png",
    b"..": "",
    b"../..": "",
}


@pytest.mark.parametrize(
    ("raw", "stored"), UNSAFE_NAMES.items(), ids=[repr(n) for n in UNSAFE_NAMES]
)
def test_unsafe_filename_is_stored_sanitised_and_served_safely(
    live: Live, raw: bytes, stored: str
) -> None:
    response = upload(live, image(filename=raw))
    assert response.status_code == 201, response.text
    view = response.json()
    assert validate("file", view) == []
    assert view["name"] == (stored or view["id"])
    assert not any(ch in view["name"] for ch in "/\\") and view["name"].isprintable()
    again = live.client.get(f"{API}/files/{view['id']}", headers=live.auth())
    assert again.json()["name"] == view["name"]
    served = live.client.get(view["url"])
    assert served.status_code == 200
    assert served.content == PNG
    assert served.headers["content-type"] == "image/png"
    assert ".." not in served.headers.get("content-disposition", "")
    assert_uploads_still_work(live)


def lying_upload(live: Live) -> bytes:
    """Return a raw upload request whose Content-Length promises 1000 bytes more than it sends."""
    body = image()
    headers = {
        "Authorization": f"Bearer {live.key}",
        "Content-Type": MULTIPART,
        "Content-Length": str(len(body) + 1000),
    }
    return raw_request("POST", f"{API}/files", headers, body)


def test_content_length_that_promises_more_is_answered_and_closed(live: Live) -> None:
    started = time.monotonic()
    reply = raw_exchange(live.address, lying_upload(live), timeout=10 * BODY_TIMEOUT)
    waited = time.monotonic() - started
    assert reply is not None, "the server never answered a stalled upload"
    assert reply.status == 400
    assert reply.headers["connection"] == "close"
    error = check_envelope(reply.json(), reply.headers["x-request-id"], "validation_failed")
    assert error["message"].startswith("the request body stopped arriving")
    assert BODY_TIMEOUT <= waited < 10 * BODY_TIMEOUT
    assert_uploads_still_work(live)


def test_client_that_gives_up_mid_upload_leaves_the_server_serving(live: Live) -> None:
    with socket.create_connection(live.address, timeout=5) as sock:
        sock.sendall(lying_upload(live))
        # The other connections are served while this one stalls.
        assert_uploads_still_work(live)
    live.mock.reset()
    assert_uploads_still_work(live)


def test_content_length_shorter_than_the_body(live: Live) -> None:
    body = image()
    headers = {
        "Authorization": f"Bearer {live.key}",
        "Content-Type": MULTIPART,
        "Content-Length": str(len(body) - 20),
    }
    reply = raw_exchange(live.address, raw_request("POST", f"{API}/files", headers, body))
    assert reply is not None and reply.status == 400
    error = check_envelope(reply.json(), reply.headers["x-request-id"], "validation_failed")
    assert "truncated" in error["message"]
    assert_uploads_still_work(live)


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        (b"multipart/form-data; boundary=\xff\xfe", "invalid multipart boundary"),
        (b"multipart/form-data\xc3\x28; boundary=" + BOUNDARY.encode(), "must be multipart"),
        (b"\xc3\x28", "must be multipart/form-data"),
    ],
)
def test_invalid_utf8_in_the_content_type_header(
    live: Live, content_type: bytes, expected: str
) -> None:
    body = image()
    headers: dict[str, str | bytes] = {
        "Authorization": f"Bearer {live.key}",
        "Content-Type": content_type,
        "Content-Length": str(len(body)),
    }
    reply = raw_exchange(live.address, raw_request("POST", f"{API}/files", headers, body))
    assert reply is not None and reply.status == 400
    error = check_envelope(reply.json(), reply.headers["x-request-id"], "validation_failed")
    assert expected in error["message"]
    assert_uploads_still_work(live)
