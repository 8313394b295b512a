"""The worked example in docs/example runs green: its scenario tests, the fixed client's
property, and the demonstration that the property catches and shrinks the naive client's bug."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "example"


def test_the_worked_example_passes(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(
        str(EXAMPLE), "-p", "no:cacheprovider", "-v", f"--ignore={EXAMPLE / 'webhooks'}"
    )
    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines(
        [
            "*test_the_fixed_client_handles_every_server_behaviour PASSED*",
            "*test_the_naive_clients_bug_is_found_and_shrunk PASSED*",
        ]
    )
