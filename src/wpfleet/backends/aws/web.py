"""HTTP to a tenant's site, without following redirects (a 301/302 is an answer).

Three ways in, chosen by ``res_wordpress.site``:
- through ``aws.http_check_address`` with a Host header (tests: a local WordPress);
- straight to the ALB (``connect_to`` its DNS name, like ``curl --resolve``): TLS is
  checked against the tenant's host name, so this works before the DNS phase has made
  the public record (sit verifies before DNS) and without CloudFront's basic auth;
- by the public name ``https://{host}`` (after DNS), with the environment's basic auth.
"""

from __future__ import annotations

import base64
import http.client
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

TIMEOUT = 15.0


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to ``address`` while SNI and the certificate check use ``host``."""

    def __init__(
        self, host: str, address: str, port: int, context: ssl.SSLContext, timeout: float
    ) -> None:
        super().__init__(host, port, context=context, timeout=timeout)
        self._address = address
        self._pinned_context = context

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._pinned_context.wrap_socket(sock, server_hostname=self.host)


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: str


@dataclass(frozen=True)
class Site:
    """Where and how to reach one tenant's site."""

    host: str
    base: str  # e.g. http://127.0.0.1:8081 or https://goldencrust.wpsit.kimmyai.io
    auth: tuple[str, str] | None = None
    #: "address:port" to dial instead of the base URL's host (the ALB's DNS name)
    connect_to: str | None = None
    context: ssl.SSLContext | None = field(default=None, compare=False)

    def headers(self, form: bool) -> dict[str, str]:
        out = {"Host": self.host, "User-Agent": "wpfleet", "X-Forwarded-Proto": "https"}
        if form:
            out["Content-Type"] = "application/x-www-form-urlencoded"
        if self.auth:
            token = base64.b64encode(f"{self.auth[0]}:{self.auth[1]}".encode()).decode()
            out["Authorization"] = f"Basic {token}"
        return out

    def request(self, path: str, data: dict[str, str] | None = None) -> Reply:
        """One request; a connection failure is a Reply with status 0 and the reason."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            if self.connect_to:
                return self._pinned(path, body)
            return self._plain(path, body)
        except urllib.error.HTTPError as exc:
            return Reply(exc.code, dict(exc.headers or {}), _text(exc.read()))
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            return Reply(0, {}, str(getattr(exc, "reason", exc)))

    def _plain(self, path: str, body: bytes | None) -> Reply:
        req = urllib.request.Request(
            self.base.rstrip("/") + path, data=body, headers=self.headers(body is not None)
        )
        context = self.context or ssl.create_default_context()
        opener = urllib.request.build_opener(
            _NoRedirect, urllib.request.HTTPSHandler(context=context)
        )
        with opener.open(req, timeout=TIMEOUT) as resp:
            return Reply(resp.status, dict(resp.headers), _text(resp.read()))

    def _pinned(self, path: str, body: bytes | None) -> Reply:
        assert self.connect_to is not None
        address, _, port = self.connect_to.rpartition(":")
        conn: http.client.HTTPConnection
        if urllib.parse.urlsplit(self.base).scheme == "https":
            context = self.context or ssl.create_default_context()
            conn = _PinnedHTTPS(self.host, address, int(port), context, TIMEOUT)
        else:
            conn = http.client.HTTPConnection(address, int(port), timeout=TIMEOUT)
        try:
            conn.request(
                "POST" if body is not None else "GET", path, body=body,
                headers=self.headers(body is not None),
            )  # fmt: skip
            resp = conn.getresponse()
            return Reply(resp.status, dict(resp.getheaders()), _text(resp.read()))
        finally:
            conn.close()


def _text(raw: bytes) -> str:
    return raw[:500_000].decode("utf-8", "replace")
