"""Fetching ``audio_url``s for strangers without becoming an SSRF proxy.

Every URL — the submitted one and each redirect hop — must use https (http
only when configured) and resolve only to public addresses.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx

from serve_app.config import Settings
from serve_app.errors import FetchError, PayloadTooLarge, UnsafeURL


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


async def check_url(url: str, settings: Settings, field: str) -> None:
    """Raise UnsafeURL unless ``url`` is an allowed scheme on a public host;
    FetchError (retryable) when the host does not resolve right now."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeURL(f"The URL is malformed: {exc}.", field=field) from None
    allowed = {"https", "http"} if settings.allow_http_urls else {"https"}
    if parts.scheme not in allowed:
        need = "http or https" if settings.allow_http_urls else "https"
        raise UnsafeURL(
            f"Only {need} URLs are accepted, not {parts.scheme or 'a relative URL'!r}; "
            "upload local files with POST /v1/files and pass file_id instead.",
            field=field,
        )
    if not host:
        raise UnsafeURL("The URL has no host name.", field=field)
    if settings.allow_private_urls:
        return
    if host.rstrip(".").lower() == "localhost" or host.rstrip(".").lower().endswith(".localhost"):
        raise UnsafeURL(  # RFC 6761: always loopback, whatever DNS says
            f"The host {host!r} is a local, private or reserved address; URLs must be public.",
            field=field,
        )
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise FetchError(f"The host {host!r} does not resolve.", field=field) from None
    for *_, sockaddr in infos:
        if not is_public_address(sockaddr[0]):
            raise UnsafeURL(
                f"The host {host!r} resolves to {sockaddr[0]}, a local, private or reserved "
                "address; URLs must be public.",
                field=field,
            )


async def download(url: str, dest: Path, settings: Settings) -> Path:
    """Stream ``url`` into ``dest``, re-checking every redirect hop and
    enforcing the size limit on the bytes actually received."""
    limit = settings.max_upload_bytes
    timeout = httpx.Timeout(min(30.0, settings.fetch_timeout_s), connect=10.0)
    try:
        async with asyncio.timeout(settings.fetch_timeout_s):
            async with httpx.AsyncClient(follow_redirects=False, timeout=timeout, trust_env=False) as client:
                for _ in range(settings.max_redirects + 1):
                    await check_url(url, settings, field="input.audio_url")
                    async with client.stream("GET", url) as response:
                        if response.is_redirect:
                            url = urljoin(url, response.headers["location"])
                            continue
                        if response.status_code != 200:
                            raise FetchError(
                                f"Fetching audio_url answered HTTP {response.status_code}.",
                                field="input.audio_url",
                                retryable=response.status_code >= 500 or response.status_code == 429,
                            )
                        received = 0
                        with open(dest, "wb") as out:
                            async for block in response.aiter_bytes(1 << 16):
                                received += len(block)
                                if received > limit:
                                    raise PayloadTooLarge(
                                        f"audio_url is larger than the {limit} byte limit.",
                                        field="input.audio_url",
                                    )
                                out.write(block)
                        return dest
                raise FetchError(
                    f"audio_url redirected more than {settings.max_redirects} times.",
                    field="input.audio_url",
                    retryable=False,
                )
    except TimeoutError:
        raise FetchError(
            f"Fetching audio_url took longer than {settings.fetch_timeout_s:g} s.", field="input.audio_url"
        ) from None
    except httpx.HTTPError as exc:
        raise FetchError(f"Fetching audio_url failed: {type(exc).__name__}.", field="input.audio_url") from None
