"""Schemathesis, every check in every phase (stateful included), against a served mock.

Each document the mock serves, the public one and the control API's, drives one
``schemathesis run`` over real HTTP against a fresh ``rivya-mock serve``; the
configuration (``tests/schemathesis/*.toml``) turns every check on and names the
few exceptions and why. A run is bounded by time (``RUN_SECONDS``) and seeded; it must
find nothing: no 5xx, no answer off its schema, no schema-valid request refused.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import clean_env, served

CONFIGS = Path(__file__).parent / "schemathesis"
RUN_SECONDS = 40
"""Time budget of each run; fuzzing and the stateful phase repeat until it is spent."""


def _schemathesis() -> str:
    found = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    assert found is not None, "schemathesis is not installed next to sys.executable"
    return found


@pytest.mark.parametrize(
    ("document", "config", "flags"),
    [
        ("/api/v1/openapi.json", "public.toml", ("--credits", "1000000000")),
        ("/__mock__/openapi.json", "control.toml", ("--virtual-clock",)),
    ],
    ids=["public", "control"],
)
def test_schemathesis_finds_nothing(
    document: str, config: str, flags: tuple[str, ...], tmp_path: Path
) -> None:
    with served(*flags, "--log-level", "warning") as server:
        key = "rvya_sk_mock_0000000000000000"
        run = subprocess.run(
            [
                _schemathesis(),
                "--config-file",
                str(CONFIGS / config),
                "run",
                server.base_url + document,
                "--max-time",
                str(RUN_SECONDS),
                "--seed",
                "1",
                "--header",
                f"Authorization: Bearer {key}",
                "--no-color",
            ],
            capture_output=True,
            text=True,
            env=clean_env(),
            cwd=tmp_path,  # its cache and reports stay out of the tree
            timeout=RUN_SECONDS * 4,
            check=False,
        )
        errors = "".join(server.stderr)
    summary = run.stdout[run.stdout.find("SUMMARY") :]
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "Failures" not in summary
    for phase in ("Coverage", "Fuzzing", "Stateful"):
        assert f"✅ {phase}" in summary, summary
    assert "❌" not in summary, summary  # nor in Examples, which a document without any skips
    assert "Traceback" not in errors and "internal_error" not in errors, errors[-4000:]
