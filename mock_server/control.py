"""Scenario control: the controller that applies scripts, faults and directives, and the journal.

The ``Controller`` plugs into the pipeline at three points: ``intercept``
(faults and the ``X-Rivya-Mock`` header, before auth), ``plan`` (scripted
tasks, at create) and ``record`` (delay and drop on the answer, the journal).
With nothing registered, each is a length check.
"""

from __future__ import annotations

import hmac
import itertools
import math
import threading
from typing import TYPE_CHECKING, Any, Literal

from rivya_contract.mock_server import auth, directives
from rivya_contract.mock_server.accounts import Accounts
from rivya_contract.mock_server.counted import check_times
from rivya_contract.mock_server.directives import HEADER, Effects
from rivya_contract.mock_server.exchange import ApiError, Call, Reply
from rivya_contract.mock_server.faults import Fault, error_reply, merged
from rivya_contract.mock_server.journal import Journal
from rivya_contract.mock_server.lifecycle import Plan
from rivya_contract.mock_server.records import FAILURE_CODE, FAILURE_MESSAGE
from rivya_contract.mock_server.routes import CONTROL_PREFIX, Route
from rivya_contract.mock_server.scripts import Script, ScriptOutcome
from rivya_contract.schemas import ModelCard, contract

if TYPE_CHECKING:
    from rivya_contract.mock_server.mock import Mock


class Controller:
    """Scenario control for one mock: scripts, faults, the journal and the accounts helper."""

    def __init__(self, mock: Mock) -> None:
        config = mock.config
        self.mock = mock
        self.journal = Journal(config.journal_size, (config.admin_token or "",))
        """The most recent requests (control API requests are not recorded)."""
        self.accounts = Accounts(mock)
        self.header_enabled = config.control
        """Whether the X-Rivya-Mock header is obeyed (off with ``control=False``)."""
        self._admin = config.admin_token
        self._routes_served = config.control
        self._scripts: list[Script] = []
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1)

    def reset(self) -> None:
        """Forget every script, fault and journal entry."""
        with self._lock:
            self._scripts.clear()
            self._faults.clear()
        self.journal.clear()

    @property
    def scripts(self) -> list[Script]:
        """The scripts still waiting, in the order they are tried."""
        with self._lock:
            return list(self._scripts)

    @property
    def faults(self) -> list[Fault]:
        """The faults still waiting, in the order they are tried."""
        with self._lock:
            return list(self._faults)

    def script(
        self,
        *,
        model: str | None = None,
        prompt_contains: str | None = None,
        client_request_id: str | None = None,
        account: str | None = None,
        outcome: ScriptOutcome = "succeeded",
        queued: float = 0.0,
        processing: float = 0.0,
        code: str = FAILURE_CODE,
        message: str | None = None,
        times: int | None = 1,
    ) -> Script:
        """Script the outcome of the next ``times`` creates matching every given field.

        The task stays ``queued`` seconds queued and ``processing`` seconds
        processing, then ends ``outcome`` (``failed`` with ``code`` and
        ``message``); ``processing`` as the outcome keeps it processing for
        ever. Scripts are tried in the order they were added; the first match
        is used. Raises ValueError on a bad argument.
        """
        if outcome not in ("succeeded", "failed", "processing"):
            raise ValueError("outcome must be succeeded, failed or processing")
        if model is not None and model not in contract().cards:
            raise ValueError(f"unknown model {model!r}")
        if not (queued >= 0 and processing >= 0):
            raise ValueError("queued and processing must not be negative")
        if outcome == "failed" and math.isinf(processing):
            raise ValueError("a task processing for ever cannot fail")
        if directives.TASK_CODE.fullmatch(code) is None:
            raise ValueError(f"code {code!r}: lower case letters, digits and _")
        if outcome == "processing":
            plan = Plan(float(queued), math.inf)
        else:
            text = message or FAILURE_MESSAGE
            plan = Plan(float(queued), float(processing), outcome, code, text)
        created = Script(
            f"script_{next(self._ids)}",
            plan,
            outcome,
            model,
            prompt_contains,
            client_request_id,
            account,
            check_times(times),
        )
        with self._lock:
            self._scripts.append(created)
        return created

    def fault(
        self,
        *,
        method: str | None = None,
        path: str | None = None,
        account: str | None = None,
        code: str | None = None,
        status: int | None = None,
        retry_after: int | None = None,
        delay: float = 0.0,
        drop: bool = False,
        times: int | None = 1,
        message: str | None = None,
    ) -> Fault:
        """Inject a fault into the next ``times`` requests matching every given field.

        ``code`` answers with a documented error code (its status, envelope
        and, for rate_limited and public_api_disabled, ``Retry-After``);
        ``status`` answers with a bare 5xx instead. ``delay`` adds latency and
        ``drop`` handles the request, then closes the connection unanswered.
        Faults act before authentication and never touch the control API.
        Raises ValueError on a bad argument.
        """
        directives.check_answer(code, status)
        directives.check_delay(delay)
        if retry_after is not None and (retry_after < 0 or (code is None and status is None)):
            raise ValueError("retry_after must be >= 0 and goes with a code or a status")
        if code is None and status is None and not delay and not drop:
            raise ValueError("a fault needs a code, a status, a delay or drop")
        if path is not None and not path.startswith("/"):
            raise ValueError("path must start with /")
        effects = Effects(code, status, retry_after, message, float(delay), bool(drop))
        method = method.upper() if method else None
        created = Fault(
            f"fault_{next(self._ids)}", effects, method, path, account, check_times(times)
        )
        with self._lock:
            self._faults.append(created)
        return created

    def remove(self, item_id: str) -> bool:
        """Remove the script or fault with this id; return whether there was one."""
        with self._lock:
            for items in (self._scripts, self._faults):
                for item in items:
                    if item.id == item_id:
                        items.remove(item)  # type: ignore[arg-type]
                        return True
        return False

    def clear(self, kind: Literal["scripts", "faults"]) -> int:
        """Remove every script or every fault; return how many there were."""
        with self._lock:
            items: list[Any] = self._scripts if kind == "scripts" else self._faults
            count = len(items)
            items.clear()
        return count

    def intercept(self, call: Call, route: Route) -> Reply | None:
        """Admit control requests; apply the directive header and faults to the others."""
        if route.is_control:
            return self._admit(call)
        effects = None
        if self.header_enabled:
            header = call.headers.get(HEADER)
            if header is not None:
                creates = route.name == "createGeneration"
                try:
                    effects = directives.parse(header, creates_task=creates)
                except directives.DirectiveError as error:
                    problem = ApiError("validation_failed", f"X-Rivya-Mock: {error}")
                    return Reply.error(problem, call.request_id)
        if self._faults:
            hit = self._take_fault(call, route)
            if hit is not None:
                effects = hit if effects is None else merged(hit, effects)
        if effects is None:
            return None
        call.directives = effects
        return error_reply(effects, call.request_id) if effects.answers else None

    def _admit(self, call: Call) -> Reply | None:
        if self._admin is None:
            return None
        given = auth.bearer_token(call.headers.get("authorization"))
        if given is None:
            message = "The control API needs Authorization: Bearer <admin token>."
            return Reply.error(ApiError("api_key_missing", message), call.request_id)
        if not hmac.compare_digest(given.encode(), self._admin.encode()):
            message = "The admin token is not valid."
            return Reply.error(ApiError("api_key_invalid", message), call.request_id)
        return None

    def _take_fault(self, call: Call, route: Route) -> Effects | None:
        account: str | None = None
        if any(fault.account is not None for fault in self._faults):
            token = auth.bearer_token(call.headers.get("authorization"))
            key = self.mock.store.key(token) if token else None
            account = key.account_id if key else None
        with self._lock:
            for fault in self._faults:
                if fault.matches(call, route, account):
                    if fault.use():
                        self._faults.remove(fault)
                    return fault.effects
        return None

    def plan(self, call: Call, card: ModelCard, body: Any, account_id: str) -> Plan | None:
        """Return the plan the directive header or the first matching script gives, or None."""
        effects = call.directives
        if effects is not None and effects.plan is not None:
            return effects.plan  # type: ignore[no-any-return]
        if not self._scripts:
            return None
        with self._lock:
            for found in self._scripts:
                if found.matches(card, body, account_id):
                    if found.use():
                        self._scripts.remove(found)
                    return found.plan
        return None

    def record(self, call: Call, reply: Reply) -> None:
        """Put the request's delay and drop on its answer; note it in the journal."""
        effects = call.directives
        if effects is not None:
            reply.delay += effects.delay
            reply.drop = reply.drop or effects.drop
        if self._routes_served and call.path.startswith(CONTROL_PREFIX + "/"):
            return
        self.journal.record(self.mock.clock.now(), call, reply)
