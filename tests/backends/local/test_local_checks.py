"""Checks, URLs, health and credentials of the local backend against the real stack."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from conftest import LocalStack

from wpfleet.backends.local import probe

pytestmark = pytest.mark.stack

SIX = ["secret", "service", "running", "target", "http", "logs"]


@pytest.mark.parametrize("env", ["dev", "sit"])
def test_every_check_passes_on_a_deployed_tenant(local_stack: LocalStack, env: str) -> None:
    ctx = local_stack.ctx(env, "alpha")
    checks = local_stack.backends[env].checks(ctx)
    names = [c.name for c in checks]
    assert names[:6] == SIX
    assert {"wp-title", "wp-admin"} <= set(names)
    assert ("basic-auth" in names) == (env == "sit")
    results = [c.run() for c in checks]
    assert [r for r in results if not r.ok] == []


def test_http_check_wants_the_themed_front_page(local_stack: LocalStack) -> None:
    """Real WordPress with Debian's twentytwentythree passes; with its theme gone it
    answers a blank 200, which fails naming what was missing."""
    backend = local_stack.backends["dev"]
    ctx = local_stack.ctx("dev", "bravo")
    http = next(c for c in backend.checks(ctx) if c.name == "http")
    result = http.run()
    assert result.ok and f"<title> {ctx.tenant.name!r}" in result.detail, result.detail
    themes = backend.tenant(ctx).files.content / "themes"
    theme = themes / "twentytwentythree"
    assert theme.is_dir() and not theme.is_symlink(), sorted(p.name for p in themes.iterdir())
    hidden = themes.parent / "twentytwentythree.hidden"
    theme.rename(hidden)
    try:
        reply = probe.request(backend.platform.port, ctx.names.host, "/")
        assert reply.status == 200 and reply.body == b""  # what WordPress does without a theme
        result = http.run()
        assert not result.ok
        assert "no <title>" in result.detail and "a blank page" in result.detail
        assert "HTTP 200, text/html; charset=UTF-8, 0 bytes" in result.detail
    finally:
        hidden.rename(theme)
    assert http.run().ok


def test_checks_fail_for_a_tenant_that_is_not_deployed(local_stack: LocalStack) -> None:
    ctx = local_stack.ctx("dev", "delta")
    results = {c.name: c.run() for c in local_stack.backends["dev"].checks(ctx)}
    for name in ("secret", "service", "running", "target", "http", "wp-title"):
        assert not results[name].ok, name
    assert results["logs"].ok  # no logs, no fatal lines


def test_logs_check_sees_fatal_lines_after_the_deploy_only(local_stack: LocalStack) -> None:
    ctx = local_stack.ctx("dev", "bravo")
    backend = local_stack.backends["dev"]
    log = backend.tenant(ctx).files.php_error_log
    original = log.read_bytes()
    stamp = datetime.now(UTC).strftime("%d-%b-%Y %H:%M:%S")
    try:
        with open(log, "a") as fh:
            fh.write(f"[{stamp} UTC] PHP Fatal error:  Uncaught Error: boom in x.php:3\n")
        logs = next(c for c in backend.checks(ctx) if c.name == "logs")
        result = logs.run()
        assert not result.ok and "boom" in result.detail
        ctx.started_at = time.time() + 2
        later = next(c for c in backend.checks(ctx) if c.name == "logs")
        assert later.run().ok
    finally:
        log.write_bytes(original)


def test_basic_auth_refuses_without_and_admits_with_credentials(local_stack: LocalStack) -> None:
    backend = local_stack.backends["sit"]
    host = local_stack.ctx("sit", "alpha").names.host
    assert probe.request(backend.platform.port, host, "/").status == 401
    creds = backend.basic_auth_credentials()
    assert creds is not None
    ok = probe.request(backend.platform.port, host, "/", auth=(creds.username, creds.password))
    assert ok.status == 200
    wrong = probe.request(backend.platform.port, host, "/", auth=(creds.username, "nope"))
    assert wrong.status == 401


def test_urls_and_document(local_stack: LocalStack) -> None:
    backend = local_stack.backends["dev"]
    ctx = local_stack.ctx("dev", "alpha")
    port = backend.platform.port
    urls = backend.urls(ctx)
    assert urls["url"] == f"http://alpha.wpdev.localhost:{port}/"
    assert urls["admin_url"] == f"http://alpha.wpdev.localhost:{port}/wp-admin/"
    doc = backend.document_sections(ctx)
    assert set(doc) == {"infrastructure", "database", "storage", "networking"}
    assert doc["database"]["name"] == "alpha_db"
    assert doc["database"]["username"] == "alpha_user"
    assert doc["networking"]["basic_auth"] is False


def test_health_of_deployed_and_undeployed_tenants(local_stack: LocalStack) -> None:
    backend = local_stack.backends["sit"]
    ctxs = [local_stack.ctx("sit", t) for t in ("alpha", "bravo", "delta")]
    health = backend.health(ctxs)
    assert health["alpha"].deployed and health["alpha"].healthy
    assert health["bravo"].deployed and health["bravo"].healthy
    assert not health["delta"].deployed and health["delta"].healthy is None


def test_admin_can_log_in(local_stack: LocalStack) -> None:
    backend = local_stack.backends["sit"]
    ctx = local_stack.ctx("sit", "bravo")
    admin = backend.admin_credentials(ctx)
    assert admin.username == "admin"
    basic = backend.basic_auth_credentials()
    assert basic is not None
    form = f"log={admin.username}&pwd={admin.password}&wp-submit=Log+In&testcookie=1"
    reply = probe.request(
        backend.platform.port,
        ctx.names.host,
        "/wp-login.php",
        method="POST",
        body=form.encode(),
        auth=(basic.username, basic.password),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": "wordpress_test_cookie=WP%20Cookie%20check",
        },
    )
    assert reply.status == 302, reply.body[:500]
    assert any(c.startswith("wordpress_logged_in_") for c in reply.cookies)
