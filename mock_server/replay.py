"""Replay: a mock that answers the API from a cassette, through its own pipeline.

``install`` swaps the handler of every API and media route for the
``Replayer``'s; routing, auth, scope, rate limits, body limits, the journal, the
metrics, the log and the control API stay the mock's own. A request matches a
recorded one by method, path, query and body (JSON compared as data, uploads by
their fields and the file's SHA-256; the replaying server's origin stands for
the recorded upstream's). The n-th match of a request gets the n-th recorded
answer, so a polled task goes through its recorded statuses in order; a read
asked after the mock's clock has passed later answers gets the latest one due.
Each answer moves the mock's (virtual) clock to the moment it was recorded at,
so a 90-second job replays in as long as its requests take. ``Retry-After`` is
answered as ``0``: a replay never makes a client wait. Ids, timestamps and
result URLs are the recorded ones, with the upstream's origin replaced by the
replaying server's, so the URLs a client is handed lead back to the replay.
"""

from __future__ import annotations

import difflib
import json
import threading
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rivya_contract.mock_server.cassette import Cassette, describe, find, load, scrub, sha256
from rivya_contract.mock_server.exchange import ApiError, Call, Reply
from rivya_contract.mock_server.routes import Router

if TYPE_CHECKING:
    from rivya_contract.mock_server.clock import Clock
    from rivya_contract.mock_server.mock import Mock

MISS = "mock_not_found"
"""The code of a request the cassette holds no answer for."""

_SKIPPED_HEADERS = frozenset({"content-type", "x-request-id", "content-length"})


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def recorded_body_key(body: Mapping[str, Any] | None) -> str:
    """Return how a recorded body is matched: its JSON, or its bytes' hash."""
    if body is None:
        return ""
    if "json" in body:
        return "json:" + _canonical(body["json"])
    if "upload" in body:
        upload = body["upload"]
        return f"upload:{_canonical(upload['fields'])}:{upload['file']['sha256']}"
    return "blob:" + str(body["blob"]["sha256"])


def _key(method: str, path: str, query: str, body: str) -> str:
    return f"{method} {path}?{query} {body}"


def _first_difference(old: Any, new: Any, path: str = "$") -> str | None:
    """Return the JSON path where ``new`` first differs from ``old``."""
    if isinstance(old, dict) and isinstance(new, dict):
        for name in sorted(set(old) | set(new)):
            if name not in old or name not in new:
                return f"{path}.{name}"
            found = _first_difference(old[name], new[name], f"{path}.{name}")
            if found:
                return found
        return None
    if isinstance(old, list) and isinstance(new, list):
        for index, (a, b) in enumerate(zip(old, new, strict=False)):
            found = _first_difference(a, b, f"{path}[{index}]")
            if found:
                return found
        return None if len(old) == len(new) else path
    return None if old == new else path


class Replayer:
    """Answers API and media requests from one cassette; ``install`` puts it in a mock."""

    def __init__(self, cassette: Cassette, clock: Clock) -> None:
        self.cassette = cassette
        self.clock = clock
        self.origin = clock.now()
        """The mock's time that stands for the start of the recording."""
        self._answers: dict[str, list[int]] = {}
        for index, exchange in enumerate(cassette.exchanges):
            request = exchange["request"]
            key = _key(
                request["method"],
                request["path"],
                request["query"],
                recorded_body_key(request["body"]),
            )
            self._answers.setdefault(key, []).append(index)
        self._used: dict[str, int] = {}
        self._lock = threading.Lock()
        self.answered: list[int] = []
        """The index of each exchange answered, in order."""

    def _body_key(self, call: Call) -> tuple[str, Any]:
        if call.upload is not None:
            fields = _canonical(dict(call.upload.fields)).replace(call.base_url, self.upstream)
            return f"upload:{fields}:{sha256(call.upload.file.data)}", None
        if not call.body:
            return "", None
        try:
            payload = json.loads(call.body)
        except ValueError:
            return "blob:" + sha256(call.body), None
        text = _canonical(scrub(payload, (call.key or "",))).replace(call.base_url, self.upstream)
        return "json:" + text, json.loads(text)

    @property
    def upstream(self) -> str:
        """The recorded upstream's origin."""
        return self.cassette.upstream

    def handle(self, call: Call, _target: object) -> Reply:
        """Answer ``call`` with its recorded answer, or ``mock_not_found`` naming the closest."""
        body_key, payload = self._body_key(call)
        key = _key(call.method, call.path, call.query, body_key)
        with self._lock:
            candidates = self._answers.get(key)
            if candidates is None:
                raise ApiError(MISS, self._miss(call, payload))
            used = self._used.get(key, 0)
            if used >= len(candidates) and call.method not in ("GET", "HEAD"):
                raise ApiError(
                    MISS,
                    f"{self.cassette.path} holds {len(candidates)} answer(s) to "
                    f"{call.method} {call.path} with this body, all used by this replay "
                    f"(last: exchanges[{candidates[-1]}])",
                )
            elapsed = self.clock.now() - self.origin
            due = [n for n, i in enumerate(candidates) if self._at(i) <= elapsed]
            chosen = min(max(used, due[-1] if due else 0), len(candidates) - 1)
            self._used[key] = chosen + 1
            index = candidates[chosen]
            self.answered.append(index)
        reply = self._reply(call, self.cassette.exchanges[index])
        target = self.origin + self._at(index)
        reply.after = lambda: self._move_clock(target)
        return reply

    def _at(self, index: int) -> float:
        return float(self.cassette.exchanges[index]["at"])

    def _move_clock(self, target: float) -> None:
        ahead = target - self.clock.now()
        if ahead > 0:
            self.clock.advance(ahead)

    def _reply(self, call: Call, exchange: Mapping[str, Any]) -> Reply:
        response = exchange["response"]
        headers = response["headers"]
        body = response["body"]
        data = b""
        if body is not None and "json" in body:
            text = json.dumps(body["json"], ensure_ascii=False, separators=(",", ":"))
            data = text.replace(self.upstream, call.base_url).encode()
        elif body is not None and "blob" in body:
            found = self.cassette.blob(body["blob"])
            if found is None:
                raise ApiError(
                    MISS,
                    f"{self.cassette.path} keeps only the sha256 of this answer "
                    f"({body['blob']['size']} bytes, larger than the recorder kept)",
                )
            data = found
        shown = {
            name: ("0" if name == "retry-after" else value)
            for name, value in headers.items()
            if name not in _SKIPPED_HEADERS
        }
        if "x-request-id" in headers:
            call.request_id = headers["x-request-id"]
        reply = Reply(response["status"], data, shown, headers.get("content-type", ""))
        error = body["json"].get("error") if body and isinstance(body.get("json"), dict) else None
        reply.code = error.get("code") if isinstance(error, dict) else None
        return reply

    def _miss(self, call: Call, payload: Any) -> str:
        exchanges = self.cassette.exchanges
        asked = f"{call.method} {call.path}" + (f"?{call.query}" if call.query else "")
        if not exchanges:
            return f"{self.cassette.path} holds no exchanges; {asked} was not recorded"

        def score(index: int) -> tuple[bool, bool, float]:
            request = exchanges[index]["request"]
            recorded = _canonical(request["body"])
            asked_body = _canonical({"json": payload}) if payload is not None else ""
            similar = difflib.SequenceMatcher(None, recorded, asked_body).quick_ratio()
            path_similar = difflib.SequenceMatcher(None, request["path"], call.path).ratio()
            same_method = request["method"] == call.method
            return same_method, request["path"] == call.path, similar + path_similar

        closest = max(range(len(exchanges)), key=score)
        request = exchanges[closest]["request"]
        hint = ""
        recorded_json = (request["body"] or {}).get("json")
        if request["path"] == call.path and payload is not None and recorded_json is not None:
            where = _first_difference(recorded_json, payload)
            hint = f"; its body differs at {where}" if where else ""
        elif request["path"] == call.path and request["query"] != call.query:
            hint = f"; its query was {request['query']!r}"
        return (
            f"{self.cassette.path} holds no answer for {asked}; the closest recorded request "
            f"is exchanges[{closest}]: {describe(exchanges[closest])}{hint}"
        )


def install(mock: Mock, location: Path) -> Replayer:
    """Make ``mock`` answer its API and media routes from the cassette at ``location``.

    ``location`` is a cassette file or a folder holding exactly one; raises
    ``CassetteError`` naming the file and entry of a cassette that cannot be used.
    """
    replayer = Replayer(load(find(location)), mock.clock)
    routes = [
        replace(route, handler=replayer.handle) if route.op.group in ("api", "media") else route
        for route in mock.api.router.routes
    ]
    mock.api.router = Router(routes)
    return replayer
