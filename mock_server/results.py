"""What a succeeded task serves: its result files' type, count, size and length.

Everything follows from the model card's ``output`` and the task's params,
with one rule per category and none per model:

- the type is the card's ``mime_type``, or what its ``format_param`` picks
  (``png``, ``jpeg``/``jpg``, ``webp``; ``mp3_*``, ``pcm_*``/``wav``);
- images are sized to ``ratio_param`` (``16:9``, and names such as
  ``landscape_16_9``, ``portrait_4_3``, ``square_hd``, ``portrait``; anything
  else is square), with the longer side ``IMAGE_SIDE`` pixels;
- videos take the ratio too and the height of ``resolution_param`` (``720p``,
  ``512P``, ``1080p``; ``VIDEO_HEIGHT`` otherwise) and last ``duration_param``
  seconds (``DEFAULT_VIDEO_SECONDS`` otherwise);
- audio lasts ``duration_param`` seconds, else one second per
  ``CHARACTERS_PER_SECOND`` characters of the prompt or dialogue, within
  ``AUDIO_SECONDS``.
"""

from __future__ import annotations

import io
import math
import re
import zlib
from collections.abc import Mapping
from typing import Any

from rivya_contract.mock_server import clips, media
from rivya_contract.schemas import ModelCard

IMAGE_SIDE = 96
VIDEO_HEIGHT = 96
DEFAULT_VIDEO_SECONDS = 5.0
CHARACTERS_PER_SECOND = 15
AUDIO_SECONDS = (1.0, 60.0)

EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "video/mp4": "mp4",
    "audio/mpeg": "mp3",
    "audio/wav": "wav",
}
_FORMATS = {"png": "image/png", "jpeg": "image/jpeg", "jpg": "image/jpeg", "webp": "image/webp"}
_NAMED = re.compile(r"(?:(landscape|portrait)_)?([0-9]{1,3})_([0-9]{1,3})")
_WH = re.compile(r"([0-9]{1,6}):([0-9]{1,6})")
_HEIGHT = re.compile(r"([0-9]{3,4})[pP]")


def mime_type(card: ModelCard, params: Mapping[str, Any]) -> str:
    """Return the MIME type of the task's results."""
    output = card.output
    chosen = str(params.get(output.get("format_param", ""), "")).lower()
    if card.category == "image" and chosen in _FORMATS:
        return _FORMATS[chosen]
    if card.category == "audio" and chosen:
        if chosen.startswith("mp3"):
            return "audio/mpeg"
        if chosen.startswith(("pcm", "wav")):
            return "audio/wav"
    return card.output_mime_type


def count(card: ModelCard, params: Mapping[str, Any]) -> int:
    """Return how many result files the task makes."""
    wanted = params.get(card.output.get("count_param", ""))
    if isinstance(wanted, int | float | str) and str(wanted).isdigit() and int(wanted) >= 1:
        return int(wanted)
    return card.output_count


def ratio(value: Any) -> str:
    """Return ``"W:H"`` for a ratio param's value (see the module's docstring)."""
    text = str(value).strip().lower()
    found = _WH.fullmatch(text)
    if found and int(found.group(1)) > 0 and int(found.group(2)) > 0:
        return text
    named = _NAMED.fullmatch(text.removeprefix("landscape_").removeprefix("portrait_"))
    if named:
        a, b = int(named.group(2)), int(named.group(3))
        if a and b:
            wide, tall = max(a, b), min(a, b)
            return f"{tall}:{wide}" if text.startswith("portrait") else f"{wide}:{tall}"
    if text.startswith("portrait"):
        return "9:16"
    if text.startswith("landscape") or text in ("adaptive",):
        return "16:9"
    return "1:1"


def _seconds(value: Any) -> float | None:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if math.isfinite(seconds) and seconds > 0 else None


def duration(card: ModelCard, params: Mapping[str, Any], prompt_chars: int) -> float:
    """Return the length in seconds of a video or audio result."""
    given = _seconds(params.get(card.output.get("duration_param", "")))
    if given is not None:
        return min(given, clips.MAX_DURATION_SECONDS)
    if card.category == "video":
        return DEFAULT_VIDEO_SECONDS
    characters = prompt_chars
    dialogue = params.get("dialogue")
    if isinstance(dialogue, list):
        characters += sum(
            len(str(line.get("text", ""))) for line in dialogue if isinstance(line, dict)
        )
    low, high = AUDIO_SECONDS
    return min(high, max(low, math.ceil(characters / CHARACTERS_PER_SECOND)))


def video_size(card: ModelCard, params: Mapping[str, Any]) -> tuple[int, int]:
    """Return the (width, height) of a video result: its ratio at its resolution's height."""
    w, h = (int(part) for part in ratio(params.get(card.output.get("ratio_param", ""))).split(":"))
    found = _HEIGHT.fullmatch(str(params.get(card.output.get("resolution_param", ""), "")))
    height = int(found.group(1)) if found else VIDEO_HEIGHT
    width = max(2, round(height * w / h / 2) * 2)
    return min(width, clips.MAX_VIDEO_SIDE), min(height, clips.MAX_VIDEO_SIDE)


def render(
    card: ModelCard, params: Mapping[str, Any], prompt_chars: int, path: str
) -> tuple[bytes, str]:
    """Return one result file of a task (bytes and MIME type), the same for the same path."""
    seed = zlib.crc32(path.encode())
    mime = mime_type(card, params)
    if card.category == "video":
        width, height = video_size(card, params)
        return clips.video(width, height, duration(card, params, prompt_chars), seed=seed), mime
    if card.category == "audio":
        return clips.audio(mime, duration(card, params, prompt_chars), seed=seed), mime
    size = media.size_for_ratio(ratio(params.get(card.output.get("ratio_param", ""))), IMAGE_SIDE)
    picture = media.png(*size, seed=seed)
    if mime == "image/png":
        return picture, mime
    return _reencode(picture, mime), mime


def _reencode(png: bytes, mime: str) -> bytes:
    """Return the PNG as JPEG or WebP (Pillow writes those formats)."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        out = io.BytesIO()
        image.save(out, format="JPEG" if mime == "image/jpeg" else "WEBP", quality=85)
    return out.getvalue()
