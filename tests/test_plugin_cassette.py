"""The ``rivya_cassette`` marker from a user's project: record against a stand-in for live
within the budget, then replay offline with the stand-in out of reach."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from rivya_contract.mock_server import Mock, MockConfig
from rivya_contract.mock_server.cassette import load
from rivya_contract.mock_server.serving import ServerThread

pytest_plugins = ["pytester"]

STANDIN_KEY = "rvya_sk_standin_51b0c7a2d9e84f36"

USER_TESTS = """
import time
from pathlib import Path

import pytest

FOX = {"model": "grok-imagine", "prompt": "a red fox",
       "params": {"aspect_ratio": "1:1", "enable_pro": "false"}}


@pytest.mark.rivya_cassette("fox")
def test_fox(rivya_target):
    with Path("targets.txt").open("a") as seen:
        seen.write(rivya_target.name + "\\n")
    with rivya_target.client() as http:
        assert http.get("/api/v1/credits").status_code == 200
        task = http.post("/api/v1/generations", json=FOX).json()
        statuses = [task["status"]]
        while statuses[-1] not in ("succeeded", "failed"):
            time.sleep(0.05)
            statuses.append(http.get(f"/api/v1/generations/{task['id']}").json()["status"])
    assert statuses[0] == "queued" and statuses[-1] == "succeeded"
    Path("statuses.txt").open("a").write(" ".join(statuses) + "\\n")


@pytest.mark.rivya_cassette("broken")
def test_broken(rivya_target):
    with rivya_target.client() as http:
        http.get("/api/v1/credits")
    assert False, "a failing test's recording is not kept"
"""


@pytest.fixture(scope="module")
def stand_in_for_live() -> Iterator[ServerThread]:
    config = MockConfig(api_key=STANDIN_KEY, queued_seconds=0.1, processing_seconds=0.2)
    with ServerThread(Mock(config)) as server:
        yield server


def _live(base_url: str, key: str) -> list[str]:
    return [
        "-p",
        "no:cacheprovider",
        "--rivya-target=live",
        f"--rivya-base-url={base_url}",
        f"--rivya-api-key={key}",
        "--rivya-max-credits=5",
    ]


def test_a_cassette_is_recorded_once_then_replayed_offline(
    pytester: pytest.Pytester, stand_in_for_live: ServerThread
) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    first = pytester.runpytest_subprocess(*_live(stand_in_for_live.base_url, STANDIN_KEY))
    first.assert_outcomes(passed=1, failed=1)
    cassettes = Path(pytester.path) / "cassettes"
    assert sorted(p.name for p in cassettes.glob("*.json")) == ["fox.json"]
    cassette = load(cassettes / "fox.json")
    assert cassette.upstream == stand_in_for_live.base_url
    assert STANDIN_KEY not in json.dumps(cassette.to_json())
    creates = [e for e in stand_in_for_live.mock.control.journal if e.method == "POST"]
    assert len(creates) == 1
    # offline: the base URL leads nowhere and the key is wrong; the replay needs neither
    second = pytester.runpytest_subprocess(
        *_live("http://127.0.0.1:9", "rvya_sk_wrong"), "-k", "fox"
    )
    second.assert_outcomes(passed=1)
    assert (Path(pytester.path) / "targets.txt").read_text().split() == ["live", "mock"]
    recorded, replayed = (Path(pytester.path) / "statuses.txt").read_text().splitlines()
    assert recorded == replayed and "processing" in recorded.split()
    assert len([e for e in stand_in_for_live.mock.control.journal if e.method == "POST"]) == 1


def test_the_marker_and_the_record_option_are_registered(pytester: pytest.Pytester) -> None:
    markers = pytester.runpytest_subprocess("--markers")
    markers.stdout.fnmatch_lines(["*rivya_cassette(name)*"])
    options = pytester.runpytest_subprocess("--help")
    options.stdout.fnmatch_lines(["*--rivya-record*"])
