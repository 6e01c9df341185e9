"""A domain move of a live tenant on the real local stack (nginx + php-fpm + MariaDB):
the environment's domain changes in the fleet file, the next deploy moves the vhost, the
content and proves it; a proof that fails puts the old host and the old content back."""

from __future__ import annotations

import signal
import urllib.error
import urllib.request
from typing import Any

import pytest

from tests.e2e.conftest import TENANTS, Fleet, NoRedirect
from tests.helpers.wpcontent import option_in_php
from wpfleet.config.load import load_fleet
from wpfleet.content.dbconn import DbSpec
from wpfleet.services.workspace import Workspace

pytestmark = pytest.mark.stack

DEV_DOMAIN = '"{tenant}.wpdev.localhost"'


def set_dev_domain(fleet: Fleet, domain: str) -> None:
    text = fleet.path.read_text()
    current = next(line for line in text.splitlines() if "domain:" in line)  # dev is first
    fleet.path.write_text(text.replace(current, f"    domain: {domain}", 1))


def get(fleet: Fleet, host: str, path: str = "/") -> tuple[int, str]:
    port = fleet.ports["dev"]
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", headers={"Host": f"{host}:{port}"}
    )
    try:
        with urllib.request.build_opener(NoRedirect).open(req, timeout=10) as resp:
            return resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def access(fleet: Fleet, tenant: str) -> Any:
    with Workspace(load_fleet(fleet.path), actor="test") as w:
        env = w.env("dev")
        return w.backend(env).content_access(w.tenant(env, tenant))


def connect(fleet: Fleet, tenant: str) -> Any:
    a = access(fleet, tenant)
    return DbSpec(a.db_host, a.db_port, a.db_user, a.db_password, a.database).connect()


def ser(text: str) -> str:
    return f's:{len(text.encode())}:"{text}";'


def seed(fleet: Fleet, tenant: str) -> str:
    """A post linking to the site and a serialized option (a nested serialized string
    inside) holding its URL; returns that URL."""
    url = access(fleet, tenant).url
    option = "a:2:{" + ser("url") + ser(f"{url}/x") + ser("inner") + ser(ser(f"{url}/n")) + "}"
    now = "2026-12-01 10:00:00"
    conn = connect(fleet, tenant)
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO wp_posts (post_author, post_date, post_date_gmt, post_content, "
            "post_title, post_excerpt, post_status, post_name, to_ping, pinged, post_modified, "
            "post_modified_gmt, post_content_filtered, post_type, guid) VALUES (1, %s, %s, %s, "
            "'Linked post', '', 'publish', 'linked-post', '', '', %s, %s, '', 'post', %s)",
            (now, now, f'<p><a href="{url}/about/">About</a></p>', now, now, f"{url}/?p=9"),
        )
        cur.execute(
            "INSERT INTO wp_options (option_name, option_value, autoload) "
            "VALUES ('wpfleet_move_test', %s, 'no')",
            (option,),
        )
    conn.close()
    return url


def db_text(fleet: Fleet, tenant: str) -> str:
    conn = connect(fleet, tenant)
    with conn.cursor() as cur:
        cur.execute("SELECT post_content, guid FROM wp_posts")
        text = " ".join(f"{a} {b}" for a, b in cur.fetchall())
        cur.execute("SELECT option_value FROM wp_options")
        text += " ".join(str(v) for (v,) in cur.fetchall())
    conn.close()
    return text


def lasting_content(fleet: Fleet, tenant: str) -> tuple[dict[str, int], dict[str, str]]:
    """CHECKSUM TABLE of every table but wp_options, and every option but transients:
    a page load more than a minute after the last one rewrites WordPress 6.1's global
    styles transients (their timeouts), which says nothing about a restore."""
    sums = checksums(fleet, tenant)
    sums.pop("wp_options")
    conn = connect(fleet, tenant)
    with conn.cursor() as cur:
        cur.execute(
            "SELECT option_name, option_value, autoload FROM wp_options "
            "WHERE option_name NOT LIKE '\\_transient\\_%' "
            "AND option_name NOT LIKE '\\_site\\_transient\\_%'"
        )
        options = {str(name): f"{value}|{autoload}" for name, value, autoload in cur.fetchall()}
    conn.close()
    return sums, options


def checksums(fleet: Fleet, tenant: str) -> dict[str, int]:
    conn = connect(fleet, tenant)
    with conn.cursor() as cur:
        cur.execute("SHOW TABLES")
        tables = [t for (t,) in cur.fetchall()]
        cur.execute("CHECKSUM TABLE " + ", ".join(f"`{t}`" for t in tables))
        found = {str(name).split(".")[-1]: int(value) for name, value in cur.fetchall()}
    conn.close()
    return found


def option_via_php(fleet: Fleet, tenant: str) -> str:
    return option_in_php(connect(fleet, tenant), "wpfleet_move_test")


def vhosts_naming(fleet: Fleet, tenant: str) -> list[str]:
    """``server_name`` lines of every vhost file that routes ``tenant``'s hosts."""
    found = []
    for conf in fleet.runtime.rglob("*.conf"):
        for line in conf.read_text(errors="replace").splitlines():
            if line.strip().startswith("server_name") and f" {tenant}." in line:
                found.append(line.strip())
    return found


def test_a_failed_proof_puts_the_old_host_and_content_back(fleet: Fleet) -> None:
    tenant = "bravo"
    set_dev_domain(fleet, DEV_DOMAIN)
    assert fleet.cli("deploy", tenant, "--env", "dev").code == 0
    old_url = seed(fleet, tenant)
    before, before_text = checksums(fleet, tenant), db_text(fleet, tenant)
    set_dev_domain(fleet, '"{tenant}.wpfail.localhost"')
    try:
        res = fleet.cli(
            "deploy", tenant, "--env", "dev", env={"WPFLEET_INJECT_FAULT": "domain-move:proof"}
        )
    finally:
        set_dev_domain(fleet, DEV_DOMAIN)
    assert res.code != 0
    assert "infra/site-address" in res.err and "domain-move:proof" in res.err, res.err
    assert "everything it changed was undone" in res.err, res.err
    status, body = get(fleet, f"{tenant}.wpdev.localhost")
    assert status == 200 and "Bravo Bistro" in body
    assert get(fleet, f"{tenant}.wpfail.localhost")[0] != 200
    assert checksums(fleet, tenant) == before
    assert db_text(fleet, tenant) == before_text and old_url in before_text
    assert vhosts_naming(fleet, tenant) == [f"server_name {tenant}.wpdev.localhost;"]
    history = fleet.cli("-o", "json", "history", tenant, "--env", "dev")
    kinds = [e["event"] for e in history.json()]  # type: ignore[union-attr]
    assert "domain-move-undone" in kinds and "domain-move" not in kinds


def test_a_changed_domain_moves_host_and_content_together(fleet: Fleet) -> None:
    tenant = "alpha"
    set_dev_domain(fleet, DEV_DOMAIN)
    assert fleet.cli("deploy", tenant, "--env", "dev").code == 0
    old_url = seed(fleet, tenant)
    set_dev_domain(fleet, '"{tenant}.wpmoved.localhost"')
    try:
        new_url = old_url.replace(".wpdev.", ".wpmoved.")
        plan = fleet.cli("plan", tenant, "--env", "dev")
        assert plan.code == 0 and f"domain move: {old_url} → {new_url}" in plan.out, plan.out
        res = fleet.cli("deploy", tenant, "--env", "dev")
        assert res.code == 0, res.out + res.err
        status, body = get(fleet, f"{tenant}.wpmoved.localhost", "/linked-post/")
        assert status == 200 and "Alpha Bakery" in body and f"{new_url}/about/" in body
        assert get(fleet, f"{tenant}.wpdev.localhost")[0] != 200  # the old host is gone
        text = db_text(fleet, tenant)
        assert ".wpdev." not in text and f"{new_url}/about/" in text
        assert option_via_php(fleet, tenant) == f"{new_url}/x {new_url}/n"
        assert vhosts_naming(fleet, tenant) == [f"server_name {tenant}.wpmoved.localhost;"]
        again = fleet.cli("plan", tenant, "--env", "dev")
        assert "domain move" not in again.out and "(0 change(s))" in again.out, again.out
        history = fleet.cli("-o", "json", "history", tenant, "--env", "dev")
        moves = [e for e in history.json() if e["event"] == "domain-move"]  # type: ignore[union-attr]
        assert len(moves) == 1 and moves[0]["who"]
        assert moves[0]["details"]["old_url"] == old_url
        assert moves[0]["details"]["new_url"] == new_url
    finally:
        set_dev_domain(fleet, DEV_DOMAIN)


def killed_move(fleet: Fleet, tenant: str, point: str) -> tuple[str, str, Any]:
    """Deployed at wpdev and seeded; the domain changed to wpkill; a real deploy process
    SIGKILLed at ``point`` of the move. Returns (old URL, new URL, ``lasting_content``
    before the move)."""
    set_dev_domain(fleet, DEV_DOMAIN)
    assert fleet.cli("deploy", tenant, "--env", "dev").code == 0
    old_url = seed(fleet, tenant)
    before = lasting_content(fleet, tenant)
    set_dev_domain(fleet, '"{tenant}.wpkill.localhost"')
    killed = fleet.sub("deploy", tenant, "--env", "dev", env={"WPFLEET_INJECT_KILL": point})
    assert killed.returncode == -signal.SIGKILL, f"{point} was never reached: {killed.stderr}"
    return old_url, old_url.replace(".wpdev.", ".wpkill."), before


def journaled_points(fleet: Fleet, tenant: str) -> list[str]:
    """The restore points named by the journal lines of ``infra/site-address``."""
    with Workspace(load_fleet(fleet.path), actor="test") as w:
        store = w.store(w.env("dev"))
        return [
            str((e.before or {}).get("restore_point"))
            for d in store.list_deployments(tenant=tenant, env="dev", limit=10)
            for e in store.journal(d.id)
            if e.step_id == "infra/site-address" and e.status == "started"
        ]


def events(fleet: Fleet, tenant: str, kind: str) -> list[dict[str, Any]]:
    found = fleet.cli("-o", "json", "history", tenant, "--env", "dev").json()
    return [e for e in found if e["event"] == kind]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("tenant", "point"),
    [("charlie", "nginx:reload"), ("delta", "content:swap"), ("foxtrot", "domain-move:proof")],
)
def test_a_move_killed_mid_way_is_completed_by_the_next_deploy(
    fleet: Fleet, tenant: str, point: str
) -> None:
    """nginx:reload: killed with the restore point taken, the vhost half moved;
    content:swap: with the moved content proved in shadow tables, nothing swapped;
    domain-move:proof: with the moved content live. Each time the next plain deploy
    completes the move with the killed run's restore point (no second one, of a half-moved
    site): one host, in the vhost and everywhere in the DB."""
    try:
        old_url, new_url, _ = killed_move(fleet, tenant, point)
        [taken] = [e["ref"] for e in events(fleet, tenant, "restore-point")]
        res = fleet.cli("deploy", tenant, "--env", "dev")
        assert res.code == 0, res.out + res.err
        status, body = get(fleet, f"{tenant}.wpkill.localhost", "/linked-post/")
        assert status == 200 and dict(TENANTS)[tenant] in body, body[:300]
        assert f"{new_url}/about/" in body
        assert get(fleet, f"{tenant}.wpdev.localhost")[0] != 200
        text = db_text(fleet, tenant)
        assert ".wpdev." not in text and f"{new_url}/about/" in text
        assert option_via_php(fleet, tenant) == f"{new_url}/x {new_url}/n"
        assert vhosts_naming(fleet, tenant) == [f"server_name {tenant}.wpkill.localhost;"]
        assert [e["ref"] for e in events(fleet, tenant, "restore-point")] == [taken]
        assert set(journaled_points(fleet, tenant)) == {taken}
        [move] = events(fleet, tenant, "domain-move")
        assert move["details"]["old_url"] == old_url
        assert move["details"]["restore_point"] == taken and move["details"]["resumed_from"]
    finally:
        set_dev_domain(fleet, DEV_DOMAIN)


def test_a_move_killed_after_the_swap_is_undone_to_its_restore_point(fleet: Fleet) -> None:
    """Killed with the moved content live; the next deploy fails verification and undoes
    what the killed run changed too: the restore point it took (named only by its
    journal, the process that held it in memory is gone) is put back with the old host."""
    tenant = "echo"
    try:
        old_url, _, before = killed_move(fleet, tenant, "domain-move:proof")
        assert ".wpkill." in db_text(fleet, tenant)  # the killed run swapped it in
        res = fleet.cli(
            "deploy", tenant, "--env", "dev", env={"WPFLEET_INJECT_FAULT": "verify:wp-title"}
        )
        assert events(fleet, tenant, "domain-move") == []
        assert res.code != 0 and "everything it changed was undone" in res.err, res.err
        status, body = get(fleet, f"{tenant}.wpdev.localhost")
        assert status == 200 and "Echo Lens" in body
        assert get(fleet, f"{tenant}.wpkill.localhost")[0] != 200
        assert lasting_content(fleet, tenant) == before
        text = db_text(fleet, tenant)
        assert ".wpkill." not in text and f"{old_url}/about/" in text
        assert vhosts_naming(fleet, tenant) == [f"server_name {tenant}.wpdev.localhost;"]
        [taken] = [e["ref"] for e in events(fleet, tenant, "restore-point")]
        assert set(journaled_points(fleet, tenant)) == {taken}
        undone = events(fleet, tenant, "domain-move-undone")
        assert undone and {e["ref"] for e in undone} == {taken}
    finally:
        set_dev_domain(fleet, DEV_DOMAIN)
