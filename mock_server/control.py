"""Scenario control: scripts, faults, the directive header, the journal and accounts on demand.

The ``Controller`` plugs into the pipeline at three points: ``intercept``
(faults and the ``X-Rivya-Mock`` header, before auth), ``plan`` (scripted
tasks, which the backend asks for at create) and ``record`` (delay and drop
on the answer, the journal). With nothing registered, each is a length check.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from rivya_contract.mock_server import auth, directives
from rivya_contract.mock_server.accounts import Accounts
from rivya_contract.mock_server.directives import HEADER
from rivya_contract.mock_server.exchange import ApiError, Call, Reply
from rivya_contract.mock_server.faults import Fault, error_reply
from rivya_contract.mock_server.ids import same_token
from rivya_contract.mock_server.journal import Journal
from rivya_contract.mock_server.lifecycle import Plan
from rivya_contract.mock_server.rules import Rules, StoredRule
from rivya_contract.mock_server.scripts import Script
from rivya_contract.mock_server.specs import (
    Effects,
    ScriptOutcome,
    fault_spec,
    given,
    script_spec,
)
from rivya_contract.mock_server.webhook_control import WebhookControl
from rivya_contract.schemas import ModelCard, Operation

if TYPE_CHECKING:
    from rivya_contract.mock_server.backend import Backend
    from rivya_contract.mock_server.metrics import Metrics

TOKEN_HEADER = "x-rivya-mock-token"
"""With an admin token set, an X-Rivya-Mock header is obeyed only beside this one holding it."""

INVALID = "mock_request_invalid"
"""The code of a malformed control request or X-Rivya-Mock header (never an API code)."""


def _kind(effects: Effects) -> str:
    """Name what a fault does, for the faults-fired metric."""
    if effects.code is not None:
        return effects.code
    if effects.status is not None:
        return str(effects.status)
    return "drop" if effects.drop else "delay"


class Controller:
    """Scenario control for one mock: ``mock.control``.

    ``script`` and ``fault`` take the fields of ``control.schema.json``
    (``$defs/script``, ``$defs/fault``) and raise ``SpecError`` (a
    ValueError) naming the field that breaks a rule.
    """

    def __init__(self, backend: Backend, journal_kind: Callable[..., Journal] = Journal) -> None:
        config = backend.config
        self.backend = backend
        self.clock = backend.clock
        """The mock's clock: ``clock.advance(seconds)`` moves a virtual one."""
        self.journal = journal_kind(
            config.journal_size,
            (config.admin_token or "",),
            max_bytes=config.journal_max_bytes,
            known_keys=self._known_keys,
        )
        """The most recent requests (control API requests are not recorded)."""
        self.accounts = Accounts(backend)
        """Accounts and keys in any state, for tests."""
        self.webhooks = WebhookControl(backend.webhooks)
        """Webhook deliveries: faults, resend, in-process receivers, flush."""
        self.header_enabled = config.control
        """Whether the X-Rivya-Mock header is obeyed (off with ``control=False``)."""
        self._admin = config.admin_token
        self.rules: Rules = backend.rules
        """Where the scripts and faults are kept (shared by the processes of a shared store)."""
        self._version: int | None = None
        self._scripts: list[tuple[StoredRule, Script]] = []
        self._faults: list[tuple[StoredRule, Fault]] = []
        self._lock = threading.Lock()
        self.metrics: Metrics | None = None
        """The mock's Prometheus metrics, when it keeps them (``Mock`` sets them)."""
        self.fired: dict[str, int] = {}
        """Requests faults have hit, by the fault's code, its 5xx status, ``delay`` or ``drop``."""
        backend.planner = self.plan

    def _known_keys(self) -> list[str]:
        keys = self.backend.store.keys()
        return [key.secret for key in keys]

    def reset(self) -> None:
        """Forget every account, key, task, file, script, fault and journal entry.

        The demo account is created again; the clock keeps its time.
        """
        self.backend.reset()
        self.rules.reset()
        self._version = None
        self.journal.clear()
        self.fired.clear()

    @property
    def scripts(self) -> list[Script]:
        """The scripts still waiting, in the order they are tried (with their uses now)."""
        return [self._script(rule) for rule in self.rules.load("script")]

    @property
    def faults(self) -> list[Fault]:
        """The faults still waiting, in the order they are tried (with their uses now)."""
        return [self._fault(rule) for rule in self.rules.load("fault")]

    def _script(self, rule: StoredRule) -> Script:
        return Script(rule.id, script_spec(rule.fields, self.backend.contract.cards), rule)

    def _fault(self, rule: StoredRule) -> Fault:
        return Fault(rule.id, fault_spec(rule.fields), rule)

    def _current(self, version: int | None = None) -> None:
        """Build the typed rules again when the kept ones changed (``version``: as read)."""
        if version is None:
            version = self.rules.version()
        if version == self._version:
            return
        with self._lock:
            self._scripts = [(rule, self._script(rule)) for rule in self.rules.load("script")]
            self._faults = [(rule, self._fault(rule)) for rule in self.rules.load("fault")]
            self._version = version

    def script(
        self,
        *,
        model: str | None = None,
        prompt_contains: str | None = None,
        client_request_id: str | None = None,
        account: str | None = None,
        outcome: ScriptOutcome | None = None,
        queued: float | None = None,
        processing: float | None = None,
        queued_polls: int | None = None,
        processing_polls: int | None = None,
        code: str | None = None,
        message: str | None = None,
        times: int | None = 1,
    ) -> Script:
        """Script the outcome of the next ``times`` creates matching every given field.

        The task stays ``queued`` seconds queued and ``processing`` seconds
        processing (or ``queued_polls`` and ``processing_polls`` polls), then
        ends ``outcome`` (``failed`` with ``code`` and ``message``);
        ``processing`` as the outcome keeps it processing for ever. Scripts
        are tried in the order they were added; the first match is used.
        """
        fields = given(
            model=model,
            prompt_contains=prompt_contains,
            client_request_id=client_request_id,
            account=account,
            outcome=outcome,
            queued=queued,
            processing=processing,
            queued_polls=queued_polls,
            processing_polls=processing_polls,
            code=code,
            message=message,
            times=times,
        )
        return self.add_script(fields)

    def add_script(self, fields: dict[str, Any]) -> Script:
        """Add the script ``fields`` describe (the control API's body); see ``script``."""
        spec = script_spec(fields, self.backend.contract.cards)
        rule = self.rules.add("script", fields)
        self._version = None  # read the rules again before the next match
        return Script(rule.id, spec, rule)

    def fault(
        self,
        *,
        method: str | None = None,
        path: str | None = None,
        account: str | None = None,
        code: str | None = None,
        status: int | None = None,
        retry_after: int | None = None,
        delay: float | None = None,
        drop: bool | None = None,
        times: int | None = 1,
        message: str | None = None,
    ) -> Fault:
        """Inject a fault into the next ``times`` requests matching every given field.

        ``code`` answers with a documented error code (its status, envelope
        and, for rate_limited and public_api_disabled, ``Retry-After``);
        ``status`` answers with a bare 5xx instead. ``delay`` adds latency and
        ``drop`` handles the request, then closes the connection unanswered.
        ``path`` is an exact path, a route template or a ``prefix*``. Faults
        act before authentication and never touch the control API.
        """
        fields = given(
            method=method.upper() if method else None,
            path=path,
            account=account,
            code=code,
            status=status,
            retry_after=retry_after,
            delay=delay,
            drop=drop,
            times=times,
            message=message,
        )
        return self.add_fault(fields)

    def add_fault(self, fields: dict[str, Any]) -> Fault:
        """Add the fault ``fields`` describe (the control API's body); see ``fault``."""
        spec = fault_spec(fields)
        rule = self.rules.add("fault", fields)
        self._version = None
        return Fault(rule.id, spec, rule)

    def remove(self, item_id: str) -> bool:
        """Remove the script or fault with this id; return whether there was one."""
        self._version = None
        return self.rules.remove(item_id)

    def clear(self, kind: Literal["scripts", "faults"]) -> int:
        """Remove every script or every fault; return how many there were."""
        self._version = None
        return self.rules.clear("script" if kind == "scripts" else "fault")

    def intercept(self, call: Call, op: Operation) -> Reply | None:
        """Admit control requests; apply the directive header and faults to the others."""
        if op.group == "control":
            return None if op.open else self._admit(call)
        effects = None
        if self.header_enabled:
            header = call.headers.get(HEADER)
            if header is not None:
                refused = self._admit_directive(call)
                if refused is not None:
                    return refused
                try:
                    found = directives.parse(
                        header, creates_task=op.id == "createGeneration", operation=op.id
                    )
                except directives.DirectiveError as error:
                    problem = ApiError(INVALID, f"X-Rivya-Mock: {error}")
                    return Reply.error(problem, call.request_id)
                effects, call.plan, call.webhook = found.effects, found.plan, found.webhook
        self._current(None if call.head is None else call.head.rules)
        if self._faults:
            hit = self._take_fault(call)
            if hit is not None:
                effects = hit if effects is None else hit.under(effects)
        if effects is None:
            return None
        call.effects = effects
        return error_reply(effects, call.request_id) if effects.answers else None

    def _admit(self, call: Call) -> Reply | None:
        if self._admin is None:
            return None
        given_token = auth.bearer_token(call.headers.get("authorization"))
        if given_token is None:
            message = "The control API needs Authorization: Bearer <admin token>."
            return Reply.error(ApiError("mock_unauthorized", message), call.request_id)
        if not same_token(given_token, self._admin):
            message = "The admin token is not valid."
            return Reply.error(ApiError("mock_unauthorized", message), call.request_id)
        return None

    def _admit_directive(self, call: Call) -> Reply | None:
        """With an admin token, refuse an X-Rivya-Mock header not sent beside it."""
        if self._admin is None:
            return None
        given_token = call.headers.get(TOKEN_HEADER)
        if given_token is None or not same_token(given_token, self._admin):
            message = (
                "X-Rivya-Mock needs X-Rivya-Mock-Token: <admin token> on a mock with an admin "
                "token (--admin-token)."
            )
            return Reply.error(ApiError("mock_unauthorized", message), call.request_id)
        return None

    def _take_fault(self, call: Call) -> Effects | None:
        account: str | None = None
        faults = self._faults
        if any(fault.spec.account is not None for _, fault in faults):
            head = call.head or self.backend.head(call.headers.get("authorization"))
            account = head.key.account_id if head.key else None
        for rule, fault in faults:
            if fault.matches(call, account) and self.rules.use("fault", rule, fault.times):
                kind = _kind(fault.effects)
                self.fired[kind] = self.fired.get(kind, 0) + 1
                return fault.effects
        return None

    def plan(
        self, card: ModelCard, body: Any, account_id: str
    ) -> tuple[Plan, Callable[[], None]] | None:
        """Return the first matching script's plan and the call giving its use back, or None."""
        self._current(self._version)  # as the request's head found them, unless changed here
        for rule, found in self._scripts:
            if found.matches(card, body, account_id) and self.rules.use(
                "script", rule, found.times
            ):
                return found.plan, functools.partial(
                    self.rules.give_back, "script", rule, found.times
                )
        return None

    def record(self, call: Call, reply: Reply, op: Operation | None) -> None:
        """Put the request's delay and drop on its answer; note it in the journal."""
        effects = call.effects
        if effects is not None:
            reply.delay += effects.delay
            reply.drop = reply.drop or effects.drop
        if op is not None and op.group == "control":
            return
        self.journal.record(self.backend.clock.now(), call, reply)
