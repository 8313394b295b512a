"""Choosing the shared store: flag, variable and file; namespaces; what memory cannot do."""

from __future__ import annotations

import json
from pathlib import Path

from redis_support import RedisServer, namespace
from support import clean_env, run_cli

from rivya_contract.mock_server.config import MockConfig
from rivya_contract.mock_server.config_sources import load
from rivya_contract.mock_server.mock import Mock

AUTH = {"Authorization": "Bearer rvya_sk_mock_0000000000000000"}
CREATE = json.dumps({"model": "nano-banana", "prompt": "a fox"}).encode()


def _create(mock: Mock) -> str:
    reply = mock.api.handle(
        "POST",
        "/api/v1/generations",
        headers={**AUTH, "Content-Type": "application/json"},
        body=CREATE,
    )
    assert reply.status == 202, reply.body
    task_id: str = json.loads(reply.body)["id"]
    return task_id


def test_the_store_is_chosen_by_flag_variable_or_file(tmp_path: Path) -> None:
    url = "redis://127.0.0.1:6379/2"
    assert load(flags={"store": url}).store == url
    assert (
        load(environ={"RIVYA_MOCK_STORE": url, "RIVYA_MOCK_NAMESPACE": "ci-7"}).namespace == "ci-7"
    )
    config = tmp_path / "mock.toml"
    config.write_text(f'[mock]\nstore = "{url}"\nworkers = 2\n', encoding="utf-8")
    assert load(config_file=config).workers == 2


def test_more_than_one_worker_on_the_memory_store_is_refused_naming_the_flag() -> None:
    done = run_cli("serve", "--workers", "2")
    assert done.returncode == 2
    assert "--workers: workers 2 needs a shared store" in done.stderr
    assert "--store redis://" in done.stderr


def test_a_store_that_is_no_redis_url_is_refused_naming_the_variable() -> None:
    done = run_cli("serve", env=clean_env(RIVYA_MOCK_STORE="postgres://db/mock"))
    assert done.returncode == 2
    assert "RIVYA_MOCK_STORE: store must be memory or a redis:// URL" in done.stderr


def test_a_reset_clears_its_own_namespace_only(redis_server: RedisServer) -> None:
    ours, theirs = namespace(), namespace()
    mine = Mock(MockConfig(store=redis_server.url, namespace=ours, virtual_clock=True))
    other = Mock(MockConfig(store=redis_server.url, namespace=theirs, virtual_clock=True))
    kept = _create(other)
    gone = _create(mine)
    mine.reset()
    assert mine.backend.task(gone) is None
    assert other.backend.task(kept) is not None
    assert other.backend.balance().reserved == 3 and mine.backend.balance().reserved == 0


def test_a_second_process_on_a_namespace_keeps_its_state(redis_server: RedisServer) -> None:
    config = MockConfig(store=redis_server.url, namespace=namespace(), credits=50)
    first = Mock(config)
    task_id = _create(first)
    later = Mock(config.replace(credits=999))  # joins the state; does not make it again
    assert later.backend.task(task_id) is not None
    assert later.backend.balance().balance == 47


def test_an_unreachable_store_answers_503_with_a_mock_code_and_changes_nothing() -> None:
    mock = Mock(MockConfig(store="redis://127.0.0.1:9/0", namespace=namespace()), store=None)
    reply = mock.api.handle("GET", "/api/v1/credits", headers=AUTH)
    assert reply.status == 503
    error = json.loads(reply.body)["error"]
    assert error["code"] == "mock_store_unavailable"
    assert "redis://127.0.0.1:9/0" in error["message"]
    assert reply.headers["Retry-After"] == "1"
