"""Other mock servers as optional peers of the HTTP benchmark: WireMock and Prism.

Each serves the benchmark's two endpoints (``POST /api/v1/generations`` and
``GET /api/v1/generations/{taskId}``) with static answers of the task's shape,
so they do less than our mock: no validation, no state, no auth. They are
found under ``RIVYA_BENCH_PEERS`` (default ``/work/.peers``), where
``npm install --prefix DIR wiremock @stoplight/prism-cli`` puts them (see
``bench/RESULTS.md``); a peer that is not there is reported absent.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from bench.bare_app import TASK
from bench.servers import STARTUP_TIMEOUT, ServerProcess

PEERS = Path(os.environ.get("RIVYA_BENCH_PEERS", "/work/.peers"))
"""The npm prefix the peers are installed under."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wiremock_jar() -> Path | None:
    """Return the WireMock standalone jar the npm package ships, if installed."""
    build = PEERS / "node_modules" / "wiremock" / "build"
    found = sorted(build.glob("wiremock-standalone-*.jar"))
    return found[-1] if found and shutil.which("java") else None


def prism_bin() -> Path | None:
    """Return Prism's command, if installed."""
    found = PEERS / "node_modules" / ".bin" / "prism"
    return found if found.exists() and shutil.which("node") else None


def _wiremock_files(root: Path) -> None:
    mappings = root / "mappings"
    mappings.mkdir(parents=True)
    stubs = [
        ("POST", {"url": "/api/v1/generations"}, 202),
        ("GET", {"urlPathPattern": "/api/v1/generations/[^/]+"}, 200),
    ]
    for index, (method, where, status) in enumerate(stubs):
        stub = {
            "request": {"method": method, **where},
            "response": {
                "status": status,
                "jsonBody": TASK,
                "headers": {"Content-Type": "application/json"},
            },
        }
        (mappings / f"{index}.json").write_text(json.dumps(stub))


def _prism_document(path: Path) -> None:
    task = {"type": "object", "example": TASK}

    def answer(status: str, description: str) -> dict[str, Any]:
        content = {"application/json": {"schema": task, "example": TASK}}
        return {status: {"description": description, "content": content}}

    document = {
        "openapi": "3.1.0",
        "info": {"title": "bench peer", "version": "1"},
        "paths": {
            "/api/v1/generations": {
                "post": {
                    "requestBody": {
                        "content": {"application/json": {"schema": {"type": "object"}}}
                    },
                    "responses": answer("202", "queued"),
                }
            },
            "/api/v1/generations/{taskId}": {
                "get": {
                    "parameters": [
                        {
                            "name": "taskId",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": answer("200", "the task"),
                }
            },
        },
    }
    path.write_text(json.dumps(document))


class PeerProcess(ServerProcess):
    """A peer server in a child process, its output in a file; ready once it answers HTTP."""

    def __init__(self, name: str, command: list[str], port: int, folder: Path) -> None:
        super().__init__(command)
        self.name = name
        self._port = port
        self._folder = folder

    def start(self) -> str:
        """Start the peer; return its base URL once a request gets an HTTP answer."""
        log = (self._folder / "server.log").open("wb")
        self._process = process = subprocess.Popen(
            self.command, cwd=self._folder, stdout=log, stderr=subprocess.STDOUT, text=True
        )
        self.base_url = f"http://127.0.0.1:{self._port}"
        deadline = time.monotonic() + STARTUP_TIMEOUT * 2
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", self._port), timeout=1) as sock:
                    sock.sendall(b"GET /api/v1/generations/x HTTP/1.1\r\nHost: x\r\n\r\n")
                    if sock.recv(16).startswith(b"HTTP/1.1 "):
                        return self.base_url
            except OSError:
                time.sleep(0.2)  # the JVM or node is still starting: poll again
        self.stop()
        output = (self._folder / "server.log").read_text(errors="replace")
        raise RuntimeError(f"{self.name} did not start:\n{output[-2000:]}")

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        super().__exit__(kind, error, trace)
        shutil.rmtree(self._folder, ignore_errors=True)


def wiremock() -> PeerProcess | None:
    """Return WireMock serving the two stubs (not started), or None if it is not installed."""
    jar = wiremock_jar()
    if jar is None:
        return None
    folder = Path(tempfile.mkdtemp(prefix="bench-wiremock-"))
    _wiremock_files(folder)
    port = _free_port()
    command = [
        "java",
        "-jar",
        str(jar),
        "--port",
        str(port),
        "--bind-address",
        "127.0.0.1",
        "--root-dir",
        str(folder),
        "--disable-banner",
        "--disable-request-logging",
        "--no-request-journal",
    ]
    return PeerProcess("wiremock", command, port, folder)


def prism() -> PeerProcess | None:
    """Return Prism serving the two operations' examples (not started), or None if absent."""
    command_path = prism_bin()
    if command_path is None:
        return None
    folder = Path(tempfile.mkdtemp(prefix="bench-prism-"))
    _prism_document(folder / "peer.json")
    port = _free_port()
    command = [
        str(command_path),
        "mock",
        str(folder / "peer.json"),
        "--port",
        str(port),
        "--host",
        "127.0.0.1",
        "--verboseLevel",
        "error",
    ]
    return PeerProcess("prism", command, port, folder)


def available() -> dict[str, PeerProcess | None]:
    """Return each peer by name: its process (not started), or None when not installed."""
    return {"wiremock": wiremock(), "prism": prism()}
