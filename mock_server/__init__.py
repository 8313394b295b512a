"""An offline mock of the Rivya Public API v1, in process or over HTTP.

>>> from rivya_contract.mock_server import Mock
>>> mock = Mock()
>>> reply = mock.api.handle("GET", "/api/v1/credits",
...                         headers={"Authorization": f"Bearer {mock.config.api_key}"})
>>> reply.status
200
"""

from starlette.applications import Starlette

from rivya_contract.mock_server.config import MockConfig
from rivya_contract.mock_server.exchange import ApiError, Call, Reply
from rivya_contract.mock_server.mock import DEMO_ACCOUNT, Mock
from rivya_contract.mock_server.ratelimit import RateLimit

__all__ = [
    "DEMO_ACCOUNT",
    "ApiError",
    "Call",
    "Mock",
    "MockConfig",
    "RateLimit",
    "Reply",
    "create_app",
]


def create_app(config: MockConfig | None = None) -> Starlette:
    """Return the Starlette app of a new mock built from ``config``."""
    return Mock(config).app
