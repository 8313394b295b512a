"""The ``rivya_cassette`` marker: record a test's exchanges once, replay them offline after.

::

    @pytest.mark.rivya_cassette("video-job")
    def test_video(rivya_target): ...

When ``<rivya_cassettes>/video-job.json`` exists (the ini key ``rivya_cassettes``,
``cassettes`` under the rootdir by default), ``rivya_target`` is a mock replaying it
in process: no socket, no key, no credits. Otherwise the test runs against the
target ``--rivya-target`` chooses (live within ``--rivya-max-credits``, whose budget
transport still refuses a create that could exceed it), every exchange goes through
a ``RecordingTransport``, and the cassette is written when the test ends, if it
passed. ``--rivya-record`` records again over an existing cassette.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Generator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:
    from rivya_contract.plugin.targets import Target

MARKER = "rivya_cassette"

MARKER_HELP = (
    "rivya_cassette(name): record this test's exchanges with the target into "
    "<rivya_cassettes>/<name>.json the first time (within the live credit budget), and "
    "replay them offline from then on (--rivya-record records again)."
)


def cassette_of(node: pytest.Item) -> str | None:
    """Return the scenario name of a test's ``rivya_cassette`` mark, or None."""
    mark = node.get_closest_marker(MARKER)
    if mark is None:
        return None
    if len(mark.args) != 1 or not isinstance(mark.args[0], str) or mark.kwargs:
        raise TypeError(f"{MARKER}: expected one scenario name, got {mark.args!r}")
    return mark.args[0]


CALL_REPORT = pytest.StashKey["pytest.TestReport"]()
"""Where ``pytest_runtest_makereport`` keeps a test's call report, for the recording."""


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each test's call report, so that only a passing test's recording is saved."""
    report = yield
    if report.when == "call":
        item.stash[CALL_REPORT] = report
    return report


def cassette_folder(config: pytest.Config) -> Path:
    """Return the folder of the session's cassettes (``rivya_cassettes``, rootdir-relative)."""
    return Path(config.rootpath) / str(config.getini("rivya_cassettes"))


def cassette_target(
    request: pytest.FixtureRequest, name: str, recorded_target: Callable[[], Target]
) -> Target:
    """Return a ``rivya_cassette`` test's target: a replay, or a recording ``recorded_target()``."""
    from rivya_contract.mock_server.cassette import cassette_path
    from rivya_contract.mock_server.mock import Mock
    from rivya_contract.mock_server.recording import Recorder
    from rivya_contract.plugin.cassette_transport import RecordingTransport
    from rivya_contract.plugin.targets import mock_target

    folder = cassette_folder(request.config)
    path = cassette_path(folder, name)
    if path.exists() and not request.config.getoption("rivya_record"):
        mock = Mock.replay(path)
        request.addfinalizer(mock.close)
        return mock_target(mock)
    base = recorded_target()
    origin = urlsplit(base.base_url)
    upstream = f"{origin.scheme}://{origin.netloc}"
    recorder = Recorder(folder, name, upstream)

    def save() -> None:
        report = request.node.stash.get(CALL_REPORT, None)
        if report is not None and report.passed:
            recorder.save()

    request.addfinalizer(save)
    return dataclasses.replace(
        base,
        make_transport=lambda: RecordingTransport(base.transport(), recorder),
        budget=None,  # base.transport() enforces it
    )
