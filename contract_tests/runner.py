"""``rivya-mock check``: run the contract suite against a target and summarise the drift."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from typing import Any

SUITE = "rivya_contract.contract_tests"


def check_args(
    base_url: str,
    api_key: str,
    max_credits: int,
    report: Path | None,
    *,
    strict: bool = False,
    workers: int | None = None,
) -> list[str]:
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
    if strict:
        args.append("--rivya-strict")
    if workers is not None:
        args += ["-n", str(workers)]
    return args


def run_check(
    base_url: str,
    api_key: str,
    max_credits: int,
    report: Path | None,
    *,
    strict: bool = False,
    workers: int | None = None,
) -> int:
    """Run the contract suite against ``base_url``; return pytest's exit status.

    Only checks that cost nothing run unless ``max_credits`` is positive; the
    suite never reserves more than ``max_credits``. Exit status 0 means no
    breaking drift (compatible changes are listed as warnings; ``strict`` fails
    on them too); 1 means some check failed (the summary and ``report`` say
    where). The suite runs in a fresh interpreter, so pytest imports (and
    rewrites the assertions of) its modules itself.
    """
    args = check_args(base_url, api_key, max_credits, report, strict=strict, workers=workers)
    return subprocess.run([sys.executable, "-m", "pytest", *args], check=False).returncode


class CheckCommand:
    """``rivya-mock check``: registered under the ``rivya_contract.commands`` entry points."""

    def add_parser(self, commands: Any, name: str) -> None:
        """Add ``check`` and its flags."""
        check = commands.add_parser(
            name, help="run the contract suite against a target (the live API or a mock)"
        )
        check.add_argument("--base-url", required=True, help="e.g. https://rivya.ai")
        check.add_argument("--api-key", required=True, help="the target's API key")
        check.add_argument(
            "--max-credits",
            type=int,
            default=0,
            help="credits the paid checks may reserve (default 0: only free checks run)",
        )
        check.add_argument("--report", type=Path, help="write the JSON drift report here")
        check.add_argument(
            "--strict",
            action="store_true",
            help="fail on compatible changes too (added fields, models or error codes)",
        )
        check.add_argument(
            "--workers", type=int, help="run the checks in N processes (needs pytest-xdist)"
        )

    def run(self, args: argparse.Namespace) -> int:
        """Run the suite with the parsed flags."""
        return run_check(
            args.base_url,
            args.api_key,
            args.max_credits,
            args.report,
            strict=args.strict,
            workers=args.workers,
        )


command = CheckCommand()
"""The ``check`` subcommand of ``rivya-mock``."""
