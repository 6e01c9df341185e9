"""Approvals, promotion and rollback on the real local stack (nginx + php-fpm + MariaDB).

Three local environments, dev → sit → prod; prod has the seeds' policy (2 of
[tebogotseka, lead-devops-engineer], a wait timer, a Johannesburg window, an expiry). The
services run in-process with an injected clock, so "outside the window" and "after
expiry" are real evaluations at chosen times while every deployment is real.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Fleet, free_port, running_fleet
from tests.helpers.wpcontent import seed_site
from wpfleet.approvals.flow import AwaitingApproval
from wpfleet.approvals.policy import ApprovalRefused
from wpfleet.config.load import load_fleet
from wpfleet.errors import ValidationError
from wpfleet.releases.book import ReleaseBook
from wpfleet.services import approvals, releases
from wpfleet.services.workspace import Workspace

pytestmark = pytest.mark.stack

SAST = dt.timezone(dt.timedelta(hours=2))
WED_10 = dt.datetime(2026, 12, 2, 10, 0, tzinfo=SAST).timestamp()
TENANTS = [
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "lima",
    "mike",
    "november",
    "oscar",
    "papa",
    "quebec",
    "romeo",
]


def chain_text(ports: dict[str, int], extra_tenant_lines: str = "") -> str:
    tenants = "\n".join(
        f"  - {{id: {t}, name: {t.title()} Shop, admin_email: owner@{t}.example}}" for t in TENANTS
    )
    return f"""fleet: chain
environments:
  - name: dev
    domain: "{{tenant}}.wpdev.localhost"
    auto_promote: true
    local: {{http_port: {ports["dev"]}, db_port: {ports["dev_db"]}, isolation: shared}}
  - name: sit
    domain: "{{tenant}}.wpsit.localhost"
    local: {{http_port: {ports["sit"]}, db_port: {ports["sit_db"]}, isolation: shared}}
  - name: prod
    domain: "{{tenant}}.wpprod.localhost"
    basic_auth: true
    approvals:
      required: 2
      approvers: [tebogotseka, leads]
      groups: {{leads: [lead-devops-engineer]}}
      wait_minutes: 5
      windows: ["Mon-Fri 08:00-17:00 Africa/Johannesburg"]
      expire_hours: 72
    local: {{http_port: {ports["prod"]}, db_port: {ports["prod_db"]}, isolation: shared}}
tenants:
{tenants}
{extra_tenant_lines}"""


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    root = tmp_path_factory.mktemp("chain")
    ports = {k: free_port() for k in ("dev", "dev_db", "sit", "sit_db", "prod", "prod_db")}
    with running_fleet(root, chain_text(ports), ports, "wpfleet-chain-") as f:
        yield f


def ws(chain: Fleet, actor: str, path: Path | None = None) -> Workspace:
    return Workspace(load_fleet(path or chain.path), actor=actor)


def request_prod(chain: Fleet, tenant: str, clock: Clock, by: str = "dev-person") -> str:
    with ws(chain, by) as w, pytest.raises(AwaitingApproval) as err:
        from wpfleet.services.clocked import pipeline

        pipe = pipeline(w, w.env("prod"), clock=clock)
        try:
            pipe.deploy(tenant)
        finally:
            pipe.close()
    assert err.value.status == 6
    return err.value.request_id


def vote(chain: Fleet, who: str, request: str, clock: Clock, decision: str = "approve") -> Any:
    with ws(chain, who) as w:
        return approvals.vote(w, request, decision, clock=clock)


def prod_release(chain: Fleet, tenant: str) -> Any:
    with ws(chain, "reader") as w:
        return ReleaseBook(w.store(w.env("prod"))).current(tenant, "prod")


def test_prod_stays_pending_until_two_distinct_allowed_approvers(chain: Fleet) -> None:
    clock = Clock(WED_10)
    rid = request_prod(chain, "alpha", clock)
    assert rid == request_prod(chain, "alpha", clock)  # a re-run keeps the one request
    res = chain.cli("deploy", "alpha", "--env", "prod", env={"WPFLEET_ACTOR": "dev-person"})
    assert res.code == 6 and rid in res.err  # the CLI too (real time: same plan, same id)
    with pytest.raises(ApprovalRefused, match="self-approval"):
        vote(chain, "dev-person", rid, clock)
    with pytest.raises(ApprovalRefused, match="not an allowed approver"):
        vote(chain, "mallory", rid, clock)
    clock.now += 400  # past the 5-minute wait, inside the window
    first = vote(chain, "tebogotseka", rid, clock)
    assert first.outcome is None and first.row.evaluation.missing == 1
    again = vote(chain, "tebogotseka", rid, clock)
    assert again.outcome is None and again.row.evaluation.missing == 1
    assert prod_release(chain, "alpha") is None
    assert chain.http("prod", "alpha")[0] != 200
    second = vote(chain, "lead-devops-engineer", rid, clock)  # through the group
    assert second.outcome is not None and second.outcome.deployment.status == "succeeded"
    assert second.outcome.deployment.summary["approval"] == rid
    assert prod_release(chain, "alpha")["id"] == second.outcome.deployment.release["id"]
    assert chain.http("prod", "alpha")[0] == 401  # deployed, behind basic auth
    listed = chain.cli("-o", "json", "pending").json()
    assert rid not in [r["id"] for r in listed]  # type: ignore[index]


def test_outside_the_window_it_waits_then_resume_runs_it(chain: Fleet) -> None:
    fri_1658 = dt.datetime(2026, 12, 4, 16, 58, tzinfo=SAST).timestamp()
    clock = Clock(fri_1658)
    rid = request_prod(chain, "bravo", clock)
    clock.now += 60
    vote(chain, "tebogotseka", rid, clock)
    res = vote(chain, "lead-devops-engineer", rid, clock)
    assert res.outcome is None and res.row.evaluation.verdict == "waiting"  # wait timer
    clock.now = fri_1658 + 10 * 60  # 17:08: waited, but the window closed at 17:00
    with ws(chain, "tebogotseka") as w, pytest.raises(AwaitingApproval, match="window"):
        approvals.resume(w, rid, clock=clock)
    assert prod_release(chain, "bravo") is None
    clock.now = dt.datetime(2026, 12, 7, 8, 1, tzinfo=SAST).timestamp()  # Monday 08:01
    with ws(chain, "tebogotseka") as w:
        outcome = approvals.resume(w, rid, clock=clock)
    assert outcome.deployment is not None and outcome.deployment.status == "succeeded"
    assert prod_release(chain, "bravo") is not None


def test_after_expiry_it_lapses(chain: Fleet) -> None:
    clock = Clock(WED_10)
    rid = request_prod(chain, "charlie", clock)
    vote(chain, "tebogotseka", rid, clock)
    clock.now += 72 * 3600 + 1
    with ws(chain, "x") as w:
        rows = {r.request.id: r for r in approvals.pending(w, clock=clock)}
    assert rows[rid].evaluation.verdict == "lapsed"
    with pytest.raises(ApprovalRefused, match="lapsed"):
        vote(chain, "lead-devops-engineer", rid, clock)
    with ws(chain, "x") as w, pytest.raises(ApprovalRefused, match="lapsed"):
        approvals.resume(w, rid, clock=clock)
    assert prod_release(chain, "charlie") is None


def test_approving_a_request_whose_release_changed_is_refused_as_stale(chain: Fleet) -> None:
    clock = Clock(WED_10)
    rid = request_prod(chain, "delta", clock)
    clock.now += 400
    vote(chain, "tebogotseka", rid, clock)
    changed = chain.root / "fleet-changed.yaml"  # same state dir: the same fleet, edited
    changed.write_text(
        chain_text(chain.ports).replace(
            "{id: delta, name: Delta Shop,",
            "{id: delta, overrides: {prod: {cpu: 512}}, name: Delta Shop,",
        )
    )
    w = ws(chain, "lead-devops-engineer", changed)
    with w, pytest.raises(ApprovalRefused, match="stale"):
        approvals.vote(w, rid, "approve", clock=clock)
    assert prod_release(chain, "delta") is None
    with ws(chain, "x") as w:
        assert rid not in [r.request.id for r in approvals.pending(w, clock=clock)]


def test_two_approvals_at_once_count_each_approver_once(chain: Fleet) -> None:
    clock = Clock(WED_10)
    rid = request_prod(chain, "echo", clock)
    clock.now += 400
    who = ["tebogotseka", "lead-devops-engineer", "tebogotseka", "lead-devops-engineer"]
    barrier = threading.Barrier(len(who))
    results: list[Any] = []

    def approve(name: str) -> None:
        barrier.wait(10)
        try:
            results.append(vote(chain, name, rid, clock))
        except Exception as exc:
            results.append(exc)

    threads = [threading.Thread(target=approve, args=(n,)) for n in who]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    ran = [r.outcome for r in results if r.outcome is not None]
    assert len(ran) == 1, [r.note for r in results]  # exactly one command deployed it
    with ws(chain, "x") as w:
        store = w.store(w.env("prod"))
        from wpfleet.approvals.book import ApprovalBook

        votes = ApprovalBook(store).votes(rid)
        deps = [d for d in store.list_deployments("echo", "prod") if d.status == "succeeded"]
    assert sorted(v.approver for v in votes) == ["lead-devops-engineer", "tebogotseka"]
    assert len(deps) == 1


def test_promote_deploys_the_release_that_last_passed_upstream(chain: Fleet) -> None:
    with ws(chain, "dev-person") as w:
        with pytest.raises(Exception, match="has passed verification in dev"):
            releases.promote(w, "foxtrot", "sit")
        with pytest.raises(ValidationError, match="never skips"):
            releases.promote(w, "foxtrot", "prod", "dev")
    assert chain.cli("deploy", "foxtrot", "--env", "dev").code == 0  # auto-promotes to sit
    good = ReleaseBook(ws(chain, "r").store()).last_passed("foxtrot", "dev")
    assert good is not None
    sit_now = ReleaseBook(ws(chain, "r").store()).current("foxtrot", "sit")
    assert sit_now is not None  # dev's auto_promote carried it
    # a newer dev release that FAILS verification is not what gets promoted
    newer = chain.root / "fleet-newer.yaml"
    newer.write_text(
        chain_text(chain.ports).replace(
            "{id: foxtrot, name: Foxtrot Shop,",
            "{id: foxtrot, overrides: {dev: {image: 'wordpress:6.9-rc'}}, name: Foxtrot Shop,",
        )
    )
    fault = {"WPFLEET_INJECT_FAULT": "verify:logs"}
    bad = chain.cli("--fleet", str(newer), "deploy", "foxtrot", "--env", "dev",
                    "--verify-deadline", "1", env=fault)  # fmt: skip
    assert bad.code != 0
    with ws(chain, "dev-person") as w:
        result = releases.promote(w, "foxtrot", "sit", "dev")
    assert result.outcome is not None and result.outcome.deployment is not None
    dep = result.outcome.deployment
    assert dep.kind == "promote" and dep.release["origin"]["release_id"] == good["release_id"]
    assert dep.release["config"]["image"] == good["release"]["config"]["image"]
    assert dep.release["config"]["image"] != "wordpress:6.9-rc"
    assert chain.http("sit", "foxtrot")[0] == 200


def test_rollback_goes_back_and_holds(chain: Fleet) -> None:
    assert chain.cli("deploy", "golf", "--env", "sit").code == 0
    first = ReleaseBook(ws(chain, "r").store()).current("golf", "sit")
    renamed = chain.root / "fleet-renamed.yaml"
    renamed.write_text(
        chain_text(chain.ports).replace(
            "{id: golf, name: Golf Shop,", "{id: golf, name: Golf Renamed,"
        )
    )
    assert chain.cli("--fleet", str(renamed), "deploy", "golf", "--env", "sit").code == 0
    assert "Golf Renamed" in chain.http("sit", "golf", "/wp-json/")[2]
    res = chain.cli("rollback", "golf", "--env", "sit", "-m", "bad rename",
                    env={"WPFLEET_ACTOR": "oncall"})  # fmt: skip
    assert res.code == 0, res.err
    book = ReleaseBook(ws(chain, "r").store())
    assert book.current("golf", "sit")["id"] == first["id"]
    assert "Golf Shop" in chain.http("sit", "golf", "/wp-json/")[2]
    held = book.held("golf", "sit")
    assert held is not None and held["by"] == "oncall" and held["reason"] == "bad rename"
    # dev's auto-promotion no longer undoes it, and a manual promotion is refused
    dev = chain.cli("deploy", "golf", "--env", "dev")
    assert dev.code == 0 and "held" in dev.out
    assert book.current("golf", "sit")["id"] == first["id"]
    refused = chain.cli("promote", "golf", "--to", "sit")
    assert refused.code == 3 and "unhold" in refused.err
    assert chain.cli("release", "unhold", "golf", "--env", "sit").code == 0
    assert chain.cli("promote", "golf", "--to", "sit").code == 0
    listed = chain.cli("-o", "json", "releases", "golf").json()
    assert [r["passed"] for r in listed["sit"]] == [True, True]  # type: ignore[index]
    hist = chain.cli("history", "golf")
    assert hist.code == 0 and "rollback" in hist.out


def test_the_cli_flow_with_exit_codes(chain: Fleet) -> None:
    """Real time, so the fleet copy used here has no window and no wait timer (the
    policy, not the release or the plan: the request stays valid across the two)."""
    anytime = chain.root / "fleet-anytime.yaml"
    anytime.write_text(
        chain_text(chain.ports)
        .replace('      windows: ["Mon-Fri 08:00-17:00 Africa/Johannesburg"]\n', "")
        .replace("wait_minutes: 5", "wait_minutes: 0")
    )
    asked = chain.cli("deploy", "hotel", "--env", "prod", env={"WPFLEET_ACTOR": "dev-person"})
    assert asked.code == 6, asked.err
    found = re.search(r"request (a-\d{8}-\d{6}-[0-9a-f]{6})", asked.err)
    assert found, asked.err
    rid = found.group(1)
    rows = chain.cli("-o", "json", "pending", "hotel").json()
    assert [(r["id"], r["missing"]) for r in rows] == [(rid, 2)]  # type: ignore[index]
    own = chain.cli("approve", rid, "--as", "dev-person")
    assert own.code == 3 and "self-approval" in own.err
    one = chain.cli("--fleet", str(anytime), "approve", rid, "--as", "tebogotseka")
    assert one.code == 6 and "1/2" in one.out, one.out + one.err
    two = chain.cli("--fleet", str(anytime), "approve", rid, "--as", "lead-devops-engineer",
                    "-c", "release notes read")  # fmt: skip
    assert two.code == 0, two.err
    assert "hotel in prod: ok" in two.out
    assert chain.http("prod", "hotel")[0] == 401
    hist = chain.cli("history", "hotel", "--env", "prod")
    assert "approval-approve" in hist.out and "release notes read" in hist.out


def test_promote_dry_run_changes_nothing(chain: Fleet) -> None:
    assert chain.cli("deploy", "india", "--env", "dev").code == 0  # auto-promotes to sit
    res = chain.cli("promote", "india", "--to", "prod", "--dry-run")
    assert res.code == 0, res.err
    assert "would change in prod" in res.out and "create" in res.out
    with ws(chain, "x") as w:
        store = w.store(w.env("prod"))
        assert store.list_deployments("india", "prod") == []
        assert approvals.pending(w, "india") == []  # a dry run asks nobody
    assert chain.http("prod", "india")[0] == 404


def test_deploy_all_into_prod_exits_6_with_one_request_per_tenant(chain: Fleet) -> None:
    """A fleet copy (same state, same platform) holding two tenants no other test uses."""
    two = chain.root / "fleet-two.yaml"
    text = chain_text(chain.ports)
    two.write_text(
        text[: text.index("tenants:")]
        + "tenants:\n  - {id: juliet, name: Juliet Shop}\n  - {id: kilo, name: Kilo Shop}\n"
    )
    res = chain.cli("--fleet", str(two), "deploy", "--all", "--env", "prod")
    assert res.code == 6, res.out + res.err
    assert "2 tenant(s) wait for approval" in res.err
    rows = chain.cli("--fleet", str(two), "-o", "json", "pending").json()
    assert sorted(r["tenant"] for r in rows) == ["juliet", "kilo"]  # type: ignore[index]


def test_promote_into_prod_waits_for_approval_then_deploys_the_sit_release(chain: Fleet) -> None:
    clock = Clock(WED_10)
    assert chain.cli("deploy", "lima", "--env", "dev").code == 0  # auto-promotes to sit
    with ws(chain, "r") as w:
        sit_good = ReleaseBook(w.store(w.env("sit"))).last_passed("lima", "sit")
    assert sit_good is not None
    with ws(chain, "dev-person") as w, pytest.raises(AwaitingApproval) as asked:
        releases.promote(w, "lima", "prod", clock=clock)
    rid = asked.value.request_id
    clock.now += 400
    vote(chain, "tebogotseka", rid, clock)
    done = vote(chain, "lead-devops-engineer", rid, clock)
    assert done.outcome is not None and done.outcome.deployment is not None
    dep = done.outcome.deployment
    assert dep.kind == "promote" and dep.actor == "lead-devops-engineer"
    assert dep.release["origin"]["env"] == "sit"
    assert dep.release["origin"]["release_id"] == sit_good["release_id"]
    assert chain.http("prod", "lima")[0] == 401


# --- content: promote --with-content, restore points, rollback --with-content -----------
def _db(chain: Fleet, env: str, tenant: str) -> Any:
    from wpfleet.content.dbconn import DbSpec

    with ws(chain, "x") as w:
        a = w.backend(w.env(env)).content_access(w.tenant(w.env(env), tenant))
    return DbSpec(a.db_host, a.db_port, a.db_user, a.db_password, a.database).connect(), a


def _seed_dev_content(chain: Fleet, tenant: str) -> tuple[int, str]:
    conn, access = _db(chain, "dev", tenant)
    url = access.url  # http://TENANT.wpdev.localhost:PORT
    post_id = seed_site(conn, url)
    uploads = access.files.path / "uploads"  # type: ignore[attr-defined]
    uploads.mkdir(parents=True, exist_ok=True)
    (uploads / "hello.txt").write_text("hello from dev\n")
    (uploads / "hello.txt").chmod(0o644)
    return post_id, url


def _dump_text(chain: Fleet, env: str, tenant: str) -> str:
    conn, _ = _db(chain, env, tenant)
    with conn.cursor() as cur:
        cur.execute("SELECT post_content, guid FROM wp_posts")
        posts = " ".join(f"{a} {b}" for a, b in cur.fetchall())
        cur.execute("SELECT option_value FROM wp_options")
        options = " ".join(str(v) for (v,) in cur.fetchall())
    conn.close()
    return posts + " " + options


def test_promote_with_content_carries_the_site_down_the_urls_moved(chain: Fleet) -> None:
    import subprocess
    from urllib.parse import urlsplit

    tenant = "mike"
    assert chain.cli("deploy", tenant, "--env", "dev").code == 0  # auto-promotes to sit
    post_id, dev_url = _seed_dev_content(chain, tenant)
    dev_before = _dump_text(chain, "dev", tenant)
    res = chain.cli("promote", tenant, "--to", "sit", "--with-content")
    assert res.code == 0, res.out + res.err
    assert "content cloned from dev" in res.out
    _, sit = _db(chain, "sit", tenant)
    dev_host = urlsplit(dev_url).netloc
    status, headers, _ = chain.http("sit", tenant, f"/?p={post_id}")
    assert (status, headers.get("Location")) == (301, f"{sit.url}/moved-post/")
    status, _, body = chain.http("sit", tenant, "/moved-post/")
    assert status == 200 and "Moved post" in body and f"{sit.url}/about/" in body
    assert dev_host not in body
    assert chain.http("sit", tenant, "/wp-content/uploads/hello.txt")[2] == "hello from dev\n"
    sit_text = _dump_text(chain, "sit", tenant)
    assert dev_host not in sit_text and urlsplit(sit.url).netloc in sit_text
    conn, _ = _db(chain, "sit", tenant)
    with conn.cursor() as cur:
        cur.execute("SELECT option_value FROM wp_options WHERE option_name='wpfleet_test'")
        (value,) = cur.fetchone()
    conn.close()
    php = subprocess.run(
        ["php", "-r", '$v = unserialize(stream_get_contents(STDIN)); '
         'echo $v["url"], " ", unserialize($v["inner"]);'],
        input=value, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert php.stdout == f"{sit.url}/x {sit.url}/nested"
    assert _dump_text(chain, "dev", tenant) == dev_before  # dev is unchanged
    with ws(chain, "x") as w:
        from wpfleet.services import backups

        kept = backups.points(w, w.env("sit"), tenant)
    assert [p["reason"] for p in kept] == ["before clone from dev"]


def test_restore_points_before_overwrite_and_destroy(chain: Fleet) -> None:
    tenant = "november"
    assert chain.cli("deploy", tenant, "--env", "sit").code == 0
    made = chain.cli("-o", "json", "backup", "create", tenant, "--env", "sit").json()
    point = made["id"]  # type: ignore[index]
    conn, _ = _db(chain, "sit", tenant)
    with conn.cursor() as cur:
        cur.execute("DELETE FROM wp_posts")
    conn.close()
    assert chain.http("sit", tenant, "/?p=1")[0] == 404  # the sample post is gone
    done = chain.cli("backup", "restore", tenant, point, "--env", "sit")
    assert done.code == 0, done.err
    assert chain.http("sit", tenant, "/?p=1")[0] == 301  # to the post's permalink: back
    listed = chain.cli("-o", "json", "backup", "list", tenant, "--env", "sit").json()
    assert [p["reason"] for p in listed] == [  # type: ignore[index]
        f"before restoring {point}",
        "manual",
    ]
    gone = chain.cli("destroy", tenant, "--env", "sit", "--yes")
    assert gone.code == 0, gone.err
    listed = chain.cli("-o", "json", "backup", "list", tenant, "--env", "sit").json()
    assert listed[0]["reason"] == "before destroy"  # type: ignore[index]
    assert chain.cli("backup", "restore", tenant, "b-nope", "--env", "sit").code == 12


def test_rollback_with_content_restores_what_that_release_had(chain: Fleet) -> None:
    tenant = "oscar"
    assert chain.cli("deploy", tenant, "--env", "sit").code == 0
    assert chain.cli("backup", "create", tenant, "--env", "sit").code == 0  # release A
    renamed = chain.root / "fleet-oscar.yaml"
    renamed.write_text(
        chain_text(chain.ports)
        .replace("{id: oscar, name: Oscar Shop,", "{id: oscar, name: Oscar Renamed,")
        .replace("{id: papa, name: Papa Shop,", "{id: papa, name: Papa Renamed,")
    )
    assert chain.cli("--fleet", str(renamed), "deploy", tenant, "--env", "sit").code == 0
    conn, _ = _db(chain, "sit", tenant)
    with conn.cursor() as cur:
        cur.execute("UPDATE wp_posts SET post_title = 'Broken by release B' WHERE ID = 1")
    conn.close()
    res = chain.cli("rollback", tenant, "--env", "sit", "--with-content")
    assert res.code == 0, res.err
    assert "content restored from" in res.out
    assert "Oscar Shop" in chain.http("sit", tenant, "/wp-json/")[2]
    assert "Broken by release B" not in _dump_text(chain, "sit", tenant) + str(
        chain.http("sit", tenant, "/hello-world/")[2]
    )
    # no restore point of the release asked for: refused before anything changes
    bare = "papa"
    assert chain.cli("deploy", bare, "--env", "sit").code == 0
    assert chain.cli("--fleet", str(renamed), "deploy", bare, "--env", "sit").code == 0
    refused = chain.cli("rollback", bare, "--env", "sit", "--with-content")
    assert refused.code == 12 and "no restore point" in refused.err
    with ws(chain, "x") as w:
        assert ReleaseBook(w.store()).held(bare, "sit") is None


def test_content_export_import_and_clone_rules(chain: Fleet) -> None:
    tenant = "quebec"
    assert chain.cli("deploy", tenant, "--env", "dev").code == 0  # auto-promotes to sit
    _, dev_url = _seed_dev_content(chain, tenant)
    out = chain.root / "quebec-export"
    exported = chain.cli("content", "export", tenant, "--env", "dev", "--out", str(out))
    assert exported.code == 0, exported.err
    assert {p.name for p in out.iterdir()} >= {"database.sql.gz", "manifest.json"}
    imported = chain.cli("content", "import", tenant, "--env", "sit", "--from", str(out))
    assert imported.code == 0, imported.err
    assert chain.http("sit", tenant, "/moved-post/")[0] == 200
    assert dev_url.split("//")[1] not in _dump_text(chain, "sit", tenant)
    same = chain.cli("content", "clone", tenant, "--from", "sit", "--to", "sit")
    assert same.code == 3 and "onto itself" in same.err
    up = chain.cli("content", "clone", tenant, "--from", "dev", "--to", "sit")
    assert up.code == 3 and "--allow-upward" in up.err
    down = chain.cli("content", "clone", tenant, "--from", "sit", "--to", "dev")
    assert down.code == 0, down.err
    prod = chain.cli("content", "clone", tenant, "--from", "sit", "--to", "prod",
                     "--allow-upward")  # fmt: skip
    assert prod.code == 3 and "approvals" in prod.err


def test_an_approved_run_that_cannot_start_gives_its_claim_back(chain: Fleet) -> None:
    import socket
    import time as _time

    from wpfleet.errors import LockHeldError
    from wpfleet.state.base import LockInfo

    clock = Clock(WED_10)
    rid = request_prod(chain, "romeo", clock)
    clock.now += 400
    vote(chain, "tebogotseka", rid, clock)
    host, now = socket.gethostname(), _time.time()
    held = LockInfo(key="prod/romeo", owner=f"{host}:{os.getpid()}:other", host=host,
                    pid=os.getpid(), acquired_at=now, expires_at=now + 600)  # fmt: skip
    with ws(chain, "x") as w:
        store = w.store(w.env("prod"))
        assert store.try_lock(held) is None  # a live deployment holds (romeo, prod)
    with pytest.raises(LockHeldError):
        vote(chain, "lead-devops-engineer", rid, clock)
    with ws(chain, "x") as w:
        rows = {r.request.id: r for r in approvals.pending(w, clock=clock)}
        assert rows[rid].evaluation.verdict == "ready"  # approved, claim given back
        w.store(w.env("prod")).release_lock("prod/romeo", held.owner)
        outcome = approvals.resume(w, rid, clock=clock)
    assert outcome.deployment is not None and outcome.deployment.status == "succeeded"
