"""``rivya-mock cassette diff OLD NEW``: what changed between two recordings of one scenario.

Exchanges are paired by operation and order (the third poll of the old
recording with the third poll of the new). For each pair: the status, the
error code, the fields (present, absent, of another type; values such as ids and
times are expected to differ and are not compared). For each task: its status
timeline (the statuses its polls saw, in order) and how long it took. Each
change is classified by the version policy's rules (``drift.COMPATIBLE``): an
added field or an undocumented new code is compatible; a removed field, a
changed type, status or documented code breaks clients. A task ending
otherwise breaks them; the same end reached through other statuses, or in a
different time, is compatible.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rivya_contract.contract_tests.drift import COMPATIBLE
from rivya_contract.mock_server.cassette import Cassette, CassetteError, describe, load
from rivya_contract.schemas import surface
from rivya_contract.schemas.versioning import documented_codes

OWN_COMPATIBLE = frozenset({"timeline", "timing", "exchange"})
"""Kinds of change only a diff finds, all compatible: a task reaching the same end through
other statuses, taking another time, and an exchange one run has and the other lacks."""

TIMING_FACTOR = 2.0
"""A task's duration changed when one recording took more than this times the other's."""

TERMINAL = ("succeeded", "failed")


@dataclass(frozen=True)
class Change:
    """One difference between the old and the new recording."""

    endpoint: str
    kind: str
    old: str
    new: str
    path: str = ""
    exchange: int = -1
    """The index of the exchange in the new recording (the old one's, when the new lacks it)."""

    @property
    def severity(self) -> str:
        """``compatible`` for what the version policy allows, ``breaking`` otherwise."""
        return "compatible" if self.kind in COMPATIBLE | OWN_COMPATIBLE else "breaking"

    def __str__(self) -> str:
        where = f" at {self.path}" if self.path else ""
        return f"{self.endpoint} [#{self.exchange}]: {self.kind}{where}: {self.old} -> {self.new}"


def _endpoint(exchange: Mapping[str, Any]) -> str:
    operation = exchange["operation"]
    return surface()[operation].name if operation else describe(exchange)


def _json(exchange: Mapping[str, Any]) -> Any:
    body = exchange["response"]["body"]
    return body.get("json") if isinstance(body, dict) else None


def _code(payload: Any) -> str | None:
    error = payload.get("error") if isinstance(payload, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) else None


def _type(value: Any) -> str:
    return type(value).__name__


def _shape(value: Any, path: str = "$") -> Iterator[tuple[str, str]]:
    """Yield ``(path, type)`` for every field; array items share one ``[*]`` path."""
    yield path, _type(value)
    if isinstance(value, dict):
        for name, item in value.items():
            yield from _shape(item, f"{path}.{name}")
    elif isinstance(value, list):
        for item in value:
            yield from _shape(item, f"{path}[*]")


def _fields(value: Any) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path, kind in _shape(value):
        found.setdefault(path, set()).add(kind)
    return found


def _pair_changes(old: Mapping[str, Any], new: Mapping[str, Any], index: int) -> list[Change]:
    endpoint = _endpoint(new)
    old_status, new_status = old["response"]["status"], new["response"]["status"]
    changes = []
    if old_status != new_status:
        changes.append(Change(endpoint, "status", str(old_status), str(new_status), "", index))
    old_body, new_body = _json(old), _json(new)
    old_code, new_code = _code(old_body), _code(new_body)
    if old_code != new_code and old_code is not None and new_code is not None:
        kind = "code" if new_code in documented_codes() else "unknown_code"
        changes.append(Change(endpoint, kind, old_code, new_code, "$.error.code", index))
    if old_status != new_status or old_body is None or new_body is None:
        return changes
    before, after = _fields(old_body), _fields(new_body)
    for path in sorted(set(before) | set(after)):
        if any(path.startswith(p + ".") or path.startswith(p + "[") for p in _nulls(before, after)):
            continue
        if path not in after:
            changes.append(Change(endpoint, "missing_field", "present", "absent", path, index))
        elif path not in before:
            changes.append(Change(endpoint, "extra_field", "absent", "present", path, index))
        elif not ("NoneType" in before[path] or "NoneType" in after[path]) and (
            before[path] != after[path]
        ):
            old_types, new_types = "/".join(sorted(before[path])), "/".join(sorted(after[path]))
            changes.append(Change(endpoint, "schema", old_types, new_types, path, index))
    return changes


def _nulls(before: Mapping[str, set[str]], after: Mapping[str, set[str]]) -> set[str]:
    """Paths that are null on one side: what lies below them is a state, not a shape."""
    return {
        path
        for path in set(before) & set(after)
        if ("NoneType" in before[path]) != ("NoneType" in after[path])
    }


def _by_operation(cassette: Cassette) -> dict[str, list[int]]:
    grouped: dict[str, list[int]] = {}
    for index, exchange in enumerate(cassette.exchanges):
        grouped.setdefault(_endpoint(exchange), []).append(index)
    return grouped


def _timelines(cassette: Cassette) -> list[tuple[list[str], float | None, int]]:
    """Return each created task's statuses (repeats folded), duration and create index."""
    found = []
    for index, exchange in enumerate(cassette.exchanges):
        task = _json(exchange)
        if exchange["operation"] != "createGeneration" or not isinstance(task, dict):
            continue
        task_id = task.get("id")
        statuses = [str(task.get("status"))]
        finished: float | None = None
        for later in cassette.exchanges[index + 1 :]:
            seen = _json(later)
            if later["operation"] != "getGeneration" or not isinstance(seen, dict):
                continue
            if seen.get("id") != task_id:
                continue
            status = str(seen.get("status"))
            if status != statuses[-1]:
                statuses.append(status)
            if status in TERMINAL and finished is None:
                finished = later["at"] - exchange["at"]
        found.append((statuses, finished, index))
    return found


def _timeline_changes(old: Cassette, new: Cassette) -> list[Change]:
    changes = []
    endpoint = surface()["getGeneration"].name
    for (before, took_before, _), (after, took_after, index) in zip(
        _timelines(old), _timelines(new), strict=False
    ):
        if before != after:
            kind = "status" if before[-1] != after[-1] else "timeline"
            changes.append(Change(endpoint, kind, " > ".join(before), " > ".join(after), "", index))
        if took_before and took_after:
            ratio = took_after / took_before
            if ratio > TIMING_FACTOR or ratio < 1 / TIMING_FACTOR:
                old_s, new_s = f"{took_before:.3f}s", f"{took_after:.3f}s"
                changes.append(Change(endpoint, "timing", old_s, new_s, "task duration", index))
    return changes


def diff(old: Cassette, new: Cassette) -> list[Change]:
    """Return every change from ``old`` to ``new``, in the new recording's order."""
    changes: list[Change] = []
    before, after = _by_operation(old), _by_operation(new)
    for endpoint in sorted(set(before) | set(after)):
        olds, news = before.get(endpoint, []), after.get(endpoint, [])
        for a, b in zip(olds, news, strict=False):
            changes += _pair_changes(old.exchanges[a], new.exchanges[b], b)
        for a in olds[len(news) :]:
            changes.append(Change(endpoint, "exchange", "recorded", "absent", "", a))
        for b in news[len(olds) :]:
            changes.append(Change(endpoint, "exchange", "absent", "recorded", "", b))
    changes += _timeline_changes(old, new)
    return sorted(changes, key=lambda c: (c.exchange, c.endpoint, c.kind, c.path))


def diff_text(old: Path, new: Path, changes: list[Change]) -> str:
    """Return the diff for people: breaking changes, then compatible ones."""
    lines = [f"cassette diff {old} -> {new}"]
    for severity in ("breaking", "compatible"):
        found = [c for c in changes if c.severity == severity]
        if found:
            lines.append(f"{severity.capitalize()} ({len(found)}):")
            lines += [f"  {c}" for c in found]
    if not changes:
        lines.append("No changes: the recordings agree on statuses, fields, codes and timings.")
    return "\n".join(lines)


def diff_json(changes: list[Change]) -> str:
    """Return the diff as JSON: counts and every change with its severity."""
    items = [{**asdict(c), "severity": c.severity} for c in changes]
    breaking = sum(1 for item in items if item["severity"] == "breaking")
    summary = {"breaking": breaking, "compatible": len(items) - breaking, "changes": items}
    return json.dumps(summary, indent=2)


class CassetteCommand:
    """``rivya-mock cassette``: registered under the ``rivya_contract.commands`` entry points."""

    def add_parser(self, commands: Any, name: str) -> None:
        """Add ``cassette diff OLD NEW``."""
        cassette = commands.add_parser(name, help="work with recorded cassettes")
        actions = cassette.add_subparsers(dest="cassette_command", required=True)
        compare = actions.add_parser("diff", help="what changed between two recordings")
        compare.add_argument("old", type=Path, help="the older cassette file")
        compare.add_argument("new", type=Path, help="the newer cassette file")
        compare.add_argument("--json", action="store_true", help="print JSON instead of text")

    def run(self, args: argparse.Namespace) -> int:
        """Print the diff; exit 1 if a change is breaking, 2 if a cassette cannot be read."""
        try:
            old, new = load(args.old), load(args.new)
        except CassetteError as error:
            print(f"rivya-mock cassette: {error}", file=sys.stderr)
            return 2
        changes = diff(old, new)
        print(diff_json(changes) if args.json else diff_text(args.old, args.new, changes))
        return 1 if any(c.severity == "breaking" for c in changes) else 0


command = CassetteCommand()
"""The ``cassette`` entry point."""
