"""Server behaviours for fuzzing clients: what the mock does to one task and around it.

A ``ServerBehaviour`` is plain data (how long the task queues and processes,
how it ends, which transient errors come first) that ``apply(mock)`` turns into
``mock.control.script(...)`` and ``mock.control.fault(...)``. Hypothesis draws them with
``server_behaviours()`` and, when a client fails, shrinks them: towards no
transient errors, zero waits, a success, and the smallest ``Retry-After``
that still breaks the client.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from hypothesis import strategies as st

from rivya_contract.mock_server.records import FAILURE_CODE
from rivya_contract.schemas import contract, surface

if TYPE_CHECKING:
    from rivya_contract.mock_server.mock import Mock

Endpoint = Literal["create", "poll"]
Outcome = Literal["succeeded", "failed", "processing"]

_OPERATIONS: dict[Endpoint, str] = {"create": "createGeneration", "poll": "getGeneration"}
ENDPOINTS: dict[Endpoint, tuple[str, str]] = {
    name: (surface()[op_id].method, surface()[op_id].path) for name, op_id in _OPERATIONS.items()
}
"""The method and route of each endpoint a transient error can hit."""

TRANSIENT_STATUSES = (429, 503)
"""Statuses that tell a client to retry later (with ``Retry-After``)."""

DOCUMENTED_FAILURE = FAILURE_CODE
"""The documented code of a failed task."""


def transient_codes() -> list[str]:
    """Return the documented error codes whose status says: retry later (429, 503)."""
    return [
        code for code, status in contract().error_status.items() if status in TRANSIENT_STATUSES
    ]


@dataclass(frozen=True)
class Transient:
    """The next ``times`` requests to ``endpoint`` answer an error that says: retry later.

    ``code`` is a documented error code (``rate_limited``, ``public_api_disabled``),
    or None for a bare ``status`` (503) with the mock's own envelope.
    """

    endpoint: Endpoint
    code: str | None
    status: int
    retry_after: int | None
    """The ``Retry-After`` seconds sent, or None for no header."""
    times: int = 1

    def apply(self, mock: Mock) -> None:
        """Inject this error into ``mock``."""
        method, path = ENDPOINTS[self.endpoint]
        mock.control.fault(
            method=method,
            path=path,
            code=self.code,
            status=None if self.code is not None else self.status,  # a code brings its status
            retry_after=self.retry_after,
            times=self.times,
        )

    def describe(self) -> str:
        """Return the error in words."""
        what = f"{self.status} {self.code}" if self.code else f"bare {self.status}"
        wait = "no Retry-After" if self.retry_after is None else f"Retry-After: {self.retry_after}"
        count = "once" if self.times == 1 else f"{self.times} times"
        return f"{self.endpoint} answered {what} ({wait}) {count}"


@dataclass(frozen=True)
class ServerBehaviour:
    """How the mock treats one task: its time in each state, its end, and transient errors."""

    queued: int
    """Seconds the task stays queued."""
    processing: int
    """Seconds it stays processing (for ever when ``outcome`` is ``processing``)."""
    outcome: Outcome
    code: str = DOCUMENTED_FAILURE
    """The task's error code when it fails."""
    transients: tuple[Transient, ...] = ()

    def apply(
        self,
        mock: Mock,
        *,
        model: str | None = None,
        prompt_contains: str | None = None,
        client_request_id: str | None = None,
        account: str | None = None,
    ) -> None:
        """Script the next matching create and inject the transient errors into ``mock``."""
        mock.control.script(
            model=model,
            prompt_contains=prompt_contains,
            client_request_id=client_request_id,
            account=account,
            outcome=self.outcome,
            queued=float(self.queued),
            processing=float(self.processing),
            code=self.code,
        )
        for transient in self.transients:
            transient.apply(mock)

    @property
    def finishes_after(self) -> float:
        """Seconds from create to the outcome; infinite for a task that stays processing."""
        return (
            float("inf") if self.outcome == "processing" else float(self.queued + self.processing)
        )

    def describe(self) -> str:
        """Return the behaviour in words."""
        if self.outcome == "processing":
            end = "then stays processing"
        elif self.outcome == "failed":
            end = f"then fails with {self.code}"
        else:
            end = "then succeeds"
        text = f"queued {self.queued} s, processing {self.processing} s, {end}"
        for transient in self.transients:
            text += f"; {transient.describe()}"
        return text


def transients(
    *,
    endpoints: Sequence[Endpoint] = ("create", "poll"),
    bare_statuses: Sequence[int] = (503,),
    max_retry_after: int = 30,
    max_times: int = 3,
) -> st.SearchStrategy[Transient]:
    """Draw transient errors: a documented 429/503 code with ``Retry-After``, or a bare 5xx.

    Documented codes always carry ``Retry-After`` (1..``max_retry_after`` s);
    bare statuses carry it or not.
    """
    kinds: list[tuple[str | None, int]] = [
        (code, contract().error_status[code]) for code in transient_codes()
    ]
    kinds += [(None, status) for status in bare_statuses]
    waits = st.integers(1, max_retry_after)

    @st.composite
    def build(draw: st.DrawFn) -> Transient:
        endpoint = draw(st.sampled_from(list(endpoints)))
        code, status = draw(st.sampled_from(kinds))
        retry_after = draw(waits) if code is not None else draw(st.none() | waits)
        return Transient(endpoint, code, status, retry_after, draw(st.integers(1, max_times)))

    return build()


def server_behaviours(
    *,
    outcomes: Sequence[Outcome] = ("succeeded", "failed"),
    max_queued: int = 30,
    max_processing: int = 120,
    failure_codes: st.SearchStrategy[str] | None = None,
    max_transients: int = 3,
    transient_errors: st.SearchStrategy[Transient] | None = None,
) -> st.SearchStrategy[ServerBehaviour]:
    """Draw server behaviours for one task, to fuzz a client's create-and-wait logic.

    Each has whole seconds queued (0..``max_queued``) and processing
    (0..``max_processing``), an outcome from ``outcomes`` (add ``processing``
    for tasks that never finish), a failure code (the documented
    ``generation_failed`` by default), and up to ``max_transients`` transient
    errors (``transients()``) on create and poll. Apply one to the mock before
    the client runs: ``behaviour.apply(mock)``.
    """
    codes = failure_codes if failure_codes is not None else st.just(DOCUMENTED_FAILURE)
    errors = transient_errors if transient_errors is not None else transients()
    return st.builds(
        ServerBehaviour,
        queued=st.integers(0, max_queued),
        processing=st.integers(0, max_processing),
        outcome=st.sampled_from(list(outcomes)),
        code=codes,
        transients=st.lists(errors, max_size=max_transients).map(tuple),
    )
