"""The sit wp-admin check goes straight to the ALB (verify runs before DNS). An ALB
OVERWRITES X-Forwarded-Proto with its listener's protocol ("X-Forwarded-Proto ... the
load balancer ... overwrites" this header:
https://docs.aws.amazon.com/elasticloadbalancing/latest/application/x-forwarded-headers.html),
so a check that sends ``X-Forwarded-Proto: https`` reaches WordPress as plain http, and
with FORCE_SSL_ADMIN WordPress redirects /wp-admin/ to https instead of to the login
page. The check sends ``CloudFront-Forwarded-Proto: https``, which the task definition's
WORDPRESS_CONFIG_EXTRA honours and the ALB passes through.

moto serves no traffic: a real WordPress (``php -S``, Debian's core, MariaDB) runs the
task definition's WORDPRESS_CONFIG_EXTRA the way the official image does
(``eval(getenv('WORDPRESS_CONFIG_EXTRA'))``), behind a stand-in ALB (an HTTP proxy that
overwrites the X-Forwarded-* headers like an HTTP:80 listener)."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.backends.aws.infra import ENV, BaseEnv, free_port, make_ctx, tenant, write_fleet
from tests.backends.aws.wordpress_site import copy_core
from wpfleet.backends.aws.backend import AwsBackend
from wpfleet.backends.aws.resources.task_definition import config_extra
from wpfleet.checks.probe import HttpProbe
from wpfleet.checks.site import SiteExpectations, WpAdminCheck
from wpfleet.state.sqlite import SqliteStore

pytestmark = pytest.mark.aws

HOST = "alpha.wpsit.example.test"
DB_PASSWORD = "alpha-" + "pw-9Qz"

WP_CONFIG = r"""<?php
define('DB_NAME', 'alpha_db');
define('DB_USER', 'alpha_user');
define('DB_PASSWORD', getenv('WP_DB_PASSWORD'));
define('DB_HOST', '127.0.0.1:' . getenv('WP_DB_PORT'));
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
$table_prefix = 'wp_';
foreach (['AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY', 'AUTH_SALT',
          'SECURE_AUTH_SALT', 'LOGGED_IN_SALT', 'NONCE_SALT'] as $k) { define($k, "test-$k"); }
define('DISABLE_WP_CRON', true);
define('WP_HTTP_BLOCK_EXTERNAL', true);
eval(getenv('WORDPRESS_CONFIG_EXTRA'));
if (!defined('ABSPATH')) { define('ABSPATH', __DIR__ . '/'); }
require_once ABSPATH . 'wp-settings.php';
"""

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "host"}


def start_wordpress(root: Path, db_port: int) -> tuple[int, subprocess.Popen[bytes]]:
    docroot = root / "wordpress"
    copy_core(docroot)
    (docroot / "wp-config.php").write_text(WP_CONFIG)
    port = free_port()
    env = {
        **os.environ,
        "WP_DB_PASSWORD": DB_PASSWORD,
        "WP_DB_PORT": str(db_port),
        "WORDPRESS_CONFIG_EXTRA": config_extra(f"https://{HOST}"),
        "PHP_CLI_SERVER_WORKERS": "2",
    }
    proc = subprocess.Popen(
        ["php", "-S", f"127.0.0.1:{port}", "-t", str(docroot)], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    probe = HttpProbe("127.0.0.1", port, HOST, timeout=2.0)
    deadline = time.monotonic() + 15
    while probe.get("/readme.html").status != 200:
        assert time.monotonic() < deadline and proc.poll() is None, "php -S did not start"
        time.sleep(0.05)
    return port, proc


def start_alb(backend_port: int, seen: list[dict[str, str]]) -> ThreadingHTTPServer:
    """An HTTP:80 listener's forwarding: X-Forwarded-Proto/Port/For set by the load
    balancer whatever the client sent; every other header passed through."""

    class Alb(BaseHTTPRequestHandler):
        def forward(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            for name in [k for k in headers if k.lower().startswith("x-forwarded-")]:
                del headers[name]
            headers |= {"X-Forwarded-Proto": "http", "X-Forwarded-Port": "80"}
            headers |= {"X-Forwarded-For": self.client_address[0]}
            seen.append({k.lower(): v for k, v in headers.items()})
            conn = http.client.HTTPConnection("127.0.0.1", backend_port, timeout=20)
            conn.request(self.command, self.path, body=body or None,
                         headers={**headers, "Host": self.headers["Host"]})  # fmt: skip
            resp = conn.getresponse()
            data = resp.read()
            self.send_response(resp.status)
            for k, v in resp.getheaders():
                if k.lower() not in HOP_BY_HOP | {"content-length"}:
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            conn.close()

        do_GET = do_POST = forward

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Alb)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def alb_site(tmp_path: Path, base: BaseEnv) -> Iterator[tuple[str, list[dict[str, str]]]]:
    """A WordPress installed as wpfleet would (title "Alpha Bakery"), behind the stand-in
    ALB; yields the ALB's address and the headers it forwarded."""
    base.db.query("CREATE DATABASE alpha_db")
    base.db.query("CREATE USER 'alpha_user'@'%%' IDENTIFIED BY %s", (DB_PASSWORD,))
    base.db.query("GRANT ALL PRIVILEGES ON alpha_db.* TO 'alpha_user'@'%'")
    wp_port, proc = start_wordpress(tmp_path, base.db.port)
    seen: list[dict[str, str]] = []
    alb = start_alb(wp_port, seen)
    address = f"127.0.0.1:{alb.server_address[1]}"
    try:
        install(HttpProbe("127.0.0.1", alb.server_address[1], HOST, timeout=30.0))
        yield address, seen
    finally:
        alb.shutdown()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)


def install(alb: HttpProbe) -> None:
    form = (
        "weblog_title=Alpha+Bakery&user_name=admin&admin_password=Pw-123456789x"
        "&admin_password2=Pw-123456789x&pw_weak=1&admin_email=owner%40alpha.test"
        "&blog_public=0&Submit=Install+WordPress"
    )
    reply = alb.request(
        "POST", "/wp-admin/install.php?step=2", body=form.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded",
                 "CloudFront-Forwarded-Proto": "https"},
    )  # fmt: skip
    assert reply.status == 200 and b"Success" in reply.body, reply.body[-500:]


def test_wp_admin_check_passes_straight_to_a_real_alb(
    tmp_path: Path, base: BaseEnv, store: SqliteStore, alb_site: tuple[str, list[dict[str, str]]]
) -> None:
    address, seen = alb_site
    loaded = write_fleet(
        tmp_path / "fleet.yaml", base, [tenant("alpha")], http_check_address=address
    )
    backend = AwsBackend(loaded, loaded.fleet.env(ENV), store)
    checks = {c.name: c for c in backend.checks(make_ctx(loaded, "alpha", store))}
    admin = checks["wp-admin"].run()
    assert admin.ok and "wp-login.php" in admin.detail, admin.detail
    assert seen[-1]["x-forwarded-proto"] == "http"  # overwritten, as an ALB does
    assert seen[-1]["cloudfront-forwarded-proto"] == "https"
    assert checks["http"].run().ok  # the themed front page, through the same ALB
    # what the check sent before: X-Forwarded-Proto, which the ALB overwrites
    old = HttpProbe(*address.split(":")[:1], int(address.split(":")[1]), HOST,
                    default_headers={"X-Forwarded-Proto": "https"})  # fmt: skip
    before = WpAdminCheck(old, SiteExpectations("Alpha Bakery", HOST)).run()
    assert not before.ok and f"to https://{HOST}/wp-admin/" in before.detail, before.detail
