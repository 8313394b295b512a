"""Strategies for ``POST /api/v1/files`` uploads, each paired with the outcome the API must give.

Limits come from the contract's upload policies (the Files API defaults and
each model card's own); file bytes are the real minimal files of
``mock_server.media.sample``, so an accepted upload is one a real server would
accept too.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from hypothesis import strategies as st

from rivya_contract.mock_server import media
from rivya_contract.mock_server.sniff import detect_mime, extension_mime, same_type
from rivya_contract.plugin.invalid_requests import VALIDATION_FAILED
from rivya_contract.schemas import UploadPolicy, contract

Variant = Literal["accepted", "spoofed", "empty", "oversize", "wrong_kind"]
VARIANTS: tuple[Variant, ...] = ("accepted", "spoofed", "empty", "oversize", "wrong_kind")
"""Every kind of upload ``uploads`` draws."""

NAME_CHARACTERS = st.characters(categories=["L", "N"], codec="utf-8") | st.sampled_from("-_ ")


@dataclass(frozen=True)
class UploadCase:
    """One upload (form fields and file) and the outcome the API must give."""

    variant: Variant
    kind: str
    """The ``kind`` form field as sent (possibly not a valid kind)."""
    model: str | None
    """The ``model`` form field, or None to leave it out."""
    filename: str
    content_type: str
    """The file part's declared type."""
    data: bytes = field(repr=False)
    mime_type: str | None
    """The type the API detects, for an accepted upload; None otherwise."""
    code: str | None
    """The error code for a rejected upload; None when it is accepted."""
    defect: str
    """What is wrong with it, in words (empty when accepted)."""

    @property
    def accepted(self) -> bool:
        """Whether the API must store the file."""
        return self.code is None

    def form(self) -> dict[str, str]:
        """Return the text form fields, in the order to send them (before the file)."""
        fields = {"kind": self.kind}
        if self.model is not None:
            fields["model"] = self.model
        return fields

    def files(self) -> dict[str, tuple[str, bytes, str]]:
        """Return the file part, as httpx's and requests' ``files=`` take it."""
        return {"file": (self.filename, self.data, self.content_type)}

    def __repr__(self) -> str:
        outcome = "accepted" if self.accepted else f"{self.code}: {self.defect}"
        return (
            f"UploadCase({self.variant}, kind={self.kind!r}, model={self.model!r}, "
            f"filename={self.filename!r}, content_type={self.content_type!r}, "
            f"{len(self.data)} bytes -> {outcome})"
        )


def _policy(model: str | None) -> UploadPolicy:
    if model is None:
        return contract().default_upload_policy
    card = contract().cards.get(model)
    if card is None:
        raise ValueError(f"no model card for {model!r}")
    policy = card.upload_policy
    if policy is None:
        raise ValueError(f"{model} takes no uploads")
    return policy


@cache
def _extensions(mime: str) -> tuple[str, ...]:
    """File extensions the API reads as ``mime``."""
    known = sorted(set(mimetypes.types_map))
    return tuple(e for e in known if same_type(extension_mime("f" + e) or "", mime))


@cache
def _samples() -> dict[str, bytes]:
    """Return a real minimal file for every MIME type some policy accepts."""
    found: dict[str, bytes] = {}
    policies = [contract().default_upload_policy]
    policies += [c.upload_policy for c in contract().cards.values() if c.upload_policy]
    for policy in policies:
        for kind in policy.kinds.values():
            for mime in kind.mime_types:
                try:
                    found.setdefault(mime, media.sample(mime))
                except ValueError:
                    continue
    return found


def _name(draw: st.DrawFn, mime: str) -> str:
    stem = draw(st.text(NAME_CHARACTERS, min_size=1, max_size=12).filter(str.strip))
    extensions = _extensions(mime)
    return stem + (draw(st.sampled_from(extensions)) if extensions else "")


def _kind_of(mime: str) -> str | None:
    for name, kind in contract().default_upload_policy.kinds.items():
        if any(same_type(mime, m) for m in kind.mime_types):
            return name
    return None


def _accepted(draw: st.DrawFn, model: str | None) -> UploadCase:
    policy = _policy(model)
    kind = draw(st.sampled_from(sorted(policy.kinds)))
    mimes = [m for m in policy.kinds[kind].mime_types if m in _samples()]
    mime = draw(st.sampled_from(mimes))
    declared = draw(st.sampled_from([mime, "application/octet-stream"]))
    data = _samples()[mime]
    detected = detect_mime(data)
    return UploadCase(
        "accepted", kind, model, _name(draw, mime), declared, data, detected, None, ""
    )


def _rejected(
    variant: Variant, kind: str, model: str | None, name: str, declared: str, data: bytes, why: str
) -> UploadCase:
    return UploadCase(variant, kind, model, name, declared, data, None, VALIDATION_FAILED, why)


def _spoofed(draw: st.DrawFn, model: str | None) -> UploadCase:
    good = _accepted(draw, model)
    assert good.mime_type is not None
    others = [m for m in _samples() if not same_type(m, good.mime_type)]
    real = draw(st.sampled_from([*others, "text/plain"]))
    data = b"just some text, not media\n" if real == "text/plain" else _samples()[real]
    why = f"{real} content sent as {good.mime_type}"
    name = _name(draw, good.mime_type)
    return _rejected("spoofed", good.kind, model, name, good.mime_type, data, why)


def _empty(draw: st.DrawFn, model: str | None) -> UploadCase:
    good = _accepted(draw, model)
    return _rejected("empty", good.kind, model, good.filename, good.content_type, b"", "no bytes")


def _oversize(draw: st.DrawFn, model: str | None) -> UploadCase:
    good = _accepted(draw, model)
    limit = _policy(model).kinds[good.kind].max_bytes
    extra = draw(st.integers(1, 1024))
    data = good.data + bytes(limit + extra - len(good.data))
    why = f"{len(data)} bytes, over the {limit}-byte limit for {good.kind}"
    return _rejected("oversize", good.kind, model, good.filename, good.content_type, data, why)


def _wrong_kind(draw: st.DrawFn, model: str | None) -> UploadCase:
    policy = _policy(model)
    default_kinds = contract().default_upload_policy.kinds
    mime = draw(st.sampled_from(sorted(_samples())))
    actual = _kind_of(mime)
    sent_kinds = [k for k in default_kinds if k != actual]
    unknown = st.text(NAME_CHARACTERS, min_size=1, max_size=10).filter(
        lambda k: k not in default_kinds
    )
    kind = draw(st.one_of(st.sampled_from(sent_kinds), unknown))
    if kind not in default_kinds:
        why = f"kind {kind!r} is not a kind"
    elif kind not in policy.kinds:
        why = f"{model or 'the Files API'} takes no {kind} files"
    else:
        why = f"{mime} content sent as kind {kind}"
    return _rejected("wrong_kind", kind, model, _name(draw, mime), mime, _samples()[mime], why)


_BUILDERS = {
    "accepted": _accepted,
    "spoofed": _spoofed,
    "empty": _empty,
    "oversize": _oversize,
    "wrong_kind": _wrong_kind,
}


def uploads(
    models: Iterable[str | None] | None = None,
    *,
    variants: Sequence[Variant] = VARIANTS,
) -> st.SearchStrategy[UploadCase]:
    """Draw uploads for ``POST /api/v1/files``, each with the outcome the API must give.

    ``models`` are the ``model`` form fields to use (None: no model field,
    so the Files API defaults apply); by default, no model and every model
    that takes uploads. ``variants`` picks what to draw:

    - ``accepted``: a real minimal file of a type the policy takes, declared
      as its own type or ``application/octet-stream``, named with a matching
      extension;
    - ``spoofed``: another type's bytes (or plain text) declared and named as
      an accepted type;
    - ``empty``: no bytes at all;
    - ``oversize``: a real file padded one byte or more past its kind's limit;
    - ``wrong_kind``: a ``kind`` field that is unknown, that the policy does
      not take, or that does not match the content.

    Every rejected upload is ``validation_failed``.
    """
    owners = list(models) if models is not None else [None, *_upload_models()]
    for owner in owners:
        _policy(owner)
    unknown = [v for v in variants if v not in _BUILDERS]
    if unknown or not variants:
        raise ValueError(f"unknown upload variants: {unknown or 'none given'}")

    @st.composite
    def build(draw: st.DrawFn) -> UploadCase:
        owner = draw(st.sampled_from(owners))
        variant = draw(st.sampled_from(list(variants)))
        return _BUILDERS[variant](draw, owner)

    return build()


def _upload_models() -> list[str]:
    return [card.id for card in contract().cards.values() if card.upload_policy is not None]


def reference_item(file: dict[str, Any]) -> dict[str, Any]:
    """Return the ``params.referenceMediaItems`` entry for an uploaded file (its API object)."""
    item: dict[str, Any] = {"url": file["url"], "kind": file["kind"]}
    if file.get("name"):
        item["name"] = file["name"]
    if file.get("mime_type"):
        item["mimeType"] = file["mime_type"]
    if file.get("duration_token"):
        item["durationToken"] = file["duration_token"]
    return item
