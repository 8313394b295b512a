"""``rivya-mock check``: run the contract suite against a target and summarise the drift."""

from __future__ import annotations

from pathlib import Path

import pytest

SUITE = "rivya_contract.contract_tests"


def check_args(base_url: str, api_key: str, max_credits: int, report: Path | None) -> list[str]:
    """Return the pytest arguments that run the suite against ``base_url``."""
    args = [
        "--pyargs",
        SUITE,
        "--rivya-target=live",
        f"--rivya-base-url={base_url}",
        f"--rivya-api-key={api_key}",
        f"--rivya-max-credits={max_credits}",
        "-p",
        "no:cacheprovider",
        "-o",
        "addopts=",
        "-q",
    ]
    if report is not None:
        args.append(f"--rivya-report={report}")
    return args


def run_check(base_url: str, api_key: str, max_credits: int, report: Path | None) -> int:
    """Run the contract suite against ``base_url``; return pytest's exit status.

    Only checks that cost nothing run unless ``max_credits`` is positive; the
    suite never reserves more than ``max_credits``. Exit status 0 means no
    drift; 1 means some check failed (the summary and ``report`` say where).
    """
    return int(pytest.main(check_args(base_url, api_key, max_credits, report)))
