"""A tiny real HTTP server whose answers a test sets per path (a blank 200, a recorded
WordPress page, a redirect, a basic-auth gate); it records the headers it was sent."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from wpfleet.checks.probe import HttpProbe


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/html"})
    #: when set, requests without this Authorization header get 401
    require_auth: str | None = None


@dataclass
class Stage:
    port: int
    answers: dict[str, Answer] = field(default_factory=dict)
    seen: list[dict[str, str]] = field(default_factory=list)

    def probe(self, host: str = "alpha.test") -> HttpProbe:
        return HttpProbe("127.0.0.1", self.port, host, timeout=2.0)


@pytest.fixture
def stage() -> Iterator[Stage]:
    """The server on a free port, stopped after the test."""
    holder: list[Stage] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            st = holder[0]
            st.seen.append({k.lower(): v for k, v in self.headers.items()} | {"path": self.path})
            answer = st.answers.get(self.path, Answer(404, b"not found"))
            if answer.require_auth and self.headers.get("Authorization") != answer.require_auth:
                answer = Answer(401, b"", {"WWW-Authenticate": 'Basic realm="x"'})
            self.send_response(answer.status)
            for k, v in answer.headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder.append(Stage(server.server_address[1]))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield holder[0]
    finally:
        server.shutdown()
        server.server_close()
