from __future__ import annotations

import struct

import pytest

from rivya_contract.mock_server.sniff import (
    HEAD_BYTES,
    MIME_TYPES,
    canonical_mime,
    detect_mime,
    extension_mime,
    same_type,
)


def ftyp(major: bytes, *compatible: bytes, minor: int = 0) -> bytes:
    payload = major + struct.pack(">I", minor) + b"".join(compatible)
    return struct.pack(">I", 8 + len(payload)) + b"ftyp" + payload + b"\x00\x00\x00\x08free"


def ebml_header(doctype: bytes, *, long_sizes: bool = False) -> bytes:
    def size(n: int) -> bytes:
        # A four-byte vint is as valid as the one-byte form.
        return (n | 0x10000000).to_bytes(4, "big") if long_sizes else bytes([0x80 | n])

    body = b"\x42\x86" + size(1) + b"\x01"  # EBMLVersion
    body += b"\x42\xf7" + size(1) + b"\x01"  # EBMLReadVersion
    body += b"\x42\x82" + size(len(doctype)) + doctype
    body += b"\x42\x87" + size(1) + b"\x04"
    return b"\x1a\x45\xdf\xa3" + size(len(body)) + body + b"\x18\x53\x80\x67\x80"


def id3_tag(payload_size: int) -> bytes:
    syncsafe = bytes((payload_size >> shift) & 0x7F for shift in (21, 14, 7, 0))
    return b"ID3\x04\x00\x00" + syncsafe + bytes(payload_size)


MP3_FRAME = b"\xff\xfb\x90\x64" + bytes(413)
ADTS_FRAME = b"\xff\xf1\x50\x80\x01\x7f\xfc" + b"\x00\x00\x00\x07"


def ogg_page(packet: bytes) -> bytes:
    header = b"OggS\x00\x02" + bytes(8) + b"\x01\x00\x00\x00" + bytes(4) + bytes(4)
    return header + bytes([1, len(packet)]) + packet


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "image/jpeg"),
        (b"\xff\xd8\xff\xdb\x00\x43\x00", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
        (b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f", "image/webp"),
        (b"RIFF\x1a\x00\x00\x00WEBPVP8 \x0d\x00\x00\x00", "image/webp"),
        (ftyp(b"isom", b"isom", b"iso2", b"avc1", b"mp41"), "video/mp4"),
        (ftyp(b"mp42", b"mp42", b"isom"), "video/mp4"),
        (ftyp(b"M4V ", b"M4V ", b"M4A ", b"mp42"), "video/mp4"),
        (ftyp(b"abcd", b"abcd", b"mp41"), "video/mp4"),
        (ftyp(b"qt  ", b"qt  ", minor=0x20050300), "video/quicktime"),
        (ftyp(b"abcd", b"qt  "), "video/quicktime"),
        (ftyp(b"M4A ", b"M4A ", b"mp42", b"isom"), "audio/mp4"),
        (ftyp(b"M4B ", b"M4B ", b"isom"), "audio/mp4"),
        (ftyp(b"abcd", b"M4A ", b"isom"), "audio/mp4"),
        (b"\x00\x00\x00\x08wide\x00\x00\x10\x00mdat", "video/quicktime"),
        (b"\x00\x00\x00\x6cmoov\x00\x00\x00\x64mvhd", "video/quicktime"),
        (ebml_header(b"webm"), "video/webm"),
        (ebml_header(b"matroska"), "video/x-matroska"),
        (ebml_header(b"webm", long_sizes=True), "video/webm"),
        (ebml_header(b"matroska\x00\x00"), "video/x-matroska"),
        (MP3_FRAME, "audio/mpeg"),
        (b"\xff\xfa\x90\x64" + bytes(60), "audio/mpeg"),  # MPEG-1 Layer III with CRC
        (b"\xff\xf3\x50\xc4" + bytes(60), "audio/mpeg"),  # MPEG-2 Layer III
        (b"\xff\xe3\x50\xc4" + bytes(60), "audio/mpeg"),  # MPEG-2.5 Layer III
        (b"\xff\xfd\x90\x64" + bytes(60), "audio/mpeg"),  # MPEG-1 Layer II
        (id3_tag(20) + MP3_FRAME, "audio/mpeg"),
        (b"ID3\x03\x00\x00\x00\x00\x7f\x7f", "audio/mpeg"),  # tag longer than the head
        (id3_tag(20) + ADTS_FRAME, "audio/aac"),
        (ADTS_FRAME, "audio/aac"),
        (b"\xff\xf9\x50\x80\x01\x7f\xfc", "audio/aac"),  # MPEG-2 ADTS
        (b"\xff\xf0\x50\x80\x01\x7f\xfc\x00\x00", "audio/aac"),  # with CRC
        (b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00", "audio/wav"),
        (ogg_page(b"\x01vorbis\x00\x00\x00\x00"), "audio/ogg"),
        (ogg_page(b"OpusHead\x01\x01"), "audio/ogg"),
    ],
)
def test_detects_each_supported_signature(head: bytes, expected: str) -> None:
    assert detect_mime(head) == expected


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b"\xff",
        b"hello, world: this is plain text, not an image",
        b"GIF89a\x01\x00\x01\x00",
        b"%PDF-1.7\n",
        b"PK\x03\x04\x14\x00",
        b"BM\x3a\x00\x00\x00",
        b"RIFF\x24\x00\x00\x00AVI LIST",
        b"fLaC\x00\x00\x00\x22",
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        ftyp(b"heic", b"mif1", b"heic", b"isom"),
        ftyp(b"avif", b"avif", b"mif1", b"miaf", b"mp41"),
        ftyp(b"3gp4", b"3gp4", b"isom"),
        ftyp(b"abcd", b"efgh"),
        b"\x00\x00\x00\x0cftypisom",  # ftyp box too small to hold a minor version
        b"\x00\x00\x00\x13ftypisom\x00\x00\x00\x00isom",  # size not a multiple of four
        ebml_header(b"other"),
        b"\x1a\x45\xdf\xa3\x84\x42\x86\x81\x01",  # EBML header without a DocType
        b"\x1a\x45\xdf\xa3",  # EBML magic only
        b"\x1a\x45\xdf\xa3\xa3\x42\x82\x88matr",  # DocType cut short
        b"\x1a\x45\xdf\xa3\x00",  # invalid vint
        b"\xff\xfb\xf0\x64" + bytes(60),  # MP3 with the "bad" bitrate index
        b"\xff\xfb\x9c\x64" + bytes(60),  # MP3 with the reserved sample rate
        b"\xff\xeb\x90\x64" + bytes(60),  # MPEG version "reserved"
        b"\xff\xf1\x74\x80\x01\x7f\xfc",  # ADTS with sample rate index 13
        b"\xff\xf1\x50\x80\x00\x1f\xfc",  # ADTS frame shorter than its header
        ogg_page(b"\x80theora\x03\x02\x01"),
        b"\x89PNX\r\n\x1a\n",
        b"\x00\x00\x00\x04moov\x00\x00\x00\x08wide",  # box smaller than its own header
    ],
)
def test_rejects_other_content(head: bytes) -> None:
    assert detect_mime(head) is None


def test_major_brand_decides_before_compatible_brands() -> None:
    assert detect_mime(ftyp(b"M4A ", b"isom", b"qt  ")) == "audio/mp4"
    assert detect_mime(ftyp(b"qt  ", b"M4A ")) == "video/quicktime"
    assert detect_mime(ftyp(b"isom", b"M4A ")) == "video/mp4"


def test_looks_only_at_the_head() -> None:
    buried = bytes(HEAD_BYTES) + b"\x89PNG\r\n\x1a\n"
    assert detect_mime(buried) is None
    assert detect_mime(b"\x89PNG\r\n\x1a\n" + bytes(10 * HEAD_BYTES)) == "image/png"
    long_tag = id3_tag(HEAD_BYTES) + ADTS_FRAME
    assert detect_mime(long_tag) == "audio/mpeg"  # the frame after the tag is out of reach


def test_accepts_bytearray_and_memoryview() -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
    assert detect_mime(bytearray(png)) == "image/png"  # type: ignore[arg-type]
    assert detect_mime(memoryview(png)) == "image/png"  # type: ignore[arg-type]


def test_results_are_always_canonical_members_of_the_set() -> None:
    assert len(set(MIME_TYPES)) == len(MIME_TYPES) == 12
    assert all(canonical_mime(m) == m for m in MIME_TYPES)


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("a.jpg", "image/jpeg"),
        ("a.jpeg", "image/jpeg"),
        ("a.png", "image/png"),
        ("a.webp", "image/webp"),
        ("a.mp4", "video/mp4"),
        ("a.mov", "video/quicktime"),
        ("a.webm", "video/webm"),
        ("a.mkv", "video/x-matroska"),
        ("a.mp3", "audio/mpeg"),
        ("a.m4a", "audio/mp4"),
        ("a.wav", "audio/wav"),
        ("a.aac", "audio/aac"),
        ("a.ogg", "audio/ogg"),
        ("PHOTO.JPG", "image/jpeg"),
        ("clip.final.MOV", "video/quicktime"),
        ("dir.png/voice.m4a", "audio/mp4"),
        ("C:\\Users\\me\\song.Mp3", "audio/mpeg"),
        ("..hidden.png", "image/png"),
        ("a.gif", None),
        ("archive.mp4.zip", None),
        ("README", None),
        ("", None),
        (".png", None),
        ("..png", None),
        ("a.", None),
        ("a.png/", None),
        ("a.png ", None),
    ],
)
def test_extension_mime(filename: str, expected: str | None) -> None:
    assert extension_mime(filename) == expected


def test_every_extension_claims_a_supported_type() -> None:
    extensions = ["jpg", "jpeg", "png", "webp", "mp4", "mov", "webm", "mkv", "mp3", "m4a"]
    extensions += ["wav", "aac", "ogg"]
    claimed = {extension_mime(f"x.{ext}") for ext in extensions}
    assert claimed == set(MIME_TYPES)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("audio/wav", "audio/x-wav"),
        ("audio/wave", "audio/x-wav"),
        ("image/jpg", "image/jpeg"),
        ("image/pjpeg", "image/jpg"),
        ("audio/mp3", "audio/mpeg"),
        ("audio/x-m4a", "audio/mp4"),
        ("IMAGE/PNG", "image/png"),
        ("image/png; charset=binary", " image/png "),
        ("video/x-matroska", "video/matroska"),
        ("application/x-custom", "Application/X-Custom"),
    ],
)
def test_same_type_treats_aliases_as_equal(a: str, b: str) -> None:
    assert same_type(a, b)
    assert same_type(b, a)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("image/png", "image/jpeg"),
        ("audio/mp4", "video/mp4"),
        ("video/webm", "video/x-matroska"),
        ("audio/wav", "audio/wavx"),
        ("image/jpeg", ""),
    ],
)
def test_same_type_tells_types_apart(a: str, b: str) -> None:
    assert not same_type(a, b)


def test_canonical_mime_spelling() -> None:
    assert canonical_mime("Audio/X-WAV; codecs=1") == "audio/wav"
    assert canonical_mime("image/jpg") == "image/jpeg"
    assert canonical_mime("text/PLAIN") == "text/plain"
