"""Checks on params.referenceMediaItems: each must name a usable file of the caller's account."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from rivya_contract.mock_server.exchange import ApiError
from rivya_contract.mock_server.ids import same_token
from rivya_contract.mock_server.sniff import same_type
from rivya_contract.schemas import REFERENCE_ITEMS, ModelCard

if TYPE_CHECKING:
    from rivya_contract.mock_server.records import StoredFile

FILE_PATH_PREFIX = "/media/files/"
"""Uploaded files are served under this path: ``/media/files/<file id>/<token>``."""


def file_path(stored: StoredFile) -> str:
    """Return the path of a file's url: its id, then its unguessable token."""
    return f"{FILE_PATH_PREFIX}{stored.id}/{stored.token}"


def file_url_of(url: str) -> tuple[str, str] | None:
    """Return the file id and token a mock file url names, or None for any other url."""
    try:
        path = urlsplit(url).path
    except ValueError:  # not a url at all, such as "http://["
        return None
    if not path.startswith(FILE_PATH_PREFIX):
        return None
    file_id, slash, token = path.removeprefix(FILE_PATH_PREFIX).partition("/")
    if not (file_id and slash and token) or "/" in token:
        return None
    return file_id, token


def _problem(stored: StoredFile, item: dict[str, Any], card: ModelCard) -> tuple[str, str] | None:
    """Return (the item's field at fault, what is wrong), or None for a usable reference."""
    if item["kind"] != stored.kind:
        return "url", f"kind is {item['kind']!r} but the file is {stored.kind!r}"
    policy = card.upload_policy
    kind = policy.kinds.get(stored.kind) if policy else None
    if kind is None:
        return "url", f"{card.id} does not take {stored.kind} references"
    if not any(same_type(stored.mime_type, allowed) for allowed in kind.mime_types):
        return "url", f"{card.id} does not take {stored.mime_type} files"
    if stored.size_bytes > kind.max_bytes:
        return "url", f"the file is larger than {card.id}'s {kind.max_bytes}-byte limit"
    mime = item.get("mimeType")
    if mime is not None and not same_type(mime, stored.mime_type):
        return "url", f"mimeType is {mime!r} but the file is {stored.mime_type!r}"
    token = item.get("durationToken")
    if kind.duration_token_required and token is None:
        return "durationToken", (
            f"is required: {card.id} checks the duration of {stored.kind} references; "
            "send the duration_token of the upload"
        )
    if token is not None and token != stored.duration_token:
        return "durationToken", "does not match the duration_token of the uploaded file"
    return None


def check_references(
    items: list[dict[str, Any]],
    card: ModelCard,
    account_id: str,
    find: Callable[[str, str], StoredFile | None],
    *,
    lenient: bool = False,
) -> None:
    """Raise validation_failed unless every reference item is usable by this account and model.

    ``find(account_id, file_id)`` returns a kept file of the account. Strict
    mode (the default) wants the url of a file this account uploaded to this
    mock; ``lenient`` mode also takes any https url.
    """
    for index, item in enumerate(items):
        where = f"$.params.{REFERENCE_ITEMS}[{index}].url"
        named = file_url_of(item["url"])
        stored = find(account_id, named[0]) if named else None
        if stored is not None and named and not same_token(named[1], stored.token):
            stored = None
        if stored is None:
            if lenient and item["url"].startswith("https://"):
                continue
            raise ApiError(
                "validation_failed",
                f"{where}: must be the url of a file this account uploaded with POST /api/v1/files",
            )
        problem = _problem(stored, item, card)
        if problem is not None:
            field, message = problem
            at = f"$.params.{REFERENCE_ITEMS}[{index}].{field}"
            raise ApiError("validation_failed", f"{at}: {message}")
