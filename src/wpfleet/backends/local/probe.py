"""HTTP requests to the environment's nginx, addressed by Host header.

Requests go to 127.0.0.1:PORT with ``Host: HOST:PORT`` (WordPress redirects to its
configured URL when the port is missing). Redirects are never followed: checks look at
them. Failures come back as a ``Reply`` with status 0, never as an exception.
"""

from __future__ import annotations

import base64
import http.client
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    error: str = ""
    cookies: list[str] = field(default_factory=list)

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


def request(
    port: int,
    host: str,
    path: str = "/",
    *,
    method: str = "GET",
    auth: tuple[str, str] | None = None,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    address: str = "127.0.0.1",
    timeout: float = 5.0,
) -> Reply:
    """One request; the response body is read in full (pages are small)."""
    hdrs = {"Host": f"{host}:{port}", "User-Agent": "wpfleet-check", **(headers or {})}
    if auth:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        hdrs["Authorization"] = f"Basic {token}"
    conn = http.client.HTTPConnection(address, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read()
        headers_lower = {k.lower(): v for k, v in resp.getheaders()}
        cookies = [v for k, v in resp.getheaders() if k.lower() == "set-cookie"]
        return Reply(resp.status, headers_lower, data, cookies=cookies)
    except (OSError, http.client.HTTPException, ValueError) as exc:  # ValueError: bad header
        return Reply(0, error=f"{type(exc).__name__}: {exc}")
    finally:
        conn.close()
