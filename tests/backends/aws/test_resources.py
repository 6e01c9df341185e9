"""Resource-level tests of the AWS backend against moto + a real MariaDB: each resource
creates, reads back as ours with the desired state, is idempotent, and deletes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.backends.aws.infra import ENV, BaseEnv, make_ctx, tenant, write_fleet
from wpfleet.backends.aws.backend import AwsBackend
from wpfleet.engine.resource import Resource
from wpfleet.state.sqlite import SqliteStore

pytestmark = pytest.mark.aws

APPLY_ORDER_SKIP = {"infra/wordpress"}  # needs a site; covered in test_deploy.py


def backend_for(
    tmp_path: Path, base: BaseEnv, store: SqliteStore, tenants: list[dict], **aws: Any
) -> tuple[AwsBackend, dict[str, Resource], object]:
    loaded = write_fleet(tmp_path / "fleet.yaml", base, tenants, **aws)
    backend = AwsBackend(loaded, loaded.fleet.env(ENV), store)
    ctx = make_ctx(loaded, tenants[0]["id"], store)
    resources = {r.id: r for r in backend.resources(ctx) if r.id not in APPLY_ORDER_SKIP}
    return backend, resources, ctx


def converge(resources: dict[str, Resource]) -> list[tuple[str, str]]:
    """Create or update every resource in list order (which is dependency order)."""
    done = []
    for rid, res in resources.items():
        fact = res.read()
        if fact is None:
            res.create()
            done.append((rid, "create"))
        elif res.differences(fact.state, res.desired()):
            res.update(res.desired())
            done.append((rid, "update"))
        else:
            done.append((rid, "noop"))
    return done


def test_every_resource_creates_reads_back_and_is_idempotent(
    tmp_path: Path, base: BaseEnv, store: SqliteStore
) -> None:
    _backend, resources, _ctx = backend_for(tmp_path, base, store, [tenant("alpha")])
    first = converge(resources)
    assert all(op == "create" for _rid, op in first), first
    for rid, res in resources.items():
        fact = res.read()
        assert fact is not None, rid
        assert res.differences(fact.state, res.desired()) == [], (rid, fact.state)
        if rid in ("database/database", "database/user", "dns/record"):
            assert fact.tagged is None
        else:
            assert fact.tagged is True, rid
    second = converge(resources)
    assert all(op == "noop" for _rid, op in second), second
    for res in resources.values():  # create on an existing resource converges
        res.create()


def test_tags_on_everything_taggable_without_deployment_id(
    tmp_path: Path, base: BaseEnv, store: SqliteStore
) -> None:
    _b, resources, _ctx = backend_for(tmp_path, base, store, [tenant("alpha")])
    converge(resources)
    want = {
        "wpfleet:tenant": "alpha",
        "wpfleet:env": ENV,
        "Tenant": "alpha",
        "Environment": ENV,
    }
    sm = base.client("secretsmanager")
    tags = {
        t["Key"]: t["Value"]
        for t in sm.describe_secret(SecretId="sit-alpha-db-credentials")["Tags"]
    }
    assert tags == {**want, "Name": "sit-alpha-db-credentials"}
    elb = base.client("elbv2")
    tg = elb.describe_target_groups(Names=["sit-alpha-tg"])["TargetGroups"][0]
    rules = [
        r for r in elb.describe_rules(ListenerArn=base.listener_arn)["Rules"] if not r["IsDefault"]
    ]
    described = elb.describe_tags(ResourceArns=[tg["TargetGroupArn"], rules[0]["RuleArn"]])
    names = {}
    for d in described["TagDescriptions"]:
        t = {x["Key"]: x["Value"] for x in d["Tags"]}
        assert {k: t[k] for k in want} == want
        names[d["ResourceArn"]] = t["Name"]
    assert sorted(names.values()) == ["sit-alpha-rule", "sit-alpha-tg"]
    ecs = base.client("ecs")
    svc = ecs.describe_services(
        cluster=base.cluster, services=["sit-alpha-service"], include=["TAGS"]
    )
    svc_tags = {t["key"]: t["value"] for t in svc["services"][0]["tags"]}
    assert svc_tags["Name"] == "sit-alpha-service" and svc_tags["wpfleet:tenant"] == "alpha"
    td = ecs.describe_task_definition(taskDefinition="sit-alpha", include=["TAGS"])
    assert {t["key"]: t["value"] for t in td["tags"]}["Name"] == "sit-alpha-task"
    aps = base.client("efs").describe_access_points(FileSystemId=base.efs_id)["AccessPoints"]
    ap_tags = {t["Key"]: t["Value"] for t in aps[0]["Tags"]}
    assert ap_tags["Name"] == "sit-alpha-ap" and ap_tags["wpfleet:env"] == ENV
    role = base.client("iam").get_role(RoleName="sit-alpha-exec-role")["Role"]
    assert {t["Key"]: t["Value"] for t in role["Tags"]}["wpfleet:tenant"] == "alpha"
    every_value = json.dumps([tags, svc_tags, ap_tags, names])
    assert "deployment" not in every_value.lower()


def test_task_definition_follows_the_seeds(
    tmp_path: Path, base: BaseEnv, store: SqliteStore
) -> None:
    _b, resources, _ctx = backend_for(tmp_path, base, store, [tenant("alpha")])
    converge(resources)
    ecs = base.client("ecs")
    td = ecs.describe_task_definition(taskDefinition="sit-alpha")["taskDefinition"]
    assert td["requiresCompatibilities"] == ["FARGATE"] and td["networkMode"] == "awsvpc"
    assert (td["cpu"], td["memory"]) == ("256", "512")
    c = td["containerDefinitions"][0]
    env = {e["name"]: e["value"] for e in c["environment"]}
    assert env["WORDPRESS_DB_NAME"] == "alpha_db"
    assert env["WORDPRESS_TABLE_PREFIX"] == "wp_"
    assert env["WORDPRESS_DB_HOST"] == f"127.0.0.1:{base.db.port}"
    assert "define('FORCE_SSL_ADMIN', true);" in env["WORDPRESS_CONFIG_EXTRA"]
    assert "define('WP_HOME', 'https://alpha.wpsit.example.test');" in env["WORDPRESS_CONFIG_EXTRA"]
    secret_arn = base.client("secretsmanager").describe_secret(SecretId="sit-alpha-db-credentials")[
        "ARN"
    ]
    secrets = {s["name"]: s["valueFrom"] for s in c["secrets"]}
    assert secrets == {
        "WORDPRESS_DB_USER": f"{secret_arn}:username::",
        "WORDPRESS_DB_PASSWORD": f"{secret_arn}:password::",
    }
    vol = td["volumes"][0]["efsVolumeConfiguration"]
    assert vol["transitEncryption"] == "ENABLED"
    assert vol["authorizationConfig"]["iam"] == "ENABLED"
    assert vol["authorizationConfig"]["accessPointId"].startswith("fsap-")
    logs = c["logConfiguration"]["options"]
    assert logs["awslogs-group"] == "/ecs/sit/alpha" and logs["awslogs-stream-prefix"] == "alpha"
    # a second registration only when the content differs
    res = resources["infra/task-definition"]
    res.update(res.desired())
    assert (
        ecs.describe_task_definition(taskDefinition="sit-alpha")["taskDefinition"]["revision"] == 1
    )


def test_database_and_user_in_mariadb(tmp_path: Path, base: BaseEnv, store: SqliteStore) -> None:
    _b, resources, _ctx = backend_for(tmp_path, base, store, [tenant("alpha-two")])
    converge({k: v for k, v in resources.items() if k.startswith("database/")})
    db = base.db
    assert db.query(
        "SELECT DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA "
        "WHERE SCHEMA_NAME='alpha_two_db'"
    ) == [("utf8mb4",)]
    grants = " ".join(g[0] for g in db.query("SHOW GRANTS FOR 'alpha_two_user'@'%'"))
    assert "`alpha\\_two\\_db`.*" in grants and "ON *.*" in grants  # USAGE only on *.*
    assert "ALL PRIVILEGES ON *.*" not in grants
    secret = json.loads(
        base.client("secretsmanager").get_secret_value(SecretId="sit-alpha-two-db-credentials")[
            "SecretString"
        ]
    )
    assert secret["username"] == "alpha_two_user" and secret["database"] == "alpha_two_db"
    assert secret["port"] == db.port and len(secret["password"]) >= 24
    import pymysql

    conn = pymysql.connect(
        host="127.0.0.1",
        port=db.port,
        user="alpha_two_user",
        password=secret["password"],
        database="alpha_two_db",
    )
    conn.close()
    # the secret is never regenerated
    resources["database/secret"].create()
    resources["database/secret"].update({"name": "sit-alpha-two-db-credentials"})
    again = json.loads(
        base.client("secretsmanager").get_secret_value(SecretId="sit-alpha-two-db-credentials")[
            "SecretString"
        ]
    )
    assert again["password"] == secret["password"]


def test_delete_removes_everything_and_is_idempotent(
    tmp_path: Path, base: BaseEnv, store: SqliteStore
) -> None:
    _b, resources, _ctx = backend_for(tmp_path, base, store, [tenant("alpha")])
    converge(resources)
    for res in reversed(list(resources.values())):
        res.delete()
        assert res.read() is None, res.id
        res.delete()  # absent: still succeeds
    assert base.db.query("SHOW DATABASES LIKE 'alpha_db'") == []


def test_shared_role_mode_puts_the_seeds_inline_policy(
    tmp_path: Path, base: BaseEnv, store: SqliteStore
) -> None:
    iam = base.client("iam")
    iam.create_role(RoleName="sit-ecs-task-execution-role", AssumeRolePolicyDocument="{}")
    _b, resources, _ctx = backend_for(
        tmp_path, base, store, [tenant("alpha")], iam_mode="shared-role"
    )
    assert "database/exec-role" not in resources and "infra/task-role" not in resources
    converge(resources)
    doc = iam.get_role_policy(
        RoleName="sit-ecs-task-execution-role", PolicyName="sit-ecs-secrets-access-alpha"
    )["PolicyDocument"]
    doc = json.loads(doc) if isinstance(doc, str) else doc
    assert doc["Statement"][0]["Action"] == ["secretsmanager:GetSecretValue"]
    assert all("sit-alpha-" in r for r in doc["Statement"][0]["Resource"])


def test_shared_role_inline_policy_cap_is_checked_before_put(
    tmp_path: Path, base: BaseEnv, store: SqliteStore
) -> None:
    from tests.backends.aws.infra import recording
    from wpfleet.errors import ValidationError

    iam = base.client("iam")
    role = "sit-ecs-task-execution-role"
    iam.create_role(RoleName=role, AssumeRolePolicyDocument="{}")
    big = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject",
         "Resource": [f"arn:aws:s3:::bucket-{i:04d}/*" for i in range(345)]}
    ]}  # fmt: skip
    iam.put_role_policy(RoleName=role, PolicyName="legacy-big", PolicyDocument=json.dumps(big))
    with recording() as rec:
        _b, resources, _ctx = backend_for(
            tmp_path, base, store, [tenant("alpha")], iam_mode="shared-role"
        )
        with pytest.raises(ValidationError) as err:
            resources["database/secrets-policy"].create()
    assert role in err.value.message and "10240" in err.value.message
    assert "sit-ecs-secrets-access-alpha" in err.value.message
    assert "iam.PutRolePolicy" not in rec.calls
