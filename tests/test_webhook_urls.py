"""The webhook URL rules: the documented rejections, their tricky spellings, and the local mode.

Each row of ``TABLE`` is a URL and what ``check_webhook_url`` answers for it with
``allow_local_http`` false and true: ``OK`` for accepted, else a piece of the reason.
"""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rivya_contract.mock_server.webhook_urls import MAX_URL_LENGTH, check_webhook_url

OK = None


def fullwidth(text: str) -> str:
    """Return ``text`` in full-width forms, which IDNA maps back to ASCII."""
    return "".join(chr(ord(char) + 0xFEE0) for char in text)


LOOPBACK = "loopback address"
LOCALHOST = "localhost name"
HTTPS = "must use https"

TABLE: list[tuple[str, str | None, str | None]] = [
    # Accepted: public https hosts, any port, IDNA names, public IPv4 and IPv6 literals.
    ("https://example.com/rivya/webhook", OK, OK),
    ("https://EXAMPLE.com/Path?q=1&r=2", OK, OK),
    ("HTTPS://example.com/", OK, OK),
    ("https://example.com", OK, OK),
    ("https://example.com:8443/hooks", OK, OK),
    ("https://example.com.:443/", OK, OK),
    ("https://hooks.example.test/x", OK, OK),
    ("https://bücher.de/webhook", OK, OK),
    ("https://xn--bcher-kva.de/webhook", OK, OK),
    ("https://8.8.8.8/hook", OK, OK),
    ("https://[2606:4700:4700::1111]/hook", OK, OK),
    ("https://[::ffff:8.8.8.8]/hook", OK, OK),
    ("https://[64:ff9b::808:808]/hook", OK, OK),
    ("https://example.com/a@b/c", OK, OK),
    ("https://127.0.0.1.example.com/", OK, OK),
    # Schemes.
    ("http://example.com/hook", HTTPS, "http is allowed only for a loopback or localhost"),
    ("ftp://example.com/hook", HTTPS, HTTPS),
    ("javascript:alert(1)", HTTPS, HTTPS),
    ("example.com/hook", "not absolute", "not absolute"),
    ("//example.com/hook", "not absolute", "not absolute"),
    ("https:example.com", "no host", "no host"),
    ("https:///example.com", "no host", "no host"),
    ("", "not absolute", "not absolute"),
    # Credentials and fragments, in both modes.
    ("https://user:secret@example.com/", "credentials", "credentials"),
    ("https://user@example.com/", "credentials", "credentials"),
    ("https://@example.com/", "credentials", "credentials"),
    ("https://example.com@127.0.0.1/", "credentials", "credentials"),
    ("http://user@127.0.0.1:8000/", HTTPS, "credentials"),
    ("https://example.com/hook#frag", "fragment", "fragment"),
    ("https://example.com/#", "fragment", "fragment"),
    ("http://127.0.0.1:8000/#x", HTTPS, "fragment"),
    # Loopback in every spelling: rejected, except in the local mode.
    ("https://127.0.0.1/", LOOPBACK, OK),
    ("http://127.0.0.1:8001/hook", HTTPS, OK),
    ("https://127.255.255.254/", LOOPBACK, OK),
    ("http://2130706433/", HTTPS, OK),
    ("https://2130706433/", "2130706433 is 127.0.0.1", OK),
    ("https://0177.0.0.1/", "0177.0.0.1 is 127.0.0.1", OK),
    ("https://0x7f.1/", "0x7f.1 is 127.0.0.1", OK),
    ("https://0X7F000001/", "0x7f000001 is 127.0.0.1", OK),
    ("https://127.1/", "127.1 is 127.0.0.1", OK),
    ("https://127.0.1/", "127.0.1 is 127.0.0.1", OK),
    ("https://127.0.0.1./", LOOPBACK, OK),
    ("https://" + fullwidth("127.0.0.1") + "/", LOOPBACK, OK),
    ("https://[::1]/", LOOPBACK, OK),
    ("http://[::1]:8000/", HTTPS, OK),
    ("https://[0:0:0:0:0:0:0:1]/", LOOPBACK, OK),
    ("https://[::ffff:127.0.0.1]/", "embeds 127.0.0.1, a loopback", OK),
    ("https://[::ffff:7f00:1]/", "embeds 127.0.0.1, a loopback", OK),
    # Localhost names.
    ("https://localhost/", LOCALHOST, OK),
    ("http://localhost:8080/hook", HTTPS, OK),
    ("https://localhost./", LOCALHOST, OK),
    ("https://LOCALHOST/", LOCALHOST, OK),
    ("https://api.localhost/", LOCALHOST, OK),
    ("https://" + fullwidth("localhost") + "/", LOCALHOST, OK),
    ("https://localhost.localdomain/", "local-network name", "local-network name"),
    # Unspecified, private, shared, link-local, documentation, reserved, multicast.
    ("https://0.0.0.0/", "unspecified", "unspecified"),
    ("https://0/", "0 is 0.0.0.0", "0 is 0.0.0.0"),
    ("http://0.0.0.0:8000/", HTTPS, "unspecified"),
    ("https://[::]/", "unspecified", "unspecified"),
    ("https://0.1.2.3/", "'this network'", "'this network'"),
    ("https://10.0.0.1/", "private", "private"),
    ("http://10.0.0.1/", HTTPS, "private"),
    ("https://172.16.0.1/", "private", "private"),
    ("https://172.31.255.255/", "private", "private"),
    ("https://192.168.1.1/", "private", "private"),
    ("https://3232235777/", "3232235777 is 192.168.1.1", "private"),
    ("https://100.64.0.1/", "carrier-grade NAT", "carrier-grade NAT"),
    ("https://169.254.169.254/latest/meta-data", "cloud metadata", "cloud metadata"),
    ("https://169.254.1.1/", "link-local", "link-local"),
    ("https://192.0.0.8/", "IETF protocol assignment", "IETF protocol assignment"),
    ("https://192.0.2.1/", "documentation", "documentation"),
    ("https://198.51.100.7/", "documentation", "documentation"),
    ("https://203.0.113.9/", "documentation", "documentation"),
    ("https://198.18.0.1/", "benchmarking", "benchmarking"),
    ("https://192.88.99.1/", "6to4 relay", "6to4 relay"),
    ("https://224.0.0.1/", "multicast", "multicast"),
    ("https://239.255.255.250/", "multicast", "multicast"),
    ("https://240.0.0.1/", "reserved", "reserved"),
    ("https://255.255.255.255/", "broadcast", "broadcast"),
    ("https://[fe80::1]/", "link-local", "link-local"),
    ("https://[fe80::1%25eth0]/", "zone", "zone"),
    ("https://[fc00::1]/", "unique local", "unique local"),
    ("https://[fd12:3456::1]/", "unique local", "unique local"),
    ("https://[fec0::1]/", "site-local", "site-local"),
    ("https://[ff02::1]/", "multicast", "multicast"),
    ("https://[2001:db8::1]/", "documentation", "documentation"),
    ("https://[3fff::1]/", "documentation", "documentation"),
    ("https://[2001::1]/", "Teredo", "Teredo"),
    ("https://[100::1]/", "discard-only", "discard-only"),
    ("https://[4000::1]/", "reserved", "reserved"),
    ("https://[::ffff:10.0.0.1]/", "embeds 10.0.0.1, a private", "embeds 10.0.0.1, a private"),
    ("https://[::ffff:169.254.169.254]/", "cloud metadata", "cloud metadata"),
    ("https://[64:ff9b::7f00:1]/", "embeds 127.0.0.1", "embeds 127.0.0.1"),
    ("https://[64:ff9b::a00:1]/", "embeds 10.0.0.1", "embeds 10.0.0.1"),
    ("https://[64:ff9b:1::1]/", "local-use NAT64", "local-use NAT64"),
    ("https://[2002:7f00:1::]/", "embeds 127.0.0.1", "embeds 127.0.0.1"),
    ("https://[2002:c0a8:101::1]/", "embeds 192.168.1.1", "embeds 192.168.1.1"),
    ("https://[2002:808:808::1]/", "deprecated 6to4", "deprecated 6to4"),
    ("https://[::127.0.0.1]/", "embeds 127.0.0.1", "embeds 127.0.0.1"),
    ("https://[::8.8.8.8]/", "IPv4-compatible", "IPv4-compatible"),
    # Local-network, single-label and reserved names.
    ("https://printer.local/", "local-network name (.local)", "(.local)"),
    ("https://db.internal/hook", "(.internal)", "(.internal)"),
    ("https://nas.lan/", "(.lan)", "(.lan)"),
    ("https://router.home.arpa/", "(.home.arpa)", "(.home.arpa)"),
    ("https://PRINTER.LOCAL./", "(.local)", "(.local)"),
    ("https://intranet/", "(.intranet)", "(.intranet)"),
    ("https://receiver:8080/", "single-label", "single-label"),
    ("https://example.invalid/", "reserved name (.invalid)", "(.invalid)"),
    ("https://1.0.0.127.in-addr.arpa/", "reserved name (.arpa)", "(.arpa)"),
    # Malformed hosts and ports.
    ("https://1.2.3.999/", "not a valid IPv4", "not a valid IPv4"),
    ("https://1.2.3.4.5/", "not a valid IPv4", "not a valid IPv4"),
    ("https://example.123/", "not a valid IPv4", "not a valid IPv4"),
    ("https://09.0.0.1/", "not a valid IPv4", "not a valid IPv4"),
    ("https://4294967296/", "not a valid IPv4", "not a valid IPv4"),
    ("https://[::1/", "closing ]", "closing ]"),
    ("https://[127.0.0.1]/", "not a valid IPv6", "not a valid IPv6"),
    ("https://[example.com]/", "not a valid IPv6", "not a valid IPv6"),
    ("https://::1/", "no host", "no host"),
    ("https://example..com/", "not a valid host name", "not a valid host name"),
    ("https://exa_mple.com:x/", "port", "port"),
    ("https://example.com:0/", "port", "port"),
    ("https://example.com:65536/", "port", "port"),
    ("https://example.com:/", "port", "port"),
    ("https://example.com:-1/", "port", "port"),
    ("https://%6c%6f%63%61%6c%68%6f%73%74/", "percent-encoded", "percent-encoded"),
    ("https://exam!ple.com/", "not a valid host name", "not a valid host name"),
    ("https://" + "a" * 64 + ".com/", "not a valid host name", "not a valid host name"),
    ("https://ex\u200bample.com/", "invisible", "invisible"),
    (" https://example.com/", "whitespace", "whitespace"),
    ("https://example.com/\n", "whitespace", "whitespace"),
    ("https://exa mple.com/", "whitespace", "whitespace"),
    ("https:\\\\127.0.0.1\\", "backslash", "backslash"),
    ("https://example.com\\@127.0.0.1/", "backslash", "backslash"),
    ("https://example.com/" + "a" * (MAX_URL_LENGTH - 20), OK, OK),
    ("https://example.com/" + "a" * (MAX_URL_LENGTH - 19), "longer than 2048", "longer than 2048"),
]


@pytest.mark.parametrize("allow_local_http", [False, True], ids=["strict", "local"])
@pytest.mark.parametrize(("url", "strict", "local"), TABLE, ids=[row[0][:60] for row in TABLE])
def test_url_table(url: str, strict: str | None, local: str | None, allow_local_http: bool) -> None:
    expected = local if allow_local_http else strict
    reason = check_webhook_url(url, allow_local_http=allow_local_http)
    if expected is OK:
        assert reason is None
    else:
        assert reason is not None
        assert expected in reason


def test_the_table_is_large_and_covers_both_verdicts() -> None:
    assert len(TABLE) >= 40
    verdicts = {(strict is OK, local is OK) for _, strict, local in TABLE}
    assert verdicts == {(True, True), (False, True), (False, False)}


def test_a_reason_names_the_address_a_spelling_stands_for() -> None:
    reason = check_webhook_url("https://0x7f.1:8443/", allow_local_http=False)
    assert reason == "the host 0x7f.1 is 127.0.0.1, a loopback address"


def test_the_url_length_bound_is_2048_characters() -> None:
    assert MAX_URL_LENGTH == 2048
    url = "https://example.com/"
    longest = url + "a" * (MAX_URL_LENGTH - len(url))
    assert check_webhook_url(longest, allow_local_http=False) is None
    reason = check_webhook_url(longest + "a", allow_local_http=False)
    assert reason == "the URL is longer than 2048 characters"


# Property-based checks: any string gets an answer, and spellings do not change verdicts.

FUZZ = settings(max_examples=500, database=None, deadline=None)

PIECES = st.sampled_from(
    [
        *("https://", "http://", "HTTPS://", "ftp://", "https:", "//"),
        *("@", ":", "::", "[", "]", ".", "..", "#", "?", "/", "%", "%25", "\\", " "),
        *("0x", "0", "00", "127", "1", "255", "4294967295", "ffff"),
        *("::ffff:", "64:ff9b::", "2002:", "fe80::", "localhost", "local", "xn--"),
        *("\u4f8b\u3048", "\u3002", "\u200b", "\u0000", "\ud800", "\u00df"),
        *(fullwidth("localhost"), fullwidth(".")),
    ]
)
"""Fragments that reach deep into the parser when strung together."""

URL_LIKE = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec="ascii")),
    st.lists(st.one_of(PIECES, st.text(max_size=4)), max_size=12).map("".join),
    st.builds(
        "{}{}{}{}".format,
        st.sampled_from(["https://", "http://"]),
        st.lists(st.one_of(PIECES, st.text(max_size=3)), max_size=8).map("".join),
        st.sampled_from(["", ":443", ":0", ":99999", ":", ":8a"]),
        st.sampled_from(["", "/", "/hook?x=1", "/#f"]),
    ),
)


@FUZZ
@given(url=URL_LIKE)
def test_any_string_gets_an_answer_and_none_raises(url: str) -> None:
    strict = check_webhook_url(url, allow_local_http=False)
    local = check_webhook_url(url, allow_local_http=True)
    assert strict is None or (isinstance(strict, str) and strict)
    assert local is None or (isinstance(local, str) and local)
    if strict is None:
        # Whatever the real rules accept, the local mode accepts too.
        assert local is None
        assert url[:8].lower() == "https://"
        authority = url[8:].split("/", 1)[0].split("?", 1)[0]
        assert "@" not in authority
        assert "#" not in url


@FUZZ
@given(url=st.text(min_size=MAX_URL_LENGTH + 1, max_size=MAX_URL_LENGTH + 50))
def test_an_overlong_string_is_rejected_for_its_length(url: str) -> None:
    assert check_webhook_url(url, allow_local_http=True) == "the URL is longer than 2048 characters"


def spellings(address: IPv4Address) -> list[str]:
    """Return the ``inet_aton`` spellings of ``address``: 1 to 4 parts, decimal, octal, hex."""
    value = int(address)
    a, b, c, d = address.packed
    return [
        str(value),
        hex(value),
        f"{a}.{(b << 16) | (c << 8) | d}",
        f"{a}.{b}.{(c << 8) | d}",
        f"0{a:o}.0{b:o}.0{c:o}.0{d:o}",
        f"0x{a:x}.0x{b:x}.0x{c:x}.0x{d:x}",
        f"{a}.0x{b:x}.0{c:o}.{d}",
        f"{address}.",
    ]


@FUZZ
@given(address=st.ip_addresses(v=4))
def test_every_ipv4_spelling_gets_the_verdict_of_the_address(address: IPv4Address) -> None:
    for local in (False, True):
        canonical = check_webhook_url(f"https://{address}/", allow_local_http=local)
        for spelled in spellings(address):
            verdict = check_webhook_url(f"https://{spelled}/", allow_local_http=local)
            assert (verdict is None) == (canonical is None), spelled
            if canonical is not None:
                assert verdict is not None
                assert canonical.rsplit(" is ", 1)[1] in verdict


@FUZZ
@given(address=st.ip_addresses(v=4))
def test_a_mapped_or_nat64_ipv6_address_gets_the_verdict_of_its_ipv4_address(
    address: IPv4Address,
) -> None:
    canonical = check_webhook_url(f"https://{address}/", allow_local_http=False)
    high, low = int(address) >> 16, int(address) & 0xFFFF
    for host in (f"::ffff:{address}", f"::ffff:{high:x}:{low:x}", f"64:ff9b::{address}"):
        verdict = check_webhook_url(f"https://[{host}]/", allow_local_http=False)
        assert (verdict is None) == (canonical is None), host


@FUZZ
@given(address=st.ip_addresses(v=6))
def test_an_accepted_ipv6_address_is_global_unicast(address: object) -> None:
    verdict = check_webhook_url(f"https://[{address}]/", allow_local_http=False)
    if verdict is None:
        text = str(address)
        assert text.startswith(("2", "3", "::ffff:", "64:ff9b::"))
