"""SSRF attack suite against the real fetcher (audio_url downloads) and the
webhook sender, with real HTTP servers on loopback that record every request
they get: an attack passes only if a server sees it.

The public internet does not exist here, so where a test needs a "public"
host it patches serve_app.outbound.addresses so that 127.0.0.2 counts as public (a
stand-in, said so at each use); everything else is judged by the real rules.
"""

from __future__ import annotations

import asyncio
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from serve_app.config import Settings
from serve_app.errors import FetchError, PayloadTooLarge, UnsafeURL
from serve_app.outbound import addresses
from serve_app.outbound.fetch import download
from serve_app.webhooks.sender import post


class Recorder(ThreadingHTTPServer):
    """Answers every GET/POST per ``behaviour`` and records the Host header."""

    daemon_threads = True

    def __init__(self, host: str, behaviour: str = "ok", location: str = "", port: int = 0):
        self.seen: list[str] = []
        self.behaviour, self.location = behaviour, location
        super().__init__((host, port), _Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def port(self) -> int:
        return self.server_address[1]


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        server: Recorder = self.server
        server.seen.append(self.headers.get("Host", ""))
        if server.behaviour == "redirect":
            self.send_response(302)
            self.send_header("Location", server.location)
            self.end_headers()
        elif server.behaviour == "endless":  # chunked, no Content-Length, never ends on its own
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                for _ in range(10_000):
                    self.wfile.write(b"10000\r\n" + b"\0" * 65536 + b"\r\n")
            except OSError:
                pass
        elif server.behaviour == "slow":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            try:
                for _ in range(1000):
                    self.wfile.write(b"\0")
                    self.wfile.flush()
                    time.sleep(0.05)
            except OSError:
                pass
        else:
            body = b"RIFF-not-really-audio"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    do_POST = do_GET


@pytest.fixture
def settings(tmp_path) -> Settings:
    # http allowed so the tests exercise address rules, not the scheme rule.
    return Settings(redis_url="redis://unused", allow_http_urls=True, data_dir=tmp_path, fetch_timeout_s=5)


@pytest.fixture
def loopback():
    server = Recorder("127.0.0.1")
    yield server
    server.shutdown()


@pytest.fixture
def public_stand_in(monkeypatch):
    """127.0.0.2 plays a public host (STAND-IN: no public internet here)."""
    real = addresses.is_public
    monkeypatch.setattr(addresses, "is_public", lambda a: a == "127.0.0.2" or real(a))
    server = Recorder("127.0.0.2")
    yield server
    server.shutdown()


def fetch(url: str, settings: Settings, tmp_path) -> None:
    asyncio.run(download(url, tmp_path / "out", settings))


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "2130706433",
        "0x7f.1",
        "0177.0.0.1",
        "127.1",
        "0x7f000001",
        "[::ffff:127.0.0.1]",
        "[::ffff:7f00:1]",
        "localhost",
        "LOCALHOST.",
        "foo.localhost",
    ],
)
def test_numeric_and_named_loopback_forms_are_refused(host, loopback, settings, tmp_path):
    with pytest.raises(UnsafeURL) as err:
        fetch(f"http://{host}:{loopback.port}/a.wav", settings, tmp_path)
    assert err.value.field == "input.audio_url"
    assert loopback.seen == []


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.1",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "[::]",
        "[::1]",
        "[fe80::1]",
        "[fc00::1]",
        "[ff02::1]",
        "[::127.0.0.1]",
        "[64:ff9b::a00:1]",
        "[64:ff9b::7f00:1]",
        "[2002:a00:1::]",
        "[2002:7f00:1::1]",
        "[2001:db8::1]",
    ],
)
def test_non_public_addresses_are_refused_before_connecting(address, settings, tmp_path):
    with pytest.raises(UnsafeURL):
        fetch(f"http://{address}/latest/meta-data", settings, tmp_path)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/a.wav",
        "gopher://example.com/",
        "dict://127.0.0.1:6379/info",
        "//example.com/a.wav",
    ],
)
def test_only_http_schemes(url, settings, tmp_path):
    with pytest.raises(UnsafeURL, match="must be an http"):
        fetch(url, settings, tmp_path)


def test_plain_http_needs_configuration(tmp_path):
    strict = Settings(redis_url="redis://unused", data_dir=tmp_path)
    with pytest.raises(UnsafeURL, match="must be an https URL, not http:"):
        fetch("http://8.8.8.8/a.wav", strict, tmp_path)


def test_public_stand_in_is_fetched_with_its_host_name(public_stand_in, settings, tmp_path, monkeypatch):
    """The positive control: the guard lets a public address through, connects to
    the address it checked, and keeps the URL's host name (Host header, TLS name)."""

    async def resolve(host, port):
        return ["127.0.0.2"] if host == "media.example" else await real_resolve(host, port)

    real_resolve = addresses.resolve
    monkeypatch.setattr(addresses, "resolve", resolve)
    fetch(f"http://media.example:{public_stand_in.port}/a.wav", settings, tmp_path)
    assert (tmp_path / "out").read_bytes() == b"RIFF-not-really-audio"
    assert public_stand_in.seen == [f"media.example:{public_stand_in.port}"]


def test_dns_rebinding_is_refused_at_connect_time(public_stand_in, loopback, settings, tmp_path, monkeypatch):
    """Public when the URL is checked, loopback when the socket connects."""
    answers = iter([["127.0.0.2"], ["127.0.0.1"]])

    async def rebinding(host, port):
        return next(answers)

    monkeypatch.setattr(addresses, "resolve", rebinding)
    with pytest.raises(UnsafeURL, match="127.0.0.1"):
        fetch(f"http://rebind.example:{loopback.port}/a.wav", settings, tmp_path)
    assert loopback.seen == [] and public_stand_in.seen == []


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:{port}/x",
        "http://2130706433:{port}/x",
        "http://[::ffff:127.0.0.1]:{port}/x",
        "file:///etc/passwd",
    ],
)
def test_redirect_to_a_private_address_is_refused(target, public_stand_in, loopback, settings, tmp_path):
    public_stand_in.behaviour = "redirect"
    public_stand_in.location = target.format(port=loopback.port)
    with pytest.raises(UnsafeURL):
        fetch(f"http://127.0.0.2:{public_stand_in.port}/a.wav", settings, tmp_path)
    assert len(public_stand_in.seen) == 1 and loopback.seen == []


def test_redirects_are_bounded(public_stand_in, settings, tmp_path):
    public_stand_in.behaviour = "redirect"
    public_stand_in.location = f"http://127.0.0.2:{public_stand_in.port}/again"
    with pytest.raises(FetchError, match="redirected more than 5 times"):
        fetch(f"http://127.0.0.2:{public_stand_in.port}/a.wav", settings, tmp_path)
    assert len(public_stand_in.seen) == 6


def test_size_limit_is_enforced_while_streaming(public_stand_in, tmp_path):
    public_stand_in.behaviour = "endless"  # no Content-Length to trust
    small = Settings(redis_url="redis://unused", allow_http_urls=True, data_dir=tmp_path, max_upload_bytes=1_000_000)
    with pytest.raises(PayloadTooLarge):
        fetch(f"http://127.0.0.2:{public_stand_in.port}/a.wav", small, tmp_path)
    assert (tmp_path / "out").stat().st_size <= 1_000_000


def test_total_time_is_bounded(public_stand_in, tmp_path):
    public_stand_in.behaviour = "slow"  # 50 s of dribbling
    quick = Settings(redis_url="redis://unused", allow_http_urls=True, data_dir=tmp_path, fetch_timeout_s=1)
    started = time.monotonic()
    with pytest.raises(FetchError, match="longer than 1 s"):
        fetch(f"http://127.0.0.2:{public_stand_in.port}/a.wav", quick, tmp_path)
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("host", ["127.0.0.1", "2130706433", "[::ffff:127.0.0.1]", "localhost"])
def test_webhook_sender_shares_the_guard(host, loopback, settings):
    with pytest.raises(UnsafeURL) as err:
        asyncio.run(post(f"http://{host}:{loopback.port}/hook", b"{}", {}, settings))
    assert err.value.field == "webhookUrl" and loopback.seen == []
