"""Requests to client-supplied URLs (``audio_url`` downloads, webhook
deliveries) without becoming an SSRF proxy.

Every URL — the submitted one and each redirect hop — must use https (http
only when configured) and resolve only to public addresses, and the socket
connects only to an address that was checked (serve_app/outbound/safe_http.py), so DNS
rebinding cannot pass. Every such request goes through :func:`open_url`.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from serve_app.config import Settings
from serve_app.errors import FetchError, PayloadTooLarge, UnsafeURL
from serve_app.outbound import addresses
from serve_app.outbound.safe_http import PublicOnlyBackend, PublicOnlyTransport, refusal


async def check_url(url: str, settings: Settings, field: str) -> None:
    """Raise UnsafeURL unless ``url`` is an allowed scheme on a public host;
    FetchError (retryable) when the host does not resolve right now.

    This early check gives clear errors at submit time; the connection itself
    is guarded again by the transport of :func:`http_client`."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeURL(f"The URL is malformed: {exc}.", field=field) from None
    allowed = {"https", "http"} if settings.allow_http_urls else {"https"}
    if parts.scheme not in allowed:
        need = "http or https" if settings.allow_http_urls else "https"
        got = f"{parts.scheme}:" if parts.scheme else "a relative URL"
        # What to do instead depends on what the URL is for.
        instead = (
            " To separate a local file, upload it with POST /v1/files and pass its file_id instead."
            if field == "input.audio_url"
            else ""
        )
        raise UnsafeURL(f"{field} must be an {need} URL, not {got}.{instead}", field=field)
    if not host:
        raise UnsafeURL(f"{field} has no host name; give a full URL such as https://example.com/a.wav.", field=field)
    if settings.allow_private_urls:
        return
    if addresses.is_local_name(host):
        raise refusal(host, host, field)
    try:
        resolved = await addresses.resolve(host, port)
    except socket.gaierror:
        raise FetchError(f"The host {host!r} does not resolve.", field=field) from None
    for address in resolved:
        if not addresses.is_public(address):
            raise refusal(host, address, field)


def http_client(settings: Settings, field: str, timeout: httpx.Timeout) -> httpx.AsyncClient:
    """A client for client-supplied URLs: it connects only to public addresses
    (checked at connect time), follows no redirects (the caller checks each
    hop), and takes no proxy or credentials from the environment."""
    transport = PublicOnlyTransport(PublicOnlyBackend(settings.allow_private_urls, field))
    return httpx.AsyncClient(transport=transport, follow_redirects=False, timeout=timeout, trust_env=False)


@asynccontextmanager
async def open_url(
    client: httpx.AsyncClient, method: str, url: str, settings: Settings, field: str, **kwargs: Any
) -> AsyncIterator[httpx.Response]:
    """One request (one hop, body not yet read) to a URL that passed :func:`check_url`."""
    await check_url(url, settings, field=field)
    async with client.stream(method, url, **kwargs) as response:
        yield response


async def download(url: str, dest: Path, settings: Settings, field: str = "input.audio_url") -> Path:
    """Stream ``url`` into ``dest``, re-checking every redirect hop and
    enforcing the size limit on the bytes actually received. ``field`` names
    the input the URL came from, in errors."""
    name = field.rsplit(".", 1)[-1]
    limit = settings.max_upload_bytes
    timeout = httpx.Timeout(min(30.0, settings.fetch_timeout_s), connect=10.0)
    try:
        async with asyncio.timeout(settings.fetch_timeout_s):
            async with http_client(settings, field, timeout) as client:
                for _ in range(settings.max_redirects + 1):
                    async with open_url(client, "GET", url, settings, field=field) as response:
                        if response.is_redirect:
                            url = urljoin(url, response.headers["location"])
                            continue
                        if response.status_code != 200:
                            raise FetchError(
                                f"Fetching {name} answered HTTP {response.status_code}.",
                                field=field,
                                retryable=response.status_code >= 500 or response.status_code == 429,
                            )
                        received = 0
                        with open(dest, "wb") as out:
                            async for block in response.aiter_bytes(1 << 16):
                                received += len(block)
                                if received > limit:
                                    raise PayloadTooLarge(
                                        f"{name} is larger than the {limit} byte limit.",
                                        field=field,
                                    )
                                out.write(block)
                        return dest
                raise FetchError(
                    f"{name} redirected more than {settings.max_redirects} times.",
                    field=field,
                    retryable=False,
                )
    except TimeoutError:
        raise FetchError(f"Fetching {name} took longer than {settings.fetch_timeout_s:g} s.", field=field) from None
    except httpx.HTTPError as exc:
        raise FetchError(f"Fetching {name} failed: {type(exc).__name__}.", field=field) from None
