"""HTTP to a tenant's site on AWS, through the one HTTP client
(``wpfleet.checks.probe``), without following redirects (a 301/302 is an answer).

Three ways in, chosen by ``resources.wordpress_install.site``:
- through ``aws.http_check_address`` with a Host header (tests: a local WordPress);
- straight to the ALB (``connect_to`` its DNS name, like ``curl --resolve``): TLS is
  checked against the tenant's host name, so this works before the DNS phase has made
  the public record (sit verifies before DNS) and without CloudFront's basic auth;
- by the public name ``https://{host}`` (after DNS), with the environment's basic auth.

The first two stand in for CloudFront, so they send ``CloudFront-Forwarded-Proto:
https`` (the task definition's WORDPRESS_CONFIG_EXTRA turns HTTPS on for it). They must
not rely on ``X-Forwarded-Proto``: an ALB overwrites that header with its listener's
protocol (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/x-forwarded-headers.html),
and with FORCE_SSL_ADMIN WordPress would then redirect /wp-admin/ to https.
"""

from __future__ import annotations

import ssl
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field

from wpfleet.checks.probe import HttpProbe, Reply

TIMEOUT = 15.0
#: what CloudFront adds to an origin request made over HTTPS
BEHIND_CLOUDFRONT = {"CloudFront-Forwarded-Proto": "https"}

__all__ = ["BEHIND_CLOUDFRONT", "Reply", "Site"]


@dataclass(frozen=True)
class Site:
    """Where and how to reach one tenant's site; a ``SiteProbe`` for the checks."""

    host: str
    base: str  # e.g. http://127.0.0.1:8081 or https://goldencrust.wpsit.kimmyai.io
    auth: tuple[str, str] | None = None
    #: "address:port" to dial instead of the base URL's host (the ALB's DNS name)
    connect_to: str | None = None
    context: ssl.SSLContext | None = field(default=None, compare=False)
    #: sent with every request (``BEHIND_CLOUDFRONT`` when standing in for CloudFront)
    extra_headers: Mapping[str, str] = field(default_factory=dict)

    def probe(self) -> HttpProbe:
        parts = urllib.parse.urlsplit(self.base)
        tls = parts.scheme == "https"
        if self.connect_to:
            address, _, port = self.connect_to.rpartition(":")
            dial = (address, int(port))
        else:
            dial = (parts.hostname or self.host, parts.port or (443 if tls else 80))
        return HttpProbe(
            dial[0], dial[1], self.host, tls_name=self.host if tls else None,
            default_headers=self.extra_headers, context=self.context, timeout=TIMEOUT,
        )  # fmt: skip

    @property
    def where(self) -> str:
        return self.probe().where

    def get(
        self,
        path: str,
        headers: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
    ) -> Reply:
        return self.probe().get(path, headers, auth)

    def request(self, path: str, data: dict[str, str] | None = None) -> Reply:
        """One request with the site's own login (if any); ``data`` makes it a form POST.
        A connection failure is a Reply with status 0 and the reason."""
        if data is None:
            return self.probe().get(path, auth=self.auth)
        body = urllib.parse.urlencode(data).encode()
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        return self.probe().request("POST", path, body=body, headers=form, auth=self.auth)
