"""What a client's file name becomes before the mock stores it or echoes it back."""

from __future__ import annotations

import unicodedata

MAX_FILENAME_CHARS = 255
"""The longest file name ``sanitize_filename`` returns, in characters."""

_MAX_EXTENSION_CHARS = 16


def sanitize_filename(filename: str) -> str:
    r"""Return a client-supplied file name made safe to store and echo back.

    Control characters are removed, only the part after the last ``/`` or
    ``\`` is kept, surrounding whitespace is trimmed and ``.`` or ``..`` become
    empty. A result longer than 255 characters is shortened, keeping an
    extension of up to 16 characters. Percent-escapes are left as they are.
    """
    cleaned = "".join(ch for ch in filename if unicodedata.category(ch) != "Cc")
    base = cleaned.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if base in {".", ".."}:
        return ""
    if len(base) <= MAX_FILENAME_CHARS:
        return base
    stem, dot, ext = base.rpartition(".")
    if dot and stem and len(ext) <= _MAX_EXTENSION_CHARS:
        return stem[: MAX_FILENAME_CHARS - len(ext) - 1] + "." + ext
    return base[:MAX_FILENAME_CHARS]
