"""Day-2 commands on the real local stack (nginx + php-fpm + MariaDB + WordPress):
``logs`` reads the tenant's own nginx and PHP logs; ``audit isolation`` holds on a
clean fleet and fails when a tenant's grants are widened on purpose."""

from __future__ import annotations

import json
import re
import subprocess
import time
from typing import Any

import pytest

from tests.e2e.conftest import Fleet
from wpfleet.backends.local.paths import EnvPaths
from wpfleet.backends.local.phpfpm import PhpFpm
from wpfleet.config.load import load_fleet

pytestmark = pytest.mark.stack


def test_logs_show_the_tenants_own_requests(fleet: Fleet) -> None:
    assert fleet.cli("deploy", "golf", "--env", "dev").code == 0
    assert fleet.cli("deploy", "hotel", "--env", "dev").code == 0
    marker = f"/golf-marker-{time.time_ns()}"
    assert fleet.http("dev", "golf", marker)[0] == 404
    assert fleet.http("dev", "hotel", "/hotel-only")[0] == 404
    res = fleet.cli("-o", "json", "logs", "golf", "--env", "dev", "--since", "5m")
    assert res.code == 0, res.err
    lines = [json.loads(line) for line in res.out.splitlines()]
    assert any(marker in line["message"] and line["source"] == "nginx-access" for line in lines)
    assert not any("/hotel-only" in line["message"] for line in lines)  # another tenant's
    grepped = fleet.cli("logs", "golf", "--env", "dev", "--grep", marker)
    assert grepped.code == 0 and len(grepped.out.splitlines()) == 1
    assert "nginx-access" in grepped.out


def test_logs_refuse_bad_input_before_reading(fleet: Fleet) -> None:
    bad = fleet.cli("logs", "golf", "--env", "dev", "--since", "forever")
    assert bad.code == 2 and "--since" in bad.err
    missing = fleet.cli("logs", "nosuch", "--env", "dev")
    assert missing.code == 12, missing.err


def _root_sql(fleet: Fleet, env: str, sql: str) -> str:
    """SQL as MariaDB's root over its socket (socket authentication, as wpfleet does)."""
    cnf = EnvPaths.for_env(load_fleet(fleet.path), env).mariadb / "my.cnf"
    done = subprocess.run(
        ["mariadb", f"--defaults-file={cnf}", "--user=root", "--batch", "--skip-column-names"],
        input=sql,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return done.stdout


def _audit(fleet: Fleet, env: str) -> tuple[int, dict[str, Any]]:
    res = fleet.cli("-o", "json", "audit", "isolation", "--env", env)
    return res.code, json.loads(res.out)


def test_audit_isolation_holds_then_fails_when_grants_are_widened(fleet: Fleet) -> None:
    for tenant in ("golf", "hotel"):
        assert fleet.cli("deploy", tenant, "--env", "dev").code == 0
    code, report = _audit(fleet, "dev")
    assert code == 0 and report["ok"], report
    found = {(f["tenant"], f["check"]) for f in report["environments"]["dev"]}
    checks = {"database", "pool-uid", "file-modes", "php-probe", "php-limits"}
    assert found >= {(t, c) for t in ("golf", "hotel") for c in checks}

    [host] = _root_sql(fleet, "dev", "SELECT Host FROM mysql.user WHERE User='golf_user';").split()
    widen = f"GRANT SELECT ON `hotel_db`.* TO 'golf_user'@'{host}';"
    _root_sql(fleet, "dev", widen)
    try:
        code, report = _audit(fleet, "dev")
    finally:
        _root_sql(fleet, "dev", widen.replace("GRANT", "REVOKE").replace(" TO ", " FROM "))
    assert code == 10 and not report["ok"]
    [breach] = [f for f in report["environments"]["dev"] if not f["ok"]]
    assert (breach["tenant"], breach["check"]) == ("golf", "database")
    assert "hotel_db" in breach["detail"]
    assert _audit(fleet, "dev")[0] == 0  # revoked: holds again


def test_audit_names_what_a_shared_pool_can_read(fleet: Fleet) -> None:
    """sit runs every tenant in one pool (isolation: shared): the PHP probe reads the
    other tenant's wp-config.php, and the audit says so."""
    for tenant in ("india", "juliet"):
        assert fleet.cli("deploy", tenant, "--env", "sit").code == 0
    code, report = _audit(fleet, "sit")
    assert code == 10
    breaches = {
        (f["tenant"], f["check"]): f["detail"] for f in report["environments"]["sit"] if not f["ok"]
    }
    assert "reads wp-config.php of juliet" in breaches[("india", "php-probe")]
    assert "shared" in breaches[("india", "pool-uid")]
    assert ("india", "database") not in breaches  # grants still hold
    text = fleet.cli("audit", "isolation", "--env", "sit")
    assert text.code == 10 and "BREACH" in text.out and "isolation breached" in text.err


def _doctor(fleet: Fleet, tenant: str) -> tuple[int, list[dict[str, str]]]:
    res = fleet.cli("-o", "json", "doctor", tenant, "--env", "dev")
    return res.code, json.loads(res.out)["findings"]


def test_doctor_names_what_was_broken_and_the_command_that_fixes_it(fleet: Fleet) -> None:
    assert fleet.cli("deploy", "kilo", "--env", "dev").code == 0
    assert _doctor(fleet, "kilo") == (0, [])
    _root_sql(fleet, "dev", "DROP USER 'kilo_user'@'127.0.0.1';")
    vhost = EnvPaths.for_env(load_fleet(fleet.path), "dev").vhosts / "kilo.conf"
    vhost.unlink()
    code, found = _doctor(fleet, "kilo")
    assert code == 10
    by_step = {f["cause"].split(": ")[1].split(" ")[0]: f for f in found}
    assert by_step["database/user"]["symptom"] == "500"
    assert by_step["infra/vhost"]["symptom"] == "404"
    assert {f["command"] for f in found} == {"wpfleet deploy kilo --env dev"}
    assert fleet.cli("deploy", "kilo", "--env", "dev").code == 0  # the command it gave
    assert _doctor(fleet, "kilo") == (0, [])
    table = fleet.cli("doctor", "kilo", "--env", "dev")
    assert table.code == 0 and "nothing found wrong" in table.out


def test_logs_follow_prints_new_lines_until_interrupted(fleet: Fleet) -> None:
    """A real ``wpfleet logs --follow`` process: a request made after it started shows up
    (it polls every 2 s), and Ctrl-C (SIGINT) ends it with status 0."""
    import select
    import signal

    assert fleet.cli("deploy", "golf", "--env", "dev").code == 0
    follower = fleet.popen("logs", "golf", "--env", "dev", "--since", "10s", "--follow")
    try:
        time.sleep(3)  # started, first read done
        marker = f"/followed-{time.time_ns()}"
        assert fleet.http("dev", "golf", marker)[0] == 404
        deadline, seen = time.monotonic() + 20, ""
        assert follower.stdout is not None
        while marker not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([follower.stdout], [], [], 1.0)
            if ready:
                seen += follower.stdout.readline()
        assert marker in seen
        follower.send_signal(signal.SIGINT)
        assert follower.wait(timeout=15) == 0
    finally:
        if follower.poll() is None:
            follower.kill()
            follower.wait()


def test_doctor_names_a_pool_that_will_not_start_and_the_fix_works(fleet: Fleet) -> None:
    """A pool file broken by hand (``user = nosuchuser``): with php-fpm running, doctor
    names the pool and php-fpm's reason, and the deploy it gives writes the pool again;
    with the master down (it would not start with that file), doctor says why, and its
    advice (move the file aside, platform up, deploy) brings the tenant back."""
    assert fleet.cli("deploy", "juliet", "--env", "dev").code == 0
    paths = EnvPaths.for_env(load_fleet(fleet.path), "dev")
    pool = paths.pools / "dev-juliet.conf"
    good = pool.read_text()
    broken = re.sub(r"^user = .*$", "user = nosuchuser", good, flags=re.M)
    assert broken != good
    pool.write_text(broken)
    code, found = _doctor(fleet, "juliet")
    assert code == 10
    [fpm] = [f for f in found if "will not start" in f["cause"]]
    assert "pool dev-juliet" in fpm["cause"], fpm
    assert "cannot get uid for user 'nosuchuser'" in fpm["cause"], fpm
    assert fpm["command"] == "wpfleet deploy juliet --env dev"
    assert fleet.cli("deploy", "juliet", "--env", "dev").code == 0  # the command it gave
    assert _doctor(fleet, "juliet") == (0, [])

    pool.write_text(broken)
    PhpFpm(paths).stop()  # a reload or restart would now fail: the master is gone
    try:
        code, found = _doctor(fleet, "juliet")
        assert code == 10
        [down] = found  # one cause, not also a bare "php-fpm is not running"
        assert "not running and will not start" in down["cause"], down
        assert "pool dev-juliet" in down["cause"] and "nosuchuser" in down["cause"]
        assert f"mv {pool} {pool}.broken" in down["fix"]
        assert down["command"] == "wpfleet platform up --env dev"
    finally:
        pool.rename(pool.with_name(pool.name + ".broken"))  # the advice, as given
        assert fleet.cli("platform", "up", "--env", "dev").code == 0
        assert fleet.cli("deploy", "juliet", "--env", "dev").code == 0
    assert _doctor(fleet, "juliet") == (0, [])
    assert pool.read_text() == good
