"""The mock's configuration: sources and their precedence, checks, rate limits, the command line."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import httpx
import pytest
from openapi_spec_validator import validate as validate_spec
from support import API, balance, clean_env, run_cli, served

from rivya_contract.mock_server import cli
from rivya_contract.mock_server.config import DEFAULT_API_KEY, MockConfig, from_mapping
from rivya_contract.mock_server.config_sources import from_env, from_toml, load
from rivya_contract.mock_server.ratelimit import RateLimit


def write_toml(folder: Path, text: str) -> Path:
    """Write a TOML config file and return its path."""
    path = folder / "mock.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_load_with_nothing_set_gives_the_embedded_defaults() -> None:
    config = load(environ={})
    assert config == MockConfig()
    assert (config.api_key, config.credits, config.create_status) == (DEFAULT_API_KEY, 1000, 202)
    assert config.rate_limit is None and config.virtual_clock is False


def test_file_then_env_then_flags_each_win_over_the_last(tmp_path: Path) -> None:
    path = write_toml(
        tmp_path,
        '[mock]\ncredits = 5\nseed = 9\nrate-limit = "10/min"\nvirtual_clock = true\n'
        'api_key = "rvya_sk_from_file"\n',
    )
    env = {"RIVYA_MOCK_CREDITS": "6", "RIVYA_MOCK_SEED": "8", "HOME": "/nowhere"}
    flags = {"credits": "7", "seed": None, "failure_rate": None}
    config = load(flags=flags, config_file=path, environ=env)
    assert config.credits == 7  # flag over env over file
    assert config.seed == 8  # env over file; an unset flag changes nothing
    assert config.rate_limit == RateLimit(10, 60.0)  # file only
    assert config.virtual_clock is True
    assert config.api_key == "rvya_sk_from_file"
    assert load(config_file=path, environ={}).credits == 5
    assert load(config_file=path, environ=env).credits == 6


def test_a_top_level_toml_file_works_without_a_mock_table(tmp_path: Path) -> None:
    path = write_toml(tmp_path, 'failure_rate = 0.25\nreferences = "lenient"\n')
    assert from_toml(path) == {"failure_rate": 0.25, "references": "lenient"}
    config = load(config_file=path, environ={})
    assert (config.failure_rate, config.references) == (0.25, "lenient")


def test_env_values_are_converted_and_other_variables_ignored() -> None:
    env = {
        "RIVYA_MOCK_VIRTUAL_CLOCK": "yes",
        "RIVYA_MOCK_REFUND_ON_FAILURE": "0",
        "RIVYA_MOCK_QUEUED_SECONDS": "1.5",
        "RIVYA_MOCK_SURCHARGES": "grok-imagine:enable_pro=2",
        "RIVYA_MOCK_RATE_LIMIT": "off",
        "RIVYA_MOCK_NOT_A_FIELD": "1",
        "PORT": "1234",
    }
    assert "not_a_field" not in from_env(env) and "port" not in from_env(env)
    config = load(environ=env)
    assert config.virtual_clock is True and config.refund_on_failure is False
    assert config.queued_seconds == 1.5
    assert config.surcharges == {"grok-imagine:enable_pro": 2}
    assert config.rate_limit is None


@pytest.mark.parametrize(
    ("values", "said"),
    [
        ({"failure_rate": 2}, "failure_rate must be between 0 and 1"),
        ({"failure_rate": -0.1}, "failure_rate"),
        ({"rate_limit": "abc"}, "rate limit 'abc'"),
        ({"port": "abc"}, "port"),
        ({"port": 70000}, "port"),
        ({"credits": -1}, "credits"),
        ({"seed": 1.5}, "seed"),
        ({"create_status": 204}, "create_status"),
        ({"upload_status": 202}, "upload_status"),
        ({"references": "loose"}, "references"),
        ({"unknown_params": "keep"}, "unknown_params"),
        ({"virtual_clock": "maybe"}, "virtual_clock"),
        ({"api_key": "sk_live_123"}, "api_key"),
        ({"queued_seconds": -1}, "queued_seconds"),
        ({"surcharges": "grok-imagine:enable_pro"}, "surcharges"),
        ({"max_body_bytes": 0}, "max_body_bytes"),
        ({"no_such_setting": 1}, "unknown config keys: no_such_setting"),
    ],
)
def test_a_bad_value_is_rejected_with_a_message_naming_it(
    values: dict[str, object], said: str
) -> None:
    with pytest.raises(ValueError, match=said.replace("(", r"\(")) as raised:
        from_mapping(values)
    assert said in str(raised.value)


def test_replace_checks_its_changes() -> None:
    config = MockConfig()
    assert config.replace(credits="12").credits == 12
    with pytest.raises(ValueError, match="failure_rate"):
        config.replace(failure_rate=2)


@pytest.mark.parametrize(
    ("text", "requests", "seconds"),
    [
        ("60/min", 60, 60.0),
        ("10/s", 10, 1.0),
        ("1/sec", 1, 1.0),
        ("100/minute", 100, 60.0),
        ("1000/hour", 1000, 3600.0),
        ("1000/h", 1000, 3600.0),
        ("5/30s", 5, 30.0),
        ("2/1.5min", 2, 90.0),
        (" 60 / MIN ", 60, 60.0),
    ],
)
def test_rate_limit_forms(text: str, requests: int, seconds: float) -> None:
    assert RateLimit.parse(text) == RateLimit(requests, seconds)


@pytest.mark.parametrize("text", ["off", "OFF", "none", "0", ""])
def test_rate_limit_off(text: str) -> None:
    assert RateLimit.parse(text) is None


@pytest.mark.parametrize(
    "text", ["abc", "60", "/min", "0/min", "-1/min", "5/0s", "5/fortnight", "5/.min", "1.5/min"]
)
def test_rate_limit_rejects_malformed_text(text: str) -> None:
    with pytest.raises(ValueError, match="rate limit"):
        RateLimit.parse(text)


def test_serve_help_lists_every_setting_as_a_flag() -> None:
    result = run_cli("serve", "--help")
    assert result.returncode == 0, result.stderr
    for setting in dataclasses.fields(MockConfig):
        flag = "--" + setting.name.replace("_", "-")
        assert flag in result.stdout, flag
        assert "RIVYA_MOCK_" + setting.name.upper() in result.stdout
    assert "--config" in result.stdout


def test_the_openapi_command_prints_a_valid_document() -> None:
    result = run_cli("openapi")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    validate_spec(document)
    assert f"{API}/generations" in document["paths"]
    responses = document["paths"][f"{API}/generations"]["post"]["responses"]
    assert "202" in responses


def test_the_openapi_command_follows_the_configured_create_status() -> None:
    result = run_cli("openapi", env=clean_env(RIVYA_MOCK_CREATE_STATUS="201"))
    assert result.returncode == 0, result.stderr
    responses = json.loads(result.stdout)["paths"][f"{API}/generations"]["post"]["responses"]
    assert "201" in responses and "202" not in responses


def test_a_bad_flag_exits_with_status_two_and_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["serve", "--failure-rate", "2"]) == 2
    assert "failure_rate must be between 0 and 1" in capsys.readouterr().err
    assert cli.main(["openapi", "--rate-limit", "abc"]) == 2
    assert "rate limit 'abc'" in capsys.readouterr().err


def test_a_missing_config_file_exits_with_status_two(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["openapi", "--config", str(tmp_path / "missing.toml")]) == 2
    assert "missing.toml" in capsys.readouterr().err


def test_serve_takes_file_env_and_flags_in_order(tmp_path: Path) -> None:
    path = write_toml(tmp_path, '[mock]\napi_key = "rvya_sk_from_file"\ncredits = 5\n')
    env = clean_env(RIVYA_MOCK_API_KEY="rvya_sk_from_env", RIVYA_MOCK_CREDITS="6")
    with served("--config", str(path), "--credits", "7", env=env) as server:
        assert "rvya_sk_from_env" in server.wait_for("API key")
        assert server.wait_for("credits").split(":")[1].strip() == "7"
        with httpx.Client(base_url=server.base_url, timeout=30.0) as client:
            assert balance(client, "rvya_sk_from_env") == 7
            denied = client.get(
                f"{API}/credits", headers={"Authorization": "Bearer rvya_sk_from_file"}
            )
            assert denied.status_code == 401
