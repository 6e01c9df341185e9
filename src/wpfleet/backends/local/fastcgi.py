"""A minimal FastCGI client: one GET straight to a php-fpm pool socket, bypassing nginx.

Used to warm php-fpm's shared opcache after ``platform up`` (the first page otherwise
pays for compiling WordPress, ~0.3 s, and a batch of new tenants pays it once per
worker).
"""

from __future__ import annotations

import socket
import struct
from pathlib import Path

VERSION = 1
BEGIN_REQUEST, END_REQUEST, PARAMS, STDIN, STDOUT = 1, 3, 4, 5, 6
RESPONDER = 1


def _record(kind: int, content: bytes, request_id: int = 1) -> bytes:
    return struct.pack(">BBHHBx", VERSION, kind, request_id, len(content), 0) + content


def _length(n: int) -> bytes:
    return bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)


def _params(params: dict[str, str]) -> bytes:
    body = b""
    for name, value in params.items():
        k, v = name.encode(), value.encode()
        body += _length(len(k)) + _length(len(v)) + k + v
    return body


def _read_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("FastCGI connection closed early")
        data += chunk
    return data


def get(sock_path: Path, params: dict[str, str], timeout: float = 10.0) -> bytes:
    """Send one request with ``params``; return the response's STDOUT (headers + body)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(str(sock_path))
        body = _params(params)
        out = _record(BEGIN_REQUEST, struct.pack(">HB5x", RESPONDER, 0))
        for i in range(0, len(body), 65535):
            out += _record(PARAMS, body[i : i + 65535])
        out += _record(PARAMS, b"") + _record(STDIN, b"")
        sock.sendall(out)
        response = b""
        while True:
            _, kind, _, length, padding = struct.unpack(">BBHHBx", _read_exact(sock, 8))
            content = _read_exact(sock, length + padding)[:length]
            if kind == STDOUT:
                response += content
            elif kind == END_REQUEST:
                return response
