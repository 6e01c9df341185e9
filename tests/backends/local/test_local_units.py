"""Pure logic of the local backend: no processes, no stack."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from wpfleet.backends.local import paths, phpass, secretfiles
from wpfleet.backends.local.checks import fatal_lines, line_time
from wpfleet.backends.local.nginx import VhostSpec
from wpfleet.backends.local.paths import TenantPaths
from wpfleet.backends.local.phpfpm import PoolSpec
from wpfleet.backends.local.wordpress import TenantConfig, php_str
from wpfleet.backends.local.wp_resource import esc_html
from wpfleet.config.load import LoadedFleet
from wpfleet.config.models import Environment, Fleet


def _loaded(tmp_path: Path) -> LoadedFleet:
    env = Environment(name="dev", domain="{tenant}.wpdev.localhost")
    return LoadedFleet(Fleet(fleet="bbws", environments=[env]), tmp_path / "fleet.yaml")


def test_runtime_root_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    loaded = _loaded(tmp_path)
    monkeypatch.delenv(paths.RUNTIME_ENV_VAR, raising=False)
    monkeypatch.setattr(paths, "is_root", lambda: False)
    assert paths.runtime_root(loaded, "dev") == tmp_path / ".wpfleet" / "local" / "dev"
    monkeypatch.setattr(paths, "is_root", lambda: True)
    root = paths.runtime_root(loaded, "dev")
    assert root.parent.parent == Path("/var/lib/wpfleet")
    assert root.parent.name.startswith("bbws-") and len(root.parent.name) == len("bbws-") + 8
    monkeypatch.setenv(paths.RUNTIME_ENV_VAR, str(tmp_path / "rt"))
    assert paths.runtime_root(loaded, "dev") == tmp_path / "rt" / "dev"
    env_paths = paths.EnvPaths.for_env(loaded, "dev")
    assert env_paths.secrets == tmp_path / ".wpfleet" / "secrets" / "dev"


def test_secret_is_private_and_never_regenerated(tmp_path: Path) -> None:
    path = tmp_path / "s" / "x.json"
    first = secretfiles.ensure_secret(path, {"a": secretfiles.password})
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    path.chmod(0o644)
    second = secretfiles.ensure_secret(path, {"a": secretfiles.password, "b": secretfiles.salt})
    assert second["a"] == first["a"] and len(second["b"]) == 64
    assert path.stat().st_mode & 0o777 == 0o600
    assert "'" not in secretfiles.SALT_ALPHABET and "\\" not in secretfiles.SALT_ALPHABET


def test_php_and_nginx_timestamps() -> None:
    assert (
        line_time("[22-Nov-2026 20:07:54 UTC] PHP Fatal error: x")
        == datetime(2026, 11, 22, 20, 7, 54, tzinfo=UTC).timestamp()
    )
    local = time.mktime((2026, 11, 22, 20, 7, 54, 0, 0, -1))
    assert line_time("2026/11/22 20:07:54 [crit] 12#12: boom") == local
    assert line_time("Stack trace:") is None


def test_fatal_lines_only_after_the_start(tmp_path: Path) -> None:
    log = tmp_path / "php-error.log"
    log.write_text(
        "[22-Nov-2020 10:00:00 UTC] PHP Fatal error: old\n"
        "[22-Nov-2030 10:00:00 UTC] PHP Warning: fine\n"
        "[22-Nov-2030 10:00:01 UTC] PHP Fatal error: new\n"
        "#0 {main}\n"
    )
    since = datetime(2025, 1, 1, tzinfo=UTC).timestamp()
    assert fatal_lines(tmp_path, "php-error.log", since) == [
        "[22-Nov-2030 10:00:01 UTC] PHP Fatal error: new"
    ]
    assert fatal_lines(tmp_path, "missing.log", since) == []
    (tmp_path / "link.log").symlink_to(log)
    assert fatal_lines(tmp_path, "link.log", since) == []  # never through a symlink


def test_escaping_helpers() -> None:
    assert php_str("it's a \\ test") == "'it\\'s a \\\\ test'"
    assert esc_html("Bakery & Cafe <x> \"q\" 'a'") == (
        "Bakery &amp; Cafe &lt;x&gt; &quot;q&quot; &#039;a&#039;"
    )
    assert esc_html("Already &amp; escaped") == "Already &amp; escaped"


def test_tenant_config_fingerprint_ignores_secret_values(tmp_path: Path) -> None:
    files = TenantPaths(tmp_path / "alpha")
    config = TenantConfig(
        "alpha", "alpha_db", "alpha_user", "127.0.0.1:3407", "http://a:8080", files
    )
    one = {"db_password": "s3cretONE", "auth_key": "k1"}
    two = {"db_password": "s3cretTWO", "auth_key": "k2"}
    text = config.render(one)
    assert "define('DB_HOST', '127.0.0.1:3407');" in text
    assert "define('DISABLE_WP_CRON', true);" in text
    assert "define('WP_HOME', 'http://a:8080');" in text
    assert config.fingerprint(text, one) == config.fingerprint(config.render(two), two)


def test_pool_and_vhost_render(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("wpfleet.backends.local.phpfpm.is_root", lambda: True)
    files = TenantPaths(tmp_path / "alpha")
    pool = PoolSpec(
        "dev-alpha",
        tmp_path / "a.sock",
        20001,
        20001,
        "www-data",
        files.php_error_log,
        [tmp_path / "core", files.root],
        files.tmp,
    )
    text = pool.render()
    for line in ("[dev-alpha]", "user = 20001", "group = 20001", "pm = ondemand"):
        assert line in text
    assert "php_admin_value[opcache.validate_permission] = 1" in text
    assert f"php_admin_value[open_basedir] = {tmp_path / 'core'}:{files.root}" in text
    vhost = VhostSpec(
        "alpha",
        "alpha.wpdev.localhost",
        "127.0.0.1:8080",
        tmp_path / "core",
        files,
        tmp_path / "a.sock",
        tmp_path / "htpasswd",
    ).render()
    assert "server_name alpha.wpdev.localhost;" in vhost
    assert "add_header X-Wpfleet-Tenant alpha always;" in vhost
    assert f"fastcgi_param WPFLEET_TENANT_CONFIG {files.config};" in vhost
    assert "location = /wp-config.php { deny all; }" in vhost
    assert f"auth_basic_user_file {tmp_path / 'htpasswd'};" in vhost


def test_phpass_hashes_are_wordpress_hashes() -> None:
    stored = phpass.hash_password("s3cret-Pw")
    assert stored.startswith("$P$B") and len(stored) == 34
    assert phpass.check_password("s3cret-Pw", stored)
    assert not phpass.check_password("other", stored)
    # made by WordPress 6.1's PasswordHash(8, true) for "s3cret"
    assert phpass.check_password("s3cret", "$P$BLQYwIXcxHZbx2lxHSLll.1J3Wk/vF.")


def test_pool_without_root_has_no_user_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("wpfleet.backends.local.phpfpm.is_root", lambda: False)
    text = PoolSpec("dev-alpha", tmp_path / "a.sock", 20001, 20001, "www-data", None).render()
    assert "user =" not in text and "listen.owner" not in text
    assert "listen = " in text
