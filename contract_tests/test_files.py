"""The Files API: uploads, their metadata, and the limits and signature checks."""

from __future__ import annotations

from typing import Any

import pytest

from rivya_contract.contract_tests.client import ContractClient, expect
from rivya_contract.contract_tests.endpoints import FILE, UPLOAD
from rivya_contract.mock_server import media
from rivya_contract.schemas import contract

UPLOAD_OK = (200, 201)


def upload(api: ContractClient, name: str, data: bytes, mime: str, **fields: str) -> Any:
    """Upload one file and return the response."""
    form = {"kind": "image", **fields}
    return api.request("POST", "/api/v1/files", files={"file": (name, data, mime)}, data=form)


@pytest.mark.parametrize(
    ("name", "mime"),
    [("ref.png", "image/png"), ("ref.jpg", "image/jpeg"), ("ref.webp", "image/webp")],
)
def test_upload_and_read_back(api: ContractClient, name: str, mime: str) -> None:
    stored = expect(
        upload(api, name, media.sample(mime), mime, model="grok-imagine"),
        UPLOAD,
        status=UPLOAD_OK,
        schema="file",
    )
    assert stored["kind"] == "image"
    again = expect(
        api.request("GET", f"/api/v1/files/{stored['id']}"), FILE, status=200, schema="file"
    )
    assert again == stored


REJECTED = {
    "text sent as image/png": ("notes.png", b"just some text, not a picture", "image/png", {}),
    "png renamed .jpg": ("photo.jpg", media.sample("image/png"), "image/jpeg", {}),
    "empty file": ("empty.png", b"", "image/png", {}),
    "unknown kind": ("ref.png", media.sample("image/png"), "image/png", {"kind": "document"}),
    "video for grok-imagine": (
        "clip.mp4",
        media.sample("video/mp4"),
        "video/mp4",
        {"kind": "video", "model": "grok-imagine"},
    ),
}


@pytest.mark.parametrize("case", sorted(REJECTED))
def test_rejected_upload_is_validation_failed(api: ContractClient, case: str) -> None:
    name, data, mime, fields = REJECTED[case]
    expect(
        upload(api, name, data, mime, **fields),
        UPLOAD,
        status=400,
        code="validation_failed",
        check=case,
    )


def test_upload_over_the_model_limit_is_rejected(api: ContractClient) -> None:
    limit = contract().cards["grok-imagine"].upload_policy
    assert limit is not None
    png = media.sample("image/png")
    oversize = png + b"\0" * (limit.kinds["image"].max_bytes + 1 - len(png))
    response = upload(api, "big.png", oversize, "image/png", model="grok-imagine")
    expect(response, UPLOAD, status=400, code="validation_failed")
