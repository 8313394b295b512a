"""The API surface as data: every operation of ``surface.json``, typed.

The router, both OpenAPI documents, the contract suite, the plugin and the
tests read the surface from here; nothing else names a path, scope, status or
error code list of an operation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Group = Literal["api", "media", "control"]
BodyKind = Literal["none", "json", "upload"]

API_PREFIX = "/api/v1"
"""Every public API path starts with this, then a slash."""
CONTROL_PREFIX = "/__mock__"
"""Every control API path starts with this, then a slash."""

_PARAM = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class HeaderSpec:
    """A request header an operation reads: its longest accepted value and what it does."""

    max_length: int
    description: str


@dataclass(frozen=True)
class Operation:
    """One endpoint: how it is reached, what it needs, what it answers."""

    id: str
    """The operationId, unique over the whole surface."""
    group: Group
    method: str
    path: str
    """The path template; ``{name}`` matches one path segment."""
    scope: str | None
    body: BodyKind
    status: int
    response: str | None
    codes: tuple[str, ...]
    summary: str
    tag: str | None = None
    status_setting: str | None = None
    request: str | None = None
    request_required: bool = False
    switchable: bool = True
    open: bool = False
    """A control operation served without the admin token: it answers no state."""
    headers: Mapping[str, HeaderSpec] = field(default_factory=dict)
    limits: Mapping[str, int] = field(default_factory=dict)
    query: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """Return ``METHOD /path/{template}``, the name reports give the operation."""
        return f"{self.method} {self.path}"

    @property
    def path_params(self) -> tuple[str, ...]:
        """Return the names of the path's template parameters, in order."""
        return tuple(_PARAM.findall(self.path))

    def concrete_path(self, **values: str) -> str:
        """Return the path with each ``{name}`` replaced by ``values[name]``."""
        return _PARAM.sub(lambda found: values[found.group(1)], self.path)

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> Operation:
        """Build an operation from its entry in ``surface.json``."""
        headers = {
            name: HeaderSpec(spec["max_length"], spec["description"])
            for name, spec in raw.get("headers", {}).items()
        }
        return cls(
            id=raw["operationId"],
            group=raw["group"],
            method=raw["method"],
            path=raw["path"],
            scope=raw["scope"],
            body=raw["body"],
            status=raw["status"],
            response=raw["response"],
            codes=tuple(raw["codes"]),
            summary=raw["summary"],
            tag=raw.get("tag"),
            status_setting=raw.get("status_setting"),
            request=raw.get("request"),
            request_required=raw.get("request_required", False),
            switchable=raw.get("switchable", True),
            open=raw.get("open", False),
            headers=headers,
            limits=dict(raw.get("limits", {})),
            query=tuple(raw.get("query", ())),
        )


@dataclass(frozen=True)
class Surface:
    """Every operation, in file order, and the mock's own error codes."""

    operations: tuple[Operation, ...]
    mock_codes: Mapping[str, int]
    """The status of each error code of the mock's own (never a documented one)."""
    mock_code_descriptions: Mapping[str, str]

    def __getitem__(self, operation_id: str) -> Operation:
        """Return the operation with this operationId; KeyError when there is none."""
        for operation in self.operations:
            if operation.id == operation_id:
                return operation
        raise KeyError(operation_id)

    def group(self, group: Group) -> tuple[Operation, ...]:
        """Return the operations of one group, in file order."""
        return tuple(op for op in self.operations if op.group == group)

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> Surface:
        """Build the surface from ``surface.json``; raise ValueError on a duplicate."""
        operations = tuple(Operation.from_raw(entry) for entry in raw["operations"])
        seen: set[str] = set()
        routes: set[tuple[str, str]] = set()
        for op in operations:
            if op.id in seen:
                raise ValueError(f"surface.json: operationId {op.id} appears twice")
            if (op.method, op.path) in routes:
                raise ValueError(f"surface.json: {op.name} appears twice")
            seen.add(op.id)
            routes.add((op.method, op.path))
        codes = raw["mock_codes"]
        return cls(
            operations=operations,
            mock_codes={code: spec["status"] for code, spec in codes.items()},
            mock_code_descriptions={code: spec["description"] for code, spec in codes.items()},
        )
