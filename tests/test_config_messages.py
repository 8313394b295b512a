"""The command line says what each setting does, and a bad setting names where it was set."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from support import clean_env, run_cli

from rivya_contract.mock_server.config import MockConfig, field_docs
from rivya_contract.mock_server.config_sources import from_toml, load


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mock.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_version_prints_the_package_version() -> None:
    done = run_cli("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == "rivya-mock 0.1.0"


def test_every_flag_has_its_fields_documentation_and_a_readable_default() -> None:
    wide = clean_env(COLUMNS="2000")  # one line per flag: no wrapping inside a doc
    text = " ".join(run_cli("serve", "--help", env=wide).stdout.split())
    docs = field_docs()
    assert set(docs) == {field.name for field in dataclasses.fields(MockConfig)}
    for name, doc in docs.items():
        assert " ".join(doc.split()) in text, name
    assert "default None" not in text and "default {}" not in text
    assert "default: unset" in text and "default: none" in text and "default: off" in text
    assert "--log-format {text,json}" in text and "--references {strict,lenient}" in text


def test_a_bad_value_in_a_file_names_the_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, '[mock]\nseed = 3\n\ncredits = "abc"\n')
    with pytest.raises(ValueError) as raised:
        load(config_file=path, environ={})
    assert str(raised.value).startswith(f"{path}:4: credits: ")


def test_a_broken_rule_names_the_setting_it_came_from(tmp_path: Path) -> None:
    path = _write(tmp_path, "failure_rate = 3\n")
    with pytest.raises(
        ValueError, match=rf"^{re.escape(str(path))}:1: failure_rate must be between 0 and 1$"
    ):
        load(config_file=path, environ={})
    with pytest.raises(ValueError, match=r"^--failure-rate: failure_rate must be between"):
        load(flags={"failure_rate": "2"}, environ={})


def test_a_bad_environment_value_names_the_variable() -> None:
    with pytest.raises(ValueError, match=r"^RIVYA_MOCK_CREDITS: credits: invalid literal"):
        load(environ={"RIVYA_MOCK_CREDITS": "abc"})


def test_keys_outside_the_mock_table_are_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "port = 9000\n\n[mock]\ncredits = 5\n")
    with pytest.raises(
        ValueError, match=rf"^{re.escape(str(path))}:1: port is outside the \[mock\] table"
    ):
        from_toml(path)
    done = run_cli("openapi", "--config", str(path))
    assert done.returncode == 2
    assert "port is outside the [mock] table" in done.stderr


def test_an_unknown_key_names_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "[mock]\ncredits = 5\nno_such = 1\n")
    with pytest.raises(
        ValueError, match=rf"^{re.escape(str(path))}:3: unknown config key no_such$"
    ):
        load(config_file=path, environ={})


def test_malformed_toml_names_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "[mock\n")
    with pytest.raises(ValueError, match=rf"^{re.escape(str(path))}: "):
        from_toml(path)
