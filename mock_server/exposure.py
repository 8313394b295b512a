"""The control plane's guard: a mock reachable beyond this machine always has an admin token.

``rivya-mock serve`` on a loopback address (``127.0.0.1``, ``::1``, ``localhost``)
serves the control API as configured. On any other address (``0.0.0.0``, a LAN
address) without ``--admin-token``, it generates a random token and prints it, so
reset, keys, balances and the journal are never open to the network by default.
"""

from __future__ import annotations

import ipaddress
import secrets

from rivya_contract.mock_server.config import MockConfig

TOKEN_BYTES = 24
"""Random bytes in a generated admin token (32 URL-safe characters)."""


def is_loopback(host: str) -> bool:
    """Return whether ``host`` (a name or an address) is reachable only from this machine."""
    name = host.strip().strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:  # another name: it may resolve anywhere
        return False


def guarded(config: MockConfig) -> tuple[MockConfig, str | None]:
    """Return the config to serve and the admin token generated for it, if one was needed."""
    if not config.control or config.admin_token is not None or is_loopback(config.host):
        return config, None
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return config.replace(admin_token=token), token
