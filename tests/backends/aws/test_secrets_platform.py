"""Secrets never travel: no secret value in any recorded request except the Secrets
Manager call that stores it (direct and ecs-task modes), nor in the Lambda@Edge code.
Also the ecs-task database mode's request shape, preflight and platform bootstrap."""

from __future__ import annotations

import base64
import io
import json
import urllib.parse
import zipfile
from pathlib import Path

import pytest

from tests.backends.aws.infra import (
    ENV,
    MASTER_PASSWORD,
    BaseEnv,
    make_ctx,
    recording,
    tenant,
    write_fleet,
)
from tests.backends.aws.test_resources import converge
from wpfleet.backends.aws import dbinit
from wpfleet.backends.aws.backend import AwsBackend
from wpfleet.errors import BackendError, ValidationError
from wpfleet.state.sqlite import SqliteStore

pytestmark = pytest.mark.aws

STORING = ("CreateSecret", "PutSecretValue")


def secret_values(base: BaseEnv, *names: str) -> list[str]:
    sm = base.client("secretsmanager")
    out = [MASTER_PASSWORD]
    for name in names:
        out.append(json.loads(sm.get_secret_value(SecretId=name)["SecretString"])["password"])
    return out


def leaks(bodies: list[tuple[str, str]], values: list[str]) -> list[str]:
    """Request bodies (decoded every way AWS encodes them) that contain a secret value,
    other than the ones that store a secret."""
    found = []
    for op, body in bodies:
        if op in STORING:
            continue
        decoded = urllib.parse.unquote_plus(body)
        for value in values:
            if value in body or value in decoded:
                found.append(f"{op}: {decoded[:200]}")
    return found


def test_no_secret_in_any_request_direct_mode(
    tmp_path: Path, base: BaseEnv, store: SqliteStore
) -> None:
    loaded = write_fleet(tmp_path / "fleet.yaml", base, [tenant("alpha")])
    with recording() as rec:
        backend = AwsBackend(loaded, loaded.fleet.env(ENV), store)
        ctx = make_ctx(loaded, "alpha", store)
        resources = {r.id: r for r in backend.resources(ctx) if r.id != "infra/wordpress"}
        converge(resources)
        backend.document_sections(ctx)
    values = secret_values(base, "sit-alpha-db-credentials", "sit-alpha-wp-admin")
    stored = [b for op, b in rec.bodies if op == "CreateSecret"]
    assert len(stored) == 2
    assert leaks(rec.bodies, values) == []
    for fact in (r.read() for r in resources.values()):
        assert fact is not None
        assert not any(v in json.dumps(fact.state) for v in values)
    assert not any(v in json.dumps(backend.document_sections(ctx)) for v in values)


def test_ecs_task_mode_reads_secrets_by_name_only(
    tmp_path: Path, base: BaseEnv, store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """moto runs no task (and never stops one), so this asserts the request shape: the
    db-init task definition takes both secrets through ``secrets: valueFrom``; the
    run_task overrides carry only the action; the wait then times out."""
    loaded = write_fleet(tmp_path / "fleet.yaml", base, [tenant("alpha")], db_mode="ecs-task")
    real_wait = dbinit.wait_for
    monkeypatch.setattr(
        dbinit, "wait_for", lambda t, c, a, act, _timeout: real_wait(t, c, a, act, 0.0)
    )
    with recording() as rec:
        backend = AwsBackend(loaded, loaded.fleet.env(ENV), store)
        ctx = make_ctx(loaded, "alpha", store)
        res = {r.id: r for r in backend.resources(ctx)}
        res["database/secret"].create()
        assert res["database/database"].read() is None  # not recorded yet: absent
        with pytest.raises(BackendError, match="did not stop"):
            res["database/database"].create()
    td = rec.first("ecs.RegisterTaskDefinition")
    container = td["containerDefinitions"][0]
    master = base.client("secretsmanager").describe_secret(SecretId="sit-rds-master-credentials")[
        "ARN"
    ]
    tenant_arn = base.client("secretsmanager").describe_secret(SecretId="sit-alpha-db-credentials")[
        "ARN"
    ]
    assert {s["valueFrom"] for s in container["secrets"]} == {
        f"{master}:username::",
        f"{master}:password::",
        f"{tenant_arn}:password::",
    }
    assert td["executionRoleArn"].endswith(":role/sit-alpha-db-init-role")
    run = rec.first("ecs.RunTask")
    assert run["overrides"] == {
        "containerOverrides": [
            {
                "name": "db-init",
                "environment": [{"name": "WPFLEET_ACTION", "value": "create-database"}],
            }
        ]
    }
    assert run["networkConfiguration"]["awsvpcConfiguration"]["securityGroups"] == [
        base.security_group
    ]
    policy = base.client("iam").get_role_policy(
        RoleName="sit-alpha-db-init-role", PolicyName="wpfleet-db-init-secrets"
    )["PolicyDocument"]
    resources = json.dumps(policy)
    assert "sit-rds-master-credentials" in resources and "sit-alpha-db-credentials" in resources
    values = secret_values(base, "sit-alpha-db-credentials")
    assert leaks(rec.bodies, values) == []


def test_preflight_checks_account_and_base_resources(
    tmp_path: Path, base: BaseEnv, store: SqliteStore
) -> None:
    loaded = write_fleet(tmp_path / "fleet.yaml", base, [tenant("alpha")])
    AwsBackend(loaded, loaded.fleet.env(ENV), store).preflight()
    wrong = write_fleet(tmp_path / "fleet.yaml", base, [tenant("alpha")], account_id="815856636111")
    with pytest.raises(ValidationError) as err:
        AwsBackend(wrong, wrong.fleet.env(ENV), store).preflight()
    assert "815856636111" in err.value.message and "123456789012" in err.value.message
    assert "default credential chain" in err.value.message
    missing = write_fleet(
        tmp_path / "fleet.yaml", base, [tenant("alpha")], cluster="nope-cluster", efs_id="fs-0000"
    )
    with pytest.raises(ValidationError) as err:
        AwsBackend(missing, missing.fleet.env(ENV), store).preflight()
    assert "nope-cluster" in err.value.message and "fs-0000" in err.value.message
    assert "platform discover" in err.value.message


def test_wildcard_certificate_must_cover_the_domain(
    tmp_path: Path, base: BaseEnv, store: SqliteStore
) -> None:
    other = base.client("acm", "us-east-1").request_certificate(
        DomainName="*.elsewhere.test", ValidationMethod="DNS"
    )["CertificateArn"]
    loaded = write_fleet(tmp_path / "fleet.yaml", base, [tenant("alpha")], certificate_arn=other)
    with pytest.raises(ValidationError, match=r"not \*\.wpsit\.example\.test"):
        AwsBackend(loaded, loaded.fleet.env(ENV), store).preflight()


def test_platform_up_bootstraps_basic_auth_with_only_a_hash(
    tmp_path: Path, base: BaseEnv, store: SqliteStore, keep_edge_associations: object
) -> None:
    loaded = write_fleet(
        tmp_path / "fleet.yaml", base, [tenant("alpha")], env_extra={"basic_auth": True}
    )
    with recording() as rec:
        backend = AwsBackend(loaded, loaded.fleet.env(ENV), store)
        status = backend.platform_up()
        backend.platform_up()  # idempotent: no second function
    assert status.up, status
    creds = backend.basic_auth_credentials()
    assert creds is not None and creds.username == "bbws-sit" and len(creds.password) >= 24
    fn = base.client("lambda", "us-east-1").get_function(FunctionName="sit-wpfleet-basic-auth")
    assert rec.calls.count("lambda.CreateFunction") == 1
    create = next(
        b
        for _u, b in rec.bodies
        if '"FunctionName": "sit-wpfleet-basic-auth"' in b and "ZipFile" in b
    )
    code = base64.b64decode(json.loads(create)["Code"]["ZipFile"])
    source = zipfile.ZipFile(io.BytesIO(code)).read("index.js").decode()
    import hashlib

    digest = hashlib.sha256(f"{creds.username}:{creds.password}".encode()).hexdigest()
    assert digest in source and creds.password not in source
    assert fn["Configuration"]["Runtime"].startswith("nodejs")
    versions = base.client("lambda", "us-east-1").list_versions_by_function(
        FunctionName="sit-wpfleet-basic-auth"
    )["Versions"]
    assert any(v["Version"] != "$LATEST" for v in versions)
    assert any(c.endswith("UpdateDistribution") for c in rec.calls)
    assert leaks(rec.bodies, [creds.password]) == []
    with pytest.raises(NotImplementedError, match="not supported on aws"):
        backend.platform_down()


def test_discover_fills_the_aws_block_from_names_and_tags(
    tmp_path: Path, base: BaseEnv, store: SqliteStore
) -> None:
    base.client("iam").create_role(
        RoleName="sit-ecs-task-execution-role", AssumeRolePolicyDocument="{}"
    )
    loaded = write_fleet(tmp_path / "fleet.yaml", base, [tenant("alpha")])
    backend = AwsBackend(loaded, loaded.fleet.env(ENV), store)
    with recording() as rec:
        found = backend.discover()
    assert rec.mutating == []
    want = {
        "account_id": "123456789012",
        "cluster": base.cluster,
        "listener_arn": base.listener_arn,
        "vpc_id": base.vpc_id,
        "security_group": base.security_group,
        "efs_id": base.efs_id,
        "rds_instance": "sit-mysql",
        "rds_master_secret": "sit-rds-master-credentials",
        "execution_role": "sit-ecs-task-execution-role",
        "hosted_zone_id": base.zone_id,
        "cloudfront_distribution_id": base.distribution_id,
        "cloudfront_domain": base.cloudfront_domain,
        "certificate_arn": base.certificate_arn,
    }
    assert {k: found.settings.get(k) for k in want} == want
    assert sorted(found.settings["subnets"]) == sorted(base.subnets)
    assert found.missing == []
    from wpfleet.config.models import AwsSettings

    AwsSettings.model_validate(found.settings)  # fits the fleet file's aws: block


def test_ecs_task_mode_records_what_the_task_did(
    tmp_path: Path, base: BaseEnv, store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database server is out of reach in this mode: a db-init task that stopped
    with exit 0 is what read() believes (moto runs none: its wait is faked here)."""
    loaded = write_fleet(tmp_path / "fleet.yaml", base, [tenant("alpha")], db_mode="ecs-task")
    actions: list[str] = []

    def stopped(_t: object, _c: str, arn: str, action: str, _timeout: float) -> dict:
        actions.append(action)
        return {"taskArn": arn, "lastStatus": "STOPPED", "containers": [{"exitCode": 0}]}

    monkeypatch.setattr(dbinit, "wait_for", stopped)
    backend = AwsBackend(loaded, loaded.fleet.env(ENV), store)
    res = {r.id: r for r in backend.resources(make_ctx(loaded, "alpha", store))}
    res["database/secret"].create()
    for rid in ("database/database", "database/user"):
        assert res[rid].read() is None
        res[rid].create()
        assert res[rid].read() is not None
    for rid in ("database/user", "database/database"):
        res[rid].delete()
        assert res[rid].read() is None
    assert actions == ["create-database", "create-user", "drop-user", "drop-database"]


def test_dns_uses_its_own_credentials(
    tmp_path: Path, base: BaseEnv, store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The seeds' zone lives in the prod account: Route53 calls use ``aws.dns.profile``."""
    creds = tmp_path / "credentials"
    creds.write_text(
        "[tebogo-sit]\naws_access_key_id = AKIASITSITSITSIT\naws_secret_access_key = s\n"
        "[tebogo-prod]\naws_access_key_id = AKIAPRODPRODPROD\naws_secret_access_key = p\n"
    )
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(creds))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    loaded = write_fleet(
        tmp_path / "fleet.yaml", base, [tenant("alpha")],
        profile="tebogo-sit", dns={"profile": "tebogo-prod"},
    )  # fmt: skip
    backend = AwsBackend(loaded, loaded.fleet.env(ENV), store)
    ctx = make_ctx(loaded, "alpha", store)
    record = next(r for r in backend.resources(ctx) if r.id == "dns/record")
    record.create()
    assert record.read() is not None

    def key(client: object) -> str:
        return client._request_signer._credentials.access_key  # type: ignore[attr-defined]

    assert key(backend.aws.client("route53", dns=True)) == "AKIAPRODPRODPROD"
    assert key(backend.aws.client("ecs")) == "AKIASITSITSITSIT"


def test_db_init_script_does_the_sql_against_mariadb(base: BaseEnv) -> None:
    """moto runs no task, so the db-init container's script is run here with ``sh`` and
    the environment ECS would give it (secrets included, as ECS injects them)."""
    import subprocess

    env = {
        "PATH": "/usr/bin:/bin",
        "DB_HOST": "127.0.0.1",
        "DB_PORT": str(base.db.port),
        "DB_NAME": "gamma_db",
        "DB_GRANT": "gamma\\_db",
        "DB_USER": "gamma_user",
        "MASTER_USERNAME": "master",
        "MYSQL_PWD": MASTER_PASSWORD,
        "TENANT_PASSWORD": "TenantPw123",
    }

    def run(action: str) -> None:
        subprocess.run(["sh", "-c", dbinit.SCRIPT], env={**env, "WPFLEET_ACTION": action},
                       check=True, capture_output=True, timeout=30)  # fmt: skip

    run("create-database")
    run("create-user")
    run("create-user")  # idempotent
    assert base.db.query("SHOW DATABASES LIKE 'gamma\\_db'") == [("gamma_db",)]
    import pymysql

    pymysql.connect(host="127.0.0.1", port=base.db.port, user="gamma_user",
                    password="TenantPw123", database="gamma_db").close()  # fmt: skip
    run("drop-user")
    run("drop-database")
    assert base.db.query("SHOW DATABASES LIKE 'gamma\\_db'") == []


def test_lambda_edge_code_checks_the_hash(tmp_path: Path) -> None:
    """The generated Lambda@Edge handler, run under node: 401 without or with wrong
    credentials, the request passed on with the right ones."""
    import subprocess

    from tests.helpers import requires
    from wpfleet.backends import base as backend_base
    from wpfleet.backends.aws import platform

    requires.require({"node": "nodejs"}, "running the Lambda@Edge handler")
    creds = backend_base.Credentials("bbws-sit", "Corr3ctHorse")
    (tmp_path / "index.js").write_text(
        platform.lambda_source("sit", platform.credentials_digest(creds))
    )
    probe = """
const {handler} = require(process.argv[1] + '/index.js');
const basic = (auth) => 'Basic ' + Buffer.from(auth).toString('base64');
const ev = (auth) => ({Records: [{cf: {request: {uri: '/', headers: auth
  ? {authorization: [{key: 'Authorization', value: basic(auth)}]}
  : {}}}}]});
(async () => {
  const out = [];
  for (const auth of [null, 'bbws-sit:wrong', 'bbws-sit:Corr3ctHorse']) {
    const r = await handler(ev(auth));
    out.push(r.status || 'passed');
  }
  console.log(JSON.stringify(out));
})();
"""
    done = subprocess.run(["node", "-e", probe, str(tmp_path)], capture_output=True,
                          text=True, timeout=30, check=True)  # fmt: skip
    assert json.loads(done.stdout) == ["401", "401", "passed"]
    assert "Corr3ctHorse" not in (tmp_path / "index.js").read_text()


def test_platform_status_and_missing_settings(
    tmp_path: Path, base: BaseEnv, store: SqliteStore
) -> None:
    loaded = write_fleet(
        tmp_path / "fleet.yaml", base, [tenant("alpha")], env_extra={"basic_auth": True}
    )
    status = AwsBackend(loaded, loaded.fleet.env(ENV), store).platform_status()
    by_name = {c.name: c for c in status.components}
    assert by_name["account"].running and by_name["cluster"].running
    assert not by_name["basic-auth"].running and "platform up" in by_name["basic-auth"].detail
    assert not status.up
    wrong = write_fleet(tmp_path / "fleet.yaml", base, [tenant("alpha")], account_id="999999999999")
    status = AwsBackend(wrong, wrong.fleet.env(ENV), store).platform_status()
    assert [c.name for c in status.components] == ["account"] and not status.up
    bare = write_fleet(tmp_path / "fleet.yaml", base, [tenant("alpha")], cluster=None)
    backend = AwsBackend(bare, bare.fleet.env(ENV), store)
    service = next(
        r for r in backend.resources(make_ctx(bare, "alpha", store)) if r.id == "infra/service"
    )
    with pytest.raises(ValidationError, match=r"aws\.cluster is not set"):
        service.read()
