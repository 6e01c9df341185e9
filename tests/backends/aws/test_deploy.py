"""The whole pipeline on the AWS backend: deploy → verify → a second deploy that plans
only noops → destroy, against moto + MariaDB, with a local WordPress serving the
tenant's HTTP checks (``http_check_address``) the way its ECS task would."""

from __future__ import annotations

import json
import multiprocessing
import traceback
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.backends.aws.infra import (
    ENV,
    BaseEnv,
    Recorder,
    injected_error,
    make_ctx,
    recording,
    tenant,
    write_fleet,
)
from wpfleet.backends.aws.backend import AwsBackend
from wpfleet.config.load import LoadedFleet, load_fleet
from wpfleet.engine.resource import Op
from wpfleet.errors import ConflictError, DeploymentFailed
from wpfleet.pipeline import deploy as pipeline
from wpfleet.state.sqlite import SqliteStore

pytestmark = [pytest.mark.aws, pytest.mark.slow]

VERIFY_DEADLINE = 20.0


def register_targets_like_ecs(base: BaseEnv) -> Any:
    """moto's ECS registers no targets and an empty health list is unhealthy: when the
    service is created, register one IP in its target group as ECS would."""

    def on_call(name: str, params: dict[str, Any]) -> None:
        if name == "ecs.CreateService":
            body = json.loads(params.get("body") or b"{}")
            for lb in body.get("loadBalancers", []):
                base.client("elbv2").register_targets(
                    TargetGroupArn=lb["targetGroupArn"], Targets=[{"Id": "10.20.1.10", "Port": 80}]
                )
        return None

    return on_call


def fleet(tmp_path: Path, base: BaseEnv, site: str, tid: str = "alpha") -> LoadedFleet:
    return write_fleet(tmp_path / "fleet.yaml", base, [tenant(tid)], http_check_address=site)


def deploy(loaded: LoadedFleet, tid: str, store: SqliteStore) -> pipeline.Outcome:
    return pipeline.deploy(
        loaded, ENV, tid, actor="test", store=store, verify_deadline=VERIFY_DEADLINE
    )


def remains(base: BaseEnv, tid: str) -> list[str]:
    """Everything of tenant ``tid`` still in moto or MariaDB."""
    out = []
    sm = base.client("secretsmanager")
    names = [s["Name"] for s in sm.list_secrets()["SecretList"]]
    out += [n for n in names if n.startswith(f"{ENV}-{tid}-")]
    elb = base.client("elbv2")
    tgs = [t["TargetGroupName"] for t in elb.describe_target_groups().get("TargetGroups", [])]
    out += [n for n in tgs if n == f"{ENV}-{tid}-tg"]
    rules = elb.describe_rules(ListenerArn=base.listener_arn)["Rules"]
    out += [r["RuleArn"] for r in rules if not r["IsDefault"]]
    ecs = base.client("ecs")
    svcs = ecs.describe_services(cluster=base.cluster, services=[f"{ENV}-{tid}-service"])
    out += [s["serviceName"] for s in svcs["services"] if s["status"] == "ACTIVE"]
    tds = ecs.list_task_definitions(familyPrefix=f"{ENV}-{tid}", status="ACTIVE")
    out += tds["taskDefinitionArns"]
    aps = base.client("efs").describe_access_points(FileSystemId=base.efs_id)["AccessPoints"]
    out += [a["AccessPointId"] for a in aps]
    roles = [r["RoleName"] for r in base.client("iam").list_roles()["Roles"]]
    out += [r for r in roles if r.startswith(f"{ENV}-{tid}-")]
    records = base.client("route53").list_resource_record_sets(HostedZoneId=base.zone_id)
    out += [r["Name"] for r in records["ResourceRecordSets"] if r["Name"].startswith(f"{tid}.")]
    out += [d for (d,) in base.db.query("SHOW DATABASES LIKE %s", (f"{tid}\\_db",))]
    out += [
        u for (u,) in base.db.query("SELECT User FROM mysql.user WHERE User=%s", (f"{tid}_user",))
    ]
    objects = base.client("s3").list_objects_v2(Bucket="sit-tenant-configs").get("Contents", [])
    out += [o["Key"] for o in objects]
    groups = base.client("logs").describe_log_groups(logGroupNamePrefix=f"/ecs/{ENV}/{tid}")
    out += [g["logGroupName"] for g in groups["logGroups"]]
    alarms = base.client("cloudwatch").describe_alarms(AlarmNamePrefix=f"{ENV}-{tid}-")
    out += [a["AlarmName"] for a in alarms["MetricAlarms"]]
    return out


def test_deploy_verify_redeploy_noop_destroy(
    tmp_path: Path, base: BaseEnv, store: SqliteStore, wordpress_site: str
) -> None:
    loaded = fleet(tmp_path, base, wordpress_site)
    with recording() as rec:
        rec.fail = register_targets_like_ecs(base)
        outcome = deploy(loaded, "alpha", store)
    assert outcome.deployment is not None and outcome.deployment.status == "succeeded"
    assert outcome.report is not None and outcome.report.ok, outcome.report
    assert {o.name for o in outcome.report.outcomes} >= {
        "secret", "service", "running", "target", "http", "logs", "wp-title", "wp-admin"
    }  # fmt: skip
    assert all(s.op is Op.CREATE for s in outcome.steps), [(s.id, s.op) for s in outcome.steps]
    # WordPress was installed by wpfleet with the fleet file's values
    options = dict(
        base.db.query(
            "SELECT option_name, option_value FROM alpha_db.wp_options "
            "WHERE option_name IN ('blogname','admin_email','blog_public')"
        )
    )
    assert options == {
        "blogname": "Alpha Bakery",
        "admin_email": "owner@alpha.test",
        "blog_public": "0",
    }
    record = base.client("route53").list_resource_record_sets(HostedZoneId=base.zone_id)
    alias = [r for r in record["ResourceRecordSets"] if r["Name"] == "alpha.wpsit.example.test."]
    assert alias[0]["AliasTarget"]["HostedZoneId"] == "Z2FDTNDATAQYW2"
    doc = json.loads(
        base.client("s3")
        .get_object(Bucket="sit-tenant-configs", Key="config/sit/alpha.json")["Body"]
        .read()
    )
    assert doc["infrastructure"]["ecs_service"] == "sit-alpha-service"
    assert doc["infrastructure"]["alb_listener_rule_priority"] == 10
    assert doc["infrastructure"]["log_group"] == "/ecs/sit/alpha"
    assert doc["database"]["secret_arn"].startswith("arn:aws:secretsmanager:")

    assert can_log_in(wordpress_site, loaded, store)
    assert_no_secret_in_state(base, store, outcome.deployment.id, tmp_path)

    second = pipeline.plan(loaded, ENV, "alpha", store=store)
    assert [(s.id, s.op.value, s.changes) for s in second if s.op is not Op.NOOP] == []

    gone = pipeline.destroy(loaded, ENV, "alpha", actor="test", store=store)
    assert gone.deployment is not None and gone.deployment.status == "succeeded"
    assert remains(base, "alpha") == []
    assert store.allocations(ENV, "priority") == {}


def assert_no_secret_in_state(
    base: BaseEnv, store: SqliteStore, deployment_id: str, root: Path
) -> None:
    """No secret value in the journal, the deployment record, stored documents (config
    document, verify report) or any file wpfleet wrote next to the fleet file."""
    sm = base.client("secretsmanager")
    values = [
        json.loads(sm.get_secret_value(SecretId=n)["SecretString"])["password"]
        for n in ("sit-alpha-db-credentials", "sit-alpha-wp-admin", "sit-rds-master-credentials")
    ]
    dumps = [json.dumps([e.as_dict() for e in store.journal(deployment_id)])]
    dumps.append(json.dumps(store.get_deployment(deployment_id).as_dict()))  # type: ignore[union-attr]
    dumps.append(json.dumps(store.list_documents("")))
    dumps += [p.read_text(errors="replace") for p in root.rglob("*.json")]
    for text in dumps:
        assert not any(v in text for v in values)
    assert len(dumps) > 3


def can_log_in(site: str, loaded: LoadedFleet, store: SqliteStore) -> bool:
    """The admin login from ``admin_credentials`` (the admin secret) opens wp-admin."""
    backend = AwsBackend(loaded, loaded.fleet.env(ENV), store)
    creds = backend.admin_credentials(make_ctx(loaded, "alpha", store))
    assert creds.username == "admin" and creds.url.endswith("/wp-admin")
    body = urllib.parse.urlencode({"log": creds.username, "pwd": creds.password}).encode()
    req = urllib.request.Request(f"{site}/wp-login.php", data=body, method="POST")
    req.add_header("Host", "alpha.wpsit.example.test")
    req.add_header("Cookie", "wordpress_test_cookie=WP%20Cookie%20check")

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    try:
        urllib.request.build_opener(NoRedirect).open(req, timeout=15)
    except urllib.error.HTTPError as exc:
        return exc.code == 302 and "wp-admin" in (exc.headers.get("Location") or "")
    return False


def mutating_calls(rec: Recorder) -> list[str]:
    return list(dict.fromkeys(rec.mutating))


def fail_first_use(ops: set[str], code: str, seen: set[str], also: Any) -> Any:
    """A ``before-call`` handler failing the first call of each operation in ``ops``."""

    def on_call(name: str, params: dict[str, Any]) -> Any:
        also(name, params)
        if name in ops and name not in seen:
            seen.add(name)
            return injected_error(code)
        return None

    return on_call


def test_fault_injection_every_mutating_call(
    tmp_path: Path, base: BaseEnv, store: SqliteStore, wordpress_site: str
) -> None:
    """Record the mutating calls of a clean deploy; then (1) throttle each on first use:
    the deploy succeeds after retries; (2) for each, fail it once with a non-retryable
    error: the deploy is rolled back and nothing of that tenant remains."""
    ids = ["clean", "throttled"] + [f"fault{i}" for i in range(30)]
    loaded = write_fleet(
        tmp_path / "fleet.yaml", base, [tenant(i) for i in ids], http_check_address=wordpress_site
    )
    with recording() as rec:
        rec.fail = register_targets_like_ecs(base)
        assert deploy(loaded, "clean", store).deployment.status == "succeeded"  # type: ignore[union-attr]
    ops = mutating_calls(rec)
    assert {"secretsmanager.CreateSecret", "ecs.CreateService", "elbv2.CreateRule"} <= set(ops)
    pipeline.destroy(loaded, ENV, "clean", actor="test", store=store)

    seen: set[str] = set()
    with recording() as rec:
        rec.fail = fail_first_use(set(ops), "Throttling", seen, register_targets_like_ecs(base))
        outcome = deploy(loaded, "throttled", store)
    assert outcome.deployment.status == "succeeded"  # type: ignore[union-attr]
    assert seen == set(ops)
    pipeline.destroy(loaded, ENV, "throttled", actor="test", store=store)
    assert remains(base, "throttled") == []

    for i, op in enumerate(ops):
        tid = f"fault{i}"
        with recording() as rec:
            rec.fail = fail_first_use(
                {op}, "AccessDeniedException", set(), register_targets_like_ecs(base)
            )
            with pytest.raises(DeploymentFailed) as err:
                deploy(loaded, tid, store)
        assert err.value.rolled_back, (op, err.value.message)
        assert "AccessDeniedException" in err.value.message, (op, err.value.message)
        assert remains(base, tid) == [], op
        last = store.list_deployments(tenant=tid, env=ENV, limit=1)[0]
        assert last.status in ("rolled-back", "failed"), (op, last.status)


def test_failed_update_leaves_the_old_revision_serving(
    tmp_path: Path, base: BaseEnv, store: SqliteStore, wordpress_site: str
) -> None:
    loaded = fleet(tmp_path, base, wordpress_site)
    with recording() as rec:
        rec.fail = register_targets_like_ecs(base)
        deploy(loaded, "alpha", store)
    newer = write_fleet(
        tmp_path / "fleet.yaml", base,
        [tenant("alpha", overrides={"sit": {"image": "wordpress:6.5"}})],
        http_check_address=wordpress_site,
    )  # fmt: skip
    planned = {s.id: s.op for s in pipeline.plan(newer, ENV, "alpha", store=store)}
    assert planned["infra/task-definition"] is Op.UPDATE and planned["infra/service"] is Op.UPDATE
    with recording() as rec:
        rec.fail = fail_first_use(
            {"ecs.UpdateService"}, "InvalidParameterException", set(), lambda *_: None
        )
        with pytest.raises(DeploymentFailed) as err:
            deploy(newer, "alpha", store)
    assert err.value.rolled_back
    ecs = base.client("ecs")
    svc = ecs.describe_services(cluster=base.cluster, services=["sit-alpha-service"])["services"][0]
    assert svc["status"] == "ACTIVE" and svc["taskDefinition"].rsplit("/")[-1] == "sit-alpha:1"
    second = ecs.describe_task_definition(taskDefinition="sit-alpha:2")["taskDefinition"]
    assert second["status"] == "INACTIVE"  # the failed update's revision is gone
    steps = {s.id: s for s in pipeline.plan(newer, ENV, "alpha", store=store)}
    assert steps["infra/task-definition"].before["revision"] == 1  # type: ignore[index]
    assert remains(base, "alpha") != []  # the running tenant was not torn down

    with recording() as rec:  # the same update without the fault goes through
        rec.fail = register_targets_like_ecs(base)
        assert deploy(newer, "alpha", store).deployment.status == "succeeded"  # type: ignore[union-attr]
    svc = ecs.describe_services(cluster=base.cluster, services=["sit-alpha-service"])["services"][0]
    assert svc["taskDefinition"].rsplit("/")[-1] == "sit-alpha:3"  # 2 was deregistered


def seeds_tenant(base: BaseEnv, tid: str) -> None:
    """A tenant made the seeds' way before wpfleet: Terraform tags (Name/Tenant/
    Environment) but no wpfleet tags, a secret, a database and a user."""
    seeds_tags = [{"Key": "Tenant", "Value": tid}, {"Key": "Environment", "Value": ENV}]
    base.client("elbv2").create_target_group(
        Name=f"{ENV}-{tid}-tg", Protocol="HTTP", Port=80, VpcId=base.vpc_id, TargetType="ip",
        Tags=[*seeds_tags, {"Key": "Name", "Value": f"{ENV}-{tid}-tg"}],
    )  # fmt: skip
    secret = {"username": f"{tid}_user", "password": "SeedsPassw0rd", "database": f"{tid}_db",
              "host": "127.0.0.1", "port": base.db.port}  # fmt: skip
    base.client("secretsmanager").create_secret(
        Name=f"{ENV}-{tid}-db-credentials", SecretString=json.dumps(secret), Tags=seeds_tags
    )
    base.db.query(f"CREATE DATABASE {tid}_db")
    base.db.query(f"CREATE USER '{tid}_user'@'%' IDENTIFIED BY 'SeedsPassw0rd'")
    base.db.query(f"GRANT ALL PRIVILEGES ON {tid}_db.* TO '{tid}_user'@'%'")


def test_seeds_tenant_is_a_conflict_until_adopted(
    tmp_path: Path, base: BaseEnv, store: SqliteStore, wordpress_site: str
) -> None:
    seeds_tenant(base, "legacy")
    loaded = fleet(tmp_path, base, wordpress_site, "legacy")
    with recording() as rec, pytest.raises(ConflictError) as err:
        deploy(loaded, "legacy", store)
    assert rec.mutating == []
    for step in ("infra/target-group", "database/secret", "database/database", "database/user"):
        assert step in err.value.message


def test_adopt_takes_over_a_seeds_tenant(
    tmp_path: Path, base: BaseEnv, store: SqliteStore, wordpress_site: str
) -> None:
    seeds_tenant(base, "legacy")
    loaded = fleet(tmp_path, base, wordpress_site, "legacy")
    with recording() as rec:
        rec.fail = register_targets_like_ecs(base)
        outcome = pipeline.deploy(
            loaded, ENV, "legacy", actor="test", store=store, adopt=True,
            verify_deadline=VERIFY_DEADLINE,
        )  # fmt: skip
    assert outcome.deployment.status == "succeeded"  # type: ignore[union-attr]
    ops = {s.id: s.op for s in outcome.steps}
    assert ops["infra/target-group"] is Op.ADOPT and ops["database/secret"] is Op.ADOPT
    secret = base.client("secretsmanager").describe_secret(SecretId="sit-legacy-db-credentials")
    assert {"Key": "wpfleet:tenant", "Value": "legacy"} in secret["Tags"]
    value = base.client("secretsmanager").get_secret_value(SecretId="sit-legacy-db-credentials")
    assert json.loads(value["SecretString"])["password"] == "SeedsPassw0rd"  # kept
    again = pipeline.plan(loaded, ENV, "legacy", store=store)
    assert [s.id for s in again if s.op is not Op.NOOP] == []


_FORKED_BASE: list[BaseEnv] = []
WORKERS_DEADLINE = 150  # s; pytest-timeout's default (300 s) is the last resort


def _deploy_in_a_process(args: tuple[str, str, str]) -> dict[str, Any]:
    """One deploy in a forked worker. Whatever happens comes back as plain data: an
    exception raised here would be pickled to the parent, and one that cannot be
    unpickled there (an error class with keyword-only arguments) leaves ``Pool.map``
    waiting forever for a result that never arrives."""
    fleet_path, state_path, tid = args
    try:
        base = _FORKED_BASE[0]  # inherited through fork (it holds a process handle)
        loaded = load_fleet(fleet_path)
        store = SqliteStore(Path(state_path))
        with recording() as rec:
            rec.fail = register_targets_like_ecs(base)
            outcome = deploy(loaded, tid, store)
        status = outcome.deployment.status if outcome.deployment else "no deployment"
        return {"tenant": tid, "status": status,
                "priority": store.allocations(ENV, "priority").get(tid), "error": ""}  # fmt: skip
    except BaseException as exc:  # reported to the parent as data
        error = "".join(traceback.format_exception(exc))[-3000:]
        return {"tenant": tid, "status": "raised", "priority": None, "error": error}


def test_ten_concurrent_deploys_get_distinct_priorities(
    tmp_path: Path, base: BaseEnv, store: SqliteStore, wordpress_site: str
) -> None:
    """10 ``deploy`` processes for 10 tenants on one listener, sharing one state store.
    Every worker answers with data (see ``_deploy_in_a_process``) and the wait is bounded,
    so a failing or dead worker fails this test instead of hanging the run."""
    ids = [f"tenant{i}" for i in range(10)]
    write_fleet(
        tmp_path / "fleet.yaml", base, [tenant(i) for i in ids], http_check_address=wordpress_site
    )
    _FORKED_BASE[:] = [base]
    args = [(str(tmp_path / "fleet.yaml"), str(tmp_path / "state.db"), i) for i in ids]
    with multiprocessing.get_context("fork").Pool(10) as pool:
        pending = pool.map_async(_deploy_in_a_process, args)
        try:
            got = pending.get(timeout=WORKERS_DEADLINE)
        except multiprocessing.TimeoutError:
            pytest.fail(f"the 10 deploy workers gave no answer within {WORKERS_DEADLINE} s")
    failed = [
        f"{r['tenant']}: {r['status']}\n{r['error']}" for r in got if r["status"] != "succeeded"
    ]
    assert not failed, "\n".join(failed)
    priorities = [r["priority"] for r in got]
    assert len(set(priorities)) == 10 and all(p is not None for p in priorities)
    rules = base.client("elbv2").describe_rules(ListenerArn=base.listener_arn)["Rules"]
    assert sorted(int(r["Priority"]) for r in rules if not r["IsDefault"]) == sorted(priorities)  # type: ignore[type-var]
