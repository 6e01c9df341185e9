"""Test infrastructure for the AWS backend: a real MariaDB standing in for RDS, the base
environment created in moto, fleet files pointing at them, and boto3 call recorders."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pymysql
import yaml

from wpfleet.aws import session as aws_session
from wpfleet.backends.aws.efs_policy import required_policy
from wpfleet.backends.base import TenantContext
from wpfleet.config.load import LoadedFleet, load_fleet
from wpfleet.pipeline.context import tenant_context
from wpfleet.state.base import StateStore

REGION = "eu-west-1"
ACCOUNT = "123456789012"
ENV = "sit"
DOMAIN_SUFFIX = "wpsit.example.test"
MASTER_USER = "master"
MASTER_PASSWORD = "MasterPw-" + "x7Hq2LmP9z"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- MariaDB -----------------------------------------------------------------------------
@dataclass
class MariaDB:
    port: int
    datadir: Path
    proc: subprocess.Popen[bytes]
    host: str = "127.0.0.1"

    def connect(self) -> Any:
        return pymysql.connect(
            host=self.host,
            port=self.port,
            user=MASTER_USER,
            password=MASTER_PASSWORD,
            autocommit=True,
        )

    def query(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        conn = self.connect()
        try:
            with conn.cursor() as cur:
                cur.execute(sql, args or None)
                return list(cur.fetchall())
        finally:
            conn.close()

    def clean(self) -> None:
        """Drop every tenant database and user left by an earlier test."""
        for (name,) in self.query("SHOW DATABASES LIKE '%\\_db'"):
            self.query(f"DROP DATABASE `{name}`")
        for (user,) in self.query("SELECT User FROM mysql.user WHERE User LIKE '%\\_user'"):
            self.query("DROP USER %s@'%%'", (user,))


def start_mariadb(root: Path) -> MariaDB:
    """mariadb-install-db + mariadbd on a free port, own datadir, own socket."""
    datadir, port = root / "data", free_port()
    cnf = root / "my.cnf"
    user_line = "user=mysql\n" if os.geteuid() == 0 else ""
    cnf.write_text(
        "[mysqld]\n" + user_line + f"datadir={datadir}\nport={port}\nbind-address=127.0.0.1\n"
        f"socket={root / 'mysqld.sock'}\npid-file={root / 'mysqld.pid'}\n"
        "skip-name-resolve\nskip-log-bin\ninnodb_buffer_pool_size=32M\n"
        f"log-error={root / 'error.log'}\n"
        # its own temporary tables, as the local backend's server has: /tmp is shared
        # with every other test (a CI run lost one of its files there mid-install)
        f"tmpdir={root}\n"
    )
    if os.geteuid() == 0:
        shutil.chown(root, "mysql", "mysql")
    done = subprocess.run(
        ["mariadb-install-db", f"--defaults-file={cnf}", "--auth-root-authentication-method=normal",
         "--skip-test-db"],
        capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:  # say why: the exit status alone told nothing on a fresh machine
        raise RuntimeError(f"mariadb-install-db failed ({done.returncode}) in {root}:\n"
                           f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}")  # fmt: skip
    proc = subprocess.Popen(
        ["mariadbd", f"--defaults-file={cnf}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            conn = pymysql.connect(unix_socket=str(root / "mysqld.sock"), user="root")
            break
        except pymysql.MySQLError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError((root / "error.log").read_text()) from None
            time.sleep(0.1)
    with conn.cursor() as cur:
        cur.execute(f"CREATE USER '{MASTER_USER}'@'%' IDENTIFIED BY '{MASTER_PASSWORD}'")
        cur.execute(f"GRANT ALL PRIVILEGES ON *.* TO '{MASTER_USER}'@'%' WITH GRANT OPTION")
    conn.close()
    return MariaDB(port=port, datadir=datadir, proc=proc)


def make_mariadb_root() -> Path:
    root = Path(tempfile.mkdtemp(prefix="wpfleet-aws-mariadb-"))
    os.chmod(root, 0o755)
    return root


# --- the base environment in moto --------------------------------------------------------
@dataclass
class BaseEnv:
    url: str
    vpc_id: str
    subnets: list[str]
    security_group: str
    cluster: str
    lb_arn: str
    listener_arn: str
    efs_id: str
    zone_id: str
    distribution_id: str
    cloudfront_domain: str
    certificate_arn: str
    db: MariaDB
    extra: dict[str, Any] = field(default_factory=dict)
    env: str = ENV

    def client(self, service: str, region: str = REGION) -> Any:
        return boto3.client(service, region_name=region, endpoint_url=self.url)


def create_base_env(
    url: str, db: MariaDB, env: str = ENV, suffix: str = DOMAIN_SUFFIX, net: int = 20
) -> BaseEnv:
    """One environment's shared resources (``env``'s names; ``net``: its VPC is
    10.NET.0.0/16). Several environments may live in one moto, each with its own server
    standing in for its RDS instance, as each has its own RDS in AWS."""

    def c(service: str, region: str = REGION) -> Any:
        return boto3.client(service, region_name=region, endpoint_url=url)

    ec2 = c("ec2")
    vpc = ec2.create_vpc(CidrBlock=f"10.{net}.0.0/16")["Vpc"]["VpcId"]
    # moto's run_task needs DNS hostnames on (real task VPCs have them too)
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnets = [
        ec2.create_subnet(
            VpcId=vpc, CidrBlock=f"10.{net}.{i}.0/24", AvailabilityZone=f"{REGION}{az}"
        )["Subnet"]["SubnetId"]
        for i, az in ((1, "a"), (2, "b"))
    ]
    sg = ec2.create_security_group(GroupName=f"{env}-ecs-tasks-sg", Description="ecs", VpcId=vpc)[
        "GroupId"
    ]
    c("ecs").create_cluster(clusterName=f"{env}-cluster")
    elb = c("elbv2")
    lb = elb.create_load_balancer(Name=f"{env}-alb", Subnets=subnets, SecurityGroups=[sg])[
        "LoadBalancers"
    ][0]["LoadBalancerArn"]
    listener = elb.create_listener(
        LoadBalancerArn=lb, Protocol="HTTP", Port=80,
        DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}],
    )["Listeners"][0]["ListenerArn"]  # fmt: skip
    efs_id = c("efs").create_file_system(CreationToken=f"{env}-efs")["FileSystemId"]
    # the policy tenant isolation needs (preflight refuses a file system without it)
    fs_arn = f"arn:aws:elasticfilesystem:{REGION}:{ACCOUNT}:file-system/{efs_id}"
    c("efs").put_file_system_policy(
        FileSystemId=efs_id, Policy=json.dumps(required_policy(ACCOUNT, fs_arn))
    )
    c("logs").create_log_group(logGroupName=f"/ecs/{env}")
    c("rds").create_db_instance(
        DBInstanceIdentifier=f"{env}-mysql", DBInstanceClass="db.t3.micro", Engine="mysql",
        MasterUsername=MASTER_USER, MasterUserPassword=MASTER_PASSWORD, AllocatedStorage=20,
    )  # fmt: skip
    c("secretsmanager").create_secret(
        Name=f"{env}-rds-master-credentials",
        SecretString=json.dumps(
            {"username": MASTER_USER, "password": MASTER_PASSWORD, "host": "127.0.0.1",
             "port": db.port}
        ),
    )  # fmt: skip
    zone = (
        c("route53")
        .create_hosted_zone(Name=suffix, CallerReference=f"{env}-zone")["HostedZone"]["Id"]
        .split("/")[-1]
    )
    dist = c("cloudfront").create_distribution(DistributionConfig=distribution_config(env, suffix))[
        "Distribution"
    ]
    cert = c("acm", "us-east-1").request_certificate(
        DomainName=f"*.{suffix}", ValidationMethod="DNS"
    )["CertificateArn"]
    c("s3").create_bucket(
        Bucket=f"{env}-tenant-configs",
        CreateBucketConfiguration={"LocationConstraint": REGION},
    )
    return BaseEnv(
        url=url, vpc_id=vpc, subnets=subnets, security_group=sg, cluster=f"{env}-cluster",
        lb_arn=lb, listener_arn=listener, efs_id=efs_id, zone_id=zone,
        distribution_id=dist["Id"], cloudfront_domain=dist["DomainName"],
        certificate_arn=cert, db=db, env=env,
    )  # fmt: skip


def distribution_config(env: str = ENV, suffix: str = DOMAIN_SUFFIX) -> dict[str, Any]:
    return {
        "CallerReference": f"{env}-dist",
        "Comment": env,
        "Enabled": True,
        "Aliases": {"Quantity": 1, "Items": [f"*.{suffix}"]},
        "Origins": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": "alb",
                    "DomainName": f"{env}-alb.example.test",
                    "CustomOriginConfig": {
                        "HTTPPort": 80,
                        "HTTPSPort": 443,
                        "OriginProtocolPolicy": "https-only",
                    },
                }
            ],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": "alb",
            "ViewerProtocolPolicy": "redirect-to-https",
            "MinTTL": 0,
            "ForwardedValues": {"QueryString": True, "Cookies": {"Forward": "all"}},
        },
    }


# --- fleet files ---------------------------------------------------------------------------
def aws_block(base: BaseEnv, **overrides: Any) -> dict[str, Any]:
    block = {
        "account_id": ACCOUNT,
        "region": REGION,
        "endpoint_url": base.url,
        "cluster": base.cluster,
        "listener_arn": base.listener_arn,
        "vpc_id": base.vpc_id,
        "subnets": base.subnets,
        "security_group": base.security_group,
        "efs_id": base.efs_id,
        "execution_role": f"{base.env}-ecs-task-execution-role",
        "task_role": f"{base.env}-ecs-task-role",
        "rds_endpoint": f"127.0.0.1:{base.db.port}",
        "rds_instance": f"{base.env}-mysql",
        "rds_master_secret": f"{base.env}-rds-master-credentials",
        "hosted_zone_id": base.zone_id,
        "cloudfront_domain": base.cloudfront_domain,
        "cloudfront_distribution_id": base.distribution_id,
        "certificate_arn": base.certificate_arn,
        "config_bucket": f"{base.env}-tenant-configs",
    }
    block.update(overrides)
    return block


def write_fleet(
    path: Path,
    base: BaseEnv,
    tenants: list[dict[str, Any]],
    *,
    priorities: tuple[int, int] = (10, 260),
    env_extra: dict[str, Any] | None = None,
    **aws_overrides: Any,
) -> LoadedFleet:
    doc = {
        "fleet": "bbws",
        "state": {"backend": "sqlite", "path": str(path.parent / "state.db")},
        "defaults": {"image": "wordpress:6.4", "cpu": 256, "memory": 512},
        "environments": [
            {
                "name": ENV,
                "backend": "aws",
                "domain": "{tenant}." + DOMAIN_SUFFIX,
                "basic_auth": False,
                "priorities": {"first": priorities[0], "last": priorities[1]},
                "aws": aws_block(base, **aws_overrides),
                **(env_extra or {}),
            }
        ],
        "tenants": tenants,
    }
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return load_fleet(path)


def tenant(tid: str, **extra: Any) -> dict[str, Any]:
    return {"id": tid, "name": f"{tid.title()} Bakery", "admin_email": f"owner@{tid}.test", **extra}


def make_ctx(loaded: LoadedFleet, tid: str, store: StateStore) -> TenantContext:
    return tenant_context(loaded, ENV, tid, store, who="test")


# --- recording boto3 calls -----------------------------------------------------------------
MUTATING_PREFIXES = (
    "Create", "Put", "Delete", "Update", "Register", "Deregister", "Modify", "Set", "Tag",
    "Untag", "Add", "Remove", "Run", "Publish", "Change", "Associate", "Attach",
)  # fmt: skip


@dataclass
class Recorder:
    """Every logical call (``before-call``) and every request body (``before-send``) made
    through sessions created by ``wpfleet.aws.session``."""

    calls: list[str] = field(default_factory=list)
    bodies: list[tuple[str, str]] = field(default_factory=list)
    #: (service.Operation, API parameters) as the caller passed them
    params: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    fail: Callable[[str, dict[str, Any]], Any] | None = None

    @property
    def mutating(self) -> list[str]:
        return [c for c in self.calls if c.split(".", 1)[1].startswith(MUTATING_PREFIXES)]

    def hook(self, session: boto3.Session) -> None:
        events = session.events
        events.register("before-call.*.*", self._before_call, unique_id=f"rec-call-{id(self)}")
        events.register("before-send.*.*", self._before_send, unique_id=f"rec-send-{id(self)}")
        events.register(
            "before-parameter-build.*.*", self._before_build, unique_id=f"rec-build-{id(self)}"
        )

    def _before_build(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        name = f"{model.service_model.service_name}.{model.name}"
        self.params.append((name, json.loads(json.dumps(params, default=str))))

    def first(self, name: str) -> dict[str, Any]:
        return next(p for n, p in self.params if n == name)

    def _before_call(self, model: Any, params: dict[str, Any], **_: Any) -> Any:
        name = f"{model.service_model.service_name}.{model.name}"
        self.calls.append(name)
        return self.fail(name, params) if self.fail else None

    def _before_send(self, request: Any, event_name: str = "", **_: Any) -> None:
        """Bodies are kept as (operation, body): ``before-send.<service>.<Operation>``."""
        body = request.body
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        self.bodies.append((event_name.rsplit(".", 1)[-1], str(body or "")))


def injected_error(
    code: str, status: int = 400, message: str | None = None
) -> tuple[Any, dict[str, Any]]:
    """What a ``before-call`` handler returns to fail a call without sending it (give
    AWS's real ``message`` where wpfleet reads it)."""
    http = SimpleNamespace(status_code=status, headers={}, text="", content=b"")
    parsed = {
        "Error": {"Code": code, "Message": message or f"injected {code}"},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return http, parsed


@contextmanager
def recording() -> Iterator[Recorder]:
    rec = Recorder()
    aws_session.add_session_hook(rec.hook)
    try:
        yield rec
    finally:
        aws_session.remove_session_hook(rec.hook)
