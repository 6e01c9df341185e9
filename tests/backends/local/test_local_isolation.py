"""Isolation between tenants on the local backend: databases always; files and PHP
processes with per-tenant pools (dev), and, as documented, not with the shared pool (sit)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator

import pymysql
import pytest
from conftest import LocalStack

from wpfleet.backends.local import probe, secretfiles, wordpress
from wpfleet.backends.local.platform import web_ids
from wpfleet.backends.local.wordpress import php_str

pytestmark = pytest.mark.stack

PROBE_PLUGIN = "zz-wpfleet-test-probe.php"


def test_tenant_db_user_cannot_read_another_tenants_database(local_stack: LocalStack) -> None:
    backend = local_stack.backends["dev"]
    alpha = backend.tenant(local_stack.ctx("dev", "alpha"))
    secret = secretfiles.read_secret(alpha.secret_path) or {}
    conn = pymysql.connect(
        host="127.0.0.1",
        port=backend.env.local_settings.db_port,
        user="alpha_user",
        password=secret["db_password"],
    )
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM alpha_db.wp_options")
            assert cur.fetchone()[0] > 0
            with pytest.raises(pymysql.err.OperationalError) as info:
                cur.execute("SELECT option_value FROM bravo_db.wp_options LIMIT 1")
            assert info.value.args[0] in (1142, 1044)
    finally:
        conn.close()


@pytest.fixture
def probe_plugins(local_stack: LocalStack) -> Iterator[None]:
    """A must-use plugin, created only for the test, that reports who PHP runs as and
    whether it can read the other tenant's wp-config.php."""
    made = []
    for env in ("dev", "sit"):
        backend = local_stack.backends[env]
        alpha = backend.tenant(local_stack.ctx(env, "alpha"))
        bravo = backend.tenant(local_stack.ctx(env, "bravo"))
        target = alpha.files.content / "mu-plugins" / PROBE_PLUGIN
        other = php_str(bravo.files.config)
        target.write_text(
            "<?php\nif (isset($_GET['wpfleet_probe'])) {\n"
            "    header('Content-Type: application/json');\n"
            f"    $read = @file_get_contents({other});\n"
            f"    $cmd = 'cat ' . escapeshellarg({other}) . ' 2>/dev/null';\n"
            "    $shell = function_exists('shell_exec') ? (string) @shell_exec($cmd) : '';\n"
            "    echo json_encode(array('euid' => posix_geteuid(), 'read' => $read !== false,\n"
            "        'shell' => strpos($shell, 'DB_PASSWORD') !== false));\n"
            "    exit;\n}\n"
        )
        made.append(target)
    yield
    for path in made:
        path.unlink(missing_ok=True)


def _probe(local_stack: LocalStack, env: str) -> dict[str, object]:
    backend = local_stack.backends[env]
    creds = backend.basic_auth_credentials()
    reply = probe.request(
        backend.platform.port,
        local_stack.ctx(env, "alpha").names.host,
        "/?wpfleet_probe=1",
        auth=(creds.username, creds.password) if creds else None,
    )
    assert reply.status == 200, reply.body[:300]
    return dict(json.loads(reply.body))


@pytest.mark.skipif(os.geteuid() != 0, reason="per-tenant uids need root")
@pytest.mark.usefixtures("probe_plugins")
def test_own_pool_runs_as_own_uid_and_cannot_read_the_neighbour(local_stack: LocalStack) -> None:
    uids = local_stack.store.allocations("local", "uid")
    assert uids["dev/alpha"] != uids["dev/bravo"]
    result = _probe(local_stack, "dev")
    assert result == {"euid": uids["dev/alpha"], "read": False, "shell": False}


@pytest.mark.skipif(os.geteuid() != 0, reason="the shared pool runs as www-data only as root")
@pytest.mark.usefixtures("probe_plugins")
def test_shared_pool_has_no_file_isolation_as_documented(local_stack: LocalStack) -> None:
    result = _probe(local_stack, "sit")
    assert result["euid"] == web_ids()[0]
    assert result["read"] is True  # the limitation platform_status reports


@pytest.mark.skipif(os.geteuid() != 0, reason="per-tenant uids need root")
def test_php_cli_as_tenant_uid_cannot_read_the_neighbours_config(local_stack: LocalStack) -> None:
    backend = local_stack.backends["dev"]
    alpha = backend.tenant(local_stack.ctx("dev", "alpha"))
    bravo = backend.tenant(local_stack.ctx("dev", "bravo"))
    uid = local_stack.store.allocations("local", "uid")["dev/alpha"]
    code = "echo @file_get_contents(getenv('F')) === false ? 'denied' : 'read';"
    env = {"F": "", "PATH": os.environ["PATH"]}
    for target, expected in ((bravo.files.config, "denied"), (alpha.files.config, "read")):
        env["F"] = str(target)
        out = subprocess.run(
            ["php", "-r", code],
            env=env,
            user=uid,
            group=uid,
            extra_groups=[],
            capture_output=True,
            text=True,
            check=True,
        )
        assert out.stdout == expected


def test_nginx_serves_bundled_themes_but_not_a_planted_symlink(local_stack: LocalStack) -> None:
    backend = local_stack.backends["sit"]
    alpha = backend.tenant(local_stack.ctx("sit", "alpha"))
    bravo = backend.tenant(local_stack.ctx("sit", "bravo"))
    creds = backend.basic_auth_credentials()
    assert creds is not None
    auth = (creds.username, creds.password)
    style = "/wp-content/themes/twentytwentythree/style.css"
    assert probe.request(alpha.port, alpha.host, style, auth=auth).status == 200
    link = alpha.files.content / "uploads" / "leak.txt"
    link.symlink_to(bravo.files.config)
    os.lchown(link, *web_ids())  # as the shared pool's PHP would have made it
    try:
        reply = probe.request(alpha.port, alpha.host, "/wp-content/uploads/leak.txt", auth=auth)
        assert reply.status in (403, 404)
        assert b"DB_PASSWORD" not in reply.body
    finally:
        link.unlink()


def test_tenant_db_options_file_for_command_line_clients(local_stack: LocalStack) -> None:
    backend = local_stack.backends["dev"]
    ctx = local_stack.ctx("dev", "alpha")
    with backend.tenant_db_options(ctx) as options:
        assert options.stat().st_mode & 0o777 == 0o600
        out = subprocess.run(
            [
                "mariadb",
                f"--defaults-extra-file={options}",
                "--batch",
                "--skip-column-names",
                "-e",
                "SELECT option_value FROM alpha_db.wp_options WHERE option_name='siteurl'",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        assert out.stdout.strip() == backend.urls(ctx)["url"].rstrip("/")
    assert not options.exists()


def test_the_template_cannot_be_changed_by_php(local_stack: LocalStack) -> None:
    """Every new tenant is cloned from it: the login its (kept) config holds is read-only."""
    db = local_stack.backends["dev"].platform.db
    grants = [str(r[0]) for r in db.query("SHOW GRANTS FOR 'wpfleet_template'@'127.0.0.1'")]
    assert any("GRANT SELECT ON `wpfleet_template`.*" in g for g in grants)
    assert not any("ALL PRIVILEGES" in g or "INSERT" in g or "UPDATE" in g for g in grants)


def test_the_theme_is_active_and_survives_a_copy_of_wp_content_made_by_the_tenant(
    local_stack: LocalStack,
) -> None:
    """Debian's ``wordpress`` only recommends its theme: without one every page is a blank
    200. The tenant gets the default theme active, as a directory of its own (not a link
    into /usr/share), so a copy of wp-content made by the tenant's uid (a backup plugin, a
    restore) still serves the theme's stylesheet: a copied link would belong to the
    tenant and nginx's ``disable_symlinks if_not_owner`` would refuse it."""
    backend = local_stack.backends["dev"]
    alpha = backend.tenant(local_stack.ctx("dev", "alpha"))
    theme = alpha.files.content / "themes" / "twentytwentythree"
    assert theme.is_dir() and not theme.is_symlink()
    assert (theme / "style.css").is_file()
    uid, gid = alpha.ids(alpha.known_uid() or os.geteuid())
    assert theme.stat().st_uid == uid

    def front_page() -> str:
        reply = probe.request(alpha.port, alpha.host, "/")
        assert reply.status == 200
        return reply.body.decode()

    style = "/wp-content/themes/twentytwentythree/style.css"
    html = front_page()
    assert "<title>Alpha Bakery &amp; Cafe" in html
    assert "themes/twentytwentythree/" in html  # the theme's stylesheet or assets
    copy = alpha.files.tmp / "wp-content.copy"
    original = alpha.files.root / "wp-content.original"
    as_tenant = {"user": uid, "group": gid, "extra_groups": []} if os.geteuid() == 0 else {}
    subprocess.run(["cp", "-a", str(alpha.files.content), str(copy)], check=True, **as_tenant)
    os.rename(alpha.files.content, original)
    os.rename(copy, alpha.files.content)
    try:
        assert probe.request(alpha.port, alpha.host, style).status == 200
        assert "themes/twentytwentythree/" in front_page()
    finally:
        shutil.rmtree(alpha.files.content)
        os.rename(original, alpha.files.content)


def test_a_theme_link_made_by_an_older_wpfleet_becomes_a_copy(local_stack: LocalStack) -> None:
    backend = local_stack.backends["dev"]
    bravo = backend.tenant(local_stack.ctx("dev", "bravo"))
    theme = bravo.files.content / "themes" / "twentytwentythree"
    shutil.rmtree(theme)
    theme.symlink_to(wordpress.BUNDLED_THEMES / "twentytwentythree")
    uid, gid = bravo.ids(bravo.known_uid() or os.geteuid())
    wordpress.prepare_content(bravo.files, uid, gid)
    assert theme.is_dir() and not theme.is_symlink()
    assert sorted(p.name for p in theme.iterdir()) == sorted(
        p.name for p in (wordpress.BUNDLED_THEMES / "twentytwentythree").iterdir()
    )


def test_active_theme_option_names_an_installed_theme(local_stack: LocalStack) -> None:
    """``template`` and ``stylesheet`` as WordPress reads them (php-cli, the tenant's own
    configuration): the theme exists, so WordPress renders it."""
    backend = local_stack.backends["dev"]
    alpha = backend.tenant(local_stack.ctx("dev", "alpha"))
    code = (
        "require getenv('CORE') . '/wp-load.php';"
        "echo json_encode([get_option('template'), get_option('stylesheet'),"
        " wp_get_theme()->exists()]);"
    )
    env = {
        "PATH": os.environ["PATH"],
        "WPFLEET_TENANT_CONFIG": str(alpha.files.config),
        "CORE": str(backend.platform.paths.core),
    }
    out = subprocess.run(
        ["php", "-d", "display_errors=stderr", "-r", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [
        "twentytwentythree",
        "twentytwentythree",
        True,
    ]
