"""An independent property-based fuzzer (schemathesis) against our own OpenAPI document.

The public part of the document the mock serves at /api/v1/openapi.json drives
schemathesis, which sends generated requests, valid and invalid, to the mock
over real HTTP with the demo key. Every response must be free of server
errors, carry a documented status and content type, match the response schema
and headers the document declares, and every request the document forbids
must be rejected. The example count per operation is bounded and the run is
derandomized, so it is short and repeatable in CI. The control API, described in
its own document, is fuzzed the same way on a mock of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hostile_support import Live, live_mock
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from support import API

from rivya_contract.mock_server.config import MockConfig
from rivya_contract.mock_server.openapi import control_document
from rivya_contract.schemas.openapi import build_openapi

MAX_EXAMPLES = 25
"""Generated requests per operation and generation phase."""
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
]


CONFIG = MockConfig(credits=10**9)
"""The mock under fuzzing: credits enough that no run drains the wallet."""
CONTRACT = build_openapi(create_status=CONFIG.create_status, upload_status=CONFIG.upload_status)
schema = schemathesis.openapi.from_dict(CONTRACT)
CONTROL_CONFIG = MockConfig(virtual_clock=True)
"""The mock whose control API (documented in a document of its own) is fuzzed."""
control_schema = schemathesis.openapi.from_dict(control_document(CONTROL_CONFIG))


FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def fuzzed() -> Iterator[Live]:
    with live_mock(CONFIG) as live:
        yield live
        assert live.errors.take() == []


@pytest.fixture(scope="module")
def controlled() -> Iterator[Live]:
    with live_mock(CONTROL_CONFIG) as live:
        yield live
        assert live.errors.take() == []


def test_the_fuzzed_document_is_the_one_the_mock_serves(fuzzed: Live) -> None:
    served = fuzzed.client.get(f"{API}/openapi.json").json()
    public = {path: item for path, item in served["paths"].items() if path.startswith(API)}
    assert public == CONTRACT["paths"]
    assert served["components"]["schemas"] == CONTRACT["components"]["schemas"]


@schema.parametrize()
@FUZZ_SETTINGS
def test_fuzz_the_contract(case: Case[Any], fuzzed: Live) -> None:
    case.call_and_validate(
        base_url=fuzzed.base_url, headers=fuzzed.auth(), checks=CHECKS, timeout=10
    )


@control_schema.parametrize()
@FUZZ_SETTINGS
def test_fuzz_the_control_api(case: Case[Any], controlled: Live) -> None:
    case.call_and_validate(base_url=controlled.base_url, checks=CHECKS, timeout=10)
