"""Builders of multipart bodies and drivers of ``MultipartReader`` for the multipart tests.

Bodies are built by hand (``part``, ``text``, ``file``, ``body``) so a test can send
exactly the bytes it means, or by httpx (``httpx_body``) to read what a real client sends.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import httpx

from rivya_contract.mock_server.multipart import MultipartReader, Upload, UploadError

BOUNDARY = "b0undary"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"
CHUNK_SIZES = [1, 7, None]  # None: the whole body in one call
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def no_limit(_fields: Mapping[str, str]) -> int:
    """A file limit that accepts any file up to 10 MB, whatever the fields."""
    return 10_000_000


def chunks(body: bytes, size: int | None) -> list[bytes]:
    """Split ``body`` into pieces of ``size`` bytes, or one piece when ``size`` is None."""
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
    """Feed ``body`` to a fresh reader in chunks and return its upload; errors propagate."""
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
    """Return one part with the given header lines and data, opened by ``boundary``."""
    head = "".join(f"{h}\r\n" for h in headers)
    return f"--{boundary}\r\n{head}\r\n".encode() + data + b"\r\n"


def text(name: str, value: str | bytes) -> bytes:
    """Return a text field part named ``name``."""
    data = value.encode() if isinstance(value, str) else value
    return part([f'Content-Disposition: form-data; name="{name}"'], data)


def file(
    data: bytes = PNG_BYTES,
    filename: str | bytes = "photo.png",
    name: str = "file",
    content_type: str | None = "image/png",
) -> bytes:
    """Return a file part; a bytes ``filename`` is sent as is, without encoding."""
    raw_name = filename if isinstance(filename, bytes) else filename.encode()
    headers = [b'Content-Disposition: form-data; name="' + name.encode() + b'"; filename="']
    disposition = headers[0] + raw_name + b'"'
    extra = f"Content-Type: {content_type}\r\n".encode() if content_type else b""
    return f"--{BOUNDARY}\r\n".encode() + disposition + b"\r\n" + extra + b"\r\n" + data + b"\r\n"


def body(*parts: bytes, close: bool = True) -> bytes:
    """Join ``parts`` and, unless ``close`` is false, end with the closing boundary."""
    return b"".join(parts) + (f"--{BOUNDARY}--\r\n".encode() if close else b"")


def httpx_body(data: dict[str, str], files: dict[str, tuple[str, bytes, str]]) -> tuple[bytes, str]:
    """Return the body and Content-Type header httpx sends for this form."""
    request = httpx.Request("POST", "http://x", data=data, files=files)
    return request.read(), request.headers["content-type"]
