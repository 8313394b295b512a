"""A user's project with only the built wheel installed: the README's Hypothesis pattern, and
a ``requests`` call to the real host stopped inside ``rivya_respx``.

The wheel is built from this checkout and unpacked into a fresh environment
whose only other entries are the dependencies; the project runs in a
subprocess of that environment, so the plugin, its fixtures and the package
data come from the wheel, never from the source tree.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]

BLOCKED_TESTS = """
import socket

import requests

import rivya_contract.plugin.fresh as fresh


def test_the_plugin_comes_from_the_wheel():
    assert "site-packages" in fresh.__file__
    assert not fresh.__file__.startswith({root!r})


def test_a_requests_call_to_the_real_host_never_connects(rivya_respx, monkeypatch):
    opened = []
    monkeypatch.setattr(socket.socket, "connect", lambda self, address: opened.append(address))
    caught = None
    try:
        requests.get("https://rivya.ai/api/v1/credits", timeout=5)
    except Exception as error:  # a client that swallows errors still fails the test
        caught = error
    assert opened == []
    assert caught is not None and "went around httpx" in str(caught)
"""


def _readme_pattern() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- hypothesis-pattern -->\n```python\n(.*?)```", text, re.S)
    assert found is not None, "README.md lost its Hypothesis pattern"
    return found.group(1)


@pytest.fixture(scope="module")
def wheel_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the interpreter of an environment holding only the wheel and the dependencies."""
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = out.glob("rivya_contract-*.whl")
    env = out / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    python = env / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(purelib)
    # The dependencies, from this environment; a path added by a .pth file is not scanned
    # for .pth files itself, so the checkout's editable install stays out of reach.
    (Path(purelib) / "dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8"
    )
    return python


def test_the_readme_pattern_and_the_real_host_block_from_the_wheel(
    pytester: pytest.Pytester, wheel_python: Path
) -> None:
    pytester.makepyfile(
        test_readme_pattern=_readme_pattern(),
        test_blocked=BLOCKED_TESTS.format(root=str(ROOT)),
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "RIVYA_"))}
    done = subprocess.run(
        [str(wheel_python), "-m", "pytest", "-p", "no:cacheprovider", "-rA", "-q"],
        cwd=pytester.path,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    output = done.stdout + done.stderr
    assert "PASSED test_readme_pattern.py::test_every_valid_request_is_queued_and_reserved" in (
        output
    ), output
    assert "PASSED test_blocked.py::test_the_plugin_comes_from_the_wheel" in output, output
    # The call itself passes (nothing connected); the fixture then fails the test loudly.
    assert "PASSED test_blocked.py::test_a_requests_call_to_the_real_host_never_connects" in (
        output
    )
    assert "ERROR test_blocked.py::test_a_requests_call_to_the_real_host_never_connects" in (output)
    assert "rivya_respx: a request to rivya.ai went around httpx" in output
    assert re.search(r"3 passed, 1 error", output), output
    assert done.returncode == 1


def test_hypothesis_refuses_rivya_respx_which_is_why_the_pattern_exists(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        from hypothesis import given, strategies as st

        @given(st.integers())
        def test_naive(rivya_respx, n):
            pass
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*function-scoped fixture*"])
