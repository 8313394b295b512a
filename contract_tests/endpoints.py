"""The documented endpoints, named as the drift report names them."""

MODELS = "GET /api/v1/models"
CREATE = "POST /api/v1/generations"
POLL = "GET /api/v1/generations/{taskId}"
UPLOAD = "POST /api/v1/files"
FILE = "GET /api/v1/files/{fileId}"
CREDITS = "GET /api/v1/credits"
OPENAPI = "GET /api/v1/openapi.json"

SCOPED = {
    CREATE: ("POST", "/api/v1/generations", "generations:create"),
    POLL: ("GET", "/api/v1/generations/task_contract_missing", "generations:read"),
    UPLOAD: ("POST", "/api/v1/files", "files:create"),
    FILE: ("GET", "/api/v1/files/file_contract_missing", "files:read"),
    CREDITS: ("GET", "/api/v1/credits", "credits:read"),
}
"""Endpoints that need a key: (method, a concrete path, the scope)."""
