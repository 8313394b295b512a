"""Request mixes for the Python load generator: the 1 create to 4 polls mix, on the wire."""

from __future__ import annotations

import json
import random
import re

from bench.loadgen import Request

CREATE_BODY = json.dumps(
    {
        "model": "grok-imagine",
        "prompt": "a lighthouse at dusk, oil on canvas",
        "params": {"aspect_ratio": "16:9", "enable_pro": "false"},
    },
    separators=(",", ":"),
).encode()
"""The body of every create: the same request ``bench/mix.lua`` sends."""

RING = 256
"""Polls pick one of the last ``RING`` tasks created."""

_TASK_ID = re.compile(rb'"id":"(task_[0-9a-f]+)"')


def get(host: str, path: str, key: str, extra: str = "") -> bytes:
    """Return a GET request with the bearer key."""
    return (
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n{extra}\r\n"
    ).encode()


def post_json(host: str, path: str, key: str, body: bytes, extra: str = "") -> bytes:
    """Return a POST of a JSON body with the bearer key."""
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
    ).encode() + body


class CreatePollMix:
    """One create to ``polls`` polls (4; 0 for creates only); each poll names a recent task."""

    def __init__(self, host: str, key: str, *, seed: int = 1, polls: int = 4) -> None:
        self.polls = polls
        self.host = host
        self.key = key
        raw = post_json(host, "/api/v1/generations", key, CREATE_BODY)
        self.create = Request("create", raw, 202)
        self.ids: list[bytes] = []
        self._slot = 0
        self._sent = 0
        self._rng = random.Random(seed)

    def poll(self, task_id: bytes) -> Request:
        """Return a poll of ``task_id``."""
        path = "/api/v1/generations/" + task_id.decode()
        return Request("poll", get(self.host, path, self.key), 200)

    def next_request(self) -> Request:
        """Return a create every ``polls + 1`` requests (or while no task is known), else a poll."""
        self._sent += 1
        if not self.ids or self._sent % (self.polls + 1) == 1 or not self.polls:
            return self.create
        return self.poll(self.ids[self._rng.randrange(len(self.ids))])

    def on_response(self, request: Request, status: int, head: bytes, body: bytes) -> None:
        """Remember the id of each task created."""
        if request.kind != "create" or status != 202:
            return
        found = _TASK_ID.search(body)
        if found is None:
            return
        if len(self.ids) < RING:
            self.ids.append(found.group(1))
        else:
            self.ids[self._slot] = found.group(1)
            self._slot = (self._slot + 1) % RING
