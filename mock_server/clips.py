"""Generated results of a duration: H.264 MP4 videos and WAV or MP3 tones.

Every function is pure: the same arguments always give the same bytes.

- ``video`` codes an H.264 MP4 of a given size and duration, one flat colour
  chosen by a seed.
- ``audio`` writes a WAV or an MP3 of a given duration, a quiet tone whose
  pitch follows from a seed.

Only WAV has a writer in the standard library (``wave``), and no light package
writes the rest: PyAV encodes video but bundles FFmpeg (a 35 MB wheel),
``pymp4`` builds MP4 boxes but pins ``construct`` to 2.8.8, and ``mutagen``
edits the tags of existing files without creating any. Each format here needs
only a few fixed layouts, so they are written directly:

- MP4 (ISO/IEC 14496-12, with ``avcC`` from 14496-15): an ``ftyp`` box, then a
  ``moov`` box describing one video track, then ``mdat`` holding the samples,
  each box a big-endian size and a four-letter type (``media.box``,
  ``media.full_box``). The sample tables say one frame a second, a shorter last
  frame ending the movie exactly at its duration.
- H.264: ``h264`` codes a flat picture and repeats it with skipped macroblocks,
  a few bits per macroblock, so the file is a real stream that decodes to its
  frames. Motion JPEG would be as easy to write, but browsers and most players
  do not play it from MP4, while H.264 in MP4 plays almost everywhere.
- MP3 (ISO/IEC 11172-3, Layer III): constant-bitrate frames, each a 4-byte
  header, 17 bytes of side information and a few bits of Huffman code setting
  a single frequency line, which the decoder turns into a tone.
"""

from __future__ import annotations

import io
import math
import struct
import wave

from rivya_contract.mock_server import h264
from rivya_contract.mock_server.media import (
    IDENTITY_MATRIX,
    RGB,
    box,
    ftyp,
    full_box,
    mix,
    mvhd,
    seed_colours,
)
from rivya_contract.mock_server.sniff import canonical_mime

__all__ = ["AUDIO_MIME_TYPES", "MAX_DURATION_SECONDS", "MAX_VIDEO_SIDE", "audio", "video"]


MAX_VIDEO_SIDE = h264.MAX_SIDE
"""The largest width or height ``video`` codes."""


MAX_DURATION_SECONDS = 600.0
"""The longest ``video`` or ``audio`` writes."""


AUDIO_MIME_TYPES: tuple[str, ...] = ("audio/mpeg", "audio/wav")
"""The types ``audio`` writes, in canonical spelling."""


_VIDEO_TIMESCALE = 1000  # ticks a second in the movie and its track


_WAV_RATE = 8000


_MP3_RATE = 32000


_MP3_FRAME_SAMPLES = 1152


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
    coded = h264.stream(width, height, _ycbcr(seed_colours(seed)[0]), frames)
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
    pick = mix(seed)
    if canonical == "audio/wav":
        return _wav_tone(max(1, round(duration * _WAV_RATE)), hertz=200 + pick % 801)
    return _mp3_tone(max(1, round(duration * _MP3_RATE / _MP3_FRAME_SAMPLES)), line=8 + pick % 29)


def _checked_duration(seconds: float) -> float:
    if not (math.isfinite(seconds) and 0 < seconds <= MAX_DURATION_SECONDS):
        raise ValueError(
            f"durations must be above 0 and at most {MAX_DURATION_SECONDS:g} seconds,"
            f" got {seconds!r}"
        )
    return float(seconds)


def _ycbcr(rgb: RGB) -> RGB:
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
    file_type = ftyp(b"isom", 0x200, (b"isom", b"iso2", b"avc1", b"mp41"))
    entry = _avc1(width, height, coded)

    def moov(offset: int) -> bytes:
        stbl = _stbl(entry, deltas, [len(sample) for sample in samples], offset)
        track = _video_trak(width, height, ticks, stbl)
        return box(b"moov", mvhd(_VIDEO_TIMESCALE, ticks, next_track=2) + track)

    # The samples follow the moov box, which records their offset; the offset's
    # value does not change the box's size, so measure it first, then build it.
    offset = len(file_type) + len(moov(0)) + 8
    return file_type + moov(offset) + box(b"mdat", b"".join(samples))


def _avc1(width: int, height: int, coded: h264.Stream) -> bytes:
    """Build the H.264 sample entry, holding the decoder configuration (``avcC``)."""
    config = bytes([1, coded.profile, coded.compatibility, coded.level])
    config += b"\xff"  # NAL unit lengths take four bytes
    config += b"\xe1" + struct.pack(">H", len(coded.sps)) + coded.sps  # one SPS
    config += b"\x01" + struct.pack(">H", len(coded.pps)) + coded.pps  # one PPS
    if coded.profile != 66:  # the High profile fields: chroma format, 8-bit samples
        config += bytes([0xFC | coded.chroma_format, 0xF8, 0xF8, 0])
    return box(
        b"avc1",
        bytes(6)  # reserved
        + struct.pack(">HHH12x", 1, 0, 0)  # data_reference_index, pre_defined, reserved
        + struct.pack(">HHIII", width, height, 0x480000, 0x480000, 0)  # 72 dpi
        + struct.pack(">H32xHh", 1, 0x18, -1)  # frame_count, compressor, depth, pre_defined
        + box(b"avcC", config),
    )


def _stbl(entry: bytes, deltas: list[tuple[int, int]], sizes: list[int], offset: int) -> bytes:
    """Build the sample tables of one chunk of samples at ``offset``, the first a key frame."""
    runs = b"".join(struct.pack(">II", count, delta) for count, delta in deltas)
    return box(
        b"stbl",
        full_box(b"stsd", 0, 0, struct.pack(">I", 1) + entry)
        + full_box(b"stts", 0, 0, struct.pack(">I", len(deltas)) + runs)
        + full_box(b"stss", 0, 0, struct.pack(">II", 1, 1))
        + full_box(b"stsc", 0, 0, struct.pack(">IIII", 1, 1, len(sizes), 1))
        + full_box(b"stsz", 0, 0, struct.pack(f">II{len(sizes)}I", 0, len(sizes), *sizes))
        + full_box(b"stco", 0, 0, struct.pack(">II", 1, offset)),
    )


def _video_trak(width: int, height: int, ticks: int, stbl: bytes) -> bytes:
    """Build track 1, a video track lasting ``ticks`` whose samples ``stbl`` describes."""
    tkhd = full_box(
        b"tkhd",
        0,
        3,  # enabled, in the movie
        struct.pack(">IIIIIQHHHH", 0, 0, 1, 0, ticks, 0, 0, 0, 0, 0)
        + IDENTITY_MATRIX
        + struct.pack(">II", width << 16, height << 16),  # 16.16 fixed point
    )
    und = 0x55C4  # the language code "und", five bits a letter
    mdhd = struct.pack(">IIIIHH", 0, 0, _VIDEO_TIMESCALE, ticks, und, 0)
    here = full_box(b"url ", 0, 1, b"")  # flag 1: the media is in this file
    minf = (
        full_box(b"vmhd", 0, 1, bytes(8))
        + box(b"dinf", full_box(b"dref", 0, 0, struct.pack(">I", 1) + here))
        + stbl
    )
    mdia = (
        full_box(b"mdhd", 0, 0, mdhd)
        + full_box(b"hdlr", 0, 0, bytes(4) + b"vide" + bytes(12) + b"VideoHandler\x00")
        + box(b"minf", minf)
    )
    return box(b"trak", tkhd + box(b"mdia", mdia))


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
