"""The site-probe interface the WordPress checks ask through, and the one HTTP client
behind every backend's probe.

A probe answers ``get(path, headers, auth) -> Reply`` for one tenant's site. Backends
differ only in where a probe connects and which headers it adds:
- local: nginx on the environment's address and port, ``Host: HOST:PORT`` (WordPress
  redirects to its configured URL when the port is missing);
- aws: ``http_check_address`` (tests), or straight to the ALB with TLS verified against
  the tenant's host name (like ``curl --resolve``), or the public name through CloudFront.

Redirects are never followed (checks look at them). A failure to connect is a ``Reply``
with status 0 and the reason in ``error``, never an exception. This module imports
nothing else from wpfleet, so any layer may use it.
"""

from __future__ import annotations

import base64
import http.client
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

#: a page larger than this is cut (WordPress front pages are ~50 KB)
MAX_BODY = 2_000_000
TIMEOUT = 5.0


@dataclass(frozen=True)
class Reply:
    """One HTTP answer; header names are lower-case."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    error: str = ""
    cookies: list[str] = field(default_factory=list)

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def summary(self) -> str:
        """``HTTP 200`` or ``no answer (reason)``, for check details."""
        return f"HTTP {self.status}" if self.status else f"no answer ({self.error})"


class SiteProbe(Protocol):
    """How the checks reach one tenant's site; ``where`` names it in details."""

    @property
    def where(self) -> str: ...

    def get(
        self,
        path: str,
        headers: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
    ) -> Reply: ...


def basic_auth_header(auth: tuple[str, str]) -> str:
    return "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to ``address`` while SNI and the certificate check use ``server_name``."""

    def __init__(
        self,
        server_name: str,
        address: str,
        port: int,
        context: ssl.SSLContext,
        timeout: float,
    ) -> None:
        super().__init__(server_name, port, context=context, timeout=timeout)
        self._address = address
        self._pinned_context = context

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._pinned_context.wrap_socket(sock, server_hostname=self.host)


@dataclass(frozen=True)
class HttpProbe:
    """The one HTTP client: dials ``address:port``, sends ``Host: host_header``; with
    ``tls_name`` it speaks HTTPS and verifies the certificate against that name."""

    address: str
    port: int
    host_header: str
    tls_name: str | None = None
    #: sent with every request (aws: ``CloudFront-Forwarded-Proto`` when going to the ALB)
    default_headers: Mapping[str, str] = field(default_factory=dict)
    context: ssl.SSLContext | None = field(default=None, compare=False)
    timeout: float = TIMEOUT

    @property
    def where(self) -> str:
        scheme = "https" if self.tls_name else "http"
        via = f"{self.address}:{self.port}"
        return f"{scheme}://{self.host_header}" + (f" via {via}" if via != self.host_header else "")

    def get(
        self,
        path: str,
        headers: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
    ) -> Reply:
        return self.request("GET", path, headers=headers, auth=auth)

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
    ) -> Reply:
        """One request; the body is read in full up to ``MAX_BODY``."""
        hdrs = {"Host": self.host_header, "User-Agent": "wpfleet-check"}
        hdrs.update(self.default_headers)
        hdrs.update(headers or {})
        if auth:
            hdrs["Authorization"] = basic_auth_header(auth)
        conn = self._connection()
        try:
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            data = resp.read(MAX_BODY)
            pairs = resp.getheaders()
            return Reply(
                resp.status,
                {k.lower(): v for k, v in pairs},
                data,
                cookies=[v for k, v in pairs if k.lower() == "set-cookie"],
            )
        except (OSError, http.client.HTTPException, ValueError) as exc:  # ValueError: bad header
            return Reply(0, error=f"{type(exc).__name__}: {exc}")
        finally:
            conn.close()

    def _connection(self) -> http.client.HTTPConnection:
        if self.tls_name is None:
            return http.client.HTTPConnection(self.address, self.port, timeout=self.timeout)
        context = self.context or ssl.create_default_context()
        return _PinnedHTTPS(self.tls_name, self.address, self.port, context, self.timeout)
