"""The webhook worked example in docs/example/webhooks runs green: the idempotent receiver
passes the property over delivery schedules, and the naive one's bug is found and shrunk."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "example" / "webhooks"


def test_the_webhook_example_finds_and_shrinks_the_bug(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(str(EXAMPLE), "-p", "no:cacheprovider", "-v")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        [
            "*test_the_idempotent_gallery_saves_each_success_once PASSED*",
            "*test_the_naive_gallerys_bug_is_found_and_shrunk PASSED*",
        ]
    )
