"""Ids, key secrets and media urls are unguessable; reproducible ids only when asked for."""

from __future__ import annotations

import httpx
from support import (
    API,
    bearer,
    create,
    error_of,
    in_process,
    path_of,
    reference_png,
    reference_request,
    text_request,
    upload,
    valid,
)

from rivya_contract.mock_server import Mock, MockConfig

SEED_ZERO_FIRST_KEY = "rvya_sk_c2094cac629f6fbed82c07cd"
"""The first key every default mock issued while its ids came from ``random.Random(0)``."""


def _first_ids(mock: Mock) -> tuple[str, str, str, str]:
    """Issue a key, an account, a task and a file on a fresh mock; return the four."""
    key = mock.control.accounts.issue_key("acct_demo")
    account = mock.control.accounts.create(credits=10).id
    client = in_process(mock)
    task = valid("task", create(client, key, text_request()))["id"]
    file_id = valid("file", upload(client, key, reference_png(), kind="image"))["id"]
    return key, account, task, file_id


def test_two_fresh_default_mocks_share_no_key_or_id() -> None:
    first, second = _first_ids(Mock()), _first_ids(Mock())
    assert SEED_ZERO_FIRST_KEY not in first + second
    assert not set(first) & set(second)


def test_a_seed_makes_ids_reproducible_but_never_keys() -> None:
    first, second = _first_ids(Mock(MockConfig(seed=5))), _first_ids(Mock(MockConfig(seed=5)))
    assert first[1:] == second[1:]  # account, task and file ids: reproducible, as asked
    assert first[0] != second[0]  # the key secret: random all the same
    other = _first_ids(Mock(MockConfig(seed=6)))
    assert not set(other[1:]) & set(first[1:])


def test_a_reset_never_issues_an_old_id_again() -> None:
    mock = Mock()
    before = _first_ids(mock)
    mock.control.reset()
    assert not set(_first_ids(mock)) & set(before)


def _uploaded(mock: Mock) -> tuple[httpx.Client, dict[str, object]]:
    client = in_process(mock)
    return client, valid("file", upload(client, mock.config.api_key, reference_png(), kind="image"))


def test_a_file_is_never_served_by_its_bare_id() -> None:
    mock = Mock()
    client, stored = _uploaded(mock)
    file_id, url = str(stored["id"]), str(stored["url"])
    assert client.get(path_of(url)).content == reference_png()
    error_of(client.get(f"/media/files/{file_id}"), "not_found", 404)
    other = mock.control.accounts.create(credits=0).id
    other_key = mock.control.accounts.issue_key(other)
    error_of(client.get(f"/media/files/{file_id}", headers=bearer(other_key)), "not_found", 404)
    token = path_of(url).rsplit("/", 1)[1]
    assert len(token) >= 32
    guessed = token[:-1] + ("0" if token[-1] != "0" else "1")
    error_of(client.get(f"/media/files/{file_id}/{guessed}"), "not_found", 404)


def test_a_reference_needs_the_whole_file_url() -> None:
    mock = Mock()
    client, stored = _uploaded(mock)
    key = mock.config.api_key
    bare = f"https://rivya.ai/media/files/{stored['id']}"
    error_of(create(client, key, reference_request(bare)), "validation_failed", 400)
    wrong = f"{bare}/{'0' * 32}"
    error_of(create(client, key, reference_request(wrong)), "validation_failed", 400)
    assert create(client, key, reference_request(str(stored["url"]))).status_code == 202


def test_result_urls_hold_a_token_beside_the_task_id() -> None:
    mock = Mock(MockConfig(virtual_clock=True, queued_seconds=0, processing_seconds=1))
    client = in_process(mock)
    key = mock.config.api_key
    task = valid("task", create(client, key, text_request()))
    mock.clock.advance(2)
    polled = valid("task", client.get(f"{API}/generations/{task['id']}", headers=bearer(key)))
    path = path_of(polled["result"]["primary_url"])
    assert client.get(path).status_code == 200
    prefix, token, name = path.rsplit("/", 2)
    assert prefix == f"/media/results/{task['id']}" and len(token) >= 32
    error_of(client.get(f"{prefix}/{name}"), "not_found", 404)
    error_of(client.get(f"{prefix}/{'0' * len(token)}/{name}"), "not_found", 404)


def test_an_unparsable_reference_url_is_a_validation_error() -> None:
    mock = Mock()
    client = in_process(mock)
    for url in ("http://[", "https://[::1/media/files/x/y", "http://]"):
        found = error_of(
            create(client, mock.config.api_key, reference_request(url)), "validation_failed", 400
        )
        assert "referenceMediaItems[0].url" in found["message"]


def test_a_forked_process_hands_out_none_of_its_parents_random_bytes() -> None:
    import os

    from rivya_contract.mock_server.ids import random_hex

    random_hex(12)  # the parent has read a pool, most of it not handed out yet
    reading, writing = os.pipe()
    child = os.fork()
    if child == 0:  # the child: write its next ids and leave at once
        os.close(reading)
        os.write(writing, "".join(random_hex(12) for _ in range(8)).encode())
        os._exit(0)
    os.close(writing)
    with os.fdopen(reading) as pipe:
        theirs = pipe.read()
    os.waitpid(child, 0)
    ours = "".join(random_hex(12) for _ in range(8))
    assert len(theirs) == len(ours) == 8 * 24
    assert theirs != ours
    assert not {theirs[n : n + 24] for n in range(0, len(theirs), 24)} & {
        ours[n : n + 24] for n in range(0, len(ours), 24)
    }
