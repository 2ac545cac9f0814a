"""Which network addresses the service may connect to on a client's behalf.

Only globally routable unicast addresses. IPv6 forms that embed an IPv4
address (IPv4-mapped and -compatible, NAT64, 6to4, Teredo) are judged by the
IPv4 address they carry, so ``[::ffff:127.0.0.1]`` or ``64:ff9b::a00:1``
cannot smuggle a private target through.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address] | None:
    if ip.ipv4_mapped is not None:
        return [ip.ipv4_mapped]
    if any(ip in net for net in _NAT64):
        return [ipaddress.IPv4Address(ip.packed[-4:])]
    if ip.sixtofour is not None:
        return [ip.sixtofour]
    if ip.teredo is not None:
        return list(ip.teredo)
    if int(ip) >> 32 == 0 and int(ip) > 1:  # deprecated IPv4-compatible ::a.b.c.d
        return [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    return None


def is_public(address: str | IPAddress) -> bool:
    ip = ipaddress.ip_address(str(address).split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return all(is_public(v4) for v4 in embedded)
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified or ip.is_loopback)


def is_local_name(host: str) -> bool:
    """RFC 6761: ``localhost`` and ``*.localhost`` are loopback, whatever DNS says."""
    name = host.rstrip(".").lower()
    return name == "localhost" or name.endswith(".localhost")


async def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (numeric forms like ``2130706433``
    or ``0x7f.1`` come back as the address they mean). Raises socket.gaierror."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(sockaddr[0]) for *_, sockaddr in infos))
