"""Paid checks: a task to its terminal state, the credit math, and idempotency.

Each paid check reserves real credits against a live target; the suite runs
them only within the ``--rivya-max-credits`` budget.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from rivya_contract.contract_tests.client import ContractClient, expect
from rivya_contract.contract_tests.control import ScenarioControl
from rivya_contract.contract_tests.endpoints import CREATE, CREDITS, UPLOAD
from rivya_contract.contract_tests.waiting import wait_terminal
from rivya_contract.mock_server import media
from rivya_contract.schemas import contract

TEXT_TO_IMAGE: dict[str, Any] = {
    "model": "grok-imagine",
    "prompt": "A small red cube on a white table, studio light",
    "params": {"aspect_ratio": "16:9", "enable_pro": "false"},
}
CREATE_OK = (200, 201, 202)


def price(body: dict[str, Any]) -> int:
    """Return what ``body`` reserves."""
    return contract().cards[body["model"]].price(body.get("params"), body=body)


def balance(api: ContractClient) -> int:
    """Return the current balance."""
    body = expect(api.request("GET", "/api/v1/credits"), CREDITS, status=200, schema="credits")
    return int(body["current_credits"])


def create(api: ContractClient, body: dict[str, Any], key: str | None = None) -> httpx.Response:
    """Create a task and return the response."""
    headers = {"Idempotency-Key": key} if key else None
    return api.request("POST", "/api/v1/generations", json_body=body, headers=headers)


def check_terminal(
    api: ContractClient, task: dict[str, Any], control: ScenarioControl | None
) -> None:
    """Follow a queued task to its end and check the result, the credits and the media."""
    assert task["status"] == "queued"
    assert task["final_credits"] == 0
    assert task["reserved_credits"] == price(TEXT_TO_IMAGE)
    history = wait_terminal(api, task["id"], control)
    final = history[-1]
    if final["status"] == "succeeded":
        assert final["final_credits"] == final["reserved_credits"]
        assert final["result"]["primary_url"] == final["result"]["urls"][0]
        media_response = api.http.get(final["result"]["primary_url"])
        assert media_response.status_code == 200
        assert media_response.content[:8] == b"\x89PNG\r\n\x1a\n"
    else:
        assert final["final_credits"] == 0
        assert final["error"]["code"]


@pytest.mark.paid(credits=4)
def test_text_to_image_runs_to_a_terminal_state(
    api: ContractClient, control: ScenarioControl | None
) -> None:
    before = balance(api)
    task = expect(create(api, TEXT_TO_IMAGE), CREATE, status=CREATE_OK, schema="task")
    assert balance(api) == before - task["reserved_credits"]
    check_terminal(api, task, control)


@pytest.mark.paid(credits=4)
def test_image_edit_with_an_uploaded_reference(
    api: ContractClient, control: ScenarioControl | None
) -> None:
    png = media.png(64, 64, seed=7)
    response = api.request(
        "POST",
        "/api/v1/files",
        files={"file": ("reference.png", png, "image/png")},
        data={"kind": "image", "model": "grok-imagine"},
    )
    stored = expect(response, UPLOAD, status=(200, 201), schema="file")
    body = {
        **TEXT_TO_IMAGE,
        "params": {
            "aspect_ratio": "1:1",
            "referenceMediaItems": [
                {
                    "url": stored["url"],
                    "kind": "image",
                    "name": stored["name"],
                    "mimeType": stored["mime_type"],
                }
            ],
        },
    }
    task = expect(create(api, body), CREATE, status=CREATE_OK, schema="task")
    history = wait_terminal(api, task["id"], control)
    assert history[-1]["status"] in ("succeeded", "failed")


@pytest.mark.paid(credits=12)
def test_idempotency_replays_then_conflicts(api: ContractClient) -> None:
    # Each of the three creates is counted: a target that ignored the key would reserve thrice.
    key = f"contract-{uuid.uuid4()}"
    before = balance(api)
    first = expect(create(api, TEXT_TO_IMAGE, key), CREATE, status=CREATE_OK, schema="task")
    again = expect(create(api, TEXT_TO_IMAGE, key), CREATE, status=CREATE_OK, schema="task")
    assert again["id"] == first["id"]
    assert balance(api) == before - first["reserved_credits"]
    different = {**TEXT_TO_IMAGE, "prompt": TEXT_TO_IMAGE["prompt"] + " (changed)"}
    expect(create(api, different, key), CREATE, status=409, code="idempotency_conflict")
