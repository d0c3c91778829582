"""The SSRF guard: an endpoint's URL is https, and its host leads only to public addresses."""

import ipaddress
import socket
from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from urllib3.util.connection import allowed_gai_family

from mailhooks.errors import InvalidInput
from mailhooks.settings import settings

if TYPE_CHECKING:
    pass


REFUSED = "export endpoints must be on the public internet"

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_REFUSED_KINDS = (
    ("is_unspecified", "an unspecified"),
    ("is_loopback", "a loopback"),
    ("is_link_local", "a link-local"),
    ("is_multicast", "a multicast"),
    ("is_private", "a private"),
    ("is_reserved", "a reserved"),
)


def _refused_kind(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """The kind of address a delivery must not reach this is, or None for a public one."""
    if isinstance(address, ipaddress.IPv6Address):
        # These IPv6 forms reach the IPv4 address they carry: judge that one.
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return _refused_kind(embedded)
    for attribute, kind in _REFUSED_KINDS:
        if getattr(address, attribute):
            return kind
    return None if address.is_global else "a non-public"


def _check_addresses(host: str, addresses: Sequence[str]) -> None:
    for text in addresses:
        kind = _refused_kind(ipaddress.ip_address(text))
        if kind is not None:
            where = text if text == host else f"{host} resolves to {text}, which"
            raise InvalidInput(f"{where} is {kind} address: {REFUSED}")


def check_endpoint_url(url: str) -> None:
    """Refuse, saying why, a URL an export endpoint must not have: one that is not https, or whose host is a
    loopback, private, link-local or otherwise non-public address. A host name is resolved and checked at
    each delivery, since what it resolves to can change."""
    parts = urlsplit(url)
    local = settings().allow_local_endpoints
    if parts.scheme != "https" and not (local and parts.scheme == "http"):
        raise InvalidInput(f"an export endpoint's URL must start with https://; {url[:100]!r} does not")
    try:
        host, _ = parts.hostname, parts.port
    except ValueError as error:
        raise InvalidInput("the URL's port must be a number from 1 to 65535") from error
    if not host:
        raise InvalidInput("the URL has no host")
    if local:
        return
    if host == "localhost" or host.endswith(".localhost"):
        raise InvalidInput(f"{host} is this machine (loopback): {REFUSED}")
    try:
        # An address in any notation the resolver reads (127.1, 2130706433, [::1]), without a DNS lookup.
        numeric = socket.getaddrinfo(host, None, flags=socket.AI_NUMERICHOST)
    except socket.gaierror:
        return
    _check_addresses(host, [str(answer[4][0]) for answer in numeric])


def checked_address(host: str, port: int) -> str:
    """Resolve the host, once, and check every address it has: the address to connect to."""
    answers = socket.getaddrinfo(host, port, allowed_gai_family(), socket.SOCK_STREAM)
    addresses = [str(answer[4][0]) for answer in answers]
    if not settings().allow_local_endpoints:
        _check_addresses(host, addresses)
    return addresses[0]
