from __future__ import annotations

import struct
import zlib

import pytest

from rivya_contract.mock_server.media import (
    MAX_PNG_SIDE,
    png,
    png_size,
    sample,
    size_for_ratio,
)
from rivya_contract.mock_server.sniff import MIME_TYPES, detect_mime

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def read_png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """Split a PNG into chunks, checking every length and CRC."""
    assert data[:8] == PNG_SIGNATURE
    chunks: list[tuple[bytes, bytes]] = []
    pos = 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        payload = data[pos + 8 : pos + 8 + length]
        assert len(payload) == length
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + payload), f"bad CRC in {kind!r}"
        chunks.append((kind, payload))
        pos += 12 + length
    assert pos == len(data)
    return chunks


def paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def decode_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """Decode an 8-bit RGB, non-interlaced PNG into rows of RGB bytes."""
    chunks = read_png_chunks(data)
    kinds = [kind for kind, _ in chunks]
    assert kinds[0] == b"IHDR"
    assert kinds[-1] == b"IEND"
    assert b"IDAT" in kinds
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(
        ">IIBBBBB", chunks[0][1]
    )
    assert (depth, colour, compression, filtering, interlace) == (8, 2, 0, 0, 0)
    raw = zlib.decompress(b"".join(p for k, p in chunks if k == b"IDAT"))
    stride = 3 * width
    assert len(raw) == height * (stride + 1)
    rows: list[bytes] = []
    previous = bytes(stride)
    for y in range(height):
        line = raw[y * (stride + 1) : (y + 1) * (stride + 1)]
        kind, row = line[0], bytearray(line[1:])
        for i in range(stride):
            left = row[i - 3] if i >= 3 else 0
            up = previous[i]
            up_left = previous[i - 3] if i >= 3 else 0
            predictor = {
                0: 0,
                1: left,
                2: up,
                3: (left + up) // 2,
                4: paeth(left, up, up_left),
            }[kind]
            row[i] = (row[i] + predictor) & 0xFF
        rows.append(bytes(row))
        previous = bytes(row)
    return width, height, rows


@pytest.mark.parametrize(("width", "height"), [(1, 1), (96, 54), (64, 96), (96, 96), (3, 200)])
def test_png_is_valid_with_the_requested_size(width: int, height: int) -> None:
    data = png(width, height, seed=7)
    decoded_width, decoded_height, rows = decode_png(data)
    assert (decoded_width, decoded_height) == (width, height)
    assert len(rows) == height
    assert all(len(row) == 3 * width for row in rows)
    assert png_size(data) == (width, height)


@pytest.mark.parametrize("seed", [0, 1, 2, 99, -3, 2**70])
def test_png_96_is_small(seed: int) -> None:
    assert len(png(96, 96, seed)) < 10_000


def test_png_is_deterministic() -> None:
    assert png(96, 54, seed=5) == png(96, 54, seed=5)
    assert png(10, 10) == png(10, 10, seed=0)


def test_png_seed_changes_the_pixels() -> None:
    images = {decode_png(png(16, 16, seed))[2][0] for seed in range(20)}
    assert len(images) == 20


def test_png_is_a_gradient_not_a_flat_colour() -> None:
    _, _, rows = decode_png(png(96, 96, seed=3))
    corners = {rows[0][0:3], rows[-1][-3:]}
    assert len(corners) == 2
    distinct_pixels = {row[i : i + 3] for row in rows for i in range(0, len(row), 3)}
    assert len(distinct_pixels) > 50


@pytest.mark.parametrize(
    ("width", "height"),
    [(0, 1), (1, 0), (-1, 5), (MAX_PNG_SIDE + 1, 1), (1, MAX_PNG_SIDE + 1)],
)
def test_png_rejects_bad_sizes(width: int, height: int) -> None:
    with pytest.raises(ValueError, match="between 1 and"):
        png(width, height)


@pytest.mark.parametrize(
    "data",
    [b"", b"not a png at all", PNG_SIGNATURE, PNG_SIGNATURE + b"\x00\x00\x00\x0dIDAT" + bytes(8)],
)
def test_png_size_rejects_non_png(data: bytes) -> None:
    with pytest.raises(ValueError, match="not a PNG"):
        png_size(data)


@pytest.mark.parametrize(
    ("ratio", "longest", "expected"),
    [
        ("16:9", 96, (96, 54)),
        ("9:16", 96, (54, 96)),
        ("2:3", 96, (64, 96)),
        ("3:2", 96, (96, 64)),
        ("1:1", 96, (96, 96)),
        ("4:3", 96, (96, 72)),
        ("21:9", 96, (91, 39)),
        ("32:18", 96, (96, 54)),
        ("16:9", 100, (96, 54)),
        ("16:9", 1024, (1024, 576)),
        ("1:1", 1, (1, 1)),
        ("96:1", 96, (96, 1)),
        ("auto", 96, (96, 96)),
        ("auto", 7, (7, 7)),
    ],
)
def test_size_for_ratio(ratio: str, longest: int, expected: tuple[int, int]) -> None:
    assert size_for_ratio(ratio, longest) == expected


def test_size_for_ratio_default_longest_is_96() -> None:
    assert size_for_ratio("16:9") == (96, 54)


@pytest.mark.parametrize("ratio", ["1:1", "2:3", "3:2", "16:9", "9:16", "4:5", "7:5", "21:9"])
@pytest.mark.parametrize("longest", [16, 50, 96, 97, 1000])
def test_size_for_ratio_is_exact_and_bounded(ratio: str, longest: int) -> None:
    rw, rh = (int(term) for term in ratio.split(":"))
    width, height = size_for_ratio(ratio, longest)
    assert width * rh == height * rw
    assert 1 <= max(width, height) <= longest
    # No larger exact size fits: one more step of the reduced ratio would overflow.
    assert max(width, height) + max(rw, rh) > longest


@pytest.mark.parametrize(
    "ratio",
    [
        *("", "16x9", "16:", ":9", "0:1", "1:0", "a:b", "16:9:1", " 16:9", "16:9 ", "-1:2"),
        *("1.5:1", "AUTO", "١٦:٩", "1234567:1"),
    ],
)
def test_size_for_ratio_rejects_malformed(ratio: str) -> None:
    with pytest.raises(ValueError, match="aspect ratio"):
        size_for_ratio(ratio)


def test_size_for_ratio_rejects_ratios_that_do_not_fit() -> None:
    with pytest.raises(ValueError, match="no exact size"):
        size_for_ratio("97:1", 96)
    with pytest.raises(ValueError, match="longest"):
        size_for_ratio("1:1", 0)


@pytest.mark.parametrize("mime", MIME_TYPES)
def test_sample_is_detected_as_its_type(mime: str) -> None:
    data = sample(mime)
    assert isinstance(data, bytes)
    assert detect_mime(data) == mime
    assert sample(mime) == data


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [("audio/x-wav", "audio/wav"), ("image/jpg", "image/jpeg"), ("Video/MP4", "video/mp4")],
)
def test_sample_accepts_aliases(alias: str, canonical: str) -> None:
    assert sample(alias) == sample(canonical)


@pytest.mark.parametrize("mime", ["image/gif", "text/plain", "", "video/ogg"])
def test_sample_rejects_unsupported_types(mime: str) -> None:
    with pytest.raises(ValueError, match="no sample"):
        sample(mime)


def test_samples_are_small_and_distinct() -> None:
    samples = [sample(m) for m in MIME_TYPES]
    assert len(set(samples)) == len(samples)
    assert all(0 < len(s) < 1024 for s in samples)


def test_png_sample_decodes() -> None:
    width, height, rows = decode_png(sample("image/png"))
    assert (width, height) == (8, 8)
    assert len(rows) == 8


def test_jpeg_sample_structure() -> None:
    data = sample("image/jpeg")
    assert data[:2] == b"\xff\xd8"
    assert data[-2:] == b"\xff\xd9"
    pos, markers = 2, []
    while data[pos + 1] != 0xDA:
        assert data[pos] == 0xFF
        marker = data[pos + 1]
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        markers.append((marker, data[pos + 4 : pos + 2 + length]))
        pos += 2 + length
    kinds = [m for m, _ in markers]
    assert kinds.count(0xDB) == 1
    assert kinds.count(0xC4) == 2
    sof = dict(markers)[0xC0]
    precision, height, width, components = struct.unpack(">BHHB", sof[:6])
    assert (precision, height, width, components) == (8, 8, 8, 1)
    (sos_length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
    scan = data[pos + 2 + sos_length : -2]
    assert b"\xff" not in scan
    tables = {
        payload[0]: huffman_codes(payload[1:]) for marker, payload in markers if marker == 0xC4
    }
    # Decode the single 8x8 block: a DC difference, then AC run/size symbols up to end of block.
    bits = "".join(f"{byte:08b}" for byte in scan)
    dc_size, bits = next_symbol(tables[0x00], bits)
    assert dc_size == 0  # no difference from the predictor: mid-grey
    coefficients = 1
    while coefficients < 64:
        symbol, bits = next_symbol(tables[0x10], bits)
        if symbol == 0x00:  # end of block
            break
        run, size = symbol >> 4, symbol & 0x0F
        bits = bits[size:]
        coefficients += run + 1
    assert set(bits) <= {"1"}  # only padding is left
    assert len(bits) < 8


def huffman_codes(table: bytes) -> dict[str, int]:
    """Build the canonical code of a DHT table body (16 counts, then symbols)."""
    counts, symbols = table[:16], iter(table[16:])
    codes: dict[str, int] = {}
    code = 0
    for length, count in enumerate(counts, start=1):
        for _ in range(count):
            codes[format(code, f"0{length}b")] = next(symbols)
            code += 1
        code <<= 1
    return codes


def next_symbol(codes: dict[str, int], bits: str) -> tuple[int, str]:
    for length in range(1, 17):
        if bits[:length] in codes and len(bits) >= length:
            return codes[bits[:length]], bits[length:]
    raise AssertionError("no Huffman code matches the scan data")


def test_webp_sample_structure() -> None:
    data = sample("image/webp")
    assert data[:4] == b"RIFF"
    assert data[8:12] == b"WEBP"
    assert struct.unpack("<I", data[4:8])[0] == len(data) - 8
    assert data[12:16] == b"VP8L"
    (chunk_size,) = struct.unpack("<I", data[16:20])
    assert 20 + chunk_size + chunk_size % 2 == len(data)
    assert data[20] == 0x2F
    (dims,) = struct.unpack("<I", data[21:25])
    width, height = (dims & 0x3FFF) + 1, ((dims >> 14) & 0x3FFF) + 1
    assert (width, height) == (1, 1)
    assert dims >> 29 == 0  # version bits


def boxes(data: bytes) -> list[tuple[bytes, bytes]]:
    found: list[tuple[bytes, bytes]] = []
    pos = 0
    while pos < len(data):
        (size,) = struct.unpack(">I", data[pos : pos + 4])
        assert size >= 8
        found.append((data[pos + 4 : pos + 8], data[pos + 8 : pos + size]))
        pos += size
    assert pos == len(data)
    return found


@pytest.mark.parametrize(
    ("mime", "major"),
    [("video/mp4", b"isom"), ("video/quicktime", b"qt  "), ("audio/mp4", b"M4A ")],
)
def test_isobmff_sample_structure(mime: str, major: bytes) -> None:
    top = boxes(sample(mime))
    assert [kind for kind, _ in top] == [b"ftyp", b"moov"]
    assert top[0][1][:4] == major
    inner = boxes(top[1][1])
    assert [kind for kind, _ in inner] == [b"mvhd"]
    mvhd = inner[0][1]
    assert len(mvhd) == 100
    (timescale,) = struct.unpack(">I", mvhd[12:16])
    assert timescale == 1000


@pytest.mark.parametrize(
    ("mime", "doctype"), [("video/webm", b"webm"), ("video/x-matroska", b"matroska")]
)
def test_ebml_sample_structure(mime: str, doctype: bytes) -> None:
    data = sample(mime)
    assert data[:4] == b"\x1a\x45\xdf\xa3"
    header_size = data[4] & 0x7F
    header = data[5 : 5 + header_size]
    assert b"\x42\x82" + bytes([0x80 | len(doctype)]) + doctype in header
    segment = data[5 + header_size :]
    assert segment[:4] == b"\x18\x53\x80\x67"
    assert segment[4] & 0x7F == len(segment) - 5


def test_mp3_sample_frames() -> None:
    data = sample("audio/mpeg")
    bitrates = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320]
    pos, frames = 0, 0
    while pos < len(data):
        header = data[pos : pos + 4]
        assert header[0] == 0xFF
        assert header[1] == 0xFB  # MPEG-1 Layer III, no CRC
        assert (header[2] >> 2) & 0b11 == 0  # 44.1 kHz
        padding = (header[2] >> 1) & 1
        frame_length = 144 * bitrates[header[2] >> 4] * 1000 // 44100 + padding
        pos += frame_length
        frames += 1
    assert pos == len(data)
    assert frames >= 2


def test_wav_sample_structure() -> None:
    data = sample("audio/wav")
    assert data[:4] == b"RIFF"
    assert data[8:12] == b"WAVE"
    assert struct.unpack("<I", data[4:8])[0] == len(data) - 8
    assert data[12:16] == b"fmt "
    fmt_size, audio_format, channels, rate, byte_rate, align, bits = struct.unpack(
        "<IHHIIHH", data[16:36]
    )
    assert (fmt_size, audio_format, channels, bits) == (16, 1, 1, 16)
    assert byte_rate == rate * align
    assert data[36:40] == b"data"
    (data_size,) = struct.unpack("<I", data[40:44])
    assert data_size == len(data) - 44
    assert data_size >= 8
    assert data_size % align == 0
    samples = struct.unpack(f"<{data_size // 2}h", data[44:])
    assert len(set(samples)) > 1


def test_aac_sample_frames() -> None:
    data = sample("audio/aac")
    pos, frames = 0, 0
    while pos < len(data):
        assert data[pos] == 0xFF
        assert data[pos + 1] & 0xF6 == 0xF0
        frame_length = ((data[pos + 3] & 3) << 11) | (data[pos + 4] << 3) | (data[pos + 5] >> 5)
        assert frame_length > 7
        pos += frame_length
        frames += 1
    assert pos == len(data)
    assert frames >= 1


def ogg_crc(page: bytes) -> int:
    table = []
    for i in range(256):
        r = i << 24
        for _ in range(8):
            r = ((r << 1) ^ 0x04C11DB7) & 0xFFFFFFFF if r & 0x80000000 else (r << 1) & 0xFFFFFFFF
        table.append(r)
    crc = 0
    for byte in page:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ table[((crc >> 24) ^ byte) & 0xFF]
    return crc


def test_ogg_sample_pages() -> None:
    data = sample("audio/ogg")
    pos, packets = 0, []
    while pos < len(data):
        assert data[pos : pos + 4] == b"OggS"
        segments = data[pos + 26]
        lacing = data[pos + 27 : pos + 27 + segments]
        end = pos + 27 + segments + sum(lacing)
        page = data[pos:end]
        (stored_crc,) = struct.unpack("<I", page[22:26])
        assert stored_crc == ogg_crc(page[:22] + b"\x00" * 4 + page[26:])
        packets.append(page[27 + segments :])
        pos = end
    assert pos == len(data)
    assert packets[0].startswith(b"OpusHead")
    assert packets[1].startswith(b"OpusTags")
    assert data[5] & 0x02  # first page opens the stream
