"""An httpx transport that connects only to public addresses.

The address is checked where the connection is made: the host is resolved
once, every address it resolves to must be public, and the socket connects to
one of those very addresses. A name that resolves public when a URL is checked
and private when it is used (DNS rebinding) cannot pass. TLS still verifies
the certificate against the URL's host name, since httpcore passes the name,
not the address, to the TLS handshake.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable

import httpcore
import httpx
from httpcore._backends.auto import AutoBackend

from serve_app.errors import UnsafeURL
from serve_app.outbound import addresses


def refusal(host: str, address: str, field: str | None) -> UnsafeURL:
    return UnsafeURL(
        f"The host {host!r} resolves to {address}, a local, private or reserved address; URLs must be public.",
        field=field,
    )


class PublicOnlyBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, allow_private: bool = False, field: str | None = None):
        self._inner = AutoBackend()
        self.allow_private = allow_private
        self.field = field

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        # Looked up through the module, so tests can stand in for the public
        # internet (which this machine cannot reach) by patching addresses.*.
        if addresses.is_local_name(host) and not self.allow_private:
            raise refusal(host, host, self.field)
        try:
            resolved = await addresses.resolve(host, port)
        except socket.gaierror as exc:
            raise httpcore.ConnectError(f"{host!r} does not resolve ({exc.strerror})") from None
        if not self.allow_private:
            for address in resolved:
                if not addresses.is_public(address):
                    raise refusal(host, address, self.field)
        error: Exception = httpcore.ConnectError(f"no address for {host!r}")
        for address in resolved:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        raise error

    async def connect_unix_socket(self, path: str, timeout=None, socket_options=None):
        raise httpcore.ConnectError("unix sockets are never used for client-supplied URLs")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class PublicOnlyTransport(httpx.AsyncHTTPTransport):
    def __init__(self, backend: PublicOnlyBackend):
        super().__init__(trust_env=False, retries=0)
        # httpx has no public hook for the network backend, so the pool is
        # rebuilt with ours (httpcore's public API; httpx pinned < 0.29).
        self._pool = httpcore.AsyncConnectionPool(ssl_context=httpx.create_ssl_context(), network_backend=backend)
