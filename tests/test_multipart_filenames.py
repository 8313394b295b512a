"""File names in uploads: what ``sanitize_filename`` keeps, and how names are decoded."""

from __future__ import annotations

import pytest
from multipart_support import CHUNK_SIZES, PNG_BYTES, body, file, httpx_body, read

from rivya_contract.mock_server.filenames import sanitize_filename


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
