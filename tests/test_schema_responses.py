"""Response shapes: model listings, the error status table, tasks, credits and errors."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from schema_support import card_for

from rivya_contract.schemas import contract, validate

# --- listing and error statuses -----------------------------------------------------------


@pytest.mark.parametrize("model_id", sorted(contract().cards))
def test_every_listing_validates_against_the_model_schema(model_id: str) -> None:
    card = card_for(model_id)
    listing = card.listing()
    assert validate("model", listing) == []
    assert listing["id"] == model_id
    assert listing["base_credits"] == card.base_credits
    assert listing["runtime"] == "async_task"
    assert validate("model", {**listing, "runtime": "sync"}) != []


def test_the_model_list_of_all_cards_validates() -> None:
    body = {"object": "list", "data": [card.listing() for card in contract().cards.values()]}
    assert validate("model-list", body) == []


def test_grok_imagine_listing_facts() -> None:
    listing = card_for("grok-imagine").listing()
    assert listing["max_prompt_length"] == 5000
    assert listing["requires_files_api"] is True
    assert listing["file_kinds"] == ["image"]
    assert listing["reference_media"] == {
        "max_files": 1,
        "kinds": [
            {
                "kind": "image",
                "max_bytes": 10485760,
                "mime_types": ["image/jpeg", "image/png", "image/webp"],
                "duration_token_required": False,
            }
        ],
        "roles": [],
    }
    params = {entry["key"]: entry for entry in listing["params"]}
    assert params["enable_pro"]["options"] == ["false", "true"]
    assert params["enable_pro"]["default"] == "false"
    assert params["aspect_ratio"]["type"] == "select"


DOCUMENTED_STATUS = {
    "validation_failed": 400,
    "api_key_missing": 401,
    "api_key_invalid": 401,
    "api_key_revoked": 401,
    "api_key_expired": 401,
    "api_scope_denied": 403,
    "not_found": 404,
    "idempotency_conflict": 409,
    "insufficient_credits": 402,
    "rate_limited": 429,
    "public_api_disabled": 503,
    "webhook_url_rejected": 400,
}


def test_error_status_is_the_documented_table() -> None:
    assert dict(contract().error_status) == DOCUMENTED_STATUS


# --- task, file, credits and error shapes -------------------------------------------------

SUCCEEDED_TASK: dict[str, Any] = {
    "id": "task_01HZX3",
    "status": "succeeded",
    "model": "grok-imagine",
    "reserved_credits": 4,
    "final_credits": 4,
    "created_at": "2026-05-11T00:00:00.000Z",
    "updated_at": "2026-05-11T00:00:09.250Z",
    "result": {
        "primary_url": "https://cdn.example.com/out/task_01HZX3.png",
        "urls": ["https://cdn.example.com/out/task_01HZX3.png"],
    },
    "error": None,
}
FAILED_TASK: dict[str, Any] = {
    "id": "task_01HZX4",
    "status": "failed",
    "model": "grok-imagine",
    "reserved_credits": 4,
    "final_credits": 0,
    "created_at": "2026-05-11T00:00:00.000Z",
    "updated_at": "2026-05-11T00:00:03.000Z",
    "result": None,
    "error": {"code": "generation_failed", "message": "The generation could not be completed."},
}
QUEUED_TASK: dict[str, Any] = {
    **FAILED_TASK,
    "status": "queued",
    "final_credits": 0,
    "error": None,
}


def _with(task: dict[str, Any], **changes: Any) -> dict[str, Any]:
    changed = copy.deepcopy(task)
    changed.update(changes)
    return changed


@pytest.mark.parametrize(
    "task",
    [
        pytest.param(SUCCEEDED_TASK, id="succeeded"),
        pytest.param(FAILED_TASK, id="failed"),
        pytest.param(_with(FAILED_TASK, error=None), id="failed-without-error"),
        pytest.param(QUEUED_TASK, id="queued"),
        pytest.param(_with(QUEUED_TASK, status="processing"), id="processing"),
    ],
)
def test_documented_tasks_validate(task: dict[str, Any]) -> None:
    assert validate("task", task) == []


@pytest.mark.parametrize(
    "task",
    [
        pytest.param(_with(SUCCEEDED_TASK, result=None), id="succeeded-without-result"),
        pytest.param(
            _with(SUCCEEDED_TASK, error={"code": "generation_failed", "message": "x"}),
            id="succeeded-with-error",
        ),
        pytest.param(
            _with(SUCCEEDED_TASK, result={"primary_url": "https://a.example/x", "urls": []}),
            id="succeeded-no-urls",
        ),
        pytest.param(_with(FAILED_TASK, final_credits=4), id="failed-charged"),
        pytest.param(_with(FAILED_TASK, result=SUCCEEDED_TASK["result"]), id="failed-result"),
        pytest.param(_with(QUEUED_TASK, result=SUCCEEDED_TASK["result"]), id="queued-result"),
        pytest.param(_with(QUEUED_TASK, final_credits=4), id="queued-charged"),
        pytest.param(
            _with(QUEUED_TASK, status="processing", result=SUCCEEDED_TASK["result"]),
            id="processing-result",
        ),
        pytest.param(_with(QUEUED_TASK, status="done"), id="unknown-status"),
        pytest.param(_with(SUCCEEDED_TASK, created_at="2026-05-11T00:00:00Z"), id="no-millis"),
        pytest.param(_with(SUCCEEDED_TASK, updated_at="2026-05-11T00:00:00.000"), id="no-z-suffix"),
        pytest.param(
            _with(SUCCEEDED_TASK, created_at="2026-05-11T00:00:00.000+00:00"), id="offset"
        ),
        pytest.param(_with(SUCCEEDED_TASK, client_request_id="r1"), id="extra-field"),
        pytest.param(_with(SUCCEEDED_TASK, id="job_1"), id="bad-id"),
        pytest.param(_with(SUCCEEDED_TASK, reserved_credits=-1), id="negative-credits"),
        pytest.param({k: v for k, v in SUCCEEDED_TASK.items() if k != "error"}, id="missing-error"),
    ],
)
def test_invalid_tasks_fail(task: dict[str, Any]) -> None:
    errors = validate("task", task)
    assert errors != []
    assert all(error.path.startswith("$") and error.message for error in errors)


def test_task_timestamp_errors_name_the_field() -> None:
    errors = validate("task", _with(SUCCEEDED_TASK, created_at="2026-05-11T00:00:00Z"))
    assert [error.path for error in errors] == ["$.created_at"]


@pytest.mark.parametrize(
    ("name", "instance", "valid"),
    [
        ("credits", {"current_credits": 123}, True),
        ("credits", {"current_credits": -1}, False),
        ("credits", {"current_credits": 1.5}, False),
        ("credits", {"current_credits": 1, "reserved": 2}, False),
        (
            "error",
            {"error": {"code": "not_found", "message": "No such task.", "requestId": "req_a1"}},
            True,
        ),
        (
            "error",
            {"error": {"code": "teapot", "message": "No.", "requestId": "req_a1"}},
            True,  # a new code is compatible (the version policy)
        ),
        (
            "error",
            {"error": {"code": "Not Found", "message": "No.", "requestId": "req_a1"}},
            False,
        ),
        ("error", {"error": {"code": "not_found", "message": "No such task."}}, False),
        (
            "error",
            {"error": {"code": "not_found", "message": "x", "requestId": "a1"}},
            False,
        ),
        ("timestamp", "2026-05-11T00:00:00.000Z", True),
        ("timestamp", "2026-05-11 00:00:00.000Z", False),
    ],
)
def test_other_response_shapes(name: str, instance: object, valid: bool) -> None:
    assert (validate(name, instance) == []) is valid
