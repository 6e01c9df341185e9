"""Crash matrix on the local backend: SIGKILL of a real ``wpfleet deploy`` process at
every config test and reload of nginx and php-fpm, and in the middle of the WordPress
install. The next deploy must succeed at its FIRST attempt, leave only noops, and a
destroy must leave nothing behind.

The kill points inside the resources are the named seams of ``wpfleet.engine.faults``
(``nginx:test`` ...), so the code under test is the real deploy path, unpatched. Before
issue 11's fix, a kill at ``*:test`` or ``*:reload`` left a file written but never
loaded; the next deploy planned a noop for it, its checks failed and it rolled back.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.e2e.test_failures_local import assert_nothing_left, first_deploy_steps
from tests.reliability.conftest import Fleet

pytestmark = [pytest.mark.stack, pytest.mark.slow]

RELOAD_POINTS = [
    "php-fpm:test",
    "php-fpm:reload",
    "php-fpm:reload@after",
    "nginx:test",
    "nginx:reload",
    "nginx:reload@after",
]
#: inside the WordPress install: half the template's tables copied, all but the
#: options, cloned but not yet given the tenant's own options
MID_INSTALL = ["wordpress:table", "wordpress:options", "wordpress:settings"]


def kill_then_converge(fleet: Fleet, tenant: str, point: str) -> None:
    """A deploy killed at ``point``; then one plain deploy must succeed and converge."""
    killed = fleet.sub("deploy", tenant, "--env", "dev", env={"WPFLEET_INJECT_KILL": point})
    assert killed.returncode == -signal.SIGKILL, f"{point} was never reached: {killed.stderr}"
    res = fleet.cli("deploy", tenant, "--env", "dev", "--verify-deadline", "8")
    assert res.code == 0, f"after a kill at {point}, the first deploy failed: {res.err}"
    assert fleet.http("dev", tenant, "/")[0] == 200
    steps = fleet.cli("-o", "json", "plan", tenant, "--env", "dev").json()["steps"]  # type: ignore[index]
    assert {s["op"] for s in steps} == {"noop"}, (point, steps)


@pytest.mark.parametrize("point", RELOAD_POINTS + MID_INSTALL)
def test_kill_at_a_config_test_or_reload_is_resumed_at_the_first_attempt(
    fleet: Fleet, point: str
) -> None:
    tenant = "kilo"
    first_deploy_steps(fleet, tenant)  # starts from nothing
    try:
        kill_then_converge(fleet, tenant, point)
    finally:
        assert fleet.cli("destroy", tenant, "--env", "dev", "--yes").code == 0
    assert_nothing_left(fleet, tenant)


@pytest.mark.parametrize("point", ["php-fpm:reload", "nginx:test", "wordpress:options"])
def test_kill_then_a_failing_deploy_rolls_back_to_nothing(fleet: Fleet, point: str) -> None:
    """The killed run's half-made resources are inherited by the next run; when that run
    fails, its rollback removes them too: no database, user, pool, vhost, file, secret
    or ownership record is left."""
    tenant = "hotel"
    first_deploy_steps(fleet, tenant)
    killed = fleet.sub("deploy", tenant, "--env", "dev", env={"WPFLEET_INJECT_KILL": point})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    res = fleet.cli(
        "deploy", tenant, "--env", "dev", env={"WPFLEET_INJECT_FAULT": "infra/wordpress@after"}
    )
    assert res.code == 4, res.err
    assert_nothing_left(fleet, tenant)


def content_fingerprint(fleet: Fleet, tenant: str) -> dict[str, tuple[int, int]]:
    """(rows, CHECKSUM TABLE) of the tables that hold a site's content."""
    from wpfleet.backends.local.mariadb import AdminDb
    from wpfleet.backends.local.paths import EnvPaths
    from wpfleet.config.load import load_fleet

    db = AdminDb(EnvPaths.for_env(load_fleet(fleet.path), "dev"), fleet.ports["dev_db"])
    out = {}
    for table in ("wp_posts", "wp_users", "wp_comments", "wp_postmeta"):
        name = f"`{tenant}_db`.`{table}`"
        rows = db.query(f"SELECT COUNT(*) FROM {name}")[0][0]
        checksum = db.query(f"CHECKSUM TABLE {name}")[0][1]
        out[table] = (int(rows), int(checksum))
    return out


@pytest.mark.parametrize("point", ["infra/wordpress", "infra/wordpress@after"])
def test_kill_during_an_update_loses_no_content(fleet: Fleet, point: str) -> None:
    """A renamed tenant's redeploy killed around the WordPress step: the content of the
    running release (row counts and checksums) is intact, and the next run converges."""
    tenant = "foxtrot"
    assert fleet.cli("deploy", tenant, "--env", "dev").code == 0
    before = content_fingerprint(fleet, tenant)
    assert before["wp_posts"][0] > 0
    original = fleet.path.read_text()
    try:
        fleet.path.write_text(original.replace("name: Foxtrot Tech", "name: Foxtrot Renamed"))
        kill_then_converge(fleet, tenant, point)
        assert content_fingerprint(fleet, tenant) == before
        assert "Foxtrot Renamed" in fleet.http("dev", tenant, "/")[2]
    finally:
        fleet.path.write_text(original)
    assert fleet.cli("destroy", tenant, "--env", "dev", "--yes").code == 0
    assert_nothing_left(fleet, tenant)


def _edit_content(fleet: Fleet, tenant: str) -> None:
    """Change the site so that the restore point / export differs from what is live."""
    from wpfleet.backends.local.mariadb import AdminDb
    from wpfleet.backends.local.paths import EnvPaths
    from wpfleet.config.load import load_fleet

    db = AdminDb(EnvPaths.for_env(load_fleet(fleet.path), "dev"), fleet.ports["dev_db"])
    db.query(f"UPDATE `{tenant}_db`.`wp_posts` SET post_title = CONCAT(post_title, ' (edited)')")


@pytest.mark.parametrize("what", ["restore", "import"])
def test_kill_in_the_middle_of_a_content_load_leaves_the_site_as_it_was(
    fleet: Fleet, tmp_path: Path, what: str
) -> None:
    """Issue 11 defect 8: a restore or an import killed with the dump's shadow tables
    loaded and proved but not yet swapped in (seam ``content:swap``): the live content is
    exactly as before (row counts and CHECKSUM TABLE), and a plain re-run loads it."""
    tenant = "juliet"
    assert fleet.cli("deploy", tenant, "--env", "dev").code == 0
    try:
        wanted = content_fingerprint(fleet, tenant)
        made = fleet.cli("-o", "json", "backup", "create", tenant, "--env", "dev")
        assert made.code == 0, made.err
        point = made.json()["id"]  # type: ignore[index]
        export = tmp_path / "export"
        exported = fleet.cli("content", "export", tenant, "--env", "dev", "--out", str(export))
        assert exported.code == 0, exported.err
        _edit_content(fleet, tenant)
        before = content_fingerprint(fleet, tenant)
        assert before != wanted
        args = (
            ["backup", "restore", tenant, point, "--env", "dev"]
            if what == "restore"
            else ["content", "import", tenant, "--env", "dev", "--from", str(export)]
        )
        killed = fleet.sub(*args, env={"WPFLEET_INJECT_KILL": "content:swap"})
        assert killed.returncode == -signal.SIGKILL, f"content:swap was never reached: {killed}"
        assert content_fingerprint(fleet, tenant) == before
        again = fleet.cli(*args)
        assert again.code == 0, again.err
        assert content_fingerprint(fleet, tenant) == wanted
        assert fleet.http("dev", tenant, "/")[0] == 200
    finally:
        assert fleet.cli("destroy", tenant, "--env", "dev", "--yes").code == 0
    assert_nothing_left(fleet, tenant)
