"""Small, deterministic media files, and the building blocks of the generated results.

The mock serves these as generation results, and test strategies send them as
uploads. Every function is pure: the same arguments always give the same bytes.

- ``png`` draws an RGB gradient whose colours follow from a seed.
- ``size_for_ratio`` picks small pixel sizes with an exact aspect ratio.
- ``sample`` returns a minimal, well-formed file of each type in
  ``sniff.MIME_TYPES``, one that ``sniff.detect_mime`` recognises.
- ``png_size`` reads a PNG's dimensions.
- ``box``, ``full_box``, ``ftyp`` and ``mvhd`` build ISO BMFF (MP4) boxes, and
  ``mix`` and ``seed_colours`` turn a seed into values; ``clips`` uses them for
  the video and audio results.
"""

from __future__ import annotations

import functools
import math
import re
import struct
import zlib
from collections.abc import Callable

from .sniff import MIME_TYPES, canonical_mime

__all__ = [
    "IDENTITY_MATRIX",
    "MAX_PNG_SIDE",
    "RGB",
    "box",
    "ftyp",
    "full_box",
    "mix",
    "mvhd",
    "png",
    "png_size",
    "sample",
    "seed_colours",
    "size_for_ratio",
]

MAX_PNG_SIDE = 4096
"""The largest width or height ``png`` draws."""


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_RATIO = re.compile(r"([0-9]{1,6}):([0-9]{1,6})")
RGB = tuple[int, int, int]


def png(width: int, height: int, seed: int = 0) -> bytes:
    """Return an RGB PNG of the given size showing a diagonal gradient chosen by ``seed``.

    Raises:
        ValueError: If a side is below 1 or above ``MAX_PNG_SIDE``.

    """
    for side in (width, height):
        if not 1 <= side <= MAX_PNG_SIDE:
            raise ValueError(f"PNG sides must be between 1 and {MAX_PNG_SIDE}, got {side}")
    start, end = seed_colours(seed)
    # Pixel (x, y) takes colour number x + y along the diagonal, so each row
    # is the previous one shifted by one pixel.
    steps = width + height - 1
    span = max(steps - 1, 1)
    diagonal = bytearray()
    for i in range(steps):
        for a, b in zip(start, end, strict=True):
            diagonal.append(a + (b - a) * i // span)
    row_bytes = 3 * width
    raw = b"".join(
        b"\x00" + diagonal[3 * y : 3 * y + row_bytes]  # filter type 0 (None)
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"".join(
        (
            _PNG_SIGNATURE,
            _png_chunk(b"IHDR", header),
            _png_chunk(b"IDAT", zlib.compress(raw, 9)),
            _png_chunk(b"IEND", b""),
        )
    )


def png_size(data: bytes) -> tuple[int, int]:
    """Return the (width, height) recorded in a PNG's header.

    Raises:
        ValueError: If ``data`` does not start with a PNG signature and IHDR chunk.

    """
    if not data.startswith(_PNG_SIGNATURE) or data[12:16] != b"IHDR" or len(data) < 24:
        raise ValueError("not a PNG: missing signature or IHDR chunk")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def size_for_ratio(ratio: str, longest: int = 96) -> tuple[int, int]:
    """Return the largest exact-ratio (width, height) whose longer side is at most ``longest``.

    ``ratio`` is ``"W:H"`` with positive whole numbers (``"16:9"`` gives
    ``(96, 54)``, ``"2:3"`` gives ``(64, 96)``), or ``"auto"``, which gives a
    square of side ``longest``.

    Raises:
        ValueError: If ``ratio`` is malformed or has a zero term, if ``longest``
            is below 1, or if the reduced ratio has a term larger than ``longest``
            (so no exact size fits).

    """
    if longest < 1:
        raise ValueError(f"longest must be at least 1, got {longest}")
    if ratio == "auto":
        return longest, longest
    match = _RATIO.fullmatch(ratio)
    if match is None:
        raise ValueError(f"malformed aspect ratio {ratio!r}: expected 'W:H' or 'auto'")
    w, h = int(match.group(1)), int(match.group(2))
    if w == 0 or h == 0:
        raise ValueError(f"malformed aspect ratio {ratio!r}: terms must be positive")
    divisor = math.gcd(w, h)
    w, h = w // divisor, h // divisor
    scale = longest // max(w, h)
    if scale == 0:
        raise ValueError(f"aspect ratio {ratio!r} has no exact size within {longest} pixels")
    return w * scale, h * scale


def sample(mime: str) -> bytes:
    """Return a minimal, well-formed file of the given type.

    ``mime`` is one of ``sniff.MIME_TYPES`` or an alias of one (``audio/x-wav``,
    ``image/jpg``). The file's signature is correct, so ``detect_mime`` returns
    the canonical type: images decode to a few pixels, audio to silence or a
    short tone, and video containers hold a header with no tracks.

    Raises:
        ValueError: If the type is not supported.

    """
    canonical = canonical_mime(mime)
    if canonical not in _BUILDERS:
        raise ValueError(f"no sample for {mime!r}; supported: {', '.join(MIME_TYPES)}")
    return _build(canonical)


@functools.cache
def _build(mime: str) -> bytes:
    return _BUILDERS[mime]()


def mix(seed: int) -> int:
    """Hash ``seed`` to 64 bits (SplitMix64), so that neighbouring seeds look unrelated."""
    mixed = (seed + 0x9E3779B97F4A7C15) % 2**64
    mixed = (mixed ^ (mixed >> 30)) * 0xBF58476D1CE4E5B9 % 2**64
    mixed = (mixed ^ (mixed >> 27)) * 0x94D049BB133111EB % 2**64
    return mixed ^ (mixed >> 31)


def seed_colours(seed: int) -> tuple[RGB, RGB]:
    """Return two colours far apart on the colour wheel, chosen by ``seed``."""
    hue = mix(seed) % 360
    return _hue_rgb(hue), _hue_rgb((hue + 150) % 360)


def _hue_rgb(hue: int) -> RGB:
    high, low = 230, 40
    ramp = (high - low) * (hue % 60) // 60
    rising, falling = low + ramp, high - ramp
    sector = hue // 60
    table: tuple[RGB, ...] = (
        (high, rising, low),
        (falling, high, low),
        (low, high, rising),
        (low, falling, high),
        (rising, low, high),
        (high, low, falling),
    )
    return table[sector]


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload)
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def _jpeg() -> bytes:
    """Build an 8x8 mid-grey baseline JPEG: one block whose coefficients are all zero."""

    def segment(marker: int, payload: bytes) -> bytes:
        return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload

    one_code = bytes([1] + [0] * 15)  # a Huffman table with one code of length 1
    return b"".join(
        (
            b"\xff\xd8",  # SOI
            segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"),
            segment(0xDB, b"\x00" + b"\x01" * 64),  # quantisation table 0
            segment(0xC0, b"\x08\x00\x08\x00\x08\x01\x01\x11\x00"),  # 8x8, one component
            segment(0xC4, b"\x00" + one_code + b"\x00"),  # DC table: size 0
            segment(0xC4, b"\x10" + one_code + b"\x00"),  # AC table: end of block
            segment(0xDA, b"\x01\x01\x00\x00\x3f\x00"),
            b"\x3f",  # DC diff 0 ("0"), end of block ("0"), padded with ones
            b"\xff\xd9",  # EOI
        )
    )


def _webp() -> bytes:
    """Build a 1x1 lossless WebP whose every prefix code holds a single symbol."""
    fields = [
        (0x2F, 8),  # VP8L signature
        (0, 14),  # width - 1
        (0, 14),  # height - 1
        (0, 1),  # alpha is not used
        (0, 3),  # version
        (0, 1),  # no transform
        (0, 1),  # no colour cache
        (0, 1),  # no meta prefix codes
    ]
    for value in (0x80, 0x40, 0xC0, 0xFF):  # green, red, blue, alpha
        fields += [(1, 1), (0, 1), (1, 1), (value, 8)]  # simple code, 1 symbol, 8 bits
    fields += [(1, 1), (0, 1), (0, 1), (0, 1)]  # distance: simple code, symbol 0
    bits = position = 0
    for value, width in fields:
        bits |= value << position
        position += width
    payload = bits.to_bytes((position + 7) // 8, "little")
    payload += b"\x00" * (len(payload) % 2)
    chunk = b"VP8L" + struct.pack("<I", len(payload)) + payload
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def box(kind: bytes, payload: bytes) -> bytes:
    """Return an ISO BMFF box: its big-endian size, its four-letter type, its payload."""
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def full_box(kind: bytes, version: int, flags: int, payload: bytes) -> bytes:
    """Return a full box: a box whose payload starts with a version and 24 bits of flags."""
    return box(kind, struct.pack(">I", version << 24 | flags) + payload)


IDENTITY_MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
"""The transform matrix of an MP4 movie or track that is shown as it is."""


def ftyp(major: bytes, minor: int, compatible: tuple[bytes, ...]) -> bytes:
    """Return the ``ftyp`` box naming a file's major brand, its version and compatible brands."""
    return box(b"ftyp", major + struct.pack(">I", minor) + b"".join(compatible))


def mvhd(timescale: int, duration: int, next_track: int) -> bytes:
    """Build a movie header: times at 0, rate 1.0, full volume, no transform."""
    fields = struct.pack(">IIIIIH10x", 0, 0, timescale, duration, 0x10000, 0x100)
    return full_box(
        b"mvhd", 0, 0, fields + IDENTITY_MATRIX + bytes(24) + struct.pack(">I", next_track)
    )


def _isobmff(major: bytes, minor: int, compatible: tuple[bytes, ...]) -> bytes:
    """Build an ftyp box and a movie box with a movie header and no tracks."""
    return ftyp(major, minor, compatible) + box(b"moov", mvhd(1000, 0, next_track=1))


def _ebml_element(element_id: int, payload: bytes | int | str) -> bytes:
    if isinstance(payload, int):
        payload = payload.to_bytes(max(1, (payload.bit_length() + 7) // 8), "big")
    elif isinstance(payload, str):
        payload = payload.encode("ascii")
    size = len(payload)
    # Sizes below 127 fit the one-byte form; larger ones use the eight-byte form.
    encoded_size = bytes([0x80 | size]) if size < 0x7F else (size | 1 << 56).to_bytes(8, "big")
    encoded_id = element_id.to_bytes((element_id.bit_length() + 7) // 8, "big")
    return encoded_id + encoded_size + payload


def _ebml(doctype: str) -> bytes:
    """Build an EBML header naming ``doctype`` and a segment holding only segment info."""
    header = b"".join(
        _ebml_element(eid, value)
        for eid, value in (
            (0x4286, 1),  # EBMLVersion
            (0x42F7, 1),  # EBMLReadVersion
            (0x42F2, 4),  # EBMLMaxIDLength
            (0x42F3, 8),  # EBMLMaxSizeLength
            (0x4282, doctype),  # DocType
            (0x4287, 4),  # DocTypeVersion
            (0x4285, 2),  # DocTypeReadVersion
        )
    )
    info = _ebml_element(
        0x1549A966,  # Info
        _ebml_element(0x2AD7B1, 1_000_000)  # TimestampScale
        + _ebml_element(0x4D80, "rivya-contract")  # MuxingApp
        + _ebml_element(0x5741, "rivya-contract"),  # WritingApp
    )
    return _ebml_element(0x1A45DFA3, header) + _ebml_element(0x18538067, info)


def _mp3() -> bytes:
    """Build two silent MPEG-1 Layer III frames: 32 kbit/s, 44.1 kHz, mono, 104 bytes each."""
    frame = b"\xff\xfb\x10\xc0" + bytes(100)
    return frame * 2


def _wav() -> bytes:
    """Build 16 samples of a 1 kHz square wave: 8 kHz, mono, 16-bit PCM."""
    samples = b"".join(struct.pack("<h", 8000 if i % 8 < 4 else -8000) for i in range(16))
    fmt = struct.pack("<HHIIHH", 1, 1, 8000, 16000, 2, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", len(samples)) + samples
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _aac() -> bytes:
    """Build two silent AAC-LC frames in ADTS: 44.1 kHz, mono."""
    # raw_data_block: a single channel element with global gain 0 and no scale
    # factor bands, then the end element (ID_END = 7).
    payload = (7).to_bytes(4, "big")
    frame_length = 7 + len(payload)
    header = 0xFFF  # syncword
    for value, width in (
        (0, 1),  # MPEG-4
        (0, 2),  # layer
        (1, 1),  # no CRC
        (1, 2),  # profile: AAC LC
        (4, 4),  # 44100 Hz
        (0, 1),  # private bit
        (1, 3),  # one channel
        (0, 4),  # originality, home, copyright bits
        (frame_length, 13),
        (0x7FF, 11),  # buffer fullness: variable bit rate
        (0, 2),  # one raw data block
    ):
        header = header << width | value
    return (header.to_bytes(7, "big") + payload) * 2


def _ogg_crc(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = (crc << 1) ^ 0x04C11DB7 if crc & 0x80000000 else crc << 1
            crc &= 0xFFFFFFFF
    return crc


def _ogg_page(packet: bytes, sequence: int, flags: int) -> bytes:
    lacing = bytes([255] * (len(packet) // 255) + [len(packet) % 255])
    header = b"OggS" + struct.pack("<BBqII", 0, flags, 0, 0x52495659, sequence)
    page = header + b"\x00\x00\x00\x00" + bytes([len(lacing)]) + lacing + packet
    crc = struct.pack("<I", _ogg_crc(page))
    return page[:22] + crc + page[26:]


def _ogg() -> bytes:
    """Build an Ogg Opus stream with its two header packets and no audio."""
    head = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, 312, 48000, 0, 0)
    vendor = b"rivya-contract"
    tags = b"OpusTags" + struct.pack("<I", len(vendor)) + vendor + struct.pack("<I", 0)
    return _ogg_page(head, 0, 0x02) + _ogg_page(tags, 1, 0x04)


_BUILDERS: dict[str, Callable[[], bytes]] = {
    "image/jpeg": _jpeg,
    "image/png": lambda: png(8, 8),
    "image/webp": _webp,
    "video/mp4": lambda: _isobmff(b"isom", 0x200, (b"isom", b"iso2", b"avc1", b"mp41")),
    "video/quicktime": lambda: _isobmff(b"qt  ", 0x20050300, (b"qt  ",)),
    "audio/mp4": lambda: _isobmff(b"M4A ", 0x200, (b"M4A ", b"mp42", b"isom")),
    "video/webm": lambda: _ebml("webm"),
    "video/x-matroska": lambda: _ebml("matroska"),
    "audio/mpeg": _mp3,
    "audio/wav": _wav,
    "audio/aac": _aac,
    "audio/ogg": _ogg,
}
