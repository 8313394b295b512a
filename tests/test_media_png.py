"""Generated PNGs: valid chunks and pixels, exact sizes for a ratio, and the PNG sample."""

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


def test_png_sample_decodes() -> None:
    width, height, rows = decode_png(sample("image/png"))
    assert (width, height) == (8, 8)
    assert len(rows) == 8
