"""The installed distribution: one namespace, typed subpackages, declared entry points."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from importlib import metadata, resources
from pathlib import Path

import pytest

DISTRIBUTION = "rivya-contract"
SUBPACKAGES = ("schemas", "mock_server", "plugin", "contract_tests")
QUALIFIED = tuple(f"rivya_contract.{name}" for name in SUBPACKAGES)

PROBE = """
import importlib, json, sys
outcome = {}
for name in sys.argv[1:]:
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as error:
        outcome[name] = ["ModuleNotFoundError", error.name]
    except Exception as error:
        outcome[name] = [type(error).__name__, str(error)]
    else:
        outcome[name] = ["ok", getattr(module, "__file__", None)]
print(json.dumps(outcome))
"""


def _import_in_clean_process(cwd: Path, *names: str) -> dict[str, list[str | None]]:
    """Import ``names`` with the venv's interpreter from ``cwd``; return each outcome."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *names],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    outcome: dict[str, list[str | None]] = json.loads(done.stdout.strip().splitlines()[-1])
    return outcome


def test_the_subpackages_import_from_anywhere(tmp_path: Path) -> None:
    outcome = _import_in_clean_process(tmp_path, *QUALIFIED)
    for name in QUALIFIED:
        status, where = outcome[name]
        assert status == "ok", (name, outcome[name])
        assert where is not None
        assert not Path(where).is_relative_to(tmp_path)


@pytest.mark.parametrize("name", SUBPACKAGES)
def test_the_folder_names_are_not_importable(tmp_path: Path, name: str) -> None:
    outcome = _import_in_clean_process(tmp_path, name)
    assert outcome[name] == ["ModuleNotFoundError", name]


def test_the_probe_can_tell_a_missing_module_from_a_present_one(tmp_path: Path) -> None:
    (tmp_path / "schemas.py").write_text("VALUE = 1\n", encoding="utf-8")
    outcome = _import_in_clean_process(tmp_path, "schemas")
    assert outcome["schemas"][0] == "ok"


@pytest.mark.parametrize("name", QUALIFIED)
def test_each_subpackage_ships_py_typed(name: str) -> None:
    marker = resources.files(name).joinpath("py.typed")
    assert marker.is_file(), name


def test_the_package_data_declares_py_typed() -> None:
    # py.typed must also reach a wheel, not only this editable checkout
    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    config = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    package_data = config["tool"]["setuptools"]["package-data"]
    for name in QUALIFIED:
        assert "py.typed" in package_data[name], name
    assert set(config["tool"]["setuptools"]["packages"]) == set(QUALIFIED)


def test_the_distribution_is_installed() -> None:
    dist = metadata.distribution(DISTRIBUTION)
    assert dist.metadata["Name"] == DISTRIBUTION
    assert dist.version


def test_the_pytest_plugin_entry_point_is_declared() -> None:
    points = metadata.distribution(DISTRIBUTION).entry_points
    (plugin,) = [ep for ep in points if ep.group == "pytest11" and ep.name == "rivya"]
    assert plugin.value == "rivya_contract.plugin.pytest_plugin"
    assert plugin.module.startswith("rivya_contract.plugin.")
    assert plugin in metadata.entry_points(group="pytest11", name="rivya")


def test_the_mock_console_script_is_declared() -> None:
    points = metadata.distribution(DISTRIBUTION).entry_points
    (script,) = [ep for ep in points if ep.group == "console_scripts" and ep.name == "rivya-mock"]
    assert script.value == "rivya_contract.mock_server.cli:main"
    assert script.module.startswith("rivya_contract.mock_server.")
    assert script.attr == "main"
    assert (Path(sys.executable).parent / "rivya-mock").is_file()
