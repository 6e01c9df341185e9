"""HTTP requests to the environment's nginx, addressed by Host header, through the one
HTTP client (``wpfleet.checks.probe``).

Requests go to 127.0.0.1:PORT with ``Host: HOST:PORT`` (WordPress redirects to its
configured URL when the port is missing). Redirects are never followed: checks look at
them. Failures come back as a ``Reply`` with status 0, never as an exception.
"""

from __future__ import annotations

from wpfleet.checks.probe import HttpProbe, Reply

__all__ = ["Reply", "request", "site_probe"]


def site_probe(
    port: int, host: str, *, address: str = "127.0.0.1", timeout: float = 5.0
) -> HttpProbe:
    """The local backend's site probe: nginx on ``address:port``, ``Host: host:port``."""
    return HttpProbe(address, port, f"{host}:{port}", timeout=timeout)


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
    probe = site_probe(port, host, address=address, timeout=timeout)
    return probe.request(method, path, body=body, headers=headers, auth=auth)
