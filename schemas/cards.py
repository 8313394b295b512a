"""Model cards and upload policies: typed views of the data files in ``schemas/``."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry

from rivya_contract.schemas.checks import Check, compile_check
from rivya_contract.schemas.steps import StepValidator

REFERENCE_ITEMS = "referenceMediaItems"
"""The params key that carries reference files."""

PROMPT_CHARACTERS = r"^[^\x00\ud800-\udfff]*$"
"""A prompt holds no NUL and no unpaired surrogate (a lone ``\\ud800`` JSON escape)."""


@dataclass(frozen=True)
class KindPolicy:
    """The limits for one kind of file: largest size, accepted MIME types, duration token."""

    max_bytes: int
    mime_types: tuple[str, ...]
    duration_token_required: bool = False
    """Whether a reference of this kind must carry its upload's ``durationToken``."""


@dataclass(frozen=True)
class UploadPolicy:
    """How many reference files are accepted, and of which kinds, sizes and types."""

    max_files: int
    kinds: Mapping[str, KindPolicy]
    roles: tuple[str, ...] = ()
    """Documented roles of the references, by position (``first_frame``, ``last_frame``)."""

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> UploadPolicy:
        """Build a policy from its JSON form (``upload-policy.schema.json``)."""
        kinds = {
            name: KindPolicy(
                int(spec["max_bytes"]),
                tuple(spec["mime_types"]),
                bool(spec.get("duration_token_required", False)),
            )
            for name, spec in raw["kinds"].items()
        }
        roles = tuple(raw.get("roles", ()))
        return cls(max_files=int(raw["max_files"]), kinds=kinds, roles=roles)

    def largest(self) -> int:
        """Return the largest size any kind accepts."""
        return max(kind.max_bytes for kind in self.kinds.values())


@dataclass(frozen=True)
class Surcharge:
    """Extra credits charged when ``param`` equals ``value`` in one of ``modes``."""

    param: str
    value: str
    modes: tuple[str, ...]
    credits: int


@dataclass(frozen=True)
class Metering:
    """How a METERED model's credits follow from a request (``model-card.schema.json``)."""

    unit: str
    source: str
    """``prompt``, ``params.<key>`` or ``params.<array>[].<key>``."""
    credits_per_unit: Decimal

    def units(self, body: Mapping[str, Any], params: Mapping[str, Any]) -> Decimal:
        """Count the units of a request: characters of its text, or seconds of a number."""
        if self.source == "prompt":
            values: list[Any] = [body.get("prompt") or ""]
        else:
            path = self.source.removeprefix("params.")
            key, _, inner = path.partition("[].")
            found = params.get(key)
            if inner:
                items = found if isinstance(found, list) else []
                values = [item.get(inner) for item in items if isinstance(item, dict)]
            else:
                values = [found]
        total = Decimal(0)
        for value in values:
            if isinstance(value, str):
                total += len(value)
            elif isinstance(value, int | float) and not isinstance(value, bool):
                total += Decimal(repr(value))
        return total

    def credits(self, base: int, body: Mapping[str, Any], params: Mapping[str, Any]) -> int:
        """Return ``max(base, ceil(units x credits_per_unit))``."""
        used = self.units(body, params) * self.credits_per_unit
        return max(base, int(used.to_integral_value(rounding=ROUND_CEILING)))


@dataclass(frozen=True)
class ModelCard:
    """One public model: listing facts, price, prompt limit, params schema and upload policy."""

    id: str
    category: str
    billing_type: str
    base_credits: int
    max_prompt_length: int | None
    prompt_required: bool
    supported_modes: tuple[str, ...]
    reference_mode: str | None
    upload_policy: UploadPolicy | None
    params_schema: dict[str, Any]
    """The params JSON Schema, with ``referenceMediaItems`` derived from the upload policy."""
    request_schema: dict[str, Any]
    """The full request schema for this model: the envelope narrowed by this card."""
    defaults: Mapping[str, Any]
    surcharges: tuple[Surcharge, ...]
    output_mime_type: str
    output_count: int
    ratio_param: str | None
    queued_seconds: float
    processing_seconds: float
    raw: Mapping[str, Any] = field(repr=False)
    request_validator: Draft202012Validator = field(repr=False, compare=False)
    request_check: Check | None = field(default=None, repr=False, compare=False)
    """``request_validator``'s verdict alone, compiled to plain checks (``checks.py``)."""
    api_status: str = "available"
    metering: Metering | None = None
    output: Mapping[str, Any] = field(default_factory=dict, repr=False)
    """The card's ``output``: mime_type, count and the params that shape the result."""

    @classmethod
    def from_raw(
        cls, raw: Mapping[str, Any], schemas: Mapping[str, Any], registry: Registry[Any]
    ) -> ModelCard:
        """Build a card from its data file, deriving its params and request schemas."""
        policy = UploadPolicy.from_raw(raw["upload_policy"]) if raw["upload_policy"] else None
        params_schema = copy.deepcopy(raw["params"])
        for spec in params_schema["properties"].values():
            step = spec.get("x-step")
            start = Decimal(repr(spec.get("minimum", 0)))
            whole = Decimal(step or "0.5") % 1 == 0 and start % 1 == 0
            if step is not None and whole:
                # A whole step is exact as multipleOf, which every JSON Schema reader knows.
                spec["multipleOf"] = int(Decimal(step))
        if policy is not None:
            params_schema["properties"][REFERENCE_ITEMS] = {
                "type": "array",
                "maxItems": policy.max_files,
                "items": reference_item_schema(schemas["reference-media-item"], policy),
            }
        prompt: dict[str, Any] = {
            "type": "string",
            "minLength": 1,
            "pattern": r"\S",
            "allOf": [{"pattern": PROMPT_CHARACTERS}],
        }
        if raw["max_prompt_length"] is not None:
            prompt["maxLength"] = raw["max_prompt_length"]
        required = ["model"]
        if raw["prompt_required"]:
            required.append("prompt")
        if raw.get("params_required", False):
            required.append("params")
        request_schema = _request_schema(
            schemas["generation-request"], raw["id"], required, prompt, params_schema
        )
        validator = StepValidator(request_schema, registry=registry)
        defaults = {
            key: spec["default"]
            for key, spec in raw["params"]["properties"].items()
            if "default" in spec
        }
        surcharges = tuple(
            Surcharge(s["param"], s["value"], tuple(s["modes"]), s["credits"])
            for s in raw.get("surcharges", [])
        )
        return cls(
            id=raw["id"],
            category=raw["category"],
            billing_type=raw["billing_type"],
            base_credits=raw["base_credits"],
            max_prompt_length=raw["max_prompt_length"],
            prompt_required=raw["prompt_required"],
            supported_modes=tuple(raw["supported_modes"]),
            reference_mode=raw.get("reference_mode"),
            upload_policy=policy,
            params_schema=params_schema,
            request_schema=request_schema,
            defaults=defaults,
            surcharges=surcharges,
            output_mime_type=raw["output"]["mime_type"],
            output_count=raw["output"]["count"],
            ratio_param=raw["output"].get("ratio_param"),
            queued_seconds=float(raw["simulation"]["queued_seconds"]),
            processing_seconds=float(raw["simulation"]["processing_seconds"]),
            raw=raw,
            request_validator=validator,
            request_check=compile_check(request_schema, validator),
            api_status=raw["api_status"],
            metering=_metering(raw.get("metering")),
            output=raw["output"],
        )

    def resolved_params(self, params: Mapping[str, Any] | None) -> dict[str, Any]:
        """Return ``params`` with the card's defaults filled in for missing keys."""
        merged = dict(self.defaults)
        if params:
            merged.update(params)
        return merged

    def mode(self, params: Mapping[str, Any] | None) -> str:
        """Return the mode a request runs in: the reference mode when it carries references."""
        if params and params.get(REFERENCE_ITEMS) and self.reference_mode:
            return self.reference_mode
        return self.supported_modes[0]

    def price(
        self,
        params: Mapping[str, Any] | None,
        surcharges: Mapping[str, int] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> int:
        """Return the credits a request reserves.

        FIXED: the base credits plus the surcharges that apply. METERED: the
        metering's amount for the request (``body``, for a prompt-counted
        model). ``surcharges`` overrides the card's surcharge amounts, keyed
        ``"<model>:<param>"`` (for example ``"grok-imagine:enable_pro"``).
        """
        resolved = self.resolved_params(params)
        mode = self.mode(params)
        total = self.base_credits
        if self.metering is not None:
            total = self.metering.credits(self.base_credits, body or {}, resolved)
        for extra in self.surcharges:
            if mode in extra.modes and resolved.get(extra.param) == extra.value:
                key = f"{self.id}:{extra.param}"
                total += (surcharges or {}).get(key, extra.credits)
        return total

    def listing(self) -> dict[str, Any]:
        """Return this model's entry in ``GET /api/v1/models``."""
        raw = self.raw
        policy = self.upload_policy
        reference_media = None
        if policy is not None:
            reference_media = {
                "max_files": policy.max_files,
                "kinds": [
                    {
                        "kind": name,
                        "max_bytes": k.max_bytes,
                        "mime_types": list(k.mime_types),
                        "duration_token_required": k.duration_token_required,
                    }
                    for name, k in policy.kinds.items()
                ],
                "roles": list(policy.roles),
            }
        upload_modes = [self.reference_mode] if policy and self.reference_mode else []
        return {
            "id": self.id,
            "display_name": raw["display_name"],
            "category": self.category,
            "runtime": "async_task",
            "base_credits": self.base_credits,
            "billing_type": self.billing_type,
            "supported_modes": list(self.supported_modes),
            "max_prompt_length": self.max_prompt_length,
            "reference_media": reference_media,
            "params": [
                _param_entry(key, spec, raw["params"])
                for key, spec in raw["params"]["properties"].items()
            ],
            "api_status": raw["api_status"],
            "api_input_status": raw["api_input_status"],
            "supported_api_inputs": list(raw["supported_api_inputs"]),
            "requires_files_api": policy is not None,
            "requires_upload_for_modes": upload_modes,
            "url_input_supported": raw["url_input_supported"],
            "file_kinds": sorted(policy.kinds) if policy else [],
            "chat_capabilities": None,
            "notices": list(raw.get("notices", [])),
        }


def reference_item_schema(item: Mapping[str, Any], policy: UploadPolicy) -> dict[str, Any]:
    """Return the reference item schema narrowed to the kinds ``policy`` accepts.

    A whole copy of ``reference-media-item``, not an ``allOf`` over it, so that
    client generators read one plain object per model.
    """
    narrowed = {k: copy.deepcopy(v) for k, v in item.items() if k not in ("$id", "$schema")}
    narrowed["properties"]["kind"]["enum"] = sorted(policy.kinds)
    return narrowed


def _request_schema(
    envelope: Mapping[str, Any],
    model: str,
    required: list[str],
    prompt: dict[str, Any],
    params: dict[str, Any],
) -> dict[str, Any]:
    """Return one model's whole request schema: the envelope's fields narrowed by its card.

    The fields are copied rather than combined with ``allOf``: each model's request
    is one closed object whose ``model`` is a constant, the shape generators handle.
    """
    fields = copy.deepcopy(envelope["properties"])
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"{model} request",
        "type": "object",
        "required": required,
        "properties": {
            **fields,
            "model": {**fields["model"], "const": model},
            "prompt": {**fields["prompt"], **prompt},
            "params": {**params, "description": fields["params"]["description"]},
        },
        "additionalProperties": False,
    }


def _param_entry(key: str, spec: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"key": key, "required": key in params.get("required", [])}
    if "enum" in spec:
        entry["type"] = "select"
        entry["options"] = list(spec["enum"])
    elif spec.get("type") in ("number", "integer"):
        entry["type"] = "number"
        for source, target in (("minimum", "min"), ("maximum", "max")):
            if source in spec:
                entry[target] = spec[source]
        if "x-step" in spec:
            step = Decimal(spec["x-step"])
            entry["step"] = int(step) if step == step.to_integral_value() else float(step)
    elif spec.get("type") == "array":
        entry["type"] = "array"
    else:
        entry["type"] = "text"
    if "default" in spec:
        entry["default"] = spec["default"]
    return entry


def _metering(raw: Mapping[str, Any] | None) -> Metering | None:
    if raw is None:
        return None
    return Metering(raw["unit"], raw["source"], Decimal(raw["credits_per_unit"]))
