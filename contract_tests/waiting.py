"""Waiting for a task to finish: by advancing a mock's clock, or by polling as a client should."""

from __future__ import annotations

import time
from typing import Any

from rivya_contract.contract_tests.client import ContractClient, expect
from rivya_contract.contract_tests.control import ScenarioControl
from rivya_contract.contract_tests.endpoints import POLL

ORDER = {"queued": 0, "processing": 1, "succeeded": 2, "failed": 2}
TERMINAL = ("succeeded", "failed")


def poll(api: ContractClient, task_id: str) -> dict[str, Any]:
    """Poll a task once and check the body against the task schema."""
    body: dict[str, Any] = expect(
        api.request("GET", f"/api/v1/generations/{task_id}"), POLL, status=200, schema="task"
    )
    return body


def wait_terminal(
    api: ContractClient,
    task_id: str,
    control: ScenarioControl | None,
    *,
    timeout: float = 600.0,
    first_delay: float = 2.5,
    interval: float = 5.0,
) -> list[dict[str, Any]]:
    """Poll until the task is succeeded or failed; return every body seen, in order.

    With a mock in hand, its clock is advanced instead of waiting. Otherwise
    the polling follows the documented guidance: a first poll after
    ``first_delay`` seconds, then one every ``interval`` seconds, up to
    ``timeout``. Raises AssertionError if a status moves backwards.
    """
    seen = [poll(api, task_id)]
    deadline = time.monotonic() + timeout
    delay = first_delay
    while seen[-1]["status"] not in TERMINAL:
        if control is not None:
            control.clock.advance(1.0)
        else:
            if time.monotonic() + delay > deadline:
                raise AssertionError(f"{task_id} still {seen[-1]['status']} after {timeout} s")
            time.sleep(delay)
            delay = interval
        seen.append(poll(api, task_id))
        before, after = seen[-2]["status"], seen[-1]["status"]
        assert ORDER[after] >= ORDER[before], f"status moved back: {before} -> {after}"
    return seen
