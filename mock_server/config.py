"""The mock server's configuration: one typed object, its conversions and its checks.

``config_sources.load`` reads it from a TOML file, the environment and flags.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from rivya_contract.mock_server.ratelimit import RateLimit

ENV_PREFIX = "RIVYA_MOCK_"
"""Environment variables ``RIVYA_MOCK_<FIELD>`` set any field, e.g. ``RIVYA_MOCK_PORT=9000``."""

REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
"""The URL schemes of a Redis store."""

DEFAULT_API_KEY = "rvya_sk_mock_0000000000000000"
"""The demo account's key when none is configured."""


@dataclass(frozen=True)
class MockConfig:
    """Everything that shapes the mock's behaviour. Every field has an embedded default."""

    host: str = "127.0.0.1"
    """Interface ``rivya-mock serve`` binds."""
    port: int = 8000
    """Port ``rivya-mock serve`` binds (0 picks a free one)."""
    seed: int | None = None
    """Seed for simulated outcomes (0 when unset); when set, ids are reproducible from it too:
    the same seed and requests give the same ids, which anyone can predict, so never set it
    on a shared server. Unset, ids are random. Key secrets and media urls are always random."""
    api_key: str = DEFAULT_API_KEY
    """The demo account's API key (all scopes)."""
    credits: int = 1000
    """The demo account's starting balance."""
    queued_seconds: float | None = None
    """Time a task stays queued; None uses each model card's own timing."""
    processing_seconds: float | None = None
    """Time a task stays processing; None uses each model card's own timing."""
    failure_rate: float = 0.0
    """Share of tasks (0..1) that end failed with generation_failed."""
    virtual_clock: bool = False
    """When true, time moves only when advanced through the control API."""
    rate_limit: RateLimit | None = None
    """Requests per key per window (``--rate-limit 60/min``); off by default."""
    create_status: int = 202
    """HTTP status of a successful POST /generations."""
    upload_status: int = 201
    """HTTP status of a successful POST /files."""
    references: Literal["strict", "lenient"] = "strict"
    """strict: reference urls must name a file this account uploaded; lenient: any https url."""
    unknown_params: Literal["reject", "ignore"] = "reject"
    """What an unknown key inside params does."""
    coerce_selects: bool = False
    """Accept booleans and numbers for select params by turning them into strings."""
    refund_on_failure: bool = True
    """Return a failed task's reserved credits to the wallet."""
    surcharges: Mapping[str, int] = field(default_factory=dict)
    """Extra credits per ``"<model>:<param>"`` (e.g. ``{"grok-imagine:enable_pro": 2}``)."""
    idempotency_ttl: float = 86400.0
    """Seconds an Idempotency-Key is remembered."""
    max_body_bytes: int = 1_048_576
    """Largest JSON request body; larger is validation_failed."""
    header_timeout: float = 10.0
    """Seconds a connection may take to send a whole request head (after it opens, or after
    its last answer) before it is closed."""
    idle_timeout: float = 30.0
    """Seconds a keep-alive connection may stay silent between requests before it is closed."""
    max_head_bytes: int = 262_144
    """Largest request head (request line and headers); larger is answered 431 and closed."""
    max_connections: int = 1000
    """Most connections open at once (never more than the file-descriptor limit leaves room
    for); past it the oldest connection still waiting for a request head is closed."""
    body_timeout: float = 30.0
    """Seconds the server waits for the next piece of a request body before answering
    validation_failed and closing the connection (a Content-Length that promises more)."""
    public_api_disabled: bool = False
    """Answer every /api/v1 request (but the OpenAPI document) with public_api_disabled."""
    check_key_on_public: bool = False
    """Check a key sent to the public endpoints (/models, /openapi.json) instead of ignoring it."""
    task_ttl: float = 86400.0
    """Seconds a finished task is kept before it is forgotten (then not_found)."""
    max_tasks: int = 100_000
    """Most tasks kept; the oldest finished ones are forgotten first."""
    file_ttl: float = 86400.0
    """Seconds an uploaded file is kept before it is forgotten (then not_found)."""
    max_file_bytes: int = 1_073_741_824
    """Most bytes of uploaded files kept in all; past it the oldest files are forgotten."""
    control: bool = True
    """Serve the control API under /__mock__/."""
    admin_token: str | None = None
    """When set, the control API requires ``Authorization: Bearer <admin_token>``."""
    journal_size: int = 1000
    """Most requests kept in the journal."""
    journal_max_bytes: int = 33_554_432
    """Most bytes the journal's entries hold on to (heads, bodies, answers); the oldest go
    first (32 MiB)."""
    models_dir: str | None = None
    """A folder of model cards (``<id>.json``) that add to or replace the packaged catalog."""
    model_cards: tuple[Mapping[str, Any], ...] = ()
    """Model cards as JSON objects, added after models_dir (Python, TOML tables or a JSON list)."""
    metered_usage: float = 1.0
    """Share (0..1) of a METERED task's reservation it is charged when it succeeds."""
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    """Console log level: info logs each API request, debug also each control API request."""
    log_format: Literal["text", "json"] = "text"
    """Console log format: text lines (coloured on a terminal) or one JSON object a line."""
    webhook_allow_local_http: bool = True
    """Accept ``http`` webhook URLs on loopback and localhost, for test receivers; false
    applies the real API's rules (https only, no local addresses) to every URL."""
    webhook_timeout: float = 5.0
    """Seconds a webhook attempt waits for the receiver's answer before it counts as failed."""
    webhook_retry_schedule: tuple[float, ...] = (5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0)
    """Seconds after each failed attempt until the next (``5s,5m,30m,2h,5h,10h``); after the
    last one the delivery is given up."""
    webhook_disable_after: int = 50
    """Failed attempts in a row after which an endpoint is disabled."""
    webhook_rotation_overlap: float = 86400.0
    """Seconds after a secret rotation during which deliveries carry both signatures."""
    store: str = "memory"
    """Where the state lives: ``memory`` (this process only, lost on exit) or a Redis URL
    (``redis://host:6379/0``, ``rediss://``, ``unix://``) shared by every worker and server
    that names it, and kept as long as Redis keeps it."""
    namespace: str = "rivya-mock"
    """The prefix of every key in a Redis store, so several mocks can share one Redis."""
    workers: int = 1
    """Server processes ``rivya-mock serve`` runs; more than one needs a Redis store."""
    replay: str | None = None
    """A cassette file, or a folder holding one, whose recorded answers the API gives
    (``rivya-mock serve --replay DIR``); the clock is then virtual."""

    def replace(self, **changes: Any) -> MockConfig:
        """Return a copy with ``changes`` applied and checked."""
        return from_mapping(changes, base=self)


FIELDS = {f.name: f for f in dataclasses.fields(MockConfig)}
"""Every setting's field, by name."""


_DURATION = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|h)?")
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def parse_schedule(value: Any) -> tuple[float, ...]:
    """Parse a retry schedule: ``"5s,5m,30m"``, ``"5,300"`` or a list of seconds."""
    items = value if isinstance(value, list | tuple) else str(value).split(",")
    schedule = []
    for item in items:
        if isinstance(item, int | float) and not isinstance(item, bool):
            schedule.append(float(item))
            continue
        found = _DURATION.fullmatch(str(item).strip())
        if found is None:
            raise ValueError(f"expected durations such as 5s,5m,30m; got {item!r}")
        schedule.append(float(found.group(1)) * _DURATION_UNITS[found.group(2)])
    return tuple(schedule)


def convert(name: str, value: Any) -> Any:
    """Turn a value from TOML, env or a flag into the field's type."""
    if name == "webhook_retry_schedule":
        return parse_schedule(value)
    if name == "rate_limit":
        if value is None or isinstance(value, RateLimit):
            return value
        return RateLimit.parse(str(value))
    if name == "surcharges":
        if isinstance(value, Mapping):
            return {str(k): int(v) for k, v in value.items()}
        pairs = [p for p in str(value).split(",") if p.strip()]
        if not all("=" in p for p in pairs):
            raise ValueError(f"expected model:param=credits[,...], got {value!r}")
        return {k.strip(): int(v) for k, v in (p.split("=", 1) for p in pairs)}
    if name == "model_cards":
        if isinstance(value, str):
            value = json.loads(value)  # a flag or variable holds the cards as JSON
        if isinstance(value, Mapping):
            value = [value]
        if not isinstance(value, list | tuple) or not all(isinstance(v, Mapping) for v in value):
            raise ValueError("expected model cards as JSON objects (TOML tables); see models_dir")
        return tuple(dict(card) for card in value)
    default = FIELDS[name].default
    nullable = (
        "queued_seconds",
        "processing_seconds",
        "admin_token",
        "models_dir",
        "seed",
        "replay",
    )
    if name in nullable and value in (
        None,
        "",
    ):
        return None
    if isinstance(default, bool) or name in ("virtual_clock", "coerce_selects"):
        if isinstance(value, bool):
            return value
        lowered = str(value).strip().lower()
        if lowered not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
            raise ValueError(f"{name}: expected true or false, got {value!r}")
        return lowered in ("1", "true", "yes", "on")
    if name in ("queued_seconds", "processing_seconds") or isinstance(default, float):
        return float(value)
    if isinstance(default, int) or name == "seed":
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(f"expected a whole number, got {value!r}")
        return int(value)
    return str(value)


def _check(config: MockConfig) -> MockConfig:
    problems = []
    if not 0.0 <= config.failure_rate <= 1.0:
        problems.append("failure_rate must be between 0 and 1")
    if not 0.0 <= config.metered_usage <= 1.0:
        problems.append("metered_usage must be between 0 and 1")
    if config.credits < 0:
        problems.append("credits must not be negative")
    for name in ("queued_seconds", "processing_seconds"):
        value = getattr(config, name)
        if value is not None and value < 0:
            problems.append(f"{name} must not be negative")
    if config.create_status not in (200, 201, 202):
        problems.append("create_status must be 200, 201 or 202")
    if config.upload_status not in (200, 201):
        problems.append("upload_status must be 200 or 201")
    if config.references not in ("strict", "lenient"):
        problems.append("references must be strict or lenient")
    if config.unknown_params not in ("reject", "ignore"):
        problems.append("unknown_params must be reject or ignore")
    if config.log_level not in ("debug", "info", "warning", "error"):
        problems.append("log_level must be debug, info, warning or error")
    if config.log_format not in ("text", "json"):
        problems.append("log_format must be text or json")
    if not config.api_key.startswith("rvya_sk_"):
        problems.append("api_key must start with rvya_sk_")
    if not 0 <= config.port <= 65535:
        problems.append("port must be 0..65535")
    if not config.body_timeout > 0:
        problems.append("body_timeout must be positive")
    if min(config.max_body_bytes, config.max_tasks, config.journal_size) < 1:
        problems.append("max_body_bytes, max_tasks and journal_size must be positive")
    if min(config.header_timeout, config.idle_timeout) <= 0:
        problems.append("header_timeout and idle_timeout must be positive")
    if min(config.max_head_bytes, config.max_connections) < 1:
        problems.append("max_head_bytes and max_connections must be positive")
    if config.journal_max_bytes < 1:
        problems.append("journal_max_bytes must be positive")
    if not config.webhook_timeout > 0 or config.webhook_disable_after < 1:
        problems.append("webhook_timeout and webhook_disable_after must be positive")
    if config.webhook_rotation_overlap < 0 or min(config.webhook_retry_schedule, default=0) < 0:
        problems.append("webhook_rotation_overlap and webhook_retry_schedule must not be negative")
    for name in ("idempotency_ttl", "task_ttl", "file_ttl", "max_file_bytes"):
        if getattr(config, name) < 0:
            problems.append(f"{name} must not be negative")
    if config.store != "memory" and not config.store.startswith(REDIS_SCHEMES):
        problems.append(f"store must be memory or a redis:// URL, got {config.store!r}")
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", config.namespace):
        problems.append("namespace must be 1 to 64 letters, digits, '_', '.' or '-'")
    if config.workers < 1:
        problems.append("workers must be at least 1")
    elif config.workers > 1 and config.store == "memory":
        problems.append(
            f"workers {config.workers} needs a shared store: each worker would keep a state "
            "of its own; set store to a Redis URL (--store redis://localhost:6379/0)"
        )
    if problems:
        raise ValueError("; ".join(problems))
    return config


def from_mapping(values: Mapping[str, Any], *, base: MockConfig | None = None) -> MockConfig:
    """Return ``base`` (or the defaults) with ``values`` applied; unknown keys are errors."""
    unknown = sorted(set(values) - set(FIELDS))
    if unknown:
        raise ValueError(f"unknown config keys: {', '.join(unknown)}")
    converted = {}
    for name, value in values.items():
        try:
            converted[name] = convert(name, value)
        except (TypeError, ValueError) as error:
            raise ValueError(f"{name}: {error}") from None
    return _check(dataclasses.replace(base or MockConfig(), **converted))


def field_docs() -> dict[str, str]:
    """Return each field's documentation (the string under it in ``MockConfig``), one line."""
    import ast
    import inspect
    import itertools
    import textwrap

    tree = ast.parse(textwrap.dedent(inspect.getsource(MockConfig)))
    docs: dict[str, str] = {}
    body = tree.body[0].body  # type: ignore[attr-defined]
    for node, following in itertools.pairwise(body):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            docs[node.target.id] = " ".join(following.value.value.replace("``", "").split())
    return docs
