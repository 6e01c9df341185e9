"""Platform lifecycle of the local backend against the real stack."""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import LocalStack

from wpfleet.backends.local import wordpress
from wpfleet.backends.local.phpfpm import PoolSpec
from wpfleet.backends.local.platform import LocalPlatform
from wpfleet.errors import BackendError, PlatformDownError

pytestmark = pytest.mark.stack


def test_platform_reports_every_component_running(local_stack: LocalStack) -> None:
    status = local_stack.backends["dev"].platform_status()
    assert status.up
    assert {c.name for c in status.components} == {"mariadb", "php-fpm", "nginx"}
    assert all("pid" in c.detail for c in status.components)


def test_platform_up_again_changes_nothing(local_stack: LocalStack) -> None:
    """Same processes (pids) afterwards. How fast it is: benchmarks/platform_local.py."""
    backend = local_stack.backends["dev"]
    before = [c.detail for c in backend.platform_status().components]
    status = backend.platform_up()
    assert [c.detail for c in status.components] == before


def test_shared_isolation_is_reported_as_a_limitation(local_stack: LocalStack) -> None:
    limits = " ".join(local_stack.backends["sit"].platform_status().limitations)
    assert "no file isolation" in limits


def test_preflight_passes_when_up_and_names_the_fix_when_down(local_stack: LocalStack) -> None:
    local_stack.backends["dev"].preflight()
    with pytest.raises(PlatformDownError) as info:
        local_stack.backends["prod"].preflight()
    assert info.value.hint == "wpfleet platform up --env prod"


def test_secret_files_are_private(local_stack: LocalStack) -> None:
    paths = local_stack.backends["sit"].platform.paths
    for path in (paths.db_admin_secret, paths.basic_auth_secret):
        assert path.stat().st_mode & 0o777 == 0o600
    assert paths.secrets.stat().st_mode & 0o777 == 0o700


def test_basic_auth_user_is_fleet_dash_env(local_stack: LocalStack) -> None:
    creds = local_stack.backends["sit"].basic_auth_credentials()
    assert creds is not None
    assert creds.username == f"{local_stack.loaded.fleet.fleet}-sit"
    assert local_stack.backends["dev"].basic_auth_credentials() is None


def test_platform_up_restarts_only_what_stopped(local_stack: LocalStack) -> None:
    backend = local_stack.backends["dev"]
    db_pid = backend.platform.db_server.pid()
    backend.platform.nginx.stop()
    status = backend.platform_status()
    assert not status.up
    assert [c.name for c in status.components if not c.running] == ["nginx"]
    with pytest.raises(PlatformDownError):
        backend.preflight()
    assert backend.platform_up().up
    assert backend.platform.db_server.pid() == db_pid
    ctx = local_stack.ctx("dev", "alpha")
    assert next(c for c in backend.checks(ctx) if c.name == "http").run().ok


def test_core_copy_is_refreshed_when_the_package_changes(local_stack: LocalStack) -> None:
    paths = local_stack.backends["dev"].platform.paths
    debian_config = Path("/usr/share/wordpress/wp-config.php").read_text()
    (paths.core / ".wpfleet-source").write_text("0:0")
    assert wordpress.ensure_core(paths) is True
    assert wordpress.ensure_core(paths) is False
    ours = (paths.core / "wp-config.php").read_text()
    assert "WPFLEET_TENANT_CONFIG" in ours
    assert Path("/usr/share/wordpress/wp-config.php").read_text() == debian_config
    # hard links when on the same filesystem as /usr/share/wordpress
    same_fs = Path("/usr/share/wordpress").stat().st_dev == paths.core.stat().st_dev
    linked = (paths.core / "wp-load.php").samefile("/usr/share/wordpress/wp-load.php")
    assert linked == same_fs


def test_down_then_up_brings_every_tenant_back(local_stack: LocalStack) -> None:
    backend = local_stack.backends["sit"]
    down = backend.platform_down()
    assert not any(c.running for c in down.components)
    with pytest.raises(PlatformDownError):
        backend.preflight()
    assert backend.platform_up().up
    for tenant in ("alpha", "bravo"):
        ctx = local_stack.ctx("sit", tenant)
        results = {c.name: c.run() for c in backend.checks(ctx)}
        assert all(r.ok for r in results.values()), results


def test_concurrent_platform_up_starts_one_of_each(local_stack: LocalStack) -> None:
    loaded = local_stack.loaded
    env = loaded.fleet.env("prod")
    platforms = [LocalPlatform(loaded, env) for _ in range(3)]
    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            statuses = list(pool.map(lambda p: p.up(), platforms))
        assert all(s.up for s in statuses)
        assert len({tuple(c.detail for c in s.components) for s in statuses}) == 1
        masters = [
            line
            for line in subprocess.run(
                ["ps", "-eo", "args"], capture_output=True, text=True
            ).stdout.splitlines()
            if str(platforms[0].paths.root) in line and "master process" in line
        ]
        assert len(masters) == 2  # one php-fpm master, one nginx master
    finally:
        platforms[0].purge()
        for p in platforms:
            p.close()


def test_a_bad_pool_is_refused_and_the_master_keeps_serving(local_stack: LocalStack) -> None:
    backend = local_stack.backends["dev"]
    fpm = backend.platform.fpm
    pid = fpm.pid()
    bad = PoolSpec("dev-broken", fpm.socket("dev-broken"), 20999, 20999, "www-data", None)
    broken = replace(bad, max_children=0)  # php-fpm refuses pm.max_children = 0
    with pytest.raises(BackendError):
        fpm.apply_pool(broken)
    assert not fpm.pool_file("dev-broken").exists()
    assert fpm.pid() == pid
    ctx = local_stack.ctx("dev", "alpha")
    assert next(c for c in backend.checks(ctx) if c.name == "http").run().ok
