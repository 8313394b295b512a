"""Replay speed: a long job recorded through the proxy, then replayed with the upstream gone.

The upstream is a real-clock mock whose task takes ``--job`` seconds and whose polls say
``Retry-After: --every``; a client polls as told. The same client run is then made
against ``Mock.replay`` of the cassette, over HTTP (uvicorn). Prints both wall times and
their ratio.

    .venv/bin/python -m bench.replay_speed --job 90 --every 5
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bench.table import Row, render
from rivya_contract.contract_tests.proxy import Proxy
from rivya_contract.mock_server import Mock, MockConfig
from rivya_contract.mock_server.recording import Recorder
from rivya_contract.mock_server.serving import AppThread, ServerThread

REQUEST = {
    "model": "grok-imagine",
    "prompt": "A long shot of a red fox in fresh snow",
    "params": {"aspect_ratio": "16:9", "enable_pro": "false"},
}


def paced(app: ASGIApp, every: int) -> ASGIApp:
    """Wrap ``app`` so that every poll answer carries ``Retry-After: every``."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        polling = scope["type"] == "http" and scope["method"] == "GET"

        async def paced_send(message: Message) -> None:
            if polling and message["type"] == "http.response.start":
                message = {
                    **message,
                    "headers": [*message["headers"], (b"retry-after", b"%d" % every)],
                }
            await send(message)

        await app(scope, receive, paced_send)

    return wrapped


def client_run(base_url: str, key: str) -> tuple[float, list[str]]:
    """Create a task, poll it as ``Retry-After`` says, fetch its result; return wall, statuses."""
    started = time.perf_counter()
    statuses = []
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {key}"}) as http:
        task = http.post("/api/v1/generations", json=REQUEST).json()
        while True:
            answer = http.get(f"/api/v1/generations/{task['id']}")
            statuses.append(answer.json()["status"])
            if statuses[-1] in ("succeeded", "failed"):
                break
            time.sleep(float(answer.headers["retry-after"]))
        http.get(answer.json()["result"]["primary_url"]).raise_for_status()
    return time.perf_counter() - started, statuses


def measure(job: float, every: int) -> list[Row]:
    """Record and replay one job; return the table rows."""
    folder = Path(tempfile.mkdtemp(prefix="replay-bench-"))
    queued = min(10.0, job / 4)
    upstream = Mock(MockConfig(queued_seconds=queued, processing_seconds=job - queued))
    with ServerThread(upstream, app=paced(upstream.app, every)) as server:
        recorder = Recorder(folder, "video-job", server.base_url)
        with AppThread(Proxy(server.base_url, recorder=recorder, echo=None)) as proxy:
            recorded, before = client_run(proxy.base_url, upstream.config.api_key)
        recorder.save()
    upstream.close()
    replay = Mock.replay(folder)
    with ServerThread(replay) as served:
        replayed, after = client_run(served.base_url, replay.config.api_key)
    replay.close()
    assert before == after, (before, after)
    ratio = replayed / recorded
    return [
        Row("replay", "recorded run (through the proxy), s", f"{recorded:.2f}"),
        Row("replay", "replayed run (upstream gone), s", f"{replayed:.4f}"),
        Row("replay", "polls, each run", str(len(after))),
        Row("replay", "replay / recorded wall time", f"{ratio:.5f}", "< 0.01", ratio < 0.01),
    ]


def main() -> None:
    """Run the measurement from the command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--job", type=float, default=90.0, help="seconds the task takes")
    parser.add_argument("--every", type=int, default=5, help="Retry-After of each poll")
    args = parser.parse_args()
    print(render(measure(args.job, args.every)))


if __name__ == "__main__":
    main()
