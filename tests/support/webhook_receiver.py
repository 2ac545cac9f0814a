"""A local webhook receiver for tests: records every delivery, checks its
signature with the package's verify helper, and answers from a per-path script."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from serve_app.webhooks.verify import WebhookVerificationError, verify


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() on arrival
    payload: dict[str, Any] | None  # the verified body, None when verification failed
    error: str | None


class Receiver:
    def __init__(self, port: int = 0) -> None:  # 0: any free port
        self.secret: str | None = None  # verify with this (set it to the key's whsec_ secret)
        self.received: list[Received] = []
        self._answers: dict[str, list[tuple[int, dict[str, str]]]] = {}
        self._changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    payload, error = verify(receiver.secret or "", headers, body), None
                except WebhookVerificationError as exc:
                    payload, error = None, str(exc)
                with receiver._changed:
                    script = receiver._answers.get(self.path, [])
                    code, extra = script.pop(0) if script else (200, {})
                    receiver.received.append(Received(self.path, headers, body, time.monotonic(), payload, error))
                    receiver._changed.notify_all()
                self.send_response(code)
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def script(self, path: str, *answers: int | tuple[int, dict[str, str]]) -> str:
        """Answer the next deliveries to ``path`` with these statuses (then 200); returns its URL."""
        self._answers[path] = [a if isinstance(a, tuple) else (a, {}) for a in answers]
        return self.base + path

    def at(self, path: str) -> list[Received]:
        with self._changed:
            return [r for r in self.received if r.path == path]

    def wait_for(self, path: str, count: int, timeout: float = 30.0) -> list[Received]:
        """Block until ``count`` deliveries to ``path`` arrived; returns them."""
        with self._changed:
            assert self._changed.wait_for(lambda: len(self.at(path)) >= count, timeout), self.at(path)
            return self.at(path)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
