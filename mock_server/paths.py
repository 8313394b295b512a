"""One path-pattern language for faults and journal filters.

A pattern is one of:

- an exact path: ``/api/v1/credits``;
- a route template: ``/api/v1/generations/{taskId}``, each ``{name}`` one path segment;
- a prefix: ``/api/v1/generations*``, any path starting with what comes before ``*``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_PARAM = re.compile(r"\{(\w+)\}")


def template_regex(template: str) -> re.Pattern[str]:
    """Compile a route template: literal parts escaped, each ``{name}`` one segment.

    Raises:
        ValueError: If a parameter name appears twice.

    """
    pattern = ""
    seen: set[str] = set()
    end = 0
    for found in _PARAM.finditer(template):
        name = found.group(1)
        if name in seen:
            raise ValueError(f"{template}: path parameter {name!r} appears twice")
        seen.add(name)
        pattern += re.escape(template[end : found.start()]) + f"(?P<{name}>[^/]+)"
        end = found.end()
    pattern += re.escape(template[end:])
    return re.compile(pattern)


@dataclass(frozen=True)
class PathPattern:
    """A path pattern: exact, route template or ``prefix*`` (see the module's docstring)."""

    text: str
    _regex: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def parse(cls, text: str) -> PathPattern:
        """Return the pattern ``text`` spells; raise ValueError unless it starts with ``/``."""
        if not text.startswith("/"):
            raise ValueError("a path pattern starts with /")
        if text.endswith("*"):
            return cls(text)
        regex = template_regex(text) if "{" in text else None
        return cls(text, regex)

    def matches(self, path: str) -> bool:
        """Return whether ``path`` (a concrete request path) fits the pattern."""
        if self.text.endswith("*"):
            return path.startswith(self.text[:-1])
        if self._regex is not None:
            return self._regex.fullmatch(path) is not None
        return path == self.text

    def __str__(self) -> str:
        return self.text
