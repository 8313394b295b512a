"""Generated results, read back by decoders that share no code with the writers.

MP4 files are read by ffprobe and decoded by ffmpeg (width, height, duration,
frames) and by mutagen (duration); WAV files by the ``wave`` module, mutagen and
ffmpeg; MP3 files by mutagen (duration, frame format) and ffmpeg. The tests that
need ffprobe and ffmpeg fail without them, naming the fix; ``make system-deps`` installs
them.
"""

from __future__ import annotations

import io
import itertools
import json
import math
import shutil
import subprocess
import wave
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import mutagen.mp3
import mutagen.mp4
import mutagen.wave
import pytest

from rivya_contract.mock_server.clips import (
    AUDIO_MIME_TYPES,
    MAX_DURATION_SECONDS,
    MAX_VIDEO_SIDE,
    audio,
    video,
)
from rivya_contract.mock_server.media import size_for_ratio
from rivya_contract.mock_server.sniff import detect_mime

RATIOS = ("1:1", "16:9", "9:16", "21:9", "4:3")
DURATIONS = (0.5, 3, 5, 6, 10, 15, 22)
MP3_FRAME_SECONDS = 1152 / 32000
WAV_RATE = 8000

needs_ffmpeg = pytest.mark.usefixtures("ffmpeg_tools")
"""The test decodes with ffprobe and ffmpeg, which ``make system-deps`` installs."""


@pytest.fixture(scope="session")
def ffmpeg_tools() -> None:
    """Fail, naming the fix, when ffprobe or ffmpeg is missing: a missing oracle is a gap."""
    missing = [tool for tool in ("ffprobe", "ffmpeg") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"{' and '.join(missing)} missing: run `make system-deps` (Debian's ffmpeg)")


def probe(data: bytes, tmp_path: Path, suffix: str) -> dict[str, Any]:
    """Return ffprobe's JSON description of ``data``: its format and its one stream."""
    path = tmp_path / f"probe{suffix}"
    path.write_bytes(data)
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
        capture_output=True,
        check=True,
        timeout=60,
    )
    assert done.stderr == b""
    found: dict[str, Any] = json.loads(done.stdout)
    assert len(found["streams"]) == 1
    return found


def decode(data: bytes, tmp_path: Path, suffix: str, *output: str) -> bytes:
    """Decode ``data`` with ffmpeg into raw ``output``, failing on any decoding error."""
    path = tmp_path / f"decode{suffix}"
    path.write_bytes(data)
    strict = ("-v", "error", "-xerror", "-err_detect", "explode")
    done = subprocess.run(
        ["ffmpeg", *strict, "-i", str(path), *output, "pipe:1"],
        capture_output=True,
        check=True,
        timeout=60,
    )
    assert done.stderr == b""
    return done.stdout


def stream_info(opener: Callable[[io.BytesIO], Any], data: bytes) -> Any:
    """Open ``data`` with a mutagen file type and return its stream information."""
    return opener(io.BytesIO(data)).info


def pixels(frames: bytes) -> set[bytes]:
    """Return the distinct RGB pixels in raw rgb24 frames."""
    return {frames[i : i + 3] for i in range(0, len(frames), 3)}


def zero_crossings(samples: list[int]) -> int:
    """Count the times a waveform changes sign."""
    return sum((a < 0) != (b < 0) for a, b in itertools.pairwise(samples))


def s16(raw: bytes) -> list[int]:
    """Split raw signed 16-bit little-endian audio into samples."""
    return [int.from_bytes(raw[i : i + 2], "little", signed=True) for i in range(0, len(raw), 2)]


# Video


@needs_ffmpeg
@pytest.mark.parametrize("duration", DURATIONS)
@pytest.mark.parametrize("ratio", RATIOS)
def test_ffprobe_reads_the_size_and_duration(ratio: str, duration: float, tmp_path: Path) -> None:
    width, height = size_for_ratio(ratio)
    found = probe(video(width, height, duration, seed=7), tmp_path, ".mp4")
    (stream,) = found["streams"]
    assert stream["codec_name"] == "h264"
    assert (stream["width"], stream["height"]) == (width, height)
    assert Fraction(stream["width"], stream["height"]) == Fraction(*map(int, ratio.split(":")))
    assert float(stream["duration"]) == pytest.approx(duration, abs=1e-3)
    assert float(found["format"]["duration"]) == pytest.approx(duration, abs=1e-3)
    assert int(stream["nb_frames"]) == math.ceil(duration)
    assert "mp4" in found["format"]["format_name"]


@pytest.mark.parametrize("duration", DURATIONS)
@pytest.mark.parametrize("ratio", RATIOS)
def test_mutagen_reads_the_duration(ratio: str, duration: float) -> None:
    # mutagen walks the whole box tree, checking every size, and takes the
    # length from the movie header.
    data = video(*size_for_ratio(ratio), duration)
    info = stream_info(mutagen.mp4.MP4, data)
    assert info.length == pytest.approx(duration, abs=1e-3)


@needs_ffmpeg
@pytest.mark.parametrize("duration", [0.5, 3, 22])
@pytest.mark.parametrize("ratio", RATIOS)
def test_every_frame_decodes_to_one_colour(ratio: str, duration: float, tmp_path: Path) -> None:
    width, height = size_for_ratio(ratio)
    raw = decode(
        video(width, height, duration, seed=3),
        tmp_path,
        ".mp4",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
    )
    assert len(raw) == math.ceil(duration) * width * height * 3
    assert len(pixels(raw)) == 1


@needs_ffmpeg
def test_the_seed_picks_the_colour(tmp_path: Path) -> None:
    colours = set()
    for seed in range(4):
        raw = decode(
            video(16, 16, 1, seed=seed), tmp_path, ".mp4", "-f", "rawvideo", "-pix_fmt", "rgb24"
        )
        (colour,) = pixels(raw)
        colours.add(colour)
    assert len(colours) == 4


@needs_ffmpeg
@pytest.mark.parametrize(
    ("width", "height", "profile"),
    [
        (96, 54, "Constrained Baseline"),
        (2, 2, "Constrained Baseline"),
        (91, 39, "High"),
        (1, 1, "High"),
    ],
)
def test_even_sides_are_baseline_colour_and_odd_sides_high_grey(
    width: int, height: int, profile: str, tmp_path: Path
) -> None:
    data = video(width, height, 2, seed=5)
    (stream,) = probe(data, tmp_path, ".mp4")["streams"]
    assert stream["profile"] == profile
    assert (stream["width"], stream["height"]) == (width, height)
    raw = decode(data, tmp_path, ".mp4", "-f", "rawvideo", "-pix_fmt", "rgb24")
    ((red, green, blue),) = pixels(raw)
    assert (red == green == blue) == (profile == "High")


@needs_ffmpeg
@pytest.mark.parametrize(
    ("width", "height", "duration"), [(1920, 1080, 30), (4096, 4096, 1), (7, 2, 40)]
)
def test_large_pictures_and_many_frames_decode(
    width: int, height: int, duration: float, tmp_path: Path
) -> None:
    data = video(width, height, duration)
    (stream,) = probe(data, tmp_path, ".mp4")["streams"]
    assert (stream["width"], stream["height"], int(stream["nb_frames"])) == (
        width,
        height,
        duration,
    )
    raw = decode(data, tmp_path, ".mp4", "-f", "rawvideo", "-pix_fmt", "gray")
    assert len(raw) == width * height * duration


@pytest.mark.parametrize("ratio", RATIOS)
def test_videos_are_small(ratio: str) -> None:
    width, height = size_for_ratio(ratio)
    assert len(video(width, height, 0.5)) < 1200
    assert len(video(width, height, 22)) < 1500
    assert len(video(width, height, MAX_DURATION_SECONDS)) < 10_000


def test_a_full_hd_video_is_small() -> None:
    assert len(video(1920, 1080, 30)) < 12_000


def test_video_is_deterministic_and_seeded() -> None:
    assert video(96, 54, 6, seed=1) == video(96, 54, 6, seed=1)
    assert len({video(96, 54, 6, seed=seed) for seed in range(8)}) == 8
    assert video(96, 54, 6) != video(54, 96, 6)
    assert video(96, 54, 6) != video(96, 54, 7)


def test_video_is_detected_as_mp4() -> None:
    assert detect_mime(video(96, 54, 6)) == "video/mp4"


def test_video_durations_round_to_the_millisecond() -> None:
    for duration, expected in [
        (0.0004, 0.001),
        (2.0004, 2.0),
        (2.0006, 2.001),
        (MAX_DURATION_SECONDS, 600.0),
    ]:
        info = stream_info(mutagen.mp4.MP4, video(8, 8, duration))
        assert info.length == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(
    ("width", "height"),
    [(0, 10), (10, 0), (-1, 10), (MAX_VIDEO_SIDE + 1, 10), (10, MAX_VIDEO_SIDE + 1)],
)
def test_video_rejects_sides_out_of_range(width: int, height: int) -> None:
    with pytest.raises(ValueError, match="video sides"):
        video(width, height, 1)


@pytest.mark.parametrize("duration", [0, -1, math.nan, math.inf, MAX_DURATION_SECONDS + 0.01])
def test_video_rejects_durations_out_of_range(duration: float) -> None:
    with pytest.raises(ValueError, match="durations must be"):
        video(10, 10, duration)


# Audio


@pytest.mark.parametrize("duration", DURATIONS)
def test_wave_reads_the_wav(duration: float) -> None:
    data = audio("audio/wav", duration, seed=2)
    with wave.open(io.BytesIO(data)) as read:
        assert (read.getnchannels(), read.getsampwidth(), read.getframerate()) == (1, 1, WAV_RATE)
        assert read.getnframes() == round(duration * WAV_RATE)
        samples = list(read.readframes(read.getnframes()))
    assert len(samples) == round(duration * WAV_RATE)
    assert 64 <= min(samples) < 128 < max(samples) <= 192
    assert stream_info(mutagen.wave.WAVE, data).length == pytest.approx(duration)
    assert len(data) == 44 + len(samples)


@pytest.mark.parametrize("duration", DURATIONS)
def test_mutagen_reads_the_mp3_within_a_frame(duration: float) -> None:
    data = audio("audio/mpeg", duration, seed=2)
    info = stream_info(mutagen.mp3.MP3, data)
    assert (info.version, info.layer, info.sample_rate, info.channels) == (1, 3, 32000, 1)
    assert info.bitrate == 32000
    assert abs(info.length - duration) <= MP3_FRAME_SECONDS
    assert len(data) == 144 * round(duration / MP3_FRAME_SECONDS)


@needs_ffmpeg
@pytest.mark.parametrize("duration", DURATIONS)
@pytest.mark.parametrize("mime", AUDIO_MIME_TYPES)
def test_ffmpeg_decodes_the_audio(mime: str, duration: float, tmp_path: Path) -> None:
    suffix = ".mp3" if mime == "audio/mpeg" else ".wav"
    data = audio(mime, duration, seed=4)
    found = probe(data, tmp_path, suffix)
    (stream,) = found["streams"]
    assert stream["codec_name"] == ("mp3" if mime == "audio/mpeg" else "pcm_u8")
    assert float(found["format"]["duration"]) == pytest.approx(duration, abs=MP3_FRAME_SECONDS)
    rate = int(stream["sample_rate"])
    samples = s16(decode(data, tmp_path, suffix, "-f", "s16le", "-ac", "1"))
    assert len(samples) / rate == pytest.approx(duration, abs=MP3_FRAME_SECONDS)
    # A quiet tone: neither silent nor near full scale.
    assert 1000 < max(abs(s) for s in samples) < 16000


@needs_ffmpeg
@pytest.mark.parametrize("mime", AUDIO_MIME_TYPES)
def test_the_seed_picks_a_pitch_between_200_hz_and_1_khz(mime: str, tmp_path: Path) -> None:
    suffix = ".mp3" if mime == "audio/mpeg" else ".wav"
    pitches = set()
    for seed in range(6):
        samples = s16(
            decode(audio(mime, 2, seed=seed), tmp_path, suffix, "-f", "s16le", "-ar", "8000")
        )
        hertz = zero_crossings(samples[4000:12000]) / 2  # the second from 0.5 s to 1.5 s
        assert 190 <= hertz <= 1010
        pitches.add(round(hertz))
    assert len(pitches) >= 4


@pytest.mark.parametrize(("mime", "pitches"), [("audio/wav", 801), ("audio/mpeg", 29)])
def test_audio_is_deterministic_and_seeded(mime: str, pitches: int) -> None:
    assert audio(mime, 3, seed=1) == audio(mime, 3, seed=1)
    assert audio(mime, 3, seed=1) != audio(mime, 3, seed=2)
    assert audio(mime, 3) != audio(mime, 4)
    # Each seed picks one of ``pitches`` tones, so a few seeds may share one.
    distinct = len({audio(mime, 0.1, seed=seed) for seed in range(100)})
    assert min(pitches, 100) * 0.6 <= distinct <= pitches


def test_audio_is_detected_as_its_type() -> None:
    for mime in AUDIO_MIME_TYPES:
        assert detect_mime(audio(mime, 1)) == mime


def test_audio_is_small() -> None:
    assert len(audio("audio/mpeg", 22)) == 144 * 611  # 4,000 bytes a second
    assert len(audio("audio/wav", 22)) == 44 + 22 * WAV_RATE
    assert len(audio("audio/mpeg", 0.001)) == 144  # at least one frame


@pytest.mark.parametrize(
    ("alias", "canonical"), [("audio/x-wav", "audio/wav"), ("audio/mp3", "audio/mpeg")]
)
def test_audio_accepts_aliases(alias: str, canonical: str) -> None:
    assert audio(alias, 1) == audio(canonical, 1)


@pytest.mark.parametrize("mime", ["audio/aac", "audio/ogg", "video/mp4", ""])
def test_audio_rejects_other_types(mime: str) -> None:
    with pytest.raises(ValueError, match="no audio writer"):
        audio(mime, 1)


@pytest.mark.parametrize("duration", [0, -0.5, math.nan, math.inf, MAX_DURATION_SECONDS + 1])
def test_audio_rejects_durations_out_of_range(duration: float) -> None:
    with pytest.raises(ValueError, match="durations must be"):
        audio("audio/wav", duration)
