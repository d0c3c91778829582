"""The SSRF guard: an endpoint's URL is https, its host leads only to public addresses, and it is not this
API's own host."""

import ipaddress
import socket
from collections.abc import Sequence
from urllib.parse import urlsplit

from urllib3.util.connection import allowed_gai_family

from mailhooks.errors import InvalidInput
from mailhooks.settings import settings

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


def _is_this_api(host: str, port: int, api_host: str) -> bool:
    """Whether host:port is this API at api_host; one named with its port (the local stack's) is there
    only."""
    this = urlsplit(f"//{api_host}")
    return (this.hostname or "").rstrip(".") == host.rstrip(".") and this.port in (None, port)


def check_endpoint_url(url: str, api_host: str | None = None) -> None:
    """Refuse, saying why, a URL an export endpoint must not have: one that is not https, one on this API's
    own host (the setting's, or `api_host`, where the caller reached it), or one whose host is a loopback,
    private, link-local or otherwise non-public address. A host name is resolved and checked at each
    delivery, since what it resolves to can change."""
    parts = urlsplit(url)
    limits = settings()
    local = limits.allow_local_endpoints
    if parts.scheme != "https" and not (local and parts.scheme == "http"):
        raise InvalidInput(f"an export endpoint's URL must start with https://; {url[:100]!r} does not")
    try:
        host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise InvalidInput("the URL's port must be a number from 1 to 65535") from error
    if not host:
        raise InvalidInput("the URL has no host")
    if any(_is_this_api(host, port, this) for this in (limits.api_host, api_host) if this):
        # Its inbound webhooks make activities, whose deliveries would call it again, without end.
        raise InvalidInput(f"{host} is this API's own host: an export endpoint must be elsewhere")
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
