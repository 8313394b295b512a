"""Streaming reader for one ``multipart/form-data`` upload body.

A ``MultipartReader`` is fed the request body chunk by chunk and returns the
upload's text fields and its single file part. It does no I/O and enforces its
limits while reading, so memory never holds more than the file limit plus one
chunk, the text fields and one part's headers:

- at most ``max_parts`` parts, each text field at most ``max_field_bytes`` bytes
  and valid UTF-8, no field name twice;
- exactly one part named ``file_field``, with a filename and at least one byte,
  no larger than the limit ``file_limit`` gives for the text fields received
  before it (so a client that sends ``kind`` and ``model`` first gets the exact
  limit); no file in any other part.

Every rejection is an ``UploadError`` whose message can be shown to the client.
"""

from __future__ import annotations

import dataclasses
import re
import tempfile
import threading
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, cast

from python_multipart import MultipartParser
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import parse_options_header

from rivya_contract.mock_server.filenames import sanitize_filename

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

__all__ = ["FilePart", "MultipartReader", "Upload", "UploadError"]

DEFAULT_FILE_CONTENT_TYPE = "application/octet-stream"
"""The content type recorded for a file part that declares none."""

# RFC 2046 section 5.1.1: 1 to 70 characters from this set, not ending in a space.
_BOUNDARY = re.compile(r"[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]")


class UploadError(Exception):
    """A rejected upload; ``str(exc)`` is a client-facing message naming the problem."""


@dataclass(frozen=True)
class FilePart:
    """The uploaded file.

    Attributes:
        field: The form field that carried the file.
        filename: The client's file name after ``sanitize_filename``; may be empty.
        content_type: The part's declared media type, lower-cased and without
            parameters, or ``application/octet-stream`` if it declared none.
        data: The file's bytes (never empty).

    """

    field: str
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Upload:
    """A complete, accepted upload: its text fields in arrival order and its file."""

    fields: dict[str, str]
    file: FilePart


def _decode_header_text(raw: bytes) -> str:
    """Decode a header parameter: UTF-8 as browsers send it, else Latin-1."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _describe_parse_error(exc: MultipartParseError) -> str:
    """Turn a parser error into a stable message (the parser's own cite chunk offsets)."""
    detail = str(exc).lower()
    if "maximum header size" in detail:
        return "a part header is too long"
    if "maximum header count" in detail:
        return "a part has too many headers"
    if "header" in detail:
        return "malformed multipart body: invalid part header"
    return "malformed multipart body: invalid boundary line"


@dataclass
class _Part:
    """The part being read."""

    name: str = ""
    is_file: bool = False
    filename: str = ""
    content_type: str = DEFAULT_FILE_CONTENT_TYPE
    limit: int = 0
    data: bytearray | None = None
    """A text field's bytes, or None before the headers are read."""
    spool: IO[bytes] | None = None
    """A file's bytes: in memory up to ``SPILL_BYTES``, then in a temporary file."""
    size: int = 0


_READING_BACK = threading.Lock()

SPILL_BYTES = 1_048_576
"""Bytes of an uploaded file kept in memory while it is read; past it, it spills to disk
until the request ends (so concurrent uploads hold at most this much memory each)."""


def _weakly(reader: MultipartReader, name: str) -> Callable[..., None]:
    """Return a callback calling ``reader.<name>`` while the reader lives, held weakly."""
    ref = weakref.ref(reader)

    def call(*args: Any) -> None:
        found = ref()
        if found is not None:
            getattr(found, name)(*args)

    return call


class MultipartReader:
    """A push-based reader of one ``multipart/form-data`` body.

    Call ``feed`` with each chunk of the body, then ``finish`` once for the
    result.

    Error contract: the first problem found raises ``UploadError`` from the
    ``feed`` call that found it and is stored. Later ``feed`` calls do nothing
    and raise nothing, so the caller may drain the rest of the body cheaply;
    ``finish`` raises the stored error. ``finish`` may be called again and
    returns the same ``Upload`` or raises the same error; ``feed`` after
    ``finish`` raises ``RuntimeError``.

    ``file_limit`` is called once, when the file part's headers are complete,
    with a copy of the text fields received so far; it returns the largest file
    size accepted, in bytes, and may raise ``UploadError`` itself (for example
    for an unknown ``kind``), which is handled like any other rejection. Any
    other exception from it propagates from ``feed`` and leaves the reader
    unusable: later calls raise ``RuntimeError``.
    """

    def __init__(
        self,
        content_type_header: str,
        *,
        file_limit: Callable[[Mapping[str, str]], int],
        max_parts: int = 16,
        max_field_bytes: int = 4096,
        file_field: str = "file",
    ) -> None:
        """Prepare to read a body sent with the given ``Content-Type`` header.

        Raises:
            UploadError: If the header is not ``multipart/form-data`` with a
                valid boundary.
            ValueError: If a limit is below 1.

        """
        if max_parts < 1 or max_field_bytes < 1:
            raise ValueError("max_parts and max_field_bytes must be at least 1")
        try:
            media_type, params = parse_options_header(content_type_header)
        except UnicodeError:
            raise UploadError("Content-Type header is not valid") from None
        if media_type != b"multipart/form-data":
            raise UploadError("Content-Type must be multipart/form-data")
        boundary = params.get(b"boundary")
        if boundary is None:
            raise UploadError("Content-Type has no multipart boundary")
        if not _BOUNDARY.fullmatch(boundary.decode("latin-1")):
            raise UploadError("Content-Type has an invalid multipart boundary")
        self._file_limit = file_limit
        self._max_parts = max_parts
        self._max_field_bytes = max_field_bytes
        self._file_field = file_field
        # The parser holds its callbacks; bound methods would make a reference cycle that
        # keeps the whole upload alive until the garbage collector runs, so they hold the
        # reader weakly and the buffers go as soon as the request does.
        names = (
            "on_part_begin",
            "on_header_begin",
            "on_header_field",
            "on_header_value",
            "on_header_end",
            "on_headers_finished",
            "on_part_data",
            "on_part_end",
            "on_end",
        )
        callbacks = cast("MultipartCallbacks", {name: _weakly(self, "_" + name) for name in names})
        self._parser = MultipartParser(boundary, callbacks)
        self._fields: dict[str, str] = {}
        self._file: FilePart | None = None
        self._part = _Part()
        self._parts = 0
        self._headers: dict[str, bytes] = {}
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._received = 0
        self._ended = False
        self._error: UploadError | None = None
        self._broken = False
        self._finished = False
        self._result: Upload | None = None
        self._spooled: _Part | None = None

    @property
    def error(self) -> UploadError | None:
        """The stored rejection, or ``None`` while the upload is acceptable so far."""
        return self._error

    def feed(self, chunk: bytes) -> None:
        """Read the next chunk of the body.

        Raises:
            UploadError: The first time a problem is found (see the class docs).
            RuntimeError: If called after ``finish`` or after an unexpected error.

        """
        if self._finished or self._broken:
            raise RuntimeError("this MultipartReader can no longer be fed")
        if self._error is not None or not chunk:
            return
        self._received += len(chunk)
        try:
            self._parser.write(chunk)
        except UploadError as exc:
            self._error = exc
            raise
        except MultipartParseError as exc:
            self._error = UploadError(_describe_parse_error(exc))
            raise self._error from exc
        except BaseException:
            self._broken = True
            raise

    def finish(self) -> Upload:
        """Return the upload once the whole body has been fed.

        Raises:
            UploadError: If the body was rejected, is incomplete or has no file.
            RuntimeError: If the reader failed with an unexpected error.

        """
        if self._broken:
            raise RuntimeError("this MultipartReader failed with an unexpected error")
        self._finished = True
        if self._result is not None:
            return self._result
        if self._error is None:
            if self._received == 0:
                self._error = UploadError("request body is empty")
            elif not self._ended:
                self._error = UploadError(
                    "multipart body is truncated: the closing boundary is missing"
                )
            elif self._file is None:
                self._error = UploadError(f"missing {self._file_field!r} part")
        if self._error is not None:
            raise self._error
        assert self._file is not None
        spooled, self._spooled = self._spooled, None
        if spooled is not None and spooled.spool is not None:
            with _READING_BACK:  # one spilled file in memory at a time, however many finish
                spooled.spool.seek(0)
                self._file = dataclasses.replace(self._file, data=spooled.spool.read())
            spooled.spool.close()
            spooled.spool = None
        self._result = Upload(fields=dict(self._fields), file=self._file)
        return self._result

    # Parser callbacks. An UploadError raised here stops the parser and
    # surfaces from feed().

    def _on_part_begin(self) -> None:
        self._parts += 1
        if self._parts > self._max_parts:
            raise UploadError(f"too many parts: at most {self._max_parts} are allowed")
        self._part = _Part()
        self._headers = {}

    def _on_header_begin(self) -> None:
        self._header_name.clear()
        self._header_value.clear()

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        name = self._header_name.decode("latin-1").lower()
        if name in self._headers:
            raise UploadError(f"a part has more than one {name} header")
        self._headers[name] = bytes(self._header_value)

    def _on_headers_finished(self) -> None:
        disposition = self._headers.get("content-disposition")
        if disposition is None:
            raise UploadError("a part has no Content-Disposition header")
        kind, params = parse_options_header(disposition)
        if kind != b"form-data":
            raise UploadError("a part's Content-Disposition is not form-data")
        raw_name = params.get(b"name")
        if not raw_name:
            raise UploadError("a part has no field name")
        name = _decode_header_text(raw_name)
        raw_filename = params.get(b"filename")
        part = self._part
        part.name = name
        part.data = bytearray()
        if name == self._file_field and raw_filename is not None and self._file is None:
            part.spool = tempfile.SpooledTemporaryFile(max_size=SPILL_BYTES)  # noqa: SIM115
        if name == self._file_field:
            if raw_filename is None:
                raise UploadError(f"field {name!r} must be a file upload with a filename")
            if self._file is not None:
                raise UploadError(f"more than one {name!r} part")
            part.is_file = True
            part.filename = sanitize_filename(_decode_header_text(raw_filename))
            declared, _ = parse_options_header(self._headers.get("content-type"))
            part.content_type = declared.decode("latin-1") or DEFAULT_FILE_CONTENT_TYPE
            part.limit = self._file_limit(dict(self._fields))
        elif raw_filename is not None:
            raise UploadError(
                f"unexpected file in field {name!r}: only {self._file_field!r} may carry a file"
            )
        elif name in self._fields:
            raise UploadError(f"duplicate field {name!r}")

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self._part
        if part.data is None:  # the parser reports data only after the headers
            return
        if part.is_file and part.spool is not None:
            part.size += end - start
            if part.size > part.limit:
                self._release()
                raise UploadError(f"file exceeds {part.limit} bytes")
            part.spool.write(memoryview(data)[start:end])
            return
        if len(part.data) + (end - start) > self._max_field_bytes:
            raise UploadError(f"field {part.name!r} exceeds {self._max_field_bytes} bytes")
        part.data += memoryview(data)[start:end]

    def _release(self) -> None:
        """Close the file part's spool (and delete its temporary file, if it spilled)."""
        spool, self._part.spool = self._part.spool, None
        if spool is not None:
            spool.close()

    def _on_part_end(self) -> None:
        part = self._part
        if part.spool is not None:  # read back in finish(), which may run off the event loop
            if part.size == 0:
                raise UploadError("file is empty")
            self._spooled = part
            self._file = FilePart(part.name, part.filename, part.content_type, b"")
            return
        data = bytes(part.data or b"")
        part.data = None  # the copy is all that is kept: never the buffer beside it
        if part.is_file:
            if not data:
                raise UploadError("file is empty")
            self._file = FilePart(part.name, part.filename, part.content_type, data)
            return
        try:
            self._fields[part.name] = data.decode("utf-8")
        except UnicodeDecodeError:
            raise UploadError(f"field {part.name!r} is not valid UTF-8") from None

    def _on_end(self) -> None:
        self._ended = True
