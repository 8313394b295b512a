"""Small, deterministic media files.

The mock serves these as generation results, and test strategies send them as
uploads. Every function is pure: the same arguments always give the same bytes.

- ``png`` draws an RGB gradient whose colours follow from a seed.
- ``video`` codes an H.264 MP4 of a given size and duration, one flat colour
  chosen by a seed.
- ``audio`` writes a WAV or an MP3 of a given duration, a quiet tone whose
  pitch follows from a seed.
- ``size_for_ratio`` picks small pixel sizes with an exact aspect ratio.
- ``sample`` returns a minimal, well-formed file of each type in
  ``sniff.MIME_TYPES``, one that ``sniff.detect_mime`` recognises.
- ``png_size`` reads a PNG's dimensions.

Only WAV has a writer in the standard library (``wave``), and no light package
writes the rest: PyAV encodes video but bundles FFmpeg (a 35 MB wheel),
``pymp4`` builds MP4 boxes but pins ``construct`` to 2.8.8, and ``mutagen``
edits the tags of existing files without creating any. Each format here needs
only a few fixed layouts, so they are written directly:

- MP4 (ISO/IEC 14496-12, with ``avcC`` from 14496-15): an ``ftyp`` box, then a
  ``moov`` box describing one video track, then ``mdat`` holding the samples,
  each box a big-endian size and a four-letter type (``_box``, ``_full_box``).
  The sample tables say one frame a second, a shorter last frame ending the
  movie exactly at its duration.
- H.264: ``h264`` codes a flat picture and repeats it with skipped macroblocks,
  a few bits per macroblock, so the file is a real stream that decodes to its
  frames. Motion JPEG would be as easy to write, but browsers and most players
  do not play it from MP4, while H.264 in MP4 plays almost everywhere.
- MP3 (ISO/IEC 11172-3, Layer III): constant-bitrate frames, each a 4-byte
  header, 17 bytes of side information and a few bits of Huffman code setting
  a single frequency line, which the decoder turns into a tone.
"""

from __future__ import annotations

import functools
import io
import math
import re
import struct
import wave
import zlib
from collections.abc import Callable

from . import h264
from .sniff import MIME_TYPES, canonical_mime

__all__ = [
    "AUDIO_MIME_TYPES",
    "MAX_DURATION_SECONDS",
    "MAX_PNG_SIDE",
    "MAX_VIDEO_SIDE",
    "audio",
    "png",
    "png_size",
    "sample",
    "size_for_ratio",
    "video",
]

MAX_PNG_SIDE = 4096
"""The largest width or height ``png`` draws."""

MAX_VIDEO_SIDE = h264.MAX_SIDE
"""The largest width or height ``video`` codes."""

MAX_DURATION_SECONDS = 600.0
"""The longest ``video`` or ``audio`` writes."""

AUDIO_MIME_TYPES: tuple[str, ...] = ("audio/mpeg", "audio/wav")
"""The types ``audio`` writes, in canonical spelling."""

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_VIDEO_TIMESCALE = 1000  # ticks a second in the movie and its track
_WAV_RATE = 8000
_MP3_RATE = 32000
_MP3_FRAME_SAMPLES = 1152
_RATIO = re.compile(r"([0-9]{1,6}):([0-9]{1,6})")
_RGB = tuple[int, int, int]


def png(width: int, height: int, seed: int = 0) -> bytes:
    """Return an RGB PNG of the given size showing a diagonal gradient chosen by ``seed``.

    Raises:
        ValueError: If a side is below 1 or above ``MAX_PNG_SIDE``.

    """
    for side in (width, height):
        if not 1 <= side <= MAX_PNG_SIDE:
            raise ValueError(f"PNG sides must be between 1 and {MAX_PNG_SIDE}, got {side}")
    start, end = _seed_colours(seed)
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


def video(width: int, height: int, duration_seconds: float, seed: int = 0) -> bytes:
    """Return an H.264 MP4 of ``width`` x ``height`` pixels lasting ``duration_seconds``.

    Every frame shows one flat colour, the first colour of ``png``'s gradient
    for the same ``seed``. There is one frame a second, the last one shortened
    so that the movie ends at the duration, rounded to the millisecond. A video
    whose sides are both even is 4:2:0 Constrained Baseline; one with an odd
    side is 4:0:0 High profile, which shows the colour's luma as grey (see
    ``h264``). A 96 x 54 video of 22 seconds takes about 1.4 kB.

    Raises:
        ValueError: If a side is below 1 or above ``MAX_VIDEO_SIDE``, or the
            duration is not above 0 and at most ``MAX_DURATION_SECONDS``.

    """
    for side in (width, height):
        if not 1 <= side <= MAX_VIDEO_SIDE:
            raise ValueError(f"video sides must be between 1 and {MAX_VIDEO_SIDE}, got {side}")
    ticks = max(1, round(_checked_duration(duration_seconds) * _VIDEO_TIMESCALE))
    whole, rest = divmod(ticks, _VIDEO_TIMESCALE)
    deltas = [(whole, _VIDEO_TIMESCALE)] if whole else []
    if rest:
        deltas.append((1, rest))
    frames = sum(count for count, _ in deltas)
    coded = h264.stream(width, height, _ycbcr(_seed_colours(seed)[0]), frames)
    return _mp4(width, height, ticks, deltas, coded)


def audio(mime: str, duration_seconds: float, seed: int = 0) -> bytes:
    """Return a WAV or MP3 file playing a quiet tone for ``duration_seconds``.

    ``mime`` is one of ``AUDIO_MIME_TYPES`` or an alias of one (``audio/x-wav``,
    ``audio/mp3``); ``seed`` picks the pitch, between about 200 Hz and 1 kHz.

    - ``audio/wav``: 8-bit mono PCM at 8 kHz (8,000 bytes a second), a
      triangle wave at one of 801 whole frequencies from 200 to 1000 Hz, as
      long as the duration rounded to a sample.
    - ``audio/mpeg``: MPEG-1 Layer III, mono, 32 kHz at 32 kbit/s (4,000 bytes
      a second), a sine at one of 29 frequencies 27.8 Hz apart from 222 Hz to
      1 kHz, in 36 ms frames: the number of frames is the duration divided by
      36 ms, rounded, and at least one.

    Raises:
        ValueError: If the type is not supported, or the duration is not above 0
            and at most ``MAX_DURATION_SECONDS``.

    """
    canonical = canonical_mime(mime)
    if canonical not in AUDIO_MIME_TYPES:
        supported = ", ".join(AUDIO_MIME_TYPES)
        raise ValueError(f"no audio writer for {mime!r}; supported: {supported}")
    duration = _checked_duration(duration_seconds)
    pick = _mix(seed)
    if canonical == "audio/wav":
        return _wav_tone(max(1, round(duration * _WAV_RATE)), hertz=200 + pick % 801)
    return _mp3_tone(max(1, round(duration * _MP3_RATE / _MP3_FRAME_SAMPLES)), line=8 + pick % 29)


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


def _mix(seed: int) -> int:
    """Hash ``seed`` to 64 bits (SplitMix64), so that neighbouring seeds look unrelated."""
    mixed = (seed + 0x9E3779B97F4A7C15) % 2**64
    mixed = (mixed ^ (mixed >> 30)) * 0xBF58476D1CE4E5B9 % 2**64
    mixed = (mixed ^ (mixed >> 27)) * 0x94D049BB133111EB % 2**64
    return mixed ^ (mixed >> 31)


def _seed_colours(seed: int) -> tuple[_RGB, _RGB]:
    hue = _mix(seed) % 360
    return _hue_rgb(hue), _hue_rgb((hue + 150) % 360)


def _hue_rgb(hue: int) -> _RGB:
    high, low = 230, 40
    ramp = (high - low) * (hue % 60) // 60
    rising, falling = low + ramp, high - ramp
    sector = hue // 60
    table: tuple[_RGB, ...] = (
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


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _full_box(kind: bytes, version: int, flags: int, payload: bytes) -> bytes:
    return _box(kind, struct.pack(">I", version << 24 | flags) + payload)


_IDENTITY_MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)


def _ftyp(major: bytes, minor: int, compatible: tuple[bytes, ...]) -> bytes:
    return _box(b"ftyp", major + struct.pack(">I", minor) + b"".join(compatible))


def _mvhd(timescale: int, duration: int, next_track: int) -> bytes:
    """Build a movie header: times at 0, rate 1.0, full volume, no transform."""
    fields = struct.pack(">IIIIIH10x", 0, 0, timescale, duration, 0x10000, 0x100)
    return _full_box(
        b"mvhd", 0, 0, fields + _IDENTITY_MATRIX + bytes(24) + struct.pack(">I", next_track)
    )


def _isobmff(major: bytes, minor: int, compatible: tuple[bytes, ...]) -> bytes:
    """Build an ftyp box and a movie box with a movie header and no tracks."""
    return _ftyp(major, minor, compatible) + _box(b"moov", _mvhd(1000, 0, next_track=1))


def _checked_duration(seconds: float) -> float:
    if not (math.isfinite(seconds) and 0 < seconds <= MAX_DURATION_SECONDS):
        raise ValueError(
            f"durations must be above 0 and at most {MAX_DURATION_SECONDS:g} seconds,"
            f" got {seconds!r}"
        )
    return float(seconds)


def _ycbcr(rgb: _RGB) -> _RGB:
    """Convert full-range RGB to limited-range BT.601 YCbCr, in integers."""
    r, g, b = rgb
    return (
        16 + ((66 * r + 129 * g + 25 * b + 128) >> 8),
        128 + ((-38 * r - 74 * g + 112 * b + 128) >> 8),
        128 + ((112 * r - 94 * g - 18 * b + 128) >> 8),
    )


def _mp4(
    width: int, height: int, ticks: int, deltas: list[tuple[int, int]], coded: h264.Stream
) -> bytes:
    """Build an MP4 with one H.264 track; ``deltas`` are runs of (sample count, ticks each)."""
    samples = [struct.pack(">I", len(nal)) + nal for nal in (coded.idr, *coded.repeat)]
    ftyp = _ftyp(b"isom", 0x200, (b"isom", b"iso2", b"avc1", b"mp41"))
    entry = _avc1(width, height, coded)

    def moov(offset: int) -> bytes:
        stbl = _stbl(entry, deltas, [len(sample) for sample in samples], offset)
        track = _video_trak(width, height, ticks, stbl)
        return _box(b"moov", _mvhd(_VIDEO_TIMESCALE, ticks, next_track=2) + track)

    # The samples follow the moov box, which records their offset; the offset's
    # value does not change the box's size, so measure it first, then build it.
    offset = len(ftyp) + len(moov(0)) + 8
    return ftyp + moov(offset) + _box(b"mdat", b"".join(samples))


def _avc1(width: int, height: int, coded: h264.Stream) -> bytes:
    """Build the H.264 sample entry, holding the decoder configuration (``avcC``)."""
    config = bytes([1, coded.profile, coded.compatibility, coded.level])
    config += b"\xff"  # NAL unit lengths take four bytes
    config += b"\xe1" + struct.pack(">H", len(coded.sps)) + coded.sps  # one SPS
    config += b"\x01" + struct.pack(">H", len(coded.pps)) + coded.pps  # one PPS
    if coded.profile != 66:  # the High profile fields: chroma format, 8-bit samples
        config += bytes([0xFC | coded.chroma_format, 0xF8, 0xF8, 0])
    return _box(
        b"avc1",
        bytes(6)  # reserved
        + struct.pack(">HHH12x", 1, 0, 0)  # data_reference_index, pre_defined, reserved
        + struct.pack(">HHIII", width, height, 0x480000, 0x480000, 0)  # 72 dpi
        + struct.pack(">H32xHh", 1, 0x18, -1)  # frame_count, compressor, depth, pre_defined
        + _box(b"avcC", config),
    )


def _stbl(entry: bytes, deltas: list[tuple[int, int]], sizes: list[int], offset: int) -> bytes:
    """Build the sample tables of one chunk of samples at ``offset``, the first a key frame."""
    runs = b"".join(struct.pack(">II", count, delta) for count, delta in deltas)
    return _box(
        b"stbl",
        _full_box(b"stsd", 0, 0, struct.pack(">I", 1) + entry)
        + _full_box(b"stts", 0, 0, struct.pack(">I", len(deltas)) + runs)
        + _full_box(b"stss", 0, 0, struct.pack(">II", 1, 1))
        + _full_box(b"stsc", 0, 0, struct.pack(">IIII", 1, 1, len(sizes), 1))
        + _full_box(b"stsz", 0, 0, struct.pack(f">II{len(sizes)}I", 0, len(sizes), *sizes))
        + _full_box(b"stco", 0, 0, struct.pack(">II", 1, offset)),
    )


def _video_trak(width: int, height: int, ticks: int, stbl: bytes) -> bytes:
    """Build track 1, a video track lasting ``ticks`` whose samples ``stbl`` describes."""
    tkhd = _full_box(
        b"tkhd",
        0,
        3,  # enabled, in the movie
        struct.pack(">IIIIIQHHHH", 0, 0, 1, 0, ticks, 0, 0, 0, 0, 0)
        + _IDENTITY_MATRIX
        + struct.pack(">II", width << 16, height << 16),  # 16.16 fixed point
    )
    und = 0x55C4  # the language code "und", five bits a letter
    mdhd = struct.pack(">IIIIHH", 0, 0, _VIDEO_TIMESCALE, ticks, und, 0)
    here = _full_box(b"url ", 0, 1, b"")  # flag 1: the media is in this file
    minf = (
        _full_box(b"vmhd", 0, 1, bytes(8))
        + _box(b"dinf", _full_box(b"dref", 0, 0, struct.pack(">I", 1) + here))
        + stbl
    )
    mdia = (
        _full_box(b"mdhd", 0, 0, mdhd)
        + _full_box(b"hdlr", 0, 0, bytes(4) + b"vide" + bytes(12) + b"VideoHandler\x00")
        + _box(b"minf", minf)
    )
    return _box(b"trak", tkhd + _box(b"mdia", mdia))


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


def _wav_tone(frames: int, hertz: int) -> bytes:
    """Write ``frames`` samples of a triangle wave at ``hertz``: 8 kHz, 8-bit, mono."""
    amplitude = 32  # a quarter of full scale
    # The wave repeats after a whole number of cycles: at most one second.
    period = _WAV_RATE // math.gcd(hertz, _WAV_RATE)
    cycle = bytearray()
    for n in range(period):
        step = 4 * amplitude * (n * hertz % _WAV_RATE) // _WAV_RATE
        cycle.append(128 + (step - amplitude if step < 2 * amplitude else 3 * amplitude - step))
    whole, rest = divmod(frames, period)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(_WAV_RATE)
        out.writeframes(bytes(cycle) * whole + bytes(cycle[:rest]))
    return buffer.getvalue()


def _mp3_tone(frames: int, line: int) -> bytes:
    """Write ``frames`` MPEG-1 Layer III frames of a sine at ``line`` x 27.8 Hz.

    Each frame is 144 bytes: 32 kbit/s at 32 kHz, mono, no CRC, no padding.
    Each of its two granules holds 576 spectral lines, 27.8 Hz apart, all zero
    but one value of 1 at ``line``, coded with Huffman table 1 (pairs of values
    up to 1). A sine at that frequency turns ``line`` half cycles in a granule
    (576 samples), so the value's sign alternates from one granule to the next
    when ``line`` is odd; every frame is the same.
    """
    header = b"\xff\xfb\x18\xc0"  # sync, MPEG-1, Layer III, 32 kbit/s, 32 kHz, mono
    pairs, odd = divmod(line, 2)
    # Pairs of zeros are "1"; the pair holding the line is (1, 0) "01" or (0, 1) "001",
    # then the value's sign bit (1 for negative).
    code, code_bits = (0b0010, 4) if odd else (0b010, 3)
    part3_bits = pairs + code_bits
    granule = 0
    for value, width in (
        (part3_bits, 12),  # part2_3_length: no scale factors, so all Huffman code
        (pairs + 1, 9),  # big_values: pairs coded with the tables below
        (196, 8),  # global_gain: a value of 1 is 2 ** ((196 - 210) / 4), about 0.09
        (0, 4),  # scalefac_compress: no scale factor bits
        (0, 1),  # window_switching_flag: a normal long block
        (1, 5),  # table_select for region 0,
        (1, 5),  # region 1,
        (1, 5),  # and region 2: all table 1
        (0, 4),  # region0_count
        (0, 3),  # region1_count
        (0, 3),  # preflag, scalefac_scale, count1table_select
    ):
        granule = granule << width | value
    # main_data_begin 0 (no bit reservoir), private bits, scfsi, then both granules.
    side = (granule << 59 | granule).to_bytes(17, "big")
    first = ((1 << pairs) - 1) << code_bits | code
    second = first | odd  # the sign bit is the code's last bit
    main_bits = 2 * part3_bits
    main_data = (first << part3_bits | second) << (-main_bits % 8)
    payload = header + side + main_data.to_bytes((main_bits + 7) // 8, "big")
    return payload.ljust(144, b"\x00") * frames


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
