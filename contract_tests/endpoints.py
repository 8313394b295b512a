"""The documented endpoints, named as the drift report names them (``METHOD /path``).

Every name and path comes from ``surface.json``.
"""

from rivya_contract.schemas import surface

_API = {op.id: op for op in surface().group("api")}

MODELS = _API["listModels"].name
CREATE = _API["createGeneration"].name
POLL = _API["getGeneration"].name
UPLOAD = _API["uploadFile"].name
FILE = _API["getFile"].name
CREDITS = _API["getCredits"].name
OPENAPI = _API["getOpenApi"].name
WEBHOOKS = _API["createWebhookEndpoint"].name
WEBHOOK_LIST = _API["listWebhookEndpoints"].name
WEBHOOK = _API["getWebhookEndpoint"].name
WEBHOOK_UPDATE = _API["updateWebhookEndpoint"].name
WEBHOOK_DELETE = _API["deleteWebhookEndpoint"].name
WEBHOOK_ROTATE = _API["rotateWebhookSecret"].name
WEBHOOK_TEST = _API["testWebhookEndpoint"].name
WEBHOOK_DELIVERIES = _API["listWebhookDeliveries"].name
WEBHOOK_EVENTS = _API["listWebhookEvents"].name

SCOPED = {
    op.name: (
        op.method,
        op.concrete_path(**{n: n.removesuffix("Id") + "_contract_missing" for n in op.path_params}),
        op.scope,
    )
    for op in _API.values()
    if op.scope is not None
}
"""Endpoints that need a key: (method, a concrete path, the scope)."""
