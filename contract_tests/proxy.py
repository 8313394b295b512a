"""``rivya-mock proxy``: forward a client's requests to an upstream and check both directions.

``Proxy`` is an ASGI app: each request is read whole, sent to the upstream with
httpx, checked (``exchange_check``: the client's request against the request
schemas, the answer against the drift rules) and answered as the upstream
answered. It prints one line per exchange, keeps the deviations as a drift
report (``report.py``'s text and JSON) and, given a ``Recorder``, writes a
cassette. The API keys seen in requests are redacted from every line, report and
cassette.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from starlette.types import Receive, Scope, Send

from rivya_contract.contract_tests.exchange_check import Finding, exchange_findings
from rivya_contract.contract_tests.report import Results, report_json, report_text
from rivya_contract.mock_server.cassette import CassetteError, operation_router
from rivya_contract.mock_server.journal import redact_text
from rivya_contract.mock_server.recording import Recorder, api_keys

HOP_BY_HOP = frozenset(
    {
        "host",
        "content-length",
        "connection",
        "keep-alive",
        "transfer-encoding",
        "te",
        "upgrade",
        "proxy-connection",
    }
)
"""Headers that belong to one connection and are never forwarded."""

UNREACHABLE = "proxy_upstream_unreachable"
"""The code the proxy answers (502) when the upstream cannot be reached."""


class Proxy:
    """Forwards to ``upstream``, checking each exchange; serve it with uvicorn.

    ``echo`` receives each exchange's line (None: silent). ``transport`` replaces
    real HTTP to the upstream (an httpx transport). ``results`` holds the
    deviations, by exchange, for ``report_text`` and ``report_json``.
    """

    def __init__(
        self,
        upstream: str,
        *,
        recorder: Recorder | None = None,
        echo: Callable[[str], None] | None = print,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 120.0,
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self.recorder = recorder
        self.echo = echo
        self.results = Results()
        self.findings: list[list[Finding]] = []
        """Each exchange's findings, in arrival order."""
        self._transport = transport
        self._timeout = timeout
        self._clients: dict[int, httpx.AsyncClient] = {}
        self._secrets: list[str] = []
        self._lock = threading.Lock()
        self._started = time.monotonic()

    @property
    def secrets(self) -> tuple[str, ...]:
        """The API keys seen in requests (redacted from everything the proxy writes)."""
        return tuple(self._secrets)

    def _client(self) -> httpx.AsyncClient:
        import asyncio

        loop = id(asyncio.get_running_loop())
        client = self._clients.get(loop)
        if client is None:
            client = httpx.AsyncClient(
                base_url=self.upstream, transport=self._transport, timeout=self._timeout
            )
            self._clients[loop] = client
        return client

    def _say(self, text: str) -> None:
        if self.echo is not None:
            self.echo(redact_text(text, self._secrets))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Forward one HTTP request and answer what the upstream answered."""
        if scope["type"] != "http":
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        method: str = scope["method"]
        path: str = scope["path"]
        query = scope.get("query_string", b"").decode("latin-1")
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        request_headers = {k.lower(): v for k, v in headers}
        own = f"{scope.get('scheme', 'http')}://{request_headers.get('host', '')}".encode()
        body = _swap(b"".join(chunks), request_headers, own, self.upstream.encode())
        with self._lock:
            self._secrets += [k for k in api_keys(request_headers) if k not in self._secrets]
        at = self.recorder.elapsed() if self.recorder else time.monotonic() - self._started
        started = time.perf_counter()
        forwarded = [(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP]
        try:
            answer = await self._client().request(
                method,
                path + (f"?{query}" if query else ""),
                headers=forwarded,
                content=body,
            )
        except httpx.HTTPError as error:
            await self._unreachable(send, method, path, error)
            return
        seconds = time.perf_counter() - started
        answer_headers = dict(answer.headers)
        self._check(method, path, body, answer.status_code, answer_headers, answer.content, seconds)
        if self.recorder is not None:
            self.recorder.record(
                at=at,
                seconds=seconds,
                method=method,
                path=path,
                query=query,
                request_headers=request_headers,
                request_body=body,
                status=answer.status_code,
                response_headers=answer_headers,
                response_body=answer.content,
            )
        passed = [
            (k.encode("latin-1"), v.encode("latin-1"))
            for k, v in answer.headers.multi_items()
            if k.lower() not in HOP_BY_HOP and k.lower() != "content-encoding"
        ]
        shown = _swap(answer.content, answer_headers, self.upstream.encode(), own)
        passed.append((b"content-length", str(len(shown)).encode()))
        await send({"type": "http.response.start", "status": answer.status_code, "headers": passed})
        await send({"type": "http.response.body", "body": shown})

    def _check(
        self,
        method: str,
        path: str,
        body: bytes,
        status: int,
        headers: dict[str, str],
        content: bytes,
        seconds: float,
    ) -> None:
        route, _, _ = operation_router().match(method, path)
        with self._lock:
            number = len(self.findings) + 1
            check = f"exchange {number:05d} {method} {path}"
            findings: list[Finding] = []
            checked = route is not None and route.op.group != "control"
            if route is not None and checked:
                findings = exchange_findings(
                    route.op,
                    request_body=body,
                    status=status,
                    response_headers=headers,
                    response_body=content,
                )
            self.findings.append(findings)
            breaking = sum(1 for f in findings if f.deviation.severity == "breaking")
            self.results.outcome(check, "call", "failed" if breaking else "passed")
            for side in ("request", "response"):
                found = [f.deviation.to_json() for f in findings if f.side == side]
                if found:
                    self.results.add_deviations(f"{check} ({side})", found)
        compatible = len(findings) - breaking
        verdict = f"{breaking} breaking, {compatible} compatible" if findings else "ok"
        if route is None:
            verdict = "not in the contract's surface"
        elif not checked:
            verdict = "the mock's control API, not checked"
        shown = "; ".join(
            f"{f.side} {f.deviation.kind}{' at ' + f.deviation.path if f.deviation.path else ''}"
            for f in findings[:4]
        )
        self._say(
            f"#{number} {method} {path} -> {status} in {seconds * 1000:.0f} ms: {verdict}"
            + (f" ({shown})" if shown else "")
        )

    async def _unreachable(self, send: Send, method: str, path: str, error: Exception) -> None:
        message = f"the upstream {self.upstream} cannot be reached: {type(error).__name__}"
        envelope = {"error": {"code": UNREACHABLE, "message": message, "requestId": None}}
        body = json.dumps(envelope).encode()
        self._say(f"{method} {path} -> 502: {message}")
        start = {
            "type": "http.response.start",
            "status": 502,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
        await send(start)
        await send({"type": "http.response.body", "body": body})

    def report_text(self) -> str:
        """Return the deviation report, breaking then compatible, keys redacted."""
        return redact_text(report_text(self.results.records()), self._secrets)

    def report_json(self, *, strict: bool = False) -> str:
        """Return the deviation report as JSON, keys redacted."""
        text = report_json(self.results, target=self.upstream, strict=strict)
        return redact_text(text, self._secrets)

    def breaking(self) -> int:
        """Return how many breaking deviations were seen."""
        return sum(
            1 for found in self.findings for f in found if f.deviation.severity == "breaking"
        )


class ProxyCommand:
    """``rivya-mock proxy``: registered under the ``rivya_contract.commands`` entry points."""

    def add_parser(self, commands: Any, name: str) -> None:
        """Add ``proxy`` and its flags."""
        proxy = commands.add_parser(
            name, help="forward to an upstream (the real API), checking every exchange"
        )
        proxy.add_argument("--upstream", required=True, help="e.g. https://rivya.ai")
        proxy.add_argument("--host", default="127.0.0.1", help="interface to bind")
        proxy.add_argument("--port", type=int, default=8100, help="port (0: a free one)")
        proxy.add_argument(
            "--record", type=Path, metavar="DIR", help="write the exchanges to a cassette in DIR"
        )
        proxy.add_argument(
            "--scenario", default="recording", help="the cassette's name (DIR/<scenario>.json)"
        )
        proxy.add_argument(
            "--report", type=Path, metavar="FILE", help="write the deviation report (JSON) here"
        )
        proxy.add_argument("--quiet", action="store_true", help="no line per exchange")

    def run(self, args: argparse.Namespace) -> int:
        """Serve until Ctrl-C, then print the report; exit 1 if anything broke the contract."""
        from rivya_contract.mock_server.serving import PortInUse, bind, serve_app

        upstream = str(args.upstream).rstrip("/")
        if not upstream.startswith(("http://", "https://")):
            problem = f"--upstream {upstream!r} is not an http(s) URL"
            print(f"rivya-mock proxy: {problem}", file=sys.stderr)
            return 2
        try:
            recorder = Recorder(args.record, args.scenario, upstream) if args.record else None
        except CassetteError as error:
            print(f"rivya-mock proxy: --scenario: {error}", file=sys.stderr)
            return 2
        proxy = Proxy(upstream, recorder=recorder, echo=None if args.quiet else _line)
        try:
            sock = bind(args.host, args.port)
        except PortInUse as error:
            print(f"rivya-mock proxy: {error}; choose another --port", file=sys.stderr)
            return 2
        announce = functools.partial(_announce, upstream)
        try:
            serve_app(proxy, args.host, args.port, announce, sock=sock)
        except KeyboardInterrupt:
            pass
        finally:
            if recorder is not None:
                print(f"rivya-mock proxy: cassette {recorder.save()}", flush=True)
        print(proxy.report_text(), flush=True)
        if args.report is not None:
            args.report.write_text(proxy.report_json() + "\n")
        return 1 if proxy.breaking() else 0


def _swap(body: bytes, headers: dict[str, str], old: bytes, new: bytes) -> bytes:
    """Replace one origin by another in a JSON body.

    So the URLs the upstream hands out lead through the proxy, and the proxy's to the upstream.
    """
    if old in body and "json" in headers.get("content-type", ""):
        return body.replace(old, new)
    return body


def _line(text: str) -> None:
    print(text, flush=True)


def _announce(upstream: str, base_url: str) -> None:
    print(f"rivya-mock proxy {base_url} -> {upstream}", flush=True)


command = ProxyCommand()
"""The ``proxy`` entry point."""
