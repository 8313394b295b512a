"""``rivya-mock cassette diff``: two recordings of one scenario, from a steady and a drifting
upstream, compared."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cassette_support import drifting, record
from support import run_cli

from rivya_contract.contract_tests.cassette_diff import Change, diff
from rivya_contract.mock_server.cassette import load

TASK = "GET /api/v1/generations/{taskId}"
CREATE = "POST /api/v1/generations"


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """The same scenario recorded twice against the steady upstream, once against a drifting one."""
    paths = []
    for name, rewrite in (("old", None), ("again", None), ("drifted", drifting)):
        folder = tmp_path_factory.mktemp(name)
        record(folder) if rewrite is None else record(folder, rewrite)
        paths.append(folder / "video-job.json")
    return paths[0], paths[1], paths[2]


def _found(changes: list[Change]) -> set[tuple[str, str, str, str]]:
    return {(c.endpoint, c.kind, c.path, c.severity) for c in changes}


def test_the_drift_shows_as_breaking_changes(recordings: tuple[Path, Path, Path]) -> None:
    old, _, drifted = recordings
    changes = diff(load(old), load(drifted))
    found = _found(changes)
    assert (TASK, "missing_field", "$.status", "breaking") in found
    assert (TASK, "extra_field", "$.state", "compatible") in found
    assert (CREATE, "status", "", "breaking") in found
    assert (CREATE, "unknown_code", "$.error.code", "compatible") in found
    status = next(c for c in changes if c.endpoint == CREATE and c.kind == "status")
    assert (status.old, status.new) == ("400", "422")
    timeline = next(c for c in changes if c.endpoint == TASK and c.kind == "status")
    assert timeline.old == "queued > processing > succeeded"
    # nothing changed on the endpoints the stand-in leaves alone
    assert not [c for c in changes if c.endpoint in ("GET /api/v1/credits", "POST /api/v1/files")]


def test_two_recordings_of_the_same_behaviour_differ_in_nothing_breaking(
    recordings: tuple[Path, Path, Path],
) -> None:
    old, again, _ = recordings
    assert load(old).exchanges != load(again).exchanges  # other request ids, times
    changes = diff(load(old), load(again))
    assert [c for c in changes if c.severity == "breaking"] == []
    assert {c.kind for c in changes} <= {"timing", "exchange", "timeline"}


def test_the_command_prints_text_and_json_and_fails_on_breaking_changes(
    recordings: tuple[Path, Path, Path],
) -> None:
    old, again, drifted = recordings
    text = run_cli("cassette", "diff", str(old), str(drifted))
    assert text.returncode == 1, text.stderr
    assert text.stdout.startswith(f"cassette diff {old} -> {drifted}")
    assert "Breaking (" in text.stdout and "missing_field at $.status" in text.stdout
    as_json = run_cli("cassette", "diff", "--json", str(old), str(drifted))
    summary = json.loads(as_json.stdout)
    assert summary["breaking"] >= 3
    assert {c["kind"] for c in summary["changes"]} >= {"missing_field", "status", "extra_field"}
    steady = run_cli("cassette", "diff", str(old), str(again))
    assert steady.returncode == 0, steady.stdout


def test_the_command_refuses_a_broken_cassette(
    recordings: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    old = recordings[0]
    broken = tmp_path / "video-job.json"
    document = json.loads(old.read_text())
    document["exchanges"][0]["response"]["status"] = 42
    broken.write_text(json.dumps(document))
    done = run_cli("cassette", "diff", str(old), str(broken))
    assert done.returncode == 2
    assert f"{broken}: exchanges[0] (GET /api/v1/credits): response.status" in done.stderr
