"""Sample media files: detected as their type, small, and well-formed down to their frames."""

from __future__ import annotations

import struct

import pytest

from rivya_contract.mock_server.media import sample
from rivya_contract.mock_server.sniff import MIME_TYPES, detect_mime


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
