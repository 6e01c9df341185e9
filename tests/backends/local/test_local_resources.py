"""Tenant resources of the local backend, driven directly through the Resource methods."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import LocalStack
from local_stack import deploy, destroy

from wpfleet.backends.local import phpass, probe, proc, secretfiles
from wpfleet.backends.local.template import TEMPLATE_HOST
from wpfleet.engine.resource import Phase
from wpfleet.errors import BackendError

pytestmark = pytest.mark.stack

STEP_IDS = [
    "database/secret",
    "database/database",
    "database/user",
    "infra/content",
    "infra/wp-config",
    "infra/pool",
    "infra/vhost",
    "infra/wordpress",
]


def test_step_ids_phases_and_dependencies(local_stack: LocalStack) -> None:
    resources = local_stack.backends["dev"].resources(local_stack.ctx("dev", "alpha"))
    assert [r.id for r in resources] == STEP_IDS
    by_id = {r.id: r for r in resources}
    assert by_id["database/user"].depends_on == ("database/secret", "database/database")
    assert by_id["infra/pool"].depends_on == ("infra/content", "infra/wp-config")
    assert by_id["infra/vhost"].depends_on == ("infra/pool",)
    assert by_id["infra/wordpress"].standalone is False
    assert {r.phase for r in resources[:3]} == {Phase.DATABASE}
    assert {r.phase for r in resources[3:]} == {Phase.INFRA}
    seen: set[str] = set()
    for r in resources:  # listed in an order that respects dependencies
        assert set(r.depends_on) <= seen
        seen.add(r.id)


@pytest.mark.parametrize("env", ["dev", "sit"])
def test_lifecycle_create_twice_read_delete_twice(local_stack: LocalStack, env: str) -> None:
    backend = local_stack.backends[env]
    ctx = local_stack.ctx(env, "charlie")
    resources = backend.resources(ctx)
    try:
        deploy(resources)
        secret_before = ctx.loaded.state_dir.joinpath(
            "secrets", env, "tenants", "charlie.json"
        ).read_text()
        for res in resources:
            fact = res.read()
            assert fact is not None, res.id
            assert fact.tagged is None
            assert res.differences(fact.state, res.desired()) == [], res.id
            res.create()  # idempotent: converges on what is there
            again = res.read()
            assert again is not None and again.state == fact.state, res.id
        secret_path = backend.tenant(ctx).secret_path
        assert secret_path.read_text() == secret_before  # never regenerated
        reply = probe.request(backend.platform.port, ctx.names.host, "/", auth=_auth(backend))
        assert reply.status == 200
    finally:
        destroy(resources)
    for res in resources:
        assert res.read() is None, res.id
    destroy(resources)  # deleting what is absent succeeds
    assert "dev/charlie" not in local_stack.store.allocations("local", "uid")

    # old nginx workers may answer for ~100 ms after a reload
    def gone() -> bool:
        reply = probe.request(backend.platform.port, ctx.names.host, "/")
        return reply.status == 404 and not reply.header("x-wpfleet-tenant")

    assert proc.wait_for(gone, 2.0)


def test_states_never_hold_a_secret_value(local_stack: LocalStack) -> None:
    for env in ("dev", "sit"):
        backend = local_stack.backends[env]
        ctx = local_stack.ctx(env, "alpha")
        secret = secretfiles.read_secret(backend.tenant(ctx).secret_path) or {}
        assert secret
        for res in backend.resources(ctx):
            fact = res.read()
            assert fact is not None
            dumped = json.dumps([fact.state, res.desired(), res.ownership_data()])
            for value in secret.values():
                assert value not in dumped, res.id
        doc = json.dumps(backend.document_sections(ctx))
        assert not any(value in doc for value in secret.values())


def test_update_blogname_and_back(local_stack: LocalStack) -> None:
    backend = local_stack.backends["dev"]
    ctx = local_stack.ctx("dev", "bravo")
    wp = next(r for r in backend.resources(ctx) if r.id == "infra/wordpress")
    before = wp.read()
    assert before is not None
    assert before.state["blogname"] == "Bravo Bistro"
    try:
        wp.update({**before.state, "blogname": "Bravo <New> & 'Improved'"})
        after = wp.read()
        assert after is not None and after.state["blogname"] == "Bravo <New> & 'Improved'"
        assert _site_name(backend, ctx.names.host) == "Bravo <New> & 'Improved'"
    finally:
        wp.update(before.state)
    restored = wp.read()
    assert restored is not None and restored.state == before.state
    assert _site_name(backend, ctx.names.host) == "Bravo Bistro"


def test_wordpress_state_matches_the_fleet_file(local_stack: LocalStack) -> None:
    backend = local_stack.backends["sit"]
    ctx = local_stack.ctx("sit", "alpha")
    wp = next(r for r in backend.resources(ctx) if r.id == "infra/wordpress")
    fact = wp.read()
    assert fact is not None
    assert fact.state == {
        "blogname": "Alpha Bakery & Cafe",
        "blog_public": "0",
        "admin_email": "owner@alpha.example",
        "home": f"http://alpha.wpsit.localhost:{backend.platform.port}",
        "siteurl": f"http://alpha.wpsit.localhost:{backend.platform.port}",
    }
    assert _site_name(backend, ctx.names.host) == "Alpha Bakery & Cafe"


def _auth(backend: object) -> tuple[str, str] | None:
    creds = backend.basic_auth_credentials()  # type: ignore[attr-defined]
    return (creds.username, creds.password) if creds else None


def _site_name(backend: object, host: str) -> str:
    import html

    port = backend.platform.port  # type: ignore[attr-defined]
    reply = probe.request(port, host, "/wp-json/", auth=_auth(backend))
    assert reply.status == 200, reply
    return html.unescape(json.loads(reply.body)["name"])


@pytest.mark.parametrize("planted", ["wp-content/uploads", "logs"])
def test_root_never_follows_a_symlink_the_tenant_planted(
    local_stack: LocalStack, tmp_path: Path, planted: str
) -> None:
    backend = local_stack.backends["dev"]
    ctx = local_stack.ctx("dev", "delta")
    content = next(r for r in backend.resources(ctx) if r.id == "infra/content")
    victim = tmp_path / "victim"
    victim.mkdir(mode=0o700)
    try:
        content.create()
        target = backend.tenant(ctx).files.root / planted
        shutil.rmtree(target)
        target.symlink_to(victim)
        with pytest.raises(BackendError):
            content.create()
        st = victim.stat()
        assert (st.st_uid, st.st_mode & 0o777) == (os.getuid(), 0o700)
        assert list(victim.iterdir()) == []
    finally:
        content.delete()
    assert victim.is_dir()


def test_parallel_deploys_with_own_pools_all_serve(local_stack: LocalStack) -> None:
    backend = local_stack.backends["dev"]
    sets = [backend.resources(local_stack.ctx("dev", t)) for t in ("charlie", "delta")]
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(deploy, sets))
        for tenant in ("charlie", "delta"):
            host = local_stack.ctx("dev", tenant).names.host
            reply = probe.request(backend.platform.port, host, "/")
            assert reply.status == 200 and reply.header("x-wpfleet-tenant") == tenant
    finally:
        for resources in sets:
            destroy(resources)


def test_half_made_install_converges(local_stack: LocalStack) -> None:
    """A run killed between WordPress's options and its admin user is finished by create."""
    backend = local_stack.backends["sit"]
    ctx = local_stack.ctx("sit", "charlie")
    resources = backend.resources(ctx)
    try:
        deploy(resources)
        db = backend.platform.db
        db.query("DELETE FROM charlie_db.wp_users")
        db.query("DELETE FROM charlie_db.wp_options WHERE option_name = 'blogname'")
        wp = resources[-1]
        wp.create()
        fact = wp.read()
        assert fact is not None and fact.state["blogname"] == "Charlie's Law"
        rows = db.query("SELECT user_login FROM charlie_db.wp_users")
        assert rows == [("admin",)]
    finally:
        destroy(resources)


def test_a_cloned_site_keeps_nothing_of_the_template(local_stack: LocalStack) -> None:
    backend = local_stack.backends["dev"]
    ctx = local_stack.ctx("dev", "alpha")
    with backend.tenant_db_options(ctx) as options:
        dump = subprocess.run(
            ["mysqldump", f"--defaults-extra-file={options}", "--skip-dump-date", "alpha_db"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    assert TEMPLATE_HOST not in dump
    assert "wpfleet template" not in dump
    assert f"http://alpha.wpdev.localhost:{backend.platform.port}/wp-admin/" in dump


def test_install_falls_back_to_php_cli_when_the_template_fails(
    local_stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = local_stack.backends["sit"]
    ctx = local_stack.ctx("sit", "charlie")
    resources = backend.resources(ctx)

    def broken(site: object) -> None:  # after every table but the options was copied
        raise BackendError("template unavailable")

    monkeypatch.setattr(backend.platform.template, "_personalise", broken)
    try:
        deploy(resources)
        fact = resources[-1].read()
        assert fact is not None and fact.state["blogname"] == "Charlie's Law"
        assert _site_name(backend, ctx.names.host) == "Charlie's Law"
        secret = secretfiles.read_secret(backend.tenant(ctx).secret_path) or {}
        rows = backend.platform.db.query("SELECT user_login, user_pass FROM charlie_db.wp_users")
        assert len(rows) == 1 and rows[0][0] == "admin"
        assert phpass.check_password(secret["admin_password"], rows[0][1])
    finally:
        destroy(resources)
