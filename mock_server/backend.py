"""The backend: the domain of the Rivya API, independent of HTTP.

One ``Backend`` owns the state behind one mock: accounts and keys, tasks and
their credits, uploaded files. Each public method is one whole step of the
API (``create_task``, ``poll``, ``upload``, ``file``, ``balance``, ...): it
validates, applies idempotency, prices, reserves, plans and stores, and it
settles finished tasks and enforces retention itself, so no caller has to.
The HTTP handlers only parse calls and render what these methods return.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from rivya_contract.mock_server import auth, lifecycle, results
from rivya_contract.mock_server.clock import Clock
from rivya_contract.mock_server.config import MockConfig
from rivya_contract.mock_server.exchange import ApiError
from rivya_contract.mock_server.ids import IdSource, new_token
from rivya_contract.mock_server.multipart import Upload
from rivya_contract.mock_server.ratelimit import RateLimiter
from rivya_contract.mock_server.records import (
    Account,
    ApiKey,
    IdempotencyRecord,
    StoredFile,
    Task,
)
from rivya_contract.mock_server.references import check_references
from rivya_contract.mock_server.rules import MemoryRules, Rules
from rivya_contract.mock_server.run_cards import contract_for
from rivya_contract.mock_server.store import Head, Store
from rivya_contract.mock_server.uploads import check_upload, duration_token
from rivya_contract.mock_server.validation import validated_create
from rivya_contract.mock_server.webhook_backend import Webhooks
from rivya_contract.mock_server.webhook_store import MemoryWebhookStore, WebhookStore
from rivya_contract.schemas import REFERENCE_ITEMS, ModelCard, surface

DEMO_ACCOUNT = "acct_demo"
"""The id of the account the embedded defaults create."""

SWEEP_EVERY = 256
"""Steps between two sweeps that settle every account and drop expired tasks."""

Planner = Callable[[ModelCard, Any, str], "tuple[lifecycle.Plan, Callable[[], None]] | None"]
"""Returns a scripted plan for a create (card, body, account id) and the call that gives
the script's use back (the create stored nothing), or None."""


@dataclass(frozen=True)
class Seen:
    """A task as one step left it, and the time of that step (for rendering)."""

    task: Task
    at: float
    replayed: bool = False
    """True for a create answered from an earlier request with the same Idempotency-Key."""


def fingerprint(body: Any) -> str:
    """Return a digest of a request body that ignores key order and spacing."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


class Backend:
    """The state and rules of one mock of the Rivya API v1.

    ``planner`` supplies scripted plans (scenario control); without one every
    task follows the model card and the config.
    """

    def __init__(
        self,
        config: MockConfig,
        store: Store,
        clock: Clock,
        planner: Planner | None = None,
        webhook_store: WebhookStore | None = None,
        rules: Rules | None = None,
    ) -> None:
        self.config = config
        self.contract = contract_for(config)
        """The contract this mock serves: the packaged cards and the config's own."""
        self.store = store
        self.clock = clock
        self.planner = planner
        self.rules: Rules = rules or MemoryRules()
        """The scripts and faults, kept as ``rules.py`` describes (shared with the controller)."""
        self.webhooks = Webhooks(
            config,
            webhook_store or MemoryWebhookStore(),
            clock,
            self.task,
            self.new_id,
            lambda task, at, base_url: lifecycle.task_view(task, at, base_url),
            self.rules,
        )
        """Webhook endpoints, events and deliveries (``webhook_backend.Webhooks``)."""
        self.limiter = RateLimiter(config.rate_limit, store)
        self._rng = random.Random(config.seed or 0)
        self._rng_lock = threading.Lock()
        self._ids = IdSource(None if store.shared else config.seed)
        self._steps = 0
        self._documents: dict[tuple[str, str | None], bytes] = {}
        self._models: bytes | None = None
        self._initialized = False
        self._initialize()

    def document(self, base_url: str | None = None, *, part: str = "api") -> bytes:
        """Return an OpenAPI document this mock serves, as JSON bytes (built once per URL).

        ``part`` is ``api`` (the Rivya API) or ``control`` (the mock's control API);
        ``base_url``, the URL the document was asked at, comes first in its ``servers``.
        """
        found = self._documents.get((part, base_url))
        if found is None:
            from rivya_contract.mock_server.openapi import control_document, served_document

            if part == "api":
                document = served_document(self.config, base_url, self.contract)
            else:
                document = control_document(self.config, base_url, self.contract)
            found = json.dumps(document, separators=(",", ":")).encode()
            if len(self._documents) < 64:  # a handful of host names; never unbounded
                self._documents[(part, base_url)] = found
        return found

    def models(self) -> bytes:
        """Return the body of ``GET /api/v1/models``: every card's listing (built once)."""
        if self._models is None:
            data = [card.listing() for card in self.contract.cards.values()]
            listing = {"object": "list", "data": data}
            self._models = json.dumps(listing, separators=(",", ":")).encode()
        return self._models

    # -- accounts and keys -------------------------------------------------

    def reset(self) -> None:
        """Forget every account, key, task and file; create the demo account again."""
        self.store.reset()
        self.webhooks.reset()
        with self._rng_lock:
            self._rng.seed(self.config.seed or 0)
        self._ids.reset()
        self._initialized = False
        self._initialize()

    def _initialize(self) -> None:
        """Make the demo account and key unless the state has them; later if unreachable."""
        demo = Account(DEMO_ACCOUNT, balance=self.config.credits, granted=self.config.credits)
        try:
            self.store.initialize(demo, ApiKey(self.config.api_key, DEMO_ACCOUNT))
        except self.store.unavailable:
            return  # the first request that reaches the store does it
        self._initialized = True

    def add_account(self, account_id: str, credits: int) -> Account:
        """Create an account holding ``credits``."""
        account = Account(account_id, balance=credits, granted=credits)
        self.store.add_account(account)
        return account

    def new_id(self, prefix: str) -> str:
        """Return a new id such as ``task_3f2a...``: random, reproducible with a config seed.

        On a shared store ids are always random: processes with one seed would repeat
        each other's.
        """
        return self._ids.new_id(prefix)

    def head(self, authorization: str | None) -> Head:
        """Read what a request needs before routing, in one store step (one round trip)."""
        if not self._initialized:
            self._initialize()
        return self.store.head(auth.lookup_token(authorization))

    def authenticate(
        self, authorization: str | None, scope: str | None, head: Head | None = None
    ) -> ApiKey:
        """Return the key an Authorization header names, checked for ``scope`` and rate limit.

        ``head`` is the request's head when it was read already. Raises the documented
        401, 403 or 429 ``ApiError``.
        """
        now = self.clock.now()
        found = head if head is not None else self.head(authorization)
        key = auth.authenticate(authorization, found.key, now)
        if scope is not None:
            auth.require_scope(key, scope)
        self.limiter.check(key.secret, now)
        return key

    def balance(self, account_id: str = DEMO_ACCOUNT) -> Account:
        """Return an account's wallet after settling its finished tasks; KeyError if unknown."""
        now = self.clock.now()
        account = self.store.settle(account_id, now, refund=self.config.refund_on_failure)
        if account is None:
            raise KeyError(account_id)
        self._stepped(now)
        return account

    # -- tasks -------------------------------------------------------------

    def create_task(
        self,
        account_id: str,
        body: Any,
        *,
        idempotency_key: str | None = None,
        plan: lifecycle.Plan | None = None,
        webhook: Any = None,
    ) -> Seen:
        """Validate a create, replay or reserve its credits, plan the task and store it.

        ``plan`` (the request's own directive) beats a script, which beats the
        default plan. ``webhook`` holds delivery-fault fields for the task's events (the
        request's directive). Raises ``ApiError`` (validation_failed,
        idempotency_conflict, insufficient_credits) with nothing changed.
        """
        card, params = validated_create(self.contract, self.config, body)
        if card.api_status != "available":
            raise ApiError(
                "validation_failed",
                f"$.model: {card.id} is listed but not callable through the API yet "
                f"(api_status {card.api_status})",
            )
        if params.get(REFERENCE_ITEMS):
            lenient = self.config.references == "lenient"
            items = params[REFERENCE_ITEMS]
            check_references(items, card, account_id, self._account_file, lenient=lenient)
        limit = surface()["createGeneration"].headers["Idempotency-Key"].max_length
        if idempotency_key is not None and not 0 < len(idempotency_key) <= limit:
            raise ApiError("validation_failed", f"Idempotency-Key must be 1 to {limit} characters")
        now = self.clock.now()
        task_id = self.new_id("task")
        cost = card.price(params, self.config.surcharges, body)
        scripted = None
        if plan is None and self.planner is not None:
            scripted = self.planner(card, body, account_id)
        chosen = plan or (scripted[0] if scripted else None)
        if chosen is None:
            with self._rng_lock:
                chosen = lifecycle.default_plan(self.config, card, self._rng)
        charge = cost
        if card.metering is not None:
            charge = math.ceil(cost * Fraction(self.config.metered_usage))
        prompt = body.get("prompt")
        task = lifecycle.new_task(
            task_id,
            account_id,
            card,
            card.resolved_params(params),
            cost,
            chosen,
            now,
            prompt_chars=len(prompt) if isinstance(prompt, str) else 0,
            charge=charge,
            token=new_token(),
        )
        claim = None
        if idempotency_key is not None:
            claim = IdempotencyRecord(account_id, idempotency_key, fingerprint(body), task_id, now)
        # A record outliving its task is of no use, so max_tasks bounds the records too.
        opened = self.store.open_task(
            task,
            claim,
            idempotency_ttl=self.config.idempotency_ttl,
            idempotency_limit=self.config.max_tasks,
            refund=self.config.refund_on_failure,
        )
        self._stepped(now)
        if opened.task is None and scripted is not None:
            scripted[1]()  # nothing was stored: the script is owed this use back
        if opened.earlier is not None:
            assert claim is not None
            return self._replay(opened.earlier, claim.fingerprint, now)
        if opened.short is not None:
            raise ApiError(
                "insufficient_credits",
                f"This task costs {cost} credits; the balance is {opened.short}.",
            )
        if webhook and self.webhooks.endpoints(account_id):
            self.webhooks.dispatcher.faults.add({**webhook, "task_id": task.id})
        self.webhooks.watch(task)
        return Seen(task, now)

    def poll(self, account_id: str, task_id: str) -> Seen:
        """Count a poll of one of the account's tasks and return it; anything else not_found."""
        now = self.clock.now()
        config = self.config
        task = self.store.poll(
            account_id, task_id, now, task_ttl=config.task_ttl, refund=config.refund_on_failure
        )
        if task is None:
            raise ApiError("not_found", "No such task.")
        if task.by_polls and task.finishes and task.finishes_at == now:
            polls_to_finish = (task.queued_polls or 0) + (task.processing_polls or 0) + 1
            if task.polls == polls_to_finish:  # this poll finished it
                self.webhooks.watch(task)
        self._stepped(now)
        return Seen(task, now)

    def task(self, task_id: str) -> Task | None:
        """Return a task still kept, whoever owns it (for scenario control and tests)."""
        return self._kept_task(task_id, self.clock.now())

    def result(self, path: str, task_id: str) -> tuple[bytes, str]:
        """Return a succeeded task's result file at ``path``: its bytes and MIME type."""
        now = self.clock.now()
        task = self._kept_task(task_id, now)
        if task is None or path not in task.result_paths:
            raise ApiError("not_found", "No such result.")
        if task.status_at(now) != "succeeded":
            raise ApiError("not_found", "The result is not ready.")
        card = self.contract.cards.get(task.model)
        if card is None:
            raise ApiError("not_found", "No such result.")
        return results.render(card, task.params, task.prompt_chars, path)

    # -- files ---------------------------------------------------------------

    def upload(self, account_id: str, upload: Upload) -> StoredFile:
        """Check and store an uploaded reference file; drop files past retention."""
        kind, mime = check_upload(upload, self.contract)
        file_id = self.new_id("file")
        data = upload.file.data
        stored = StoredFile(
            id=file_id,
            account_id=account_id,
            kind=kind,
            name=upload.file.filename or file_id,
            mime_type=mime,
            size_bytes=len(data),
            created_at=self.clock.now(),
            data=data,
            duration_token=duration_token(file_id, kind, data),
        )
        self.store.add_file(stored, ttl=self.config.file_ttl, max_bytes=self.config.max_file_bytes)
        return stored

    def file(self, account_id: str | None, file_id: str) -> StoredFile:
        """Return a kept file of the account (any account when None); else not_found."""
        stored = self._kept_file(file_id)
        if stored is None or (account_id is not None and stored.account_id != account_id):
            raise ApiError("not_found", "No such file.")
        return stored

    # -- the steps' shared parts -------------------------------------------

    def _replay(self, earlier: IdempotencyRecord, digest: str, now: float) -> Seen:
        if earlier.fingerprint != digest:
            raise ApiError(
                "idempotency_conflict",
                "This Idempotency-Key was already used with a different request.",
            )
        task = self._kept_task(earlier.task_id, now)
        if task is None:
            raise ApiError("idempotency_conflict", "The original task of this key is gone.")
        return Seen(task, now, replayed=True)

    def _account_file(self, account_id: str, file_id: str) -> StoredFile | None:
        stored = self._kept_file(file_id)
        return stored if stored is not None and stored.account_id == account_id else None

    def _stepped(self, now: float) -> None:
        """Count a step; every ``SWEEP_EVERY`` steps settle every account and drop old tasks."""
        self._steps += 1
        if self._steps % SWEEP_EVERY == 0:
            refund = self.config.refund_on_failure
            for account in self.store.accounts():
                self.store.settle(account.id, now, refund=refund)
            self.store.forget_tasks(now, self.config.task_ttl, self.config.max_tasks)

    def _kept_task(self, task_id: str, now: float) -> Task | None:
        """Return a task unless unknown or finished longer than task_ttl ago (retention)."""
        task = self.store.task(task_id)
        return task if task is not None and task.kept(now, self.config.task_ttl) else None

    def _kept_file(self, file_id: str) -> StoredFile | None:
        """Return a file unless unknown or older than file_ttl (retention)."""
        stored = self.store.file(file_id)
        if stored is None or stored.created_at <= self.clock.now() - self.config.file_ttl:
            return None
        return stored
