"""Media type detection from file signatures and file names.

The mock accepts a fixed set of upload types (see ``MIME_TYPES``). ``detect_mime``
names the type a file's leading bytes prove, ``extension_mime`` the type its
name claims, and ``same_type`` compares two MIME strings, treating common
aliases (``audio/x-wav`` for ``audio/wav``, ``image/jpg`` for ``image/jpeg``)
as equal.

Detection needs only the head of a file: at most ``HEAD_BYTES`` bytes are
examined, and the first 64 are enough for all but ISO-BMFF files with a very
long brand list and WebM or Matroska files with an unusually large EBML header.
"""

from __future__ import annotations

from filetype.types import audio as filetype_audio
from filetype.types import image as filetype_image

__all__ = [
    "HEAD_BYTES",
    "MIME_TYPES",
    "canonical_mime",
    "detect_mime",
    "extension_mime",
    "same_type",
]

MIME_TYPES: tuple[str, ...] = (
    "image/jpeg",
    "image/png",
    "image/webp",
    "video/mp4",
    "video/quicktime",
    "video/webm",
    "video/x-matroska",
    "audio/mpeg",
    "audio/mp4",
    "audio/wav",
    "audio/aac",
    "audio/ogg",
)
"""Every type ``detect_mime`` can return, in canonical spelling."""

HEAD_BYTES = 4096
"""How many leading bytes of a file ``detect_mime`` may look at."""

_ALIASES: dict[str, str] = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "audio/x-wav": "audio/wav",
    "audio/wave": "audio/wav",
    "audio/vnd.wave": "audio/wav",
    "audio/mp3": "audio/mpeg",
    "audio/x-mp3": "audio/mpeg",
    "audio/mpeg3": "audio/mpeg",
    "audio/x-m4a": "audio/mp4",
    "audio/m4a": "audio/mp4",
    "audio/x-aac": "audio/aac",
    "audio/aacp": "audio/aac",
    "video/x-quicktime": "video/quicktime",
    "video/matroska": "video/x-matroska",
}

_EXTENSIONS: dict[str, str] = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "mp4": "video/mp4",
    "mov": "video/quicktime",
    "webm": "video/webm",
    "mkv": "video/x-matroska",
    "mp3": "audio/mpeg",
    "m4a": "audio/mp4",
    "wav": "audio/wav",
    "aac": "audio/aac",
    "ogg": "audio/ogg",
}

# ISO-BMFF brands (major or compatible) that mark each type in the set.
_AUDIO_MP4_BRANDS = frozenset({"M4A ", "M4B ", "M4P ", "F4A ", "F4B "})
_QUICKTIME_BRANDS = frozenset({"qt  "})
_VIDEO_MP4_BRANDS = frozenset(
    {"isom", "iso2", "iso3", "iso4", "iso5", "iso6", "iso7", "iso8", "iso9"}
    | {"mp41", "mp42", "mp71", "avc1", "dash", "msdh", "mmp4", "MSNV", "NDAS"}
    | {"M4V ", "M4VH", "M4VP", "f4v ", "XAVC"}
)
# Major brands of still-image or other ISO-BMFF files that list "isom" or
# "mp41" as compatible but are none of the types in the set.
_OTHER_BRANDS = frozenset(
    {"heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1", "avif", "avis"}
    | {"3gp4", "3gp5", "3gp6", "3gp7", "3g2a", "3g2b", "3g2c", "crx "}
)
# Top-level boxes that open a QuickTime file written without an ftyp box.
_QUICKTIME_LEGACY_BOXES = frozenset({b"moov", b"mdat", b"wide", b"pnot"})

_EBML_MAGIC = b"\x1a\x45\xdf\xa3"
_EBML_DOCTYPE_ID = 0x4282
_EBML_DOCTYPES = {b"webm": "video/webm", b"matroska": "video/x-matroska"}

# The filetype matchers used as they are: their checks are exact for these types.
_FILETYPE_MATCHERS = (
    filetype_image.Jpeg(),
    filetype_image.Png(),
    filetype_image.Webp(),
    filetype_audio.Wav(),
    filetype_audio.Ogg(),
)


def canonical_mime(mime: str) -> str:
    """Return the canonical spelling of a MIME type.

    Parameters are dropped, the type is lower-cased and known aliases are
    mapped to the spelling used in ``MIME_TYPES``. Unknown types come back
    lower-cased and otherwise unchanged.
    """
    essence = mime.split(";", 1)[0].strip().lower()
    return _ALIASES.get(essence, essence)


def same_type(a: str, b: str) -> bool:
    """Return whether two MIME strings name the same media type."""
    return canonical_mime(a) == canonical_mime(b)


def extension_mime(filename: str) -> str | None:
    """Return the MIME type a file name's extension claims, if it is one of ``MIME_TYPES``.

    Only the last path component and its last extension count, case-insensitively:
    ``"clip.final.MOV"`` claims ``video/quicktime``; ``"archive.mp4.zip"``,
    ``"README"`` and a bare extension such as ``".png"`` claim nothing.
    """
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, ext = base.rpartition(".")
    if not dot or not stem.strip("."):
        return None
    return _EXTENSIONS.get(ext.lower())


def detect_mime(head: bytes) -> str | None:
    """Return the MIME type a file's leading bytes prove, or ``None``.

    ``head`` is the start of the file (the whole file is fine; at most
    ``HEAD_BYTES`` are examined). The result is always one of ``MIME_TYPES``;
    files of any other type, including related ones such as HEIC, 3GP, GIF or
    Ogg Theora video, give ``None``.
    """
    head = bytes(head[:HEAD_BYTES])
    if len(head) >= 8 and head[4:8] == b"ftyp":
        return _isobmff(head)
    if head[4:8] in _QUICKTIME_LEGACY_BOXES and _box_size_plausible(head):
        return "video/quicktime"
    if head.startswith(_EBML_MAGIC):
        return _ebml(head)
    if head.startswith(b"ID3"):
        return _after_id3(head)
    if _is_mpeg_audio_frame(head):
        return "audio/mpeg"
    if _is_adts_frame(head):
        return "audio/aac"
    for matcher in _FILETYPE_MATCHERS:
        if matcher.match(head):
            mime = canonical_mime(str(matcher.mime))
            if mime == "audio/ogg" and _is_ogg_video(head):
                return None
            return mime
    return None


def _isobmff(head: bytes) -> str | None:
    size = int.from_bytes(head[0:4], "big")
    if size < 16 or size % 4:
        return None
    major = head[8:12].decode("latin-1")
    compatible = [head[i : i + 4].decode("latin-1") for i in range(16, min(size, len(head)) - 3, 4)]
    if major in _OTHER_BRANDS:
        return None
    for brands in ([major], compatible):
        if _AUDIO_MP4_BRANDS.intersection(brands):
            return "audio/mp4"
        if _QUICKTIME_BRANDS.intersection(brands):
            return "video/quicktime"
        if _VIDEO_MP4_BRANDS.intersection(brands):
            return "video/mp4"
    return None


def _box_size_plausible(head: bytes) -> bool:
    size = int.from_bytes(head[0:4], "big")
    return size == 0 or size == 1 or size >= 8


def _read_vint(data: bytes, pos: int, *, keep_marker: bool) -> tuple[int, int] | None:
    """Read an EBML variable-length integer at ``pos``; return (value, next position)."""
    if pos >= len(data) or data[pos] == 0:
        return None
    first = data[pos]
    length = 8 - first.bit_length() + 1
    if pos + length > len(data):
        return None
    value = int.from_bytes(data[pos : pos + length], "big")
    if not keep_marker:
        value &= (1 << (7 * length)) - 1
    return value, pos + length


def _ebml(head: bytes) -> str | None:
    header_size = _read_vint(head, len(_EBML_MAGIC), keep_marker=False)
    if header_size is None:
        return None
    size, pos = header_size
    end = min(pos + size, len(head))
    while pos < end:
        element_id = _read_vint(head, pos, keep_marker=True)
        if element_id is None:
            return None
        eid, pos = element_id
        element_size = _read_vint(head, pos, keep_marker=False)
        if element_size is None:
            return None
        esize, pos = element_size
        if eid == _EBML_DOCTYPE_ID:
            if pos + esize > len(head):
                return None
            return _EBML_DOCTYPES.get(head[pos : pos + esize].rstrip(b"\x00"))
        pos += esize
    return None


def _after_id3(head: bytes) -> str:
    """Classify a file that opens with an ID3v2 tag by the frame after the tag."""
    if len(head) >= 10:
        syncsafe = head[6:10]
        tag_size = 0
        for byte in syncsafe:
            tag_size = (tag_size << 7) | (byte & 0x7F)
        footer = 10 if head[5] & 0x10 else 0
        following = head[10 + tag_size + footer :]
        if _is_adts_frame(following):
            return "audio/aac"
    return "audio/mpeg"


def _is_mpeg_audio_frame(head: bytes) -> bool:
    """Return whether ``head`` opens with a valid MPEG-1/2/2.5 audio frame header."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version = (head[1] >> 3) & 0b11
    layer = (head[1] >> 1) & 0b11
    bitrate = head[2] >> 4
    sample_rate = (head[2] >> 2) & 0b11
    return version != 0b01 and layer != 0b00 and bitrate != 0b1111 and sample_rate != 0b11


def _is_adts_frame(head: bytes) -> bool:
    """Return whether ``head`` opens with a valid ADTS (AAC) frame header."""
    if len(head) < 7 or head[0] != 0xFF or head[1] & 0xF6 != 0xF0:
        return False
    sample_rate_index = (head[2] >> 2) & 0b1111
    frame_length = ((head[3] & 0b11) << 11) | (head[4] << 3) | (head[5] >> 5)
    return sample_rate_index < 13 and frame_length >= 7


def _is_ogg_video(head: bytes) -> bool:
    """Return whether the first logical stream of an Ogg file is Theora video."""
    if len(head) < 27:
        return False
    segments = head[26]
    packet_start = 27 + segments
    return head[packet_start : packet_start + 7] == b"\x80theora"
