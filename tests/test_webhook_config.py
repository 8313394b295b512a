"""Webhook settings come from defaults, TOML, env and flags like every other field, and the
OpenAPI document publishes the event under the 3.1 ``webhooks`` key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openapi_spec_validator import validate

from rivya_contract.mock_server import Mock, MockConfig
from rivya_contract.mock_server.cli import _parser
from rivya_contract.mock_server.config import from_mapping, parse_schedule
from rivya_contract.mock_server.config_sources import load


def test_the_defaults() -> None:
    config = MockConfig()
    assert config.webhook_allow_local_http is True
    assert config.webhook_retry_schedule == (5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0)
    assert (config.webhook_timeout, config.webhook_disable_after) == (5.0, 50)
    assert config.webhook_rotation_overlap == 86400.0


def test_schedules_parse_from_text_and_lists() -> None:
    assert parse_schedule("5s, 5m,30m,2h,250ms") == (5.0, 300.0, 1800.0, 7200.0, 0.25)
    assert parse_schedule([1, 2.5]) == (1.0, 2.5)
    with pytest.raises(ValueError, match="durations"):
        parse_schedule("5s,soon")


def test_every_source_sets_the_webhook_fields(tmp_path: Path) -> None:
    toml = tmp_path / "mock.toml"
    toml.write_text("[mock]\nwebhook-retry-schedule = [1, 2]\nwebhook-timeout = 2.5\n")
    env = {"RIVYA_MOCK_WEBHOOK_ALLOW_LOCAL_HTTP": "false", "RIVYA_MOCK_WEBHOOK_DISABLE_AFTER": "7"}
    config = load(config_file=toml, environ=env, flags={"webhook_rotation_overlap": "60"})
    assert config.webhook_retry_schedule == (1.0, 2.0)
    assert config.webhook_timeout == 2.5
    assert config.webhook_allow_local_http is False
    assert config.webhook_disable_after == 7
    assert config.webhook_rotation_overlap == 60.0
    args = _parser().parse_args(
        ["serve", "--no-webhook-allow-local-http", "--webhook-retry-schedule", "1s,1m"]
    )
    assert (args.webhook_allow_local_http, args.webhook_retry_schedule) == (False, "1s,1m")


@pytest.mark.parametrize(
    "values",
    [
        {"webhook_timeout": 0},
        {"webhook_disable_after": 0},
        {"webhook_rotation_overlap": -1},
        {"webhook_retry_schedule": [5, -1]},
    ],
)
def test_out_of_range_webhook_settings_are_refused(values: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="webhook_"):
        from_mapping(values)


def test_the_document_publishes_the_event_under_the_webhooks_key() -> None:
    document = json.loads(Mock(MockConfig()).backend.document())
    validate(document)
    assert set(document["webhooks"]) == {"generation.succeeded", "generation.failed"}
    for item in document["webhooks"].values():
        body = item["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert body == {"$ref": "#/components/schemas/WebhookEvent"}
        headers = {p["name"] for p in item["post"]["parameters"]}
        assert headers == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    components = document["components"]["schemas"]
    for name in ("WebhookEndpoint", "WebhookEvent", "WebhookDelivery", "WebhookDeliveryList"):
        assert name in components
    create = document["paths"]["/api/v1/webhooks"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CreateWebhookEndpointRequest"
    }
    assert (
        "400" in create["responses"]
        and "webhook_url_rejected" in create["responses"]["400"]["description"]
    )
