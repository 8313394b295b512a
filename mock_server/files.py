"""POST /api/v1/files, GET /api/v1/files/{fileId}, and the uploaded files' own urls."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from rivya_contract.mock_server.clock import iso
from rivya_contract.mock_server.exchange import ApiError, Call, Reply
from rivya_contract.mock_server.multipart import Upload
from rivya_contract.mock_server.records import StoredFile
from rivya_contract.mock_server.references import FILE_PATH_PREFIX
from rivya_contract.mock_server.sniff import detect_mime, extension_mime, same_type
from rivya_contract.schemas import UploadPolicy, contract

if TYPE_CHECKING:
    from rivya_contract.mock_server.mock import Mock

KINDS = ("image", "video", "audio")
MAX_CLIENT_REQUEST_ID = 128
SNIFF_BYTES = 4096


def _reject(message: str) -> ApiError:
    return ApiError("validation_failed", f"upload rejected: {message}")


def _policy(fields: dict[str, str]) -> tuple[UploadPolicy, str]:
    model = fields.get("model")
    if model is None:
        return contract().default_upload_policy, "the Files API"
    card = contract().cards.get(model)
    if card is None:
        raise _reject(f"model: unknown model {model[:60]!r}")
    if card.upload_policy is None:
        raise _reject(f"model: {model} takes no reference files")
    return card.upload_policy, model


def check_upload(upload: Upload) -> tuple[str, str]:
    """Return (kind, detected MIME type) of an acceptable upload, or raise validation_failed."""
    fields = upload.fields
    unknown = sorted(set(fields) - {"kind", "model", "client_request_id"})
    if unknown:
        raise _reject(f"unknown form field {unknown[0][:60]!r}")
    kind = fields.get("kind")
    if kind is None:
        raise _reject("kind is required (image, video or audio)")
    if kind not in KINDS:
        raise _reject(f"kind must be image, video or audio, got {kind[:60]!r}")
    if len(fields.get("client_request_id", "")) > MAX_CLIENT_REQUEST_ID:
        raise _reject(f"client_request_id must be at most {MAX_CLIENT_REQUEST_ID} characters")
    policy, owner = _policy(fields)
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


def file_view(stored: StoredFile, base_url: str) -> dict[str, Any]:
    """Return the public file object (PublicApiFile)."""
    return {
        "id": stored.id,
        "url": base_url + FILE_PATH_PREFIX + stored.id,
        "kind": stored.kind,
        "name": stored.name,
        "mime_type": stored.mime_type,
        "size_bytes": stored.size_bytes,
        "created_at": iso(stored.created_at),
        "duration_token": stored.duration_token,
    }


def upload(call: Call, mock: Mock) -> Reply:
    """Store an uploaded reference file after checking its kind, size and signature."""
    parsed: Upload = call.upload
    kind, mime = check_upload(parsed)
    assert call.account_id is not None
    file_id = mock.new_id("file")
    data = parsed.file.data
    token = None
    if kind in ("video", "audio"):
        token = "dur_" + hashlib.sha256(file_id.encode() + data[:SNIFF_BYTES]).hexdigest()[:32]
    stored = StoredFile(
        id=file_id,
        account_id=call.account_id,
        kind=kind,
        name=parsed.file.filename or f"{file_id}",
        mime_type=mime,
        size_bytes=len(data),
        created_at=mock.clock.now(),
        data=data,
        duration_token=token,
    )
    mock.store.add_file(stored)
    mock.store.forget_files(stored.created_at, mock.config.file_ttl, mock.config.max_file_bytes)
    return Reply.json(mock.config.upload_status, file_view(stored, call.base_url))


def metadata(call: Call, mock: Mock) -> Reply:
    """Return a file of the caller's account; any other id is not_found."""
    stored = mock.file(call.path_params["fileId"])
    if stored is None or stored.account_id != call.account_id:
        raise ApiError("not_found", "No such file.")
    return Reply.json(200, file_view(stored, call.base_url))


def content(call: Call, mock: Mock) -> Reply:
    """Serve an uploaded file's bytes at its url."""
    stored = mock.file(call.path_params["fileId"])
    if stored is None:
        raise ApiError("not_found", "No such file.")
    return Reply(200, stored.data, content_type=stored.mime_type)
