"""The plugin from a separate project: only the installed distribution, no conftest, real clients.

Each run is ``pytest`` in a fresh temporary directory, in a subprocess, so the
``rivya`` plugin is found through its ``pytest11`` entry point exactly as a
user's project finds it.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from rivya_contract.mock_server import Mock, MockConfig
from rivya_contract.mock_server.serving import ServerThread

pytest_plugins = ["pytester"]

USER_TESTS = """
import asyncio

import httpx
import pytest
import requests

from rivya_contract.mock_server import MockConfig
from rivya_contract.plugin.budget import BudgetExceeded

CREATE = "/api/v1/generations"
CREDITS = "/api/v1/credits"
FOX = {"model": "grok-imagine", "prompt": "a red fox"}


@pytest.fixture
def rivya_mock_config():
    return MockConfig(virtual_clock=True, credits=7)


def test_httpx_sync_client_through_respx(rivya_respx):
    with httpx.Client(base_url=rivya_respx.base_url, headers=rivya_respx.headers) as http:
        task = http.post(CREATE, json=FOX).json()
        assert task["status"] == "queued"
        rivya_respx.mock.clock.advance(60)
        done = http.get(f"{CREATE}/{task['id']}").json()
    assert done["status"] == "succeeded"
    assert rivya_respx.router["rivya"].call_count == 2


def test_httpx_async_client_through_respx(rivya_respx):
    async def run():
        async with httpx.AsyncClient(base_url=rivya_respx.base_url) as http:
            answers = await asyncio.gather(
                http.get("/api/v1/credits", headers=rivya_respx.headers),
                http.get("/api/v1/models"),
            )
            return [a.status_code for a in answers], answers[0].json()

    statuses, credits = asyncio.run(run())
    assert statuses == [200, 200]
    assert credits == {"current_credits": 7}


def test_requests_against_the_real_server(rivya_server):
    assert rivya_server.base_url.startswith("http://127.0.0.1:")
    created = requests.post(
        rivya_server.url(CREATE), json=FOX, headers=rivya_server.headers, timeout=10
    )
    assert created.status_code == 202
    credits = requests.get(rivya_server.url(CREDITS), headers=rivya_server.headers, timeout=10)
    assert credits.json() == {"current_credits": 1000 - created.json()["reserved_credits"]}


def test_the_server_is_reset_for_each_test(rivya_server):
    credits = requests.get(rivya_server.url(CREDITS), headers=rivya_server.headers, timeout=10)
    assert credits.json() == {"current_credits": 1000}
    assert len(rivya_server.mock.control.journal) == 1


@pytest.mark.rivya_scenario(outcome="failed", code="generation_failed", queued=2, processing=3)
def test_a_scripted_outcome(rivya_respx):
    with httpx.Client(base_url=rivya_respx.base_url, headers=rivya_respx.headers) as http:
        task = http.post(CREATE, json=FOX).json()
        rivya_respx.mock.clock.advance(5)
        done = http.get(f"{CREATE}/{task['id']}").json()
    assert done["status"] == "failed"
    assert done["error"]["code"] == "generation_failed"


@pytest.mark.rivya_scenario(
    fault={"method": "GET", "path": "/api/v1/credits", "code": "rate_limited", "retry_after": 3}
)
def test_an_injected_fault_over_http(rivya_server):
    url, headers = rivya_server.url("/api/v1/credits"), rivya_server.headers
    first = requests.get(url, headers=headers, timeout=10)
    second = requests.get(url, headers=headers, timeout=10)
    assert (first.status_code, first.headers["Retry-After"]) == (429, "3")
    assert first.json()["error"]["code"] == "rate_limited"
    assert second.status_code == 200


@pytest.mark.rivya_scenario(lambda mock: mock.control.accounts.set_balance("acct_demo", 0))
def test_a_callable_scenario_and_the_control_api(rivya_mock):
    assert rivya_mock.config.virtual_clock
    before = rivya_mock.clock.now()
    assert rivya_mock.clock.advance(30) == before + 30
    reply = rivya_mock.api.handle(
        "POST",
        CREATE,
        headers={"Authorization": f"Bearer {rivya_mock.config.api_key}",
                 "Content-Type": "application/json"},
        body=b'{"model": "grok-imagine", "prompt": "x"}',
    )
    assert reply.status == 402
    assert rivya_mock.control.journal[-1].code == "insufficient_credits"


def test_the_chosen_target(rivya_target, pytestconfig):
    assert rivya_target.name == (pytestconfig.getoption("rivya_target") or "mock")
    with rivya_target.client() as http:
        assert http.get("/api/v1/credits").status_code == 200
        refused = http.post(CREATE, json={**FOX, "params": {"enable_pro": True}})
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "validation_failed"


@pytest.mark.rivya_live
def test_spending_real_credits(rivya_target):
    with rivya_target.client() as http:
        created = http.post(CREATE, json=FOX)
        assert created.status_code in (200, 201, 202)
        with pytest.raises(BudgetExceeded):
            http.post(CREATE, json={"model": "grok-imagine-video", "prompt": "a fox running"})
"""

COUNT = USER_TESTS.count("\ndef test_")


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(test_user=USER_TESTS)
    return pytester


@pytest.fixture(scope="module")
def stand_in_for_live() -> Iterator[ServerThread]:
    with ServerThread(Mock(MockConfig(virtual_clock=True))) as server:
        yield server


def test_every_fixture_drives_a_real_client_against_the_mock(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess("-p", "no:cacheprovider", "-rs")
    result.assert_outcomes(passed=COUNT - 1, skipped=1)
    result.stdout.fnmatch_lines(["*rivya_live: spends real credits*"])


def test_the_same_tests_pass_with_the_server_target(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess("-p", "no:cacheprovider", "--rivya-target=server")
    result.assert_outcomes(passed=COUNT - 1, skipped=1)


def test_live_tests_run_with_a_key_and_a_budget(
    project: pytest.Pytester, stand_in_for_live: ServerThread
) -> None:
    mock = stand_in_for_live.mock
    mock.reset()
    result = project.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "--rivya-target=live",
        f"--rivya-base-url={stand_in_for_live.base_url}",
        f"--rivya-api-key={mock.config.api_key}",
        "--rivya-max-credits=5",
    )
    result.assert_outcomes(passed=COUNT)
    creates = [e for e in mock.control.journal if e.method == "POST"]
    assert [e.status for e in creates] == [400, 202]  # the video create was never sent


def test_the_live_target_without_a_key_fails_clearly(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RIVYA_API_KEY", raising=False)
    result = project.runpytest_subprocess(
        "-p", "no:cacheprovider", "--rivya-target=live", "-k", "chosen_target"
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*--rivya-target=live needs an API key*"])


def test_the_markers_and_options_are_registered(project: pytest.Pytester) -> None:
    markers = project.runpytest_subprocess("--markers")
    markers.stdout.fnmatch_lines(["*rivya_scenario(*", "*rivya_live:*"])
    options = project.runpytest_subprocess("--help")
    options.stdout.fnmatch_lines(["*--rivya-target=*", "*--rivya-max-credits=*"])


def test_loading_the_plugin_imports_nothing_heavy() -> None:
    probe = (
        "import sys, rivya_contract.plugin.pytest_plugin; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'hypothesis', 'respx', 'uvicorn', 'starlette', 'httpx', 'jsonschema'}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"
