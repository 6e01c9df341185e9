"""Failure on the real stack: injected faults, SIGKILL, locks, concurrent deploys.

Faults are injected with the engine's environment seams (``wpfleet.engine.faults``), so
the code under test is the real deploy path, unpatched.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import Fleet
from wpfleet.errors import ExitStatus
from wpfleet.state.sqlite import SqliteStore

pytestmark = [pytest.mark.stack, pytest.mark.slow]


def first_deploy_steps(fleet: Fleet, tenant: str, env: str = "dev") -> list[str]:
    res = fleet.cli("-o", "json", "plan", tenant, "--env", env)
    assert res.code == 0, res.err
    steps = res.json()["steps"]  # type: ignore[index]
    assert {s["op"] for s in steps} == {"create"}, "the tenant must not exist yet"
    return [s["id"] for s in steps]


def assert_nothing_left(fleet: Fleet, tenant: str, env: str = "dev") -> None:
    """No database, user, secret, files, pool, vhost, config document or record."""
    from wpfleet.backends.local.paths import EnvPaths
    from wpfleet.config.load import load_fleet

    res = fleet.cli("-o", "json", "plan", tenant, "--env", env)
    assert res.code == 0, res.err
    leftovers = [s["id"] for s in res.json()["steps"] if s["op"] != "create"]  # type: ignore[index]
    assert leftovers == [], f"still there: {leftovers}"
    paths = EnvPaths.for_env(load_fleet(fleet.path), env)
    assert not paths.tenant_secret(tenant).exists()
    assert not paths.tenant(tenant).root.exists()
    assert not [p for p in paths.vhosts.iterdir() if tenant in p.name]
    assert not [p for p in paths.pools.iterdir() if tenant in p.name]
    assert not (fleet.root / f"config/{env}/{tenant}.json").exists()
    store = SqliteStore(fleet.root / ".wpfleet" / "state.db")
    assert store.owned(env, tenant) == {}
    assert fleet.http(env, tenant, "/")[0] not in (200, 301, 302)


def test_failure_at_every_step_of_a_first_deploy_leaves_nothing(fleet: Fleet) -> None:
    tenant = "foxtrot"
    steps = first_deploy_steps(fleet, tenant)
    assert len(steps) >= 8
    for point in [*steps, *(f"{s}@after" for s in steps)]:
        res = fleet.cli("deploy", tenant, "--env", "dev", env={"WPFLEET_INJECT_FAULT": point})
        assert res.code == ExitStatus.ROLLED_BACK, f"{point}: {res.code} {res.err}"
        assert "injected fault" in res.err
        assert_nothing_left(fleet, tenant)
    assert fleet.cli("deploy", tenant, "--env", "dev").code == 0


def test_failed_verification_rolls_back_a_first_deploy(fleet: Fleet) -> None:
    tenant = "golf"
    res = fleet.cli(
        "deploy",
        tenant,
        "--env",
        "dev",
        "--verify-deadline",
        "1",
        env={"WPFLEET_INJECT_FAULT": "verify:logs"},
    )
    assert res.code == ExitStatus.ROLLED_BACK, res.err
    assert_nothing_left(fleet, tenant)


def test_failed_update_keeps_the_old_version_serving(fleet: Fleet) -> None:
    tenant = "hotel"
    assert fleet.cli("deploy", tenant, "--env", "dev").code == 0
    original = fleet.path.read_text()
    fleet.path.write_text(original.replace("name: Hotel Petal,", "name: Hotel Renamed,"))
    try:
        for point, title_may_flicker in [
            ("infra/wordpress", False),
            ("infra/wordpress@after", True),
            ("post/config-document", True),
            ("post/config-document@after", True),
        ]:
            doc = fleet.root / f"config/dev/{tenant}.json"
            doc_before = doc.read_text()
            seen: list[tuple[int, str]] = []
            stop = threading.Event()

            def watch(stop: threading.Event = stop, seen: list[tuple[int, str]] = seen) -> None:
                while not stop.is_set():
                    code, _, body = fleet.http("dev", tenant, "/wp-json/")
                    seen.append((code, body))
                    time.sleep(0.01)

            watcher = threading.Thread(target=watch)
            watcher.start()
            res = fleet.cli("deploy", tenant, "--env", "dev", env={"WPFLEET_INJECT_FAULT": point})
            stop.set()
            watcher.join()
            assert res.code == ExitStatus.ROLLED_BACK, f"{point}: {res.err}"
            assert seen and all(code == 200 for code, _ in seen), point
            if not title_may_flicker:
                assert all('"name":"Hotel Petal"' in body for _, body in seen), point
            code, _, body = fleet.http("dev", tenant, "/wp-json/")
            assert code == 200 and '"name":"Hotel Petal"' in body, point
            assert doc.read_text() == doc_before, point  # who and when included
        # and without a fault the update goes through
        assert fleet.cli("deploy", tenant, "--env", "dev").code == 0
        assert '"name":"Hotel Renamed"' in fleet.http("dev", tenant, "/wp-json/")[2]
    finally:
        fleet.path.write_text(original)
    assert fleet.cli("deploy", tenant, "--env", "dev").code == 0


def test_sigkill_at_each_step_boundary_is_completed_by_the_next_deploy(fleet: Fleet) -> None:
    tenant = "india"
    steps = first_deploy_steps(fleet, tenant)
    for point in [*steps, f"{steps[-1]}@after"]:
        killed = fleet.sub("deploy", tenant, "--env", "dev", env={"WPFLEET_INJECT_KILL": point})
        assert killed.returncode == -signal.SIGKILL, f"{point}: {killed.stderr}"
        res = fleet.cli("-o", "json", "deploy", tenant, "--env", "dev")
        assert res.code == 0, f"after kill at {point}: {res.err}"
        assert fleet.http("dev", tenant, "/")[0] == 200
        ops = fleet.cli("-o", "json", "plan", tenant, "--env", "dev").json()["steps"]  # type: ignore[index]
        assert {s["op"] for s in ops} == {"noop"}, point
        hist = fleet.cli("-o", "json", "history", tenant, "--env", "dev").json()
        assert isinstance(hist, list)
        hist = [e for e in hist if e["event"] == "deployment"]
        assert hist[0]["status"] == "succeeded"
        assert hist[0]["details"]["resumed_from"] == hist[1]["ref"]
        assert hist[1]["status"] == "abandoned"
        assert fleet.cli("destroy", tenant, "--env", "dev", "--yes").code == 0


def test_killed_first_deploy_then_failing_deploy_leaves_nothing(fleet: Fleet) -> None:
    tenant = "india"
    killed = fleet.sub("deploy", tenant, "--env", "dev", env={"WPFLEET_INJECT_KILL": "infra/vhost"})
    assert killed.returncode == -signal.SIGKILL
    res = fleet.cli(
        "deploy", tenant, "--env", "dev", env={"WPFLEET_INJECT_FAULT": "infra/wordpress"}
    )
    assert res.code == ExitStatus.ROLLED_BACK, res.err
    assert_nothing_left(fleet, tenant)


def _hold_lock(fleet: Fleet, tenant: str, pid: int) -> None:
    from wpfleet.state.base import LockInfo

    store = SqliteStore(fleet.root / ".wpfleet" / "state.db")
    now = time.time()
    lock = LockInfo(
        key=f"dev/{tenant}",
        owner=f"{socket.gethostname()}:{pid}:test",
        host=socket.gethostname(),
        pid=pid,
        acquired_at=now,
        expires_at=now + 600,
        deployment_id="d-test",
    )
    assert store.try_lock(lock) is None


def test_lock_of_a_live_process_is_respected_and_of_a_dead_one_taken_over(
    fleet: Fleet,
) -> None:
    tenant = "juliet"
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        _hold_lock(fleet, tenant, sleeper.pid)
        res = fleet.cli("deploy", tenant, "--env", "dev")
        assert res.code == ExitStatus.LOCK_HELD, res.err
        assert str(sleeper.pid) in res.err and "d-test" in res.err
    finally:
        sleeper.kill()
        sleeper.wait()
    res = fleet.cli("deploy", tenant, "--env", "dev")
    assert res.code == 0, res.err


def test_two_concurrent_deploys_exactly_one_gets_the_lock(fleet: Fleet) -> None:
    tenant = "kilo"
    env = {"WPFLEET_INJECT_SLEEP": "database/secret=3"}
    procs = [fleet.popen("deploy", tenant, "--env", "dev", env=env) for _ in range(2)]
    codes = sorted(p.wait(timeout=120) for p in procs)
    errs = [p.stderr.read() if p.stderr else "" for p in procs]
    assert codes == [0, ExitStatus.LOCK_HELD], errs
    assert fleet.http("dev", tenant, "/")[0] == 200


def test_store_file_is_private(fleet: Fleet) -> None:
    state = Path(fleet.root / ".wpfleet")
    assert (state.stat().st_mode & 0o077) == 0
    assert os.stat(state / "state.db").st_mode & 0o077 == 0


def test_undo_of_a_vhost_update_puts_back_the_exact_previous_text(fleet: Fleet) -> None:
    from wpfleet.backends.local.paths import EnvPaths
    from wpfleet.config.load import load_fleet

    tenant = "bravo"
    assert fleet.cli("deploy", tenant, "--env", "dev").code == 0
    vhost = EnvPaths.for_env(load_fleet(fleet.path), "dev").vhosts / f"{tenant}.conf"
    older = vhost.read_text().replace("# written by wpfleet", "# written by an older wpfleet")
    vhost.write_text(older)  # as if deployed by a previous version
    ops = fleet.cli("-o", "json", "plan", tenant, "--env", "dev").json()["steps"]  # type: ignore[index]
    assert {s["id"]: s["op"] for s in ops}["infra/vhost"] == "update"
    res = fleet.cli(
        "deploy",
        tenant,
        "--env",
        "dev",
        "--verify-deadline",
        "1",
        env={"WPFLEET_INJECT_FAULT": "verify:http"},
    )
    assert res.code == ExitStatus.ROLLED_BACK, res.err
    assert vhost.read_text() == older
    assert fleet.http("dev", tenant, "/")[0] == 200
    assert fleet.cli("deploy", tenant, "--env", "dev").code == 0
    assert "older" not in vhost.read_text()


def test_a_vhost_nginx_refuses_is_taken_back_and_blocks_no_one(fleet: Fleet) -> None:
    from wpfleet.backends import get_backend
    from wpfleet.backends.local.backend import LocalBackend
    from wpfleet.config.load import load_fleet
    from wpfleet.errors import BackendError

    loaded = load_fleet(fleet.path)
    env = loaded.fleet.env("dev")
    backend = get_backend(loaded, env, SqliteStore(fleet.root / ".wpfleet" / "state.db"))
    assert isinstance(backend, LocalBackend)
    nginx = backend.platform.nginx
    with pytest.raises(BackendError, match="nginx -t"):
        nginx.write_vhost("zz-broken", "zz-broken.wpdev.localhost", "server { nonsense; }\n")
    assert not nginx.vhost_file("zz-broken").exists()
    backend.close()
    # every other tenant can still change its vhost and reload
    assert fleet.cli("destroy", "charlie", "--env", "dev", "--yes").code == 0
    assert fleet.cli("deploy", "charlie", "--env", "dev").code == 0
    assert fleet.http("dev", "charlie", "/")[0] == 200
