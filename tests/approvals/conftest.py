"""A real local HTTP server standing in for an external deployment-protection gate."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


class Gate:
    def __init__(self) -> None:
        self.answer: tuple[int, bytes] = (200, b'{"state": "approved"}')
        self.seen: list[dict[str, Any]] = []
        self.auth = ""


@pytest.fixture
def gate() -> Iterator[tuple[Gate, str]]:
    state = Gate()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            state.seen.append(json.loads(self.rfile.read(length)))
            code, body = state.answer
            state.auth = self.headers.get("Authorization", "")
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://token:s3cret@127.0.0.1:{server.server_port}/gate"
    server.shutdown()
    server.server_close()
