"""The README's promises on the real local stack: deploy, re-deploy, repair, destroy."""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request

import pytest

from tests.e2e.conftest import Fleet, NoRedirect
from wpfleet.errors import ExitStatus

pytestmark = pytest.mark.stack


def plan_ops(fleet: Fleet, tenant: str, env: str = "dev") -> dict[str, str]:
    res = fleet.cli("-o", "json", "plan", tenant, "--env", env)
    assert res.code == 0, res.err
    return {s["id"]: s["op"] for s in res.json()["steps"]}  # type: ignore[index]


def test_deploy_serves_a_real_wordpress_with_the_display_name(fleet: Fleet) -> None:
    res = fleet.cli("deploy", "alpha", "--env", "dev")
    assert res.code == 0, res.err
    status, headers, _ = fleet.http("dev", "alpha", "/")
    assert status == 200
    status, _, body = fleet.http("dev", "alpha", "/wp-json/")
    assert status == 200
    assert json.loads(body)["name"] == "Alpha Bakery"
    status, headers, _ = fleet.http("dev", "alpha", "/wp-admin/")
    assert status in (301, 302) and "wp-login.php" in headers["Location"]
    doc = json.loads((fleet.root / "config/dev/alpha.json").read_text())
    assert doc["tenant_name"] == "alpha" and doc["status"] == "active"
    assert doc["admin_url"].endswith("/wp-admin/")
    assert doc["deployed_by"] and doc["deployment_id"].startswith("d-")


def test_admin_can_log_in_with_the_revealed_credentials(fleet: Fleet) -> None:
    assert fleet.cli("deploy", "alpha", "--env", "dev").code == 0
    creds = fleet.cli("-o", "json", "credentials", "alpha", "--env", "dev").json()
    assert isinstance(creds, dict)
    port = fleet.ports["dev"]
    form = urllib.parse.urlencode(
        {"log": creds["username"], "pwd": creds["password"], "testcookie": "1"}
    ).encode()
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/wp-login.php",
        data=form,
        headers={"Host": f"alpha.wpdev.localhost:{port}", "Cookie": "wordpress_test_cookie=1"},
    )
    opener = urllib.request.build_opener(NoRedirect)
    try:
        resp = opener.open(req, timeout=10)
        code, headers = resp.status, resp.headers
    except urllib.error.HTTPError as exc:
        code, headers = exc.code, exc.headers
    assert code == 302, "a failed login answers 200 with the form again"
    cookies = " ".join(headers.get_all("Set-Cookie") or [])
    assert "wordpress_logged_in_" in cookies


def test_second_deploy_plans_only_noops_and_changes_nothing(fleet: Fleet) -> None:
    assert fleet.cli("deploy", "bravo", "--env", "dev").code == 0
    doc_before = (fleet.root / "config/dev/bravo.json").read_text()
    assert set(plan_ops(fleet, "bravo").values()) == {"noop"}
    res = fleet.cli("-o", "json", "deploy", "bravo", "--env", "dev")
    assert res.code == 0, res.err
    assert {s["op"] for s in res.json()["steps"]} == {"noop"}  # type: ignore[index]
    assert (fleet.root / "config/dev/bravo.json").read_text() == doc_before


def test_removed_vhost_and_db_user_are_planned_and_repaired(fleet: Fleet) -> None:
    from wpfleet.backends.local.paths import EnvPaths
    from wpfleet.config.load import load_fleet

    assert fleet.cli("deploy", "charlie", "--env", "dev").code == 0
    paths = EnvPaths.for_env(load_fleet(fleet.path), "dev")
    vhosts = [p for p in paths.vhosts.iterdir() if "charlie" in p.name]
    assert len(vhosts) == 1
    vhosts[0].unlink()
    ops = plan_ops(fleet, "charlie")
    assert {k: v for k, v in ops.items() if v != "noop"} == {"infra/vhost": "create"}
    assert fleet.cli("deploy", "charlie", "--env", "dev").code == 0
    assert fleet.http("dev", "charlie", "/")[0] == 200

    drop_db_user(fleet, "charlie_user")
    ops = plan_ops(fleet, "charlie")
    assert {k: v for k, v in ops.items() if v != "noop"} == {"database/user": "create"}
    assert fleet.cli("deploy", "charlie", "--env", "dev").code == 0
    assert set(plan_ops(fleet, "charlie").values()) == {"noop"}
    assert fleet.http("dev", "charlie", "/")[0] == 200


def drop_db_user(fleet: Fleet, user: str) -> None:
    import pymysql

    from wpfleet.backends.local.mariadb import ADMIN_USER

    admin = json.loads((fleet.root / ".wpfleet/secrets/dev/db-admin.json").read_text())
    conn = pymysql.connect(
        host="127.0.0.1",
        port=fleet.ports["dev_db"],
        user=ADMIN_USER,
        password=admin["password"],
    )
    with conn.cursor() as cur:
        cur.execute(f"SELECT host FROM mysql.user WHERE user = '{user}'")
        for (host,) in cur.fetchall():
            cur.execute(f"DROP USER '{user}'@'{host}'")
    conn.close()


def test_sit_is_behind_basic_auth_and_credentials_are_revealed_on_request(
    fleet: Fleet,
) -> None:
    res = fleet.cli("deploy", "delta", "--env", "sit")
    assert res.code == 0, res.err
    assert fleet.http("sit", "delta", "/")[0] == 401
    creds = fleet.cli("-o", "json", "credentials", "--env", "sit").json()
    assert isinstance(creds, dict)
    assert creds["username"] == "e2e-sit"
    status, _, body = fleet.http(
        "sit", "delta", "/wp-json/", (creds["username"], creds["password"])
    )
    assert status == 200 and json.loads(body)["name"] == "Delta Build"
    assert fleet.http("sit", "delta", "/", ("e2e-sit", "wrong"))[0] == 401


def test_status_and_history_show_the_deployment(fleet: Fleet) -> None:
    assert fleet.cli("deploy", "alpha", "--env", "dev").code == 0
    rows = fleet.cli("-o", "json", "status", "--env", "dev").json()
    assert isinstance(rows, list)
    alpha = next(r for r in rows if r["tenant"] == "alpha")
    assert alpha["state"] == "healthy"
    assert alpha["url"] == f"http://alpha.wpdev.localhost:{fleet.ports['dev']}/"
    assert re.fullmatch(r"r-[0-9a-f]{12}", alpha["release"])
    never = next(r for r in rows if r["tenant"] == "kilo")
    assert never["state"] == "not deployed"
    hist = fleet.cli("-o", "json", "history", "alpha", "--env", "dev").json()
    assert isinstance(hist, list)
    deps = [e for e in hist if e["event"] == "deployment"]
    assert deps[0]["status"] == "succeeded" and deps[0]["who"]


def test_verify_reports_in_every_format(fleet: Fleet) -> None:
    import xml.etree.ElementTree as ET

    assert fleet.cli("deploy", "alpha", "--env", "dev").code == 0
    res = fleet.cli("verify", "alpha", "--env", "dev", "--format", "json")
    assert res.code == 0, res.out + res.err
    names = {o["name"] for o in json.loads(res.out)["outcomes"]}
    assert {"secret", "service", "running", "target", "http", "logs", "wp-title"} <= names
    junit = fleet.cli("verify", "alpha", "--env", "dev", "--format", "junit")
    suite = ET.fromstring(junit.out)
    assert suite.find(".//testcase") is not None
    md = fleet.cli("verify", "alpha", "--env", "dev", "--format", "markdown")
    assert "| http" in md.out or "http" in md.out


def test_destroy_removes_everything_and_the_site_stops_answering(fleet: Fleet) -> None:
    assert fleet.cli("deploy", "echo", "--env", "dev").code == 0
    res = fleet.cli("destroy", "echo", "--env", "dev", "--yes")
    assert res.code == 0, res.err
    assert not (fleet.root / "config/dev/echo.json").exists()
    assert set(plan_ops(fleet, "echo").values()) == {"create"}
    assert fleet.http("dev", "echo", "/")[0] != 200
    # and it can come back
    assert fleet.cli("deploy", "echo", "--env", "dev").code == 0


def test_deploy_all_is_independent_per_tenant_and_summarises(fleet: Fleet) -> None:
    res = fleet.cli("-o", "json", "deploy", "--all", "--env", "dev", "-j", "4")
    assert res.code == 0, res.err
    items = res.json()
    assert isinstance(items, list) and len(items) == 11
    assert all(i["ok"] for i in items)
    assert fleet.cli("deploy", "--all", "--env", "dev", "kilo").code == ExitStatus.USAGE
