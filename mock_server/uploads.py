"""What the Files API accepts: form fields, kinds, sizes and detected file types."""

from __future__ import annotations

import hashlib

from rivya_contract.mock_server.exchange import ApiError
from rivya_contract.mock_server.multipart import Upload
from rivya_contract.mock_server.sniff import detect_mime, extension_mime, same_type
from rivya_contract.schemas import Contract, UploadPolicy, surface

KINDS = ("image", "video", "audio")
SNIFF_BYTES = 4096
FIELDS = ("kind", "model", "client_request_id")


def _reject(message: str) -> ApiError:
    return ApiError("validation_failed", f"upload rejected: {message}")


def _policy(fields: dict[str, str], c: Contract) -> tuple[UploadPolicy, str]:
    model = fields.get("model")
    if model is None:
        return c.default_upload_policy, "the Files API"
    card = c.cards.get(model)
    if card is None:
        raise _reject(f"model: unknown model {model[:60]!r}")
    if card.upload_policy is None:
        raise _reject(f"model: {model} takes no reference files")
    return card.upload_policy, model


def check_upload(upload: Upload, c: Contract) -> tuple[str, str]:
    """Return (kind, detected MIME type) of an acceptable upload, or raise validation_failed."""
    fields = upload.fields
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise _reject(f"unknown form field {unknown[0][:60]!r}")
    kind = fields.get("kind")
    if kind is None:
        raise _reject("kind is required (image, video or audio)")
    if kind not in KINDS:
        raise _reject(f"kind must be image, video or audio, got {kind[:60]!r}")
    for name, limit in surface()["uploadFile"].limits.items():
        if len(fields.get(name, "")) > limit:
            raise _reject(f"{name} must be at most {limit} characters")
    policy, owner = _policy(fields, c)
    limits = policy.kinds.get(kind)
    if limits is None:
        raise _reject(f"{owner} does not take {kind} files")
    data = upload.file.data
    if len(data) > limits.max_bytes:
        raise _reject(f"{kind} files are limited to {limits.max_bytes} bytes for {owner}")
    detected = detect_mime(data[:SNIFF_BYTES])
    allowed = ", ".join(limits.mime_types)
    if detected is None or not any(same_type(detected, m) for m in limits.mime_types):
        found = f"looks like {detected}" if detected else "has no recognised signature"
        raise _reject(f"the file {found}; {owner} takes {kind} files of type {allowed}")
    declared = upload.file.content_type
    if declared != "application/octet-stream" and not same_type(declared, detected):
        raise _reject(f"declared {declared[:60]} but the content is {detected}")
    claimed = extension_mime(upload.file.filename)
    if claimed is not None and not same_type(claimed, detected):
        raise _reject(f"the name says {claimed} but the content is {detected}")
    return kind, detected


def duration_token(file_id: str, kind: str, data: bytes) -> str | None:
    """Return the ``duration_token`` of an uploaded video or audio file; None for images."""
    if kind not in ("video", "audio"):
        return None
    return "dur_" + hashlib.sha256(file_id.encode() + data[:SNIFF_BYTES]).hexdigest()[:32]
