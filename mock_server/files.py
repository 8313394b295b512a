"""POST /api/v1/files, GET /api/v1/files/{fileId}, and the uploaded files' urls."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rivya_contract.mock_server.clock import iso
from rivya_contract.mock_server.exchange import ApiError, Call, Reply
from rivya_contract.mock_server.ids import same_token
from rivya_contract.mock_server.records import StoredFile
from rivya_contract.mock_server.references import file_path

if TYPE_CHECKING:
    from rivya_contract.mock_server.backend import Backend


def file_view(stored: StoredFile, base_url: str) -> dict[str, Any]:
    """Return the public file object (PublicApiFile)."""
    return {
        "id": stored.id,
        "url": base_url + file_path(stored),
        "kind": stored.kind,
        "name": stored.name,
        "mime_type": stored.mime_type,
        "size_bytes": stored.size_bytes,
        "created_at": iso(stored.created_at),
        "duration_token": stored.duration_token,
    }


def upload(call: Call, backend: Backend) -> Reply:
    """Store an uploaded reference file; answer its public object."""
    assert call.account_id is not None
    stored = backend.upload(call.account_id, call.upload)
    return Reply.json(call.ok, file_view(stored, call.base_url))


def metadata(call: Call, backend: Backend) -> Reply:
    """Answer a file of the caller's account."""
    stored = backend.file(call.account_id, call.path_params["fileId"])
    return Reply.json(call.ok, file_view(stored, call.base_url))


def content(call: Call, backend: Backend) -> Reply:
    """Serve an uploaded file's bytes at its url: its id and its unguessable token."""
    stored = backend.file(None, call.path_params["fileId"])
    if not same_token(call.path_params["token"], stored.token):
        raise ApiError("not_found", "No such file.")
    return Reply(call.ok, stored.data, content_type=stored.mime_type)
