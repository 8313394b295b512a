"""Clients generated from the served documents work: openapi-python-client's typed methods
drive a whole task, and datamodel-code-generator's models parse every response body.

The documents are read from a real server, generated once per session, each
generator in a subprocess; a generator warning (an operation or schema it had to
leave out) fails the generation.
"""

from __future__ import annotations

import importlib
import io
import pkgutil
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from generated_support import generate_client, generate_models, load_models
from openapi_spec_validator import validate as validate_spec
from test_openapi_components import ADDED_FIELDS, CORPUS

from rivya_contract.mock_server import Mock, MockConfig, media
from rivya_contract.mock_server.serving import ServerThread
from rivya_contract.schemas.openapi import component_name
from rivya_contract.schemas.versioning import RESPONSE_SCHEMAS, accepted_errors

API_PACKAGE = "rivya_api_client"
CONTROL_PACKAGE = "rivya_control_client"


@pytest.fixture(scope="session")
def server() -> Iterator[ServerThread]:
    with ServerThread(Mock(MockConfig(queued_seconds=0, processing_seconds=0))) as running:
        yield running


@pytest.fixture(scope="session")
def documents(server: ServerThread) -> dict[str, dict[str, Any]]:
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        api = http.get("/api/v1/openapi.json").json()
        control = http.get("/__mock__/openapi.json").json()
    return {"api": api, "control": control}


@pytest.fixture(scope="session")
def clients(
    documents: dict[str, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, ModuleType]]:
    folder = tmp_path_factory.mktemp("clients")
    generate_client(documents["api"], API_PACKAGE, folder)
    generate_client(documents["control"], CONTROL_PACKAGE, folder)
    sys.path.insert(0, str(folder))
    try:
        yield {
            "api": importlib.import_module(API_PACKAGE),
            "control": importlib.import_module(CONTROL_PACKAGE),
        }
    finally:
        sys.path.remove(str(folder))
        for name in [n for n in sys.modules if n.split(".")[0] in (API_PACKAGE, CONTROL_PACKAGE)]:
            del sys.modules[name]


@pytest.fixture(scope="session")
def models(
    documents: dict[str, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> ModuleType:
    return load_models(generate_models(documents["api"], tmp_path_factory.mktemp("models")))


def _module(name: str) -> Any:
    return importlib.import_module(name)


def test_both_documents_are_valid_and_name_the_mock_first(
    server: ServerThread, documents: dict[str, dict[str, Any]]
) -> None:
    for document in documents.values():
        validate_spec(document)
        assert document["servers"][0]["url"] == server.base_url
    assert documents["api"]["servers"][1]["url"] == "https://rivya.ai"
    assert not [path for path in documents["api"]["paths"] if path.startswith("/__mock__")]
    assert all(path.startswith("/__mock__/") for path in documents["control"]["paths"])


@pytest.mark.parametrize("part", ["api", "control"])
def test_every_generated_module_imports(clients: dict[str, ModuleType], part: str) -> None:
    package = clients[part]
    names = [info.name for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]
    for name in names:
        importlib.import_module(name)
    operations = [name for name in names if ".api." in name and not name.endswith("__init__")]
    expected = len(
        [op for path in documents_paths(package) for op in path.values() if isinstance(op, dict)]
    )
    assert len([n for n in operations if n.count(".") == 3]) == expected


def documents_paths(package: ModuleType) -> list[dict[str, Any]]:
    """Return the path items of the document ``package`` was generated from."""
    import json

    source = Path(package.__path__[0]).parent / f"{package.__name__}.json"
    paths: dict[str, dict[str, Any]] = json.loads(source.read_text())["paths"]
    return list(paths.values())


def test_the_generated_client_runs_a_reference_task_to_succeeded(
    server: ServerThread, documents: dict[str, dict[str, Any]], clients: dict[str, ModuleType]
) -> None:
    api = clients["api"]
    base_url = documents["api"]["servers"][0]["url"]
    client = api.AuthenticatedClient(base_url=base_url, token=server.mock.config.api_key)
    m = _module(f"{API_PACKAGE}.models")
    file_type = _module(f"{API_PACKAGE}.types").File
    png = media.png(32, 32, seed=3)
    upload = _module(f"{API_PACKAGE}.api.files.upload_file")
    body = m.UploadFileBody(
        file=file_type(payload=io.BytesIO(png), file_name="ref.png", mime_type="image/png"),
        kind=m.UploadFileBodyKind.IMAGE,
        model=m.UploadFileBodyModel.GROK_IMAGINE,
    )
    uploaded = upload.sync_detailed(client=client, body=body)
    assert uploaded.status_code == 201, uploaded.content
    stored = uploaded.parsed
    assert isinstance(stored, m.PublicApiFile)
    assert (stored.size_bytes, stored.mime_type) == (len(png), "image/png")
    item = m.GrokImagineReferenceMediaItem(
        url=stored.url, kind=m.GrokImagineReferenceMediaItemKind.IMAGE, mime_type=stored.mime_type
    )
    params = m.GrokImagineParams(reference_media_items=[item])
    request = m.GrokImagineRequest(model="grok-imagine", prompt="Make it violet", params=params)
    created = _module(f"{API_PACKAGE}.api.generations.create_generation").sync_detailed(
        client=client, body=request, idempotency_key="generated-client-1"
    )
    assert created.status_code == 202, created.content
    task = created.parsed
    assert isinstance(task, m.Task) and task.status == m.TaskStatus.QUEUED
    poll = _module(f"{API_PACKAGE}.api.generations.get_generation")
    seen = [poll.sync(client=client, task_id=task.id) for _ in range(3)]
    assert [each.status for each in seen] == [m.TaskStatus.SUCCEEDED] * 3
    done = seen[-1]
    assert done.result.primary_url == done.result.urls[0]
    assert done.final_credits == done.reserved_credits == 4
    assert httpx.get(done.result.primary_url).content[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_generated_clients_parse_not_found_and_rate_limited(
    server: ServerThread, documents: dict[str, dict[str, Any]], clients: dict[str, ModuleType]
) -> None:
    api, control = clients["api"], clients["control"]
    client = api.AuthenticatedClient(
        base_url=documents["api"]["servers"][0]["url"], token=server.mock.config.api_key
    )
    m = _module(f"{API_PACKAGE}.models")
    missing = _module(f"{API_PACKAGE}.api.generations.get_generation").sync_detailed(
        client=client, task_id="task_" + "0" * 24
    )
    assert missing.status_code == 404
    assert isinstance(missing.parsed, m.ErrorEnvelope)
    assert missing.parsed.error.code == "not_found"
    assert missing.parsed.error.request_id == missing.headers["x-request-id"]
    admin = control.Client(base_url=documents["control"]["servers"][0]["url"])
    cm = _module(f"{CONTROL_PACKAGE}.models")
    fault = _module(f"{CONTROL_PACKAGE}.api.mock_control.mock_add_fault").sync_detailed(
        client=admin,
        body=cm.MockFault(path="/api/v1/credits", code=cm.MockFaultCode("rate_limited")),
    )
    assert fault.status_code == 201 and fault.parsed.id.startswith("fault_")
    credits = _module(f"{API_PACKAGE}.api.credits_.get_credits")
    limited = credits.sync_detailed(client=client)
    assert limited.status_code == 429
    assert isinstance(limited.parsed, m.ErrorEnvelope)
    assert limited.parsed.error.code == "rate_limited"
    assert int(limited.headers["retry-after"]) >= 0
    again = credits.sync(client=client)
    assert isinstance(again, m.Credits) and again.current_credits >= 0


def test_an_unknown_error_code_and_an_added_field_parse(clients: dict[str, ModuleType]) -> None:
    m = _module(f"{API_PACKAGE}.models")
    envelope = m.ErrorEnvelope.from_dict(
        {"error": {"code": "brand_new_code", "message": "m", "requestId": "req_1", "hint": 1}}
    )
    assert envelope.error.code == "brand_new_code"
    assert envelope.error.additional_properties == {"hint": 1}


CORPUS_BODIES = [
    (name, body)
    for name, body, _ in CORPUS
    if name in RESPONSE_SCHEMAS and accepted_errors(name, body) == []
] + ADDED_FIELDS


@pytest.mark.parametrize(
    ("name", "body"), CORPUS_BODIES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CORPUS_BODIES)]
)
def test_the_second_generators_models_parse_every_response_body(
    models: ModuleType, name: str, body: Any
) -> None:
    model = getattr(models, component_name(name))
    parsed = model.model_validate(body)
    dumped = parsed.model_dump(mode="json", by_alias=True, exclude_unset=True)
    # Every known field reads back as sent; an added field is accepted (and set aside).
    assert _read_back(dumped, body)
    if body in [added for _, added in ADDED_FIELDS]:
        assert dumped != body


def _read_back(dumped: Any, sent: Any) -> bool:
    """Return whether ``dumped`` is ``sent`` less some object keys, at any depth."""
    if isinstance(dumped, dict) and isinstance(sent, dict):
        return set(dumped) <= set(sent) and all(_read_back(v, sent[k]) for k, v in dumped.items())
    if isinstance(dumped, list) and isinstance(sent, list):
        return len(dumped) == len(sent) and all(map(_read_back, dumped, sent))
    return bool(dumped == sent)


def test_the_corpus_holds_every_response_kind() -> None:
    assert {name for name, _ in CORPUS_BODIES} == set(RESPONSE_SCHEMAS)
