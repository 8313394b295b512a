"""Start a server as a separate process on a free loopback port, and read its memory."""

from __future__ import annotations

import os
import re
import selectors
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

from rivya_contract.mock_server.config import DEFAULT_API_KEY

ROOT = Path(__file__).resolve().parent.parent
"""The repository root: the working directory of every server process."""

STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
_URL = re.compile(r"(http://127\.0\.0\.1:\d+)")

DEMO_KEY = DEFAULT_API_KEY
"""The demo account's key on the mock's embedded defaults."""


def mock_command(*flags: str) -> list[str]:
    """Return the command serving the mock on a free port, with ``flags`` added.

    The request log is off (``--log-level warning``), as the bare endpoint has
    none; and the benchmark stops reading the server's output once it has started.
    """
    return [
        sys.executable,
        "-m",
        "rivya_contract.mock_server.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--log-level",
        "warning",
        *flags,
    ]


def bare_command() -> list[str]:
    """Return the command serving the bare Starlette endpoint on a free port."""
    return [sys.executable, "-m", "bench.bare_app", "--port", "0"]


def floor_command() -> list[str]:
    """Return the command serving the floor (fixed bytes from a bare protocol) on a free port."""
    return [sys.executable, "-m", "bench.floor_app", "--port", "0"]


class ServerProcess:
    """A server in a child process; a context manager that yields once it accepts."""

    def __init__(self, command: Sequence[str], env: Mapping[str, str] | None = None) -> None:
        self.command = list(command)
        self.env = dict(env or {})
        """Variables added to this process's environment for the child."""
        self._process: subprocess.Popen[str] | None = None
        self.base_url = ""

    @property
    def pid(self) -> int:
        """Return the child's process id."""
        assert self._process is not None
        return self._process.pid

    @property
    def host_port(self) -> tuple[str, int]:
        """Return the host and port the server listens on."""
        host, port = self.base_url.removeprefix("http://").rsplit(":", 1)
        return host, int(port)

    def start(self) -> str:
        """Start the process; return its base URL once it has printed it."""
        env = dict(os.environ, PYTHONUNBUFFERED="1", **self.env)
        self._process = subprocess.Popen(
            self.command,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self._process.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(self._process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        seen: list[str] = []
        while time.monotonic() < deadline:
            if not selector.select(timeout=max(0.0, deadline - time.monotonic())):
                break
            line = self._process.stdout.readline()
            if not line:
                break
            seen.append(line)
            found = _URL.search(line)
            if found:
                self.base_url = found.group(1)
                # Later lines are not read; the server prints nothing more at log level warning.
                return self.base_url
        self.stop()
        raise RuntimeError(f"{self.command} did not start:\n{''.join(seen)}")

    def rss_kib(self) -> int:
        """Return the server's resident memory (VmRSS) in KiB."""
        status = Path(f"/proc/{self.pid}/status").read_text()
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS line")

    def cpu_seconds(self) -> float:
        """Return the CPU time (user + system) the server has used so far."""
        stat = Path(f"/proc/{self.pid}/stat").read_text()
        fields = stat.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def alive(self) -> bool:
        """Return whether the process is still running."""
        return self._process is not None and self._process.poll() is None

    def stop(self) -> None:
        """Stop the process: terminate, then kill if it lingers."""
        process = self._process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT)

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()
