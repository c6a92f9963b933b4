"""Where an event hook may send: public http(s) URLs only, unless the operator allows private ones.

Checked when a hook is saved and again before every delivery (DNS can change in between).
"""
from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from ..errors import ValidationFailed

URL_MAX = 2000
PRIVATE_REMEDIATION = ("Use a public URL, or, if the receiver runs on the control plane's own network (n8n next "
                       "door), set ODOOOPS_HOOKS_ALLOW_PRIVATE=1 on the control plane and restart it.")


def _bad(url, problem: str, remediation: str = "Give an http:// or https:// URL such as "
                                               "https://hooks.example.com/odooops.",
         code: str = "HOOK_URL_INVALID") -> ValidationFailed:
    shown = url if isinstance(url, str) and len(url) <= 200 else str(url)[:197] + "..."
    return ValidationFailed(f"hook URL {shown!r} {problem}", code=code,
                            details={"url": shown, "problem": problem}, remediation=remediation)


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not (ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_multicast or ip.is_reserved
                or ip.is_unspecified or not ip.is_global)


def resolve(host: str, port: int) -> list[str]:
    try:
        return [str(ipaddress.ip_address(host))]     # a literal address needs no DNS
    except ValueError:
        pass
    try:
        return sorted({info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)})
    except (socket.gaierror, UnicodeError):
        return []


def check_url(url, allow_private: bool) -> str:
    """``url`` when a hook may POST to it; ValidationFailed otherwise."""
    if not isinstance(url, str) or not url or len(url) > URL_MAX:
        raise _bad(url, f"must be a string of 1 to {URL_MAX} characters")
    if any(c.isspace() or ord(c) < 32 for c in url):
        raise _bad(url, "contains whitespace or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise _bad(url, "is not a valid URL") from None
    if parts.scheme not in ("http", "https"):
        raise _bad(url, "must use http or https")
    if parts.username is not None or parts.password is not None:
        raise _bad(url, "must not carry a user name or password",
                   "Remove user:password@ from the URL; the receiver checks X-OdooOps-Signature-256 instead.")
    host = parts.hostname
    if not host:
        raise _bad(url, "has no host")
    addresses = resolve(host, port)
    if not addresses:
        raise _bad(url, f"has a host that does not resolve: {host}", "Check the host name (DNS) of the URL.",
                   code="HOOK_URL_UNRESOLVABLE")
    if allow_private:
        return url
    private = [a for a in addresses if not _public(a)]
    if private:
        raise ValidationFailed(f"hook URL {url[:200]!r} resolves to a non-public address ({', '.join(private)})",
                               code="HOOK_URL_PRIVATE", details={"url": url[:200], "addresses": private},
                               remediation=PRIVATE_REMEDIATION)
    return url
