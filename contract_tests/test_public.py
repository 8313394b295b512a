"""The public endpoints: the model list and the OpenAPI document need no key."""

from __future__ import annotations

from rivya_contract.contract_tests.client import ContractClient, expect, report
from rivya_contract.contract_tests.drift import Deviation
from rivya_contract.contract_tests.endpoints import MODELS, OPENAPI
from rivya_contract.schemas import contract


def test_models_list_matches_schema_without_a_key(api: ContractClient) -> None:
    body = expect(
        api.request("GET", "/api/v1/models", key=None), MODELS, status=200, schema="model-list"
    )
    assert body["object"] == "list"


def test_models_list_carries_the_catalog_facts(api: ContractClient) -> None:
    body = expect(
        api.request("GET", "/api/v1/models", key=None), MODELS, status=200, schema="model-list"
    )
    listed = {entry["id"]: entry for entry in body["data"]}
    for card in contract().cards.values():
        assert card.id in listed, f"{card.id} is missing from GET /models"
        entry = listed[card.id]
        facts = ("base_credits", "billing_type", "max_prompt_length", "category")
        expected = card.listing()
        for fact in facts:
            assert entry[fact] == expected[fact], f"{card.id}.{fact}"
    # A model the catalog does not know yet is compatible (the list is dynamic).
    added = sorted(set(listed) - set(contract().cards))
    report(MODELS, [Deviation(MODELS, "new_model", "absent", model, "$.data") for model in added])


def test_openapi_document_lists_every_endpoint(api: ContractClient) -> None:
    body = expect(api.request("GET", "/api/v1/openapi.json", key=None), OPENAPI, status=200)
    assert str(body["openapi"]).startswith("3.1")
    paths = set(body["paths"])
    for path in (
        "/api/v1/models",
        "/api/v1/generations",
        "/api/v1/generations/{taskId}",
        "/api/v1/files",
        "/api/v1/files/{fileId}",
        "/api/v1/credits",
    ):
        assert path in paths, path
