"""What the proxy, recording and replay tests share: a client run, upstreams that poll as a
real API might, one that drifts, and a recorded scenario.

``client_run`` is one user's run: credits, an upload, a create that references it,
polls until the task ends (sleeping what ``Retry-After`` says), the result media.
``polling_upstream`` serves a real-clock mock whose unfinished polls carry
``Retry-After: 1``; ``drifting`` renames the task's ``status`` to ``state`` and
answers ``422 invalid_request`` where ``400 validation_failed`` was due.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from standin_support import Answer, StandIn, _json, _with
from support import reference_png, reference_request, upload

from rivya_contract.contract_tests.proxy import Proxy
from rivya_contract.mock_server import Mock, MockConfig
from rivya_contract.mock_server.recording import Recorder
from rivya_contract.mock_server.serving import AppThread, ServerThread

SECRET_KEY = "rvya_sk_live_3f9c1d77e0a24b6b9d1e55aa"
"""The upstream's API key; no file the tests write may hold it."""

PROMPT = "A red fox in fresh snow"


@dataclass
class Run:
    """What a client saw: each answer's status and body (JSON or the media's length)."""

    seen: list[tuple[str, int, Any]] = field(default_factory=list)
    slept: float = 0.0
    """Seconds the client slept because the server asked (Retry-After)."""
    retry_after: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def statuses(self) -> list[str]:
        """The task statuses the polls saw, in order."""
        return [
            body.get("status", body.get("state")) for name, _, body in self.seen if name == "poll"
        ]


def client_run(base_url: str, key: str, *, prompt: str = PROMPT) -> Run:
    """Run one user's scenario against ``base_url``; return what it saw."""
    run = Run()
    started = time.perf_counter()
    with httpx.Client(
        base_url=base_url, headers={"Authorization": f"Bearer {key}"}, timeout=30
    ) as http:
        answer = http.get("/api/v1/credits")
        run.seen.append(("credits", answer.status_code, answer.json()))
        answer = upload(http, key, reference_png(), kind="image")
        run.seen.append(("upload", answer.status_code, answer.json()))
        answer = http.post("/api/v1/generations", json=create_body(answer.json()["url"], prompt))
        run.seen.append(("create", answer.status_code, answer.json()))
        if answer.status_code != 202:
            run.seconds = time.perf_counter() - started
            return run
        task_id = answer.json()["id"]
        while True:
            answer = http.get(f"/api/v1/generations/{task_id}")
            task = answer.json()
            run.seen.append(("poll", answer.status_code, task))
            status = task.get("status", task.get("state"))  # "state": the drifting stand-in's
            if status in ("succeeded", "failed") or answer.status_code != 200:
                break
            wait = answer.headers.get("retry-after")
            assert wait is not None, "the upstream must say when to poll again"
            run.retry_after.append(wait)
            run.slept += float(wait)
            time.sleep(float(wait))
        if status == "succeeded":
            result = http.get(task["result"]["primary_url"])
            run.seen.append(("media", result.status_code, len(result.content)))
        run.seconds = time.perf_counter() - started
    return run


def create_body(file_url: str, prompt: str = PROMPT) -> dict[str, Any]:
    """Return the run's create: ``prompt``, referencing the uploaded file."""
    return {**reference_request(file_url), "prompt": prompt}


def invalid_create(base_url: str, key: str) -> httpx.Response:
    """Send a create the contract refuses (an unknown aspect ratio)."""
    body = {"model": "grok-imagine", "prompt": PROMPT, "params": {"aspect_ratio": "7:3"}}
    headers = {"Authorization": f"Bearer {key}"}
    return httpx.post(f"{base_url}/api/v1/generations", json=body, headers=headers, timeout=30)


def paced(answer: Answer) -> Answer:
    """Ask the client to poll again in a second while a task is unfinished."""
    payload = _json(answer)
    unfinished = isinstance(payload, dict) and payload.get("status") in ("queued", "processing")
    if answer.method == "GET" and unfinished:
        answer.headers = [*answer.headers, (b"retry-after", b"1")]
    return answer


def drifting(answer: Answer) -> Answer:
    """Rename a task's ``status`` to ``state``; answer ``422 invalid_request`` for
    ``400 validation_failed``; keep the polling pace."""
    answer = paced(answer)
    payload = _json(answer)
    if not isinstance(payload, dict):
        return answer
    error = payload.get("error")
    if isinstance(error, dict) and error.get("code") == "validation_failed":
        return _with(answer, 422, {"error": {**error, "code": "invalid_request"}})
    if "status" in payload and "model" in payload:
        renamed = {("state" if k == "status" else k): v for k, v in payload.items()}
        changed = _with(answer, answer.status, renamed)
        changed.headers = answer.headers
        return changed
    return answer


def upstream_config() -> MockConfig:
    """A real-clock upstream whose tasks take 1.8 s, with the secret key.

    Polled a second apart, the first poll sees queued (within 0.6 s), the second
    processing (up to 0.8 s late on a busy machine) and the third the outcome.
    """
    return MockConfig(api_key=SECRET_KEY, queued_seconds=0.6, processing_seconds=1.2)


@contextmanager
def upstream(rewrite: Any = paced) -> Iterator[ServerThread]:
    """Serve a real-clock mock behind ``rewrite`` on a free port."""
    mock = Mock(upstream_config())
    with ServerThread(mock, app=StandIn(mock.app, rewrite)) as server:
        yield server
    mock.close()


@contextmanager
def proxied(
    upstream_url: str, folder: Path | None = None, scenario: str = "video-job"
) -> Iterator[tuple[str, Proxy, list[str]]]:
    """Serve a proxy in front of ``upstream_url`` (recording into ``folder`` if given);
    yield its base URL, the proxy and the lines it printed. The cassette is saved on exit."""
    lines: list[str] = []
    recorder = Recorder(folder, scenario, upstream_url) if folder is not None else None
    proxy = Proxy(upstream_url, recorder=recorder, echo=lines.append)
    with AppThread(proxy) as served:
        yield served.base_url, proxy, lines
    if recorder is not None:
        recorder.save()


def record(folder: Path, rewrite: Any = paced, scenario: str = "video-job") -> tuple[Run, str]:
    """Record one client run and an invalid create through the proxy against an upstream,
    then stop both; return the run and the proxy's base URL."""
    with upstream(rewrite) as server, proxied(server.base_url, folder, scenario) as (url, _, _):
        run = client_run(url, SECRET_KEY)
        invalid_create(url, SECRET_KEY)
        return run, url


def comparable(run: Run, base_url: str) -> list[tuple[str, int, Any]]:
    """Return what a run saw with its server's origin written as ``{origin}``."""
    text = json.dumps(run.seen).replace(base_url, "{origin}")
    found: list[tuple[str, int, Any]] = [tuple(item) for item in json.loads(text)]
    return found


def written_files(folder: Path) -> list[Path]:
    """Return every file under ``folder``."""
    return sorted(path for path in folder.rglob("*") if path.is_file())
