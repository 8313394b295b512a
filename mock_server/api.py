"""The request pipeline, independent of transport: route, authenticate, read the body, handle."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Protocol

from rivya_contract.mock_server import clock
from rivya_contract.mock_server.bodies import JsonBody, NoBody, UploadBody
from rivya_contract.mock_server.exchange import ApiError, Call, Reply
from rivya_contract.mock_server.ids import random_hex
from rivya_contract.mock_server.routes import HANDLERS, Route, Router
from rivya_contract.mock_server.specs import DEFAULT_RETRY_AFTER
from rivya_contract.mock_server.store_watch import StoreWatch, store_name
from rivya_contract.schemas import surface

if TYPE_CHECKING:
    from rivya_contract.mock_server.mock import Mock


class BodySink(Protocol):
    """Receives the request body chunk by chunk."""

    def feed(self, chunk: bytes) -> None:
        """Take the next chunk; never raises, keeps the first problem for ``close``."""

    def close(self, call: Call) -> None:
        """Finish reading: put the body into ``call`` or raise ``ApiError``."""


log = logging.getLogger("rivya_contract.mock_server")
requests_log = logging.getLogger("rivya_contract.mock_server.requests")
"""One record per answered request (``logs.py`` formats them): API and media requests at
INFO, control API requests (the dashboard polls them) at DEBUG."""

INTERNAL_ERROR = ApiError(
    "internal_error", "The mock failed to handle this request; see its log.", status=500
)
"""What a defect of the mock answers: not a documented code, so clients cannot mistake it."""


def _defect(call: Call) -> Reply:
    """Log the exception being handled and answer ``500 internal_error`` in the envelope."""
    log.exception("request %s failed: %s %s", call.request_id, call.method, call.path)
    return Reply.error(INTERNAL_ERROR, call.request_id)


def new_request_id() -> str:
    """Return a fresh request id: ``req_`` and 24 hex digits."""
    return "req_" + random_hex(12)


class Pending:
    """A request whose head has passed every check and whose body is being read."""

    __slots__ = ("_api", "_prepared", "_sink", "call", "route")

    def __init__(self, api: Api, call: Call, route: Route, sink: BodySink) -> None:
        self._api = api
        self.call = call
        self.route = route
        self._sink = sink
        self._prepared: bool | ApiError | None = None

    def feed(self, chunk: bytes) -> None:
        """Pass the next body chunk to the body reader."""
        self._sink.feed(chunk)

    def finish(self) -> Reply:
        """End the body, run the handler and its after-work; return the reply."""
        reply = self.answer()
        if reply.after is not None:
            reply.after()
        return reply

    def prepare(self) -> None:
        """End the body outside the lock (an upload's file read back from disk), once.

        ``answer`` reports its error; an adapter may run this off its event loop first.
        """
        if self._prepared is None:
            try:
                self._sink.close(self.call)
                self._prepared = True
            except ApiError as error:
                self._prepared = error

    def answer(self) -> Reply:
        """End the body and run the handler under the lock; the after-work is left to run."""
        call = self.call
        api = self._api
        with api.mock.lock:
            try:
                if self._prepared is None:
                    self._sink.close(call)
                elif isinstance(self._prepared, ApiError):
                    raise self._prepared
                target = api.control if self.route.op.group == "control" else api.backend
                reply = self.route.handler(call, target)
                api.store_watch.served()
            except ApiError as error:
                reply = Reply.error(error, call.request_id)
            except api.unavailable as error:
                reply = api.store_watch.failed(call, error)
            except Exception:
                reply = _defect(call)
            return api.done(call, reply, self.route)


class Api:
    """The mock's request pipeline. Adapters call ``begin``, feed the body, then ``finish``."""

    def __init__(self, mock: Mock) -> None:
        self.mock = mock
        self.backend = mock.backend
        self.control = mock.control
        config = mock.config
        routes = []
        for op in surface().operations:
            if op.group == "control" and not config.control:
                continue
            status = getattr(config, op.status_setting) if op.status_setting else op.status
            routes.append(Route(op, HANDLERS[op.id], status))
        self.router = Router(routes)
        store = mock.backend.store
        self.unavailable = store.unavailable
        """What the store raises when it cannot be reached."""
        self.store_watch = StoreWatch(store_name(config.store))

    def begin(
        self,
        method: str,
        path: str,
        query: str,
        headers: Mapping[str, str],
        base_url: str,
    ) -> Pending | Reply:
        """Check a request's head; return the reply now, or a ``Pending`` that wants the body.

        ``headers`` must have lower-case names. Checks run in the documented
        order: public API switch, auth, scope, rate limit; validation and
        credits follow in the backend.
        """
        with self.mock.lock:
            config = self.mock.config
            call = Call(method, path, query, headers, base_url, new_request_id())
            call.started = time.perf_counter()
            route, params, known = self.router.match(method, path)
            try:
                call.head = head = self.backend.head(headers.get("authorization"))
                call.pinned = clock.pin(head.now)
                if route is None:
                    raise self.router.unrouted(method, path, known)
                op = route.op
                call.path_params = params
                call.ok = route.status
                early = self.control.intercept(call, op)
                if early is not None:
                    return self.done(call, early, route)
                if op.group == "api" and config.public_api_disabled and op.switchable:
                    raise ApiError(
                        "public_api_disabled",
                        "The public API is disabled; retry later.",
                        headers={"Retry-After": str(DEFAULT_RETRY_AFTER["public_api_disabled"])},
                    )
                if op.scope is not None or (
                    config.check_key_on_public and "authorization" in headers and op.group == "api"
                ):
                    key = self.backend.authenticate(headers.get("authorization"), op.scope, head)
                    call.account_id, call.key = key.account_id, key.secret
                sink = self._sink(route, call)
            except ApiError as error:
                return self.done(call, Reply.error(error, call.request_id), route)
            except self.unavailable as error:
                return self.done(call, self.store_watch.failed(call, error), route)
            except Exception:
                return self.done(call, _defect(call), route)
            return Pending(self, call, route, sink)

    def _sink(self, route: Route, call: Call) -> BodySink:
        if route.op.body == "json":
            return JsonBody(self.mock.config.max_body_bytes)
        if route.op.body == "upload":
            content_type = call.headers.get("content-type", "")
            return UploadBody(self.mock.config, content_type, self.backend.contract)
        return NoBody()

    def done(self, call: Call, reply: Reply, route: Route | None) -> Reply:
        """Stamp the request id on a reply; record it in the journal, the metrics and the log."""
        call.seconds = time.perf_counter() - call.started
        reply.headers["X-Request-Id"] = call.request_id
        op = route.op if route is not None else None
        try:
            self.control.record(call, reply, op)
        except self.unavailable as error:  # the answer stands; only its journal entry is lost
            self.store_watch.failed(call, error)
        clock.unpin(call.pinned)
        call.pinned = None
        self.mock.metrics.observe(call, reply, op.path if op is not None else None, call.seconds)
        level = logging.DEBUG if op is not None and op.group == "control" else logging.INFO
        if requests_log.isEnabledFor(level):
            requests_log.log(
                level,
                "%s %s %s %s",
                call.method,
                call.path,
                reply.status,
                call.request_id,
                extra={"call": call, "reply": reply},
            )
        return reply

    def handle(
        self,
        method: str,
        path: str,
        *,
        query: str = "",
        headers: Mapping[str, str] | None = None,
        body: bytes | Iterable[bytes] = b"",
        base_url: str = "https://rivya.ai",
    ) -> Reply:
        """Run one whole request synchronously; header names may be in any case."""
        lowered = {name.lower(): value for name, value in (headers or {}).items()}
        started = self.begin(method, path, query, lowered, base_url)
        if isinstance(started, Reply):
            return started
        chunks = [body] if isinstance(body, bytes) else body
        for chunk in chunks:
            started.feed(chunk)
        return started.finish()
