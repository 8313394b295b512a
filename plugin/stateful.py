"""A Hypothesis state machine that drives any target through the API and checks its invariants.

Rules: create valid and invalid tasks, poll them, let time pass (mock targets),
upload files and use them as references, replay and conflict idempotency keys,
read another account's ids. Invariants, after every step:

- the credit ledger is conserved: ``GET /credits`` equals the starting balance
  less what the known tasks hold (reserved while running, charged on success,
  refunded on failure unless the target keeps it);
- a task's status only moves forward (queued -> processing -> succeeded | failed);
- another account's task and file ids are ``not_found``.

Every answer is validated against ``schemas/``. Run it against a target::

    def test_api_state(rivya_target):
        run_state_machine(rivya_target, settings(max_examples=10, stateful_step_count=20))

Against live, other activity on the account breaks conservation, and creates
spend real credits (the target's budget refuses what does not fit; a refused
step is skipped).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

import httpx
from hypothesis import assume, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from rivya_contract.mock_server import media
from rivya_contract.mock_server.sniff import same_type
from rivya_contract.plugin.budget import BudgetExceeded
from rivya_contract.plugin.invalid_requests import InvalidRequest, invalid_generation_requests
from rivya_contract.plugin.request_strategies import generation_requests
from rivya_contract.plugin.targets import Target
from rivya_contract.plugin.upload_strategies import UploadCase, reference_item, uploads
from rivya_contract.schemas import contract, surface

CREATE = surface()["createGeneration"].path
FILES = surface()["uploadFile"].path
CREDITS = surface()["getCredits"].path
RANK = {"queued": 0, "processing": 1, "succeeded": 2, "failed": 2}
TERMINAL = frozenset({"succeeded", "failed"})
CREATED = frozenset({200, 201, 202})
"""Statuses a successful create or upload may answer with."""


@dataclass
class Seen:
    """What the machine last saw of a task."""

    status: str
    reserved: int


@dataclass(frozen=True)
class Keyed:
    """A create sent with an ``Idempotency-Key``, and the task it made."""

    key: str
    body: dict[str, Any]
    task_id: str


def _upload_models() -> list[str]:
    return [card.id for card in contract().cards.values() if card.upload_policy is not None]


def _canonical(body: Any) -> str:
    return json.dumps(body, sort_keys=True, ensure_ascii=False)


class RivyaStateMachine(RuleBasedStateMachine):
    """Drives one ``Target`` through the API; see the module docstring for rules and invariants.

    Against a mock target the mock is reset first, and time passes by its clock.
    ``refund_on_failure`` is the policy assumed for a target without a mock.
    """

    tasks = Bundle("tasks")
    files = Bundle("files")
    keyed = Bundle("keyed")

    def __init__(self, target: Target, *, refund_on_failure: bool = True) -> None:
        super().__init__()
        self.target = target
        self.mock = target.mock
        if self.mock is not None:
            self.mock.reset()
            refund_on_failure = self.mock.config.refund_on_failure
        self.refund = refund_on_failure
        self.surcharges = dict(self.mock.config.surcharges) if self.mock is not None else {}
        self.http = target.client(timeout=30.0)
        self.seen: dict[str, Seen] = {}
        self.initial = self._credits()
        self.foreign = self._foreign_ids()

    def teardown(self) -> None:
        """Close the HTTP client."""
        self.http.close()

    # -- requests and checks ---------------------------------------------------------------

    def _send(self, method: str, path: str, **options: Any) -> httpx.Response | None:
        try:
            return self.http.request(method, path, **options)
        except BudgetExceeded:
            return None

    def _ok(self, response: httpx.Response, schema: str, statuses: frozenset[int]) -> Any:
        where = f"{response.request.method} {response.request.url.path}"
        assert response.status_code in statuses, f"{where}: {response.status_code} {response.text}"
        body = response.json()
        problems = contract().validate(schema, body)
        assert not problems, f"{where}: the answer breaks the {schema} schema: {problems}"
        return body

    def _error(self, response: httpx.Response, code: str) -> None:
        body = self._ok(response, "error", frozenset({contract().error_status[code]}))
        assert body["error"]["code"] == code, f"expected {code}, got {body}"

    def _credits(self) -> int:
        response = self._send("GET", CREDITS)
        assert response is not None
        credits: int = self._ok(response, "credits", frozenset({200}))["current_credits"]
        return credits

    def _observe(self, task: dict[str, Any]) -> None:
        before = self.seen.get(task["id"])
        if before is not None:
            moved = f"task {task['id']} went from {before.status} to {task['status']}"
            assert RANK[task["status"]] >= RANK[before.status], moved
            assert before.status not in TERMINAL or task["status"] == before.status, moved
            assert task["reserved_credits"] == before.reserved, f"{task['id']}: reservation moved"
        self.seen[task["id"]] = Seen(task["status"], task["reserved_credits"])

    def _held(self) -> int:
        """Return the credits the known tasks hold, as last seen."""
        held = 0
        for task in self.seen.values():
            if task.status != "failed" or not self.refund:
                held += task.reserved
        return held

    def _foreign_ids(self) -> dict[str, str]:
        """Return a task and a file id this account must not see."""
        made_up = {
            "task": "task_" + secrets.token_hex(12),
            "file": "file_" + secrets.token_hex(12),
        }
        if self.mock is None:
            return made_up
        other = self.mock.control.accounts.create(credits=100)
        key = self.mock.control.accounts.issue_key(other.id)
        headers = {"Authorization": f"Bearer {key}"}
        card = next(iter(contract().cards.values()))
        with self.target.client(authorized=False, headers=headers) as client:
            task = client.post(CREATE, json={"model": card.id, "prompt": "someone else's"})
            image = media.sample("image/png")
            upload = client.post(
                FILES, data={"kind": "image"}, files={"file": ("x.png", image, "image/png")}
            )
        return {"task": task.json()["id"], "file": upload.json()["id"]}

    def _create(self, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
        card = contract().cards[body["model"]]
        price = card.price(body.get("params"), self.surcharges, body)
        response = self._send(
            "POST",
            CREATE,
            content=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        if response is None:
            return None
        if response.status_code == contract().error_status["insufficient_credits"]:
            self._error(response, "insufficient_credits")
            assert self.initial - self._held() < price, "insufficient_credits with enough credits"
            return None
        task = self._ok(response, "task", CREATED)
        assert task["status"] == "queued", f"a new task is {task['status']}"
        assert task["reserved_credits"] == price, f"reserved {task['reserved_credits']} != {price}"
        assert task["model"] == body["model"]
        self._observe(task)
        return task

    # -- rules ------------------------------------------------------------------------------

    @rule(target=tasks, body=generation_requests(include_references=False))
    def create(self, body: dict[str, Any]) -> Any:
        """Create a valid task."""
        task = self._create(body)
        return multiple() if task is None else task["id"]

    @rule(invalid=invalid_generation_requests())
    def create_invalid(self, invalid: InvalidRequest) -> None:
        """Send a create with one defect: it must fail with its code and reserve nothing."""
        headers = {"Content-Type": "application/json"}
        response = self._send("POST", CREATE, content=invalid.content, headers=headers)
        if response is not None:
            self._error(response, invalid.code)

    @rule(task_id=tasks)
    def poll(self, task_id: str) -> None:
        """Poll a known task."""
        response = self._send("GET", f"{CREATE}/{task_id}")
        assert response is not None
        self._observe(self._ok(response, "task", frozenset({200})))

    @precondition(lambda self: self.mock is not None)
    @rule(seconds=st.integers(1, 90))
    def let_time_pass(self, seconds: int) -> None:
        """Move the mock's clock forward."""
        assert self.mock is not None
        self.mock.clock.advance(seconds)

    @rule(target=files, case=uploads(_upload_models(), variants=["accepted"]))
    def upload(self, case: UploadCase) -> Any:
        """Upload a file a model takes as a reference."""
        response = self._send("POST", FILES, data=case.form(), files=case.files())
        assert response is not None
        stored = self._ok(response, "file", CREATED)
        assert stored["mime_type"] == case.mime_type and stored["size_bytes"] == len(case.data)
        return stored

    @rule(target=tasks, stored=files, data=st.data())
    def create_with_reference(self, stored: dict[str, Any], data: st.DataObject) -> Any:
        """Create a task that uses an uploaded file as its reference."""
        fits = [
            card.id
            for card in contract().cards.values()
            if card.upload_policy is not None
            and stored["kind"] in card.upload_policy.kinds
            and any(
                same_type(stored["mime_type"], allowed)
                for allowed in card.upload_policy.kinds[stored["kind"]].mime_types
            )
        ]
        assume(fits)
        body = data.draw(generation_requests(fits, include_references=False))
        body.setdefault("params", {})["referenceMediaItems"] = [reference_item(stored)]
        task = self._create(body)
        return multiple() if task is None else task["id"]

    @rule(target=keyed, body=generation_requests(include_references=False), key=st.uuids())
    def create_with_key(self, body: dict[str, Any], key: Any) -> Any:
        """Create a task with an Idempotency-Key."""
        task = self._create(body, {"Idempotency-Key": str(key)})
        return multiple() if task is None else Keyed(str(key), body, task["id"])

    @rule(entry=keyed)
    def replay(self, entry: Keyed) -> None:
        """Repeat a keyed create: the same task comes back and nothing more is reserved."""
        headers = {"Content-Type": "application/json", "Idempotency-Key": entry.key}
        body = json.dumps(entry.body).encode()
        response = self._send("POST", CREATE, content=body, headers=headers)
        if response is not None:
            task = self._ok(response, "task", CREATED)
            assert task["id"] == entry.task_id, "a replay made a new task"
            self._observe(task)

    @rule(entry=keyed, other=generation_requests(include_references=False))
    def conflict(self, entry: Keyed, other: dict[str, Any]) -> None:
        """Reuse a key with a different body: idempotency_conflict."""
        assume(_canonical(other) != _canonical(entry.body))
        headers = {"Content-Type": "application/json", "Idempotency-Key": entry.key}
        response = self._send("POST", CREATE, content=json.dumps(other).encode(), headers=headers)
        if response is not None:
            self._error(response, "idempotency_conflict")

    # -- invariants -------------------------------------------------------------------------

    @invariant()
    def credit_ledger_is_conserved(self) -> None:
        """GET /credits equals the starting balance less what the known tasks hold."""
        unfinished = [task_id for task_id, s in self.seen.items() if s.status not in TERMINAL]
        for task_id in unfinished:
            self.poll(task_id)
        before = {task_id: self.seen[task_id].status for task_id in unfinished}
        balance = self._credits()
        for task_id in unfinished:
            self.poll(task_id)
        if any(self.seen[task_id].status != status for task_id, status in before.items()):
            return  # a task finished between the reads: this round proves nothing
        expected = self.initial - self._held()
        assert balance == expected, f"credits {balance}, expected {expected} ({self.seen})"

    @invariant()
    def foreign_ids_are_not_found(self) -> None:
        """Another account's task and file ids answer not_found."""
        for kind, path in (("task", CREATE), ("file", FILES)):
            response = self._send("GET", f"{path}/{self.foreign[kind]}")
            assert response is not None
            self._error(response, "not_found")


def machine_for(target: Target, *, refund_on_failure: bool = True) -> type[RivyaStateMachine]:
    """Return ``RivyaStateMachine`` bound to ``target``: a class Hypothesis can run by itself.

    Its ``TestCase`` attribute is a ``unittest.TestCase`` running the machine.
    """

    class BoundMachine(RivyaStateMachine):
        def __init__(self) -> None:
            super().__init__(target, refund_on_failure=refund_on_failure)

    BoundMachine.__name__ = BoundMachine.__qualname__ = f"RivyaStateMachine[{target.name}]"
    return BoundMachine


def run_state_machine(
    target: Target, run_settings: settings | None = None, *, refund_on_failure: bool = True
) -> None:
    """Run ``RivyaStateMachine`` against ``target`` as a test (raises on a failing run)."""
    machine = machine_for(target, refund_on_failure=refund_on_failure)
    run_state_machine_as_test(machine, settings=run_settings)
