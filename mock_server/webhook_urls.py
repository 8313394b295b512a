"""The documented rules for a webhook endpoint's URL.

``check_webhook_url`` answers ``None`` for a URL the API accepts and a short reason for
one it rejects; the endpoint handlers turn the reason into ``400 webhook_url_rejected``.
The API documents: HTTPS only; no credentials, no fragment, no localhost name and no
local-network, private, loopback or reserved address.

Hosts are read the way a browser's URL parser reads them, so that another spelling of a
forbidden address is still that address:

- an IPv4 host may be written in any form ``inet_aton`` accepts: one to four parts, each
  decimal, octal (a leading ``0``) or hexadecimal (``0x``), the last part filling the
  remaining bytes (``2130706433``, ``0177.0.0.1``, ``0x7f.1`` and ``127.1`` are all
  ``127.0.0.1``); a host whose last label is a number and that is not such an address is
  malformed;
- an IPv6 host is judged by the IPv4 address it embeds when it has one: IPv4-mapped
  (``::ffff:127.0.0.1``) and NAT64 (``64:ff9b::/96``) addresses reach that IPv4 host and are
  accepted exactly when it is; the deprecated IPv4-compatible (``::a.b.c.d``) and 6to4
  (``2002::/16``) forms are always rejected, naming the embedded address when it is private;
- a host name is lower-cased, loses one trailing dot and, when it is not ASCII, is mapped
  with IDNA (so ``localhost`` spelled in full-width letters is ``localhost``);
  percent-encoded hosts, whitespace, control and invisible characters and backslashes are
  rejected outright.

The address classes come from the IANA special-purpose registries, written out here rather
than read from ``ipaddress``'s ``is_private`` / ``is_global``, whose tables differ between
Python patch releases (3.11.7 calls ``64:ff9b::7f00:1`` and ``2002:7f00:1::`` global).

Host names are never resolved: a public name whose DNS points at a private address
(``127.0.0.1.nip.io``) passes here; only a check at connection time could catch it.
Names under the local-use suffixes (``.local``, ``.internal``, ``.lan``, ``.home.arpa`` and
the like), ``localhost`` and ``*.localhost``, single-label names, ``.invalid`` and
``.arpa`` are rejected; the test and documentation names (``.test``, ``example.com``) are
accepted, since they are neither local nor an address, and tests use them.

>>> check_webhook_url("https://example.com/rivya/webhook", allow_local_http=False) is None
True
>>> check_webhook_url("https://0177.1:8443/hook", allow_local_http=False)
'the host 0177.1 is 127.0.0.1, a loopback address'
>>> check_webhook_url("http://127.0.0.1:8001/hook", allow_local_http=True) is None
True
"""

from __future__ import annotations

import re
import unicodedata
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

__all__ = ["MAX_URL_LENGTH", "check_webhook_url"]

MAX_URL_LENGTH = 2048
"""The longest webhook URL accepted, in characters."""

_LOOPBACK = "a loopback address"

_IPV4_CLASSES: tuple[tuple[IPv4Network, str], ...] = tuple(
    (IPv4Network(network), label)
    for network, label in (
        ("0.0.0.0/32", "the unspecified address"),
        ("0.0.0.0/8", "a 'this network' address"),
        ("10.0.0.0/8", "a private address"),
        ("100.64.0.0/10", "a shared (carrier-grade NAT) address"),
        ("127.0.0.0/8", _LOOPBACK),
        ("169.254.169.254/32", "a link-local address (cloud metadata)"),
        ("169.254.0.0/16", "a link-local address"),
        ("172.16.0.0/12", "a private address"),
        ("192.0.0.0/24", "an IETF protocol assignment"),
        ("192.0.2.0/24", "a documentation address"),
        ("192.88.99.0/24", "a deprecated 6to4 relay address"),
        ("192.168.0.0/16", "a private address"),
        ("198.18.0.0/15", "a benchmarking address"),
        ("198.51.100.0/24", "a documentation address"),
        ("203.0.113.0/24", "a documentation address"),
        ("224.0.0.0/4", "a multicast address"),
        ("255.255.255.255/32", "the broadcast address"),
        ("240.0.0.0/4", "a reserved address"),
    )
)
"""Every IPv4 range a webhook may not point at, the most specific first."""

_IPV6_CLASSES: tuple[tuple[IPv6Network, str], ...] = tuple(
    (IPv6Network(network), label)
    for network, label in (
        ("::/128", "the unspecified address"),
        ("::1/128", _LOOPBACK),
        ("::/96", "a deprecated IPv4-compatible address"),
        ("64:ff9b:1::/48", "a local-use NAT64 address"),
        ("::/8", "a reserved address"),
        ("100::/64", "a discard-only address"),
        ("2001::/32", "a Teredo address"),
        ("2001:2::/48", "a benchmarking address"),
        ("2001::/23", "an IETF protocol assignment"),
        ("2001:db8::/32", "a documentation address"),
        ("2002::/16", "a deprecated 6to4 address"),
        ("3fff::/20", "a documentation address"),
        ("fc00::/7", "a unique local (private) address"),
        ("fe80::/10", "a link-local address"),
        ("fec0::/10", "a deprecated site-local address"),
        ("ff00::/8", "a multicast address"),
    )
)
"""Every IPv6 range a webhook may not point at, the most specific first."""

_GLOBAL_UNICAST = IPv6Network("2000::/3")
_NAT64 = IPv6Network("64:ff9b::/96")
_IPV4_COMPATIBLE = IPv6Network("::/96")

_LOCAL_SUFFIXES = (
    "local",
    "localdomain",
    "internal",
    "intranet",
    "lan",
    "home",
    "corp",
    "home.arpa",
)
"""Suffixes of names that only resolve on a local network (mDNS, private-use, RFC 8375)."""

_RESERVED_SUFFIXES = ("invalid", "arpa")
"""Suffixes of names that never name a webhook receiver (RFC 6761, DNS infrastructure)."""

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_AUTHORITY_END = re.compile(r"[/?]")
_PORT = re.compile(r":([0-9]{1,5})")
_LABEL = re.compile(r"[a-z0-9_-]{1,63}")
_HEX_NUMBER = re.compile(r"0x[0-9a-f]*")
_OCTAL_NUMBER = re.compile(r"0[0-7]*")
_DECIMAL_NUMBER = re.compile(r"[0-9]+")

_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"})
"""Unicode categories a URL may not contain: controls, format, surrogates, unassigned, spaces."""


def check_webhook_url(url: str, *, allow_local_http: bool) -> str | None:
    """Return ``None`` when ``url`` may be a webhook endpoint, else a short reason why not.

    With ``allow_local_http=False`` (the real API's rules) the URL must be ``https`` and its
    host a public name or address. ``allow_local_http=True`` lets a test receiver on this
    machine through: a host that is a loopback address (``127.0.0.0/8``, ``[::1]``, and
    ``[::ffff:127.x.y.z]``) or a ``localhost`` name is then accepted, over ``http`` or
    ``https``; every other host is held to the real rules, ``https`` included. Private,
    link-local and other local-network hosts stay rejected in both modes: the mock's own
    receivers live on ``127.0.0.1``, and a test that creates an endpoint on ``10.0.0.5``
    should see the rejection the real API gives. Credentials, fragments, ``0.0.0.0``,
    malformed hosts and URLs over ``MAX_URL_LENGTH`` characters are rejected in both modes.
    Any string gives an answer; none raises.
    """
    if len(url) > MAX_URL_LENGTH:
        return f"the URL is longer than {MAX_URL_LENGTH} characters"
    if any(unicodedata.category(char) in _INVISIBLE for char in url):
        return "the URL contains whitespace, control or invisible characters"
    if "\\" in url:
        return "the URL contains a backslash"
    scheme_match = _SCHEME.match(url)
    if scheme_match is None:
        return "the URL is not absolute: it must start with https://"
    scheme = scheme_match.group(1).lower()
    if scheme not in ("http", "https") or (scheme == "http" and not allow_local_http):
        return "the URL must use https"
    if "#" in url:
        return "the URL must not carry a fragment"
    rest = url[scheme_match.end() :]
    if not rest.startswith("//"):
        return "the URL has no host: it must start with https://"
    authority = _AUTHORITY_END.split(rest[2:], maxsplit=1)[0]
    if "@" in authority:
        return "the URL must not carry credentials"
    problem = _authority_problem(authority)
    if problem is None:
        if scheme == "http":
            return "the URL must use https (http is allowed only for a loopback or localhost host)"
        return None
    reason, loopback = problem
    return None if allow_local_http and loopback else reason


def _authority_problem(authority: str) -> tuple[str, bool] | None:
    """Return why the host and port of ``authority`` are refused, and whether it is loopback."""
    if authority.startswith("["):
        close = authority.find("]")
        if close < 0:
            return "the host's IPv6 address is missing its closing ]", False
        host, port = authority[1:close], authority[close + 1 :]
    else:
        host, colon, digits = authority.partition(":")
        port = colon + digits
        if not host:
            return "the URL has no host", False
    if port:
        port_match = _PORT.fullmatch(port)
        if port_match is None or not 1 <= int(port_match.group(1)) <= 65535:
            return "the port must be a number from 1 to 65535", False
    if authority.startswith("["):
        return _ipv6_problem(host)
    return _host_problem(host)


def _ipv6_problem(text: str) -> tuple[str, bool] | None:
    """Return why the bracketed IPv6 host ``text`` is refused, and whether it is loopback."""
    try:
        address = IPv6Address(text)
    except ValueError:
        return "the host is not a valid IPv6 address", False
    if address.scope_id is not None:
        return "the host's IPv6 address must not carry a zone", False
    spelled = f"[{text.lower()}]"
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        embedded_label = _ipv4_label(embedded)
        if embedded_label is not None:
            reason = f"the host {spelled} embeds {embedded}, {embedded_label}"
            return reason, embedded_label == _LOOPBACK and address.ipv4_mapped is not None
        if address.ipv4_mapped is not None or address in _NAT64:
            return None
    label = _ipv6_label(address)
    if label is None:
        return None
    return f"the host {spelled} is {label}", label == _LOOPBACK


def _embedded_ipv4(address: IPv6Address) -> IPv4Address | None:
    """Return the IPv4 address ``address`` carries: mapped, NAT64, IPv4-compatible or 6to4."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


def _ipv6_label(address: IPv6Address) -> str | None:
    """Return the class that rules ``address`` out, or ``None`` for a public address."""
    for network, label in _IPV6_CLASSES:
        if address in network:
            return label
    if address not in _GLOBAL_UNICAST:
        return "a reserved address"
    return None if address.is_global else "not a public address"


def _ipv4_label(address: IPv4Address) -> str | None:
    """Return the class that rules ``address`` out, or ``None`` for a public address."""
    for network, label in _IPV4_CLASSES:
        if address in network:
            return label
    return None if address.is_global else "not a public address"


def _host_problem(host: str) -> tuple[str, bool] | None:
    """Return why the unbracketed host ``host`` is refused, and whether it is loopback."""
    if "%" in host:
        return "the host must not be percent-encoded", False
    name = _ascii_name(host)
    if name is None:
        return "the host is not a valid host name", False
    if name.endswith("."):
        name = name[:-1]
    labels = name.split(".")
    if _is_number(labels[-1]):
        address = _parse_ipv4(labels)
        if address is None:
            return "the host is not a valid IPv4 address", False
        label = _ipv4_label(address)
        if label is None:
            return None
        canonical = str(address)
        shown = label if name == canonical else f"{canonical}, {label}"
        return f"the host {name} is {shown}", label == _LOOPBACK
    if len(name) > 253 or not all(_LABEL.fullmatch(part) for part in labels):
        return "the host is not a valid host name", False
    return _name_problem(name, labels)


def _ascii_name(host: str) -> str | None:
    """Return ``host`` lower-cased and, when not ASCII, mapped with IDNA; ``None`` if invalid."""
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    return host.lower()


def _name_problem(name: str, labels: list[str]) -> tuple[str, bool] | None:
    """Return why the host name ``name`` is refused, and whether it names this machine."""
    if labels[-1] == "localhost":
        return f"the host {name} is a localhost name", True
    for suffix in _LOCAL_SUFFIXES:
        if name == suffix or name.endswith(f".{suffix}"):
            return f"the host {name} is a local-network name (.{suffix})", False
    for suffix in _RESERVED_SUFFIXES:
        if name == suffix or name.endswith(f".{suffix}"):
            return f"the host {name} is a reserved name (.{suffix})", False
    if len(labels) == 1:
        return f"the host {name} is a single-label name, resolved only on a local network", False
    return None


def _is_number(label: str) -> bool:
    """Tell whether ``label`` is a number, which makes its host an IPv4 address."""
    return bool(_DECIMAL_NUMBER.fullmatch(label) or _HEX_NUMBER.fullmatch(label))


def _parse_ipv4(labels: list[str]) -> IPv4Address | None:
    """Return the IPv4 address ``labels`` spell in ``inet_aton`` form, or ``None``."""
    if len(labels) > 4:
        return None
    numbers = [_ipv4_number(label) for label in labels]
    value = 0
    for number in numbers[:-1]:
        if number is None or number > 255:
            return None
        value = value * 256 + number
    last = numbers[-1]
    room = 256 ** (5 - len(numbers))
    if last is None or last >= room:
        return None
    return IPv4Address(value * room + last)


def _ipv4_number(label: str) -> int | None:
    """Return the value of one part of an IPv4 address: decimal, octal or hexadecimal."""
    if _HEX_NUMBER.fullmatch(label):
        return int(label[2:] or "0", 16)
    if len(label) > 1 and label.startswith("0"):
        return int(label, 8) if _OCTAL_NUMBER.fullmatch(label) else None
    return int(label) if _DECIMAL_NUMBER.fullmatch(label) else None
