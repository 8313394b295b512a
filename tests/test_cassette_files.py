"""Cassette files edited by hand: every way to break one is refused, naming the file and entry."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cassette_support import record
from support import run_cli

from rivya_contract.mock_server import Mock
from rivya_contract.mock_server.cassette import BLOBS, CassetteError, find, load
from rivya_contract.mock_server.recording import Recorder


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pristine")
    record(folder)
    return folder


@pytest.fixture
def copy(pristine: Path, tmp_path: Path) -> Path:
    target = tmp_path / "cassettes"
    shutil.copytree(pristine, target)
    return target


def _edit(folder: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    path = folder / "video-job.json"
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document, indent=2))
    return path


def _index(document: dict[str, Any], operation: str) -> int:
    return next(i for i, e in enumerate(document["exchanges"]) if e["operation"] == operation)


def test_a_recorded_cassette_loads(pristine: Path) -> None:
    cassette = load(pristine / "video-job.json")
    assert cassette.scenario == "video-job"
    operations = [e["operation"] for e in cassette.exchanges]
    assert operations[:3] == ["getCredits", "uploadFile", "createGeneration"]
    assert "resultMedia" in operations


def _status_text(document: dict[str, Any]) -> None:
    document["exchanges"][_index(document, "createGeneration")]["response"]["status"] = "202"


def _unknown_body(document: dict[str, Any]) -> None:
    index = _index(document, "createGeneration")
    document["exchanges"][index]["request"]["body"] = {"yaml": "model: x"}


def _wrong_operation(document: dict[str, Any]) -> None:
    document["exchanges"][_index(document, "createGeneration")]["operation"] = "getFile"


def _backwards(document: dict[str, Any]) -> None:
    document["exchanges"][_index(document, "createGeneration")]["at"] = 0


def _missing_field(document: dict[str, Any]) -> None:
    del document["exchanges"][_index(document, "createGeneration")]["response"]["headers"]


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (_status_text, "response.status: must be an integer"),
        (_unknown_body, "request.body: a body is null"),
        (_wrong_operation, "operation is 'getFile', but POST /api/v1/generations"),
        (_backwards, "at 0 is before the previous entry's"),
        (_missing_field, "response.headers: is required"),
    ],
)
def test_a_broken_entry_is_refused_naming_file_and_entry(
    copy: Path, change: Callable[[dict[str, Any]], None], says: str
) -> None:
    index = _index(json.loads((copy / "video-job.json").read_text()), "createGeneration")
    path = _edit(copy, change)
    with pytest.raises(CassetteError) as refused:
        load(path)
    message = str(refused.value)
    assert message.startswith(f"{path}: exchanges[{index}] (POST /api/v1/generations)"), message
    assert says in message


def test_a_broken_document_is_refused_naming_the_field(copy: Path) -> None:
    path = _edit(copy, lambda document: document.update(format="rivya-cassette/9"))
    with pytest.raises(CassetteError, match=r"video-job\.json: format: format must be"):
        load(path)


def test_an_altered_blob_is_refused(copy: Path) -> None:
    blob = next((copy / BLOBS).iterdir())
    blob.write_bytes(blob.read_bytes() + b"!")
    with pytest.raises(CassetteError, match=r"blob .* does not match its sha256"):
        load(copy / "video-job.json")
    blob.unlink()
    with pytest.raises(CassetteError, match=r"exchanges\[\d+\] \(.*\): .*blob .* is missing"):
        load(copy / "video-job.json")


def test_a_folder_must_hold_one_cassette(copy: Path) -> None:
    assert find(copy) == copy / "video-job.json"
    shutil.copy(copy / "video-job.json", copy / "other.json")
    with pytest.raises(CassetteError, match=r"holds other\.json, video-job\.json; name the file"):
        find(copy)
    with pytest.raises(CassetteError, match=r"holds scenario 'video-job'; rename one"):
        Mock.replay(copy / "other.json")


def test_serve_refuses_a_broken_cassette_naming_file_and_entry(copy: Path) -> None:
    path = _edit(copy, _status_text)
    done = run_cli("serve", "--port", "0", "--replay", str(path))
    assert done.returncode == 2
    assert f"{path}: exchanges[" in done.stderr and "response.status" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_scenario_name_cannot_lead_out_of_the_folder(tmp_path: Path) -> None:
    with pytest.raises(CassetteError, match=r"scenario '\.\./escape': a scenario name is"):
        Recorder(tmp_path, "../escape", "http://127.0.0.1:9")
    refused = run_cli(
        "proxy", "--upstream", "http://x", "--record", str(tmp_path), "--scenario", "a/b"
    )
    assert refused.returncode == 2
    assert "--scenario: scenario 'a/b'" in refused.stderr
    assert list(tmp_path.iterdir()) == []
