"""Hypothesis strategies for the Rivya API v1, derived from the contract in ``schemas/``.

Requests (from each model card's request schema)::

    generation_requests(model="grok-imagine")        # valid create bodies
    invalid_generation_requests()                    # InvalidRequest(body, code, path, defect)

Uploads (from the upload policies, with real minimal media files)::

    uploads()                                        # UploadCase(..., code or accepted)
    uploads(variants=["accepted"])                   # only files the API stores
    reference_item(file_object)                      # an uploaded file as a reference item

Server behaviours, which the mock executes, to fuzz a client::

    server_behaviours()                              # ServerBehaviour(...).apply(mock)
    transients()                                     # 429/503 with Retry-After, bare 5xx

Webhook delivery schedules, which the mock plays against a receiver::

    delivery_schedules()                             # DeliverySchedule(events, reorder, ...)
    play(schedule, make_receiver)                    # Played(tasks, events, attempts)

Example::

    from hypothesis import given
    from rivya_contract.plugin.strategies import generation_requests

    @given(body=generation_requests(include_references=False))
    def test_client_sends_any_valid_request(body): ...
"""

from __future__ import annotations

from rivya_contract.plugin.behaviours import (
    ServerBehaviour,
    Transient,
    server_behaviours,
    transient_codes,
    transients,
)
from rivya_contract.plugin.invalid_requests import (
    VALIDATION_FAILED,
    InvalidRequest,
    invalid_generation_requests,
)
from rivya_contract.plugin.request_strategies import generation_requests
from rivya_contract.plugin.upload_strategies import (
    VARIANTS,
    UploadCase,
    reference_item,
    uploads,
)
from rivya_contract.plugin.webhook_schedules import (
    DeliverySchedule,
    EventPlan,
    Played,
    delivery_schedules,
    play,
)

__all__ = [
    "VALIDATION_FAILED",
    "VARIANTS",
    "DeliverySchedule",
    "EventPlan",
    "InvalidRequest",
    "Played",
    "ServerBehaviour",
    "Transient",
    "UploadCase",
    "delivery_schedules",
    "generation_requests",
    "invalid_generation_requests",
    "play",
    "reference_item",
    "server_behaviours",
    "transient_codes",
    "transients",
    "uploads",
]
