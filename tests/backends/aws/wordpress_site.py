"""A local WordPress standing in for the tenants' ECS tasks (moto serves no traffic).

``php -S`` serves a hard-linked copy of Debian's WordPress core. Its wp-config.php does
what the task definition's ``secrets: valueFrom`` does in ECS: it reads the tenant's
database credentials from Secrets Manager (the moto server) BY NAME, per request, from
the Host header's tenant — so the site only works once the database phase has made the
secret, the database and the user, exactly like a real task.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from tests.backends.aws.infra import free_port

CORE = Path("/usr/share/wordpress")

WP_CONFIG = r"""<?php
$host = strtolower(explode(':', $_SERVER['HTTP_HOST'] ?? 'none')[0]);
$tenant = explode('.', $host)[0];
$secret = getenv('WPFLEET_ENV') . '-' . $tenant . '-db-credentials';
$headers = "Content-Type: application/x-amz-json-1.1\r\n"
  . "X-Amz-Target: secretsmanager.GetSecretValue\r\n"
  . "Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/eu-west-1/secretsmanager/"
  . "aws4_request, SignedHeaders=host, Signature=0\r\n";
$ctx = stream_context_create(['http' => ['method' => 'POST', 'ignore_errors' => true,
  'header' => $headers, 'content' => json_encode(['SecretId' => $secret])]]);
$resp = json_decode((string) @file_get_contents(getenv('WPFLEET_MOTO') . '/', false, $ctx), true);
$creds = json_decode($resp['SecretString'] ?? '{}', true) ?: [];
define('DB_NAME', $creds['database'] ?? 'missing_db');
define('DB_USER', $creds['username'] ?? 'missing_user');
define('DB_PASSWORD', $creds['password'] ?? '');
define('DB_HOST', '127.0.0.1:' . ($creds['port'] ?? 3306));
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
$table_prefix = 'wp_';
foreach (['AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY', 'AUTH_SALT',
          'SECURE_AUTH_SALT', 'LOGGED_IN_SALT', 'NONCE_SALT'] as $k) { define($k, "test-$k"); }
define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_HTTP_BLOCK_EXTERNAL', true);
if (!defined('ABSPATH')) { define('ABSPATH', __DIR__ . '/'); }
require_once ABSPATH . 'wp-settings.php';
"""

NO_MAIL = "<?php\nfunction wp_mail() { return true; }\n"


def copy_core(dest: Path) -> None:
    """Hard links (no disk, 0.1 s) where possible; wp-config.php is unlinked, not edited."""
    try:
        subprocess.run(["cp", "-al", str(CORE), str(dest)], check=True, capture_output=True)
    except subprocess.CalledProcessError:
        shutil.copytree(CORE, dest, symlinks=True)
    (dest / "wp-config.php").unlink()
    (dest / "wp-config.php").write_text(WP_CONFIG)
    (dest / "wp-content" / "mu-plugins").mkdir(exist_ok=True)
    (dest / "wp-content" / "mu-plugins" / "no-mail.php").write_text(NO_MAIL)


def start_site(root: Path, moto_url: str, env: str) -> tuple[str, Callable[[], None]]:
    """Serve WordPress on a free port; returns (address, stop)."""
    docroot = root / "wordpress"
    copy_core(docroot)
    port = free_port()
    proc = subprocess.Popen(
        ["php", "-S", f"127.0.0.1:{port}", "-t", str(docroot)],
        env={**os.environ, "WPFLEET_MOTO": moto_url, "WPFLEET_ENV": env,
             # on AWS each tenant has its own task; ten tenants installing at once on one
             # stand-in must not queue behind four workers until the installer times out
             "PHP_CLI_SERVER_WORKERS": "12"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,  # its workers are children: stop them as one group
    )  # fmt: skip
    address = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while True:
        try:
            urllib.request.urlopen(f"{address}/readme.html", timeout=1).close()
            break
        except (urllib.error.URLError, OSError):
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("php -S did not start") from None
            time.sleep(0.05)

    def stop() -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)

    return address, stop
