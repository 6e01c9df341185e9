"""HTTP to a tenant's site: through ``aws.http_check_address`` with a Host header (tests,
or a direct ALB address), else to ``https://{host}`` with the environment's basic auth.
Redirects are never followed: a 301/302 is an answer."""

from __future__ import annotations

import base64
import ssl
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

TIMEOUT = 15.0


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


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

    def request(self, path: str, data: dict[str, str] | None = None) -> Reply:
        """One request; a connection failure is a Reply with status 0 and the reason."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base.rstrip("/") + path, data=body)
        req.add_header("Host", self.host)
        req.add_header("User-Agent", "wpfleet")
        req.add_header("X-Forwarded-Proto", "https")
        if self.auth:
            token = base64.b64encode(f"{self.auth[0]}:{self.auth[1]}".encode()).decode()
            req.add_header("Authorization", f"Basic {token}")
        opener = urllib.request.build_opener(
            _NoRedirect, urllib.request.HTTPSHandler(context=ssl.create_default_context())
        )
        try:
            with opener.open(req, timeout=TIMEOUT) as resp:
                return Reply(resp.status, dict(resp.headers), _text(resp.read()))
        except urllib.error.HTTPError as exc:
            return Reply(exc.code, dict(exc.headers or {}), _text(exc.read()))
        except (urllib.error.URLError, OSError) as exc:
            return Reply(0, {}, str(getattr(exc, "reason", exc)))


def _text(raw: bytes) -> str:
    return raw[:500_000].decode("utf-8", "replace")
