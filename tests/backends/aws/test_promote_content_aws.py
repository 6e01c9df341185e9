"""``promote --with-content`` dev → sit, and ``content clone --from sit --to dev``, on the
AWS backend: moto for AWS, and one real MariaDB PER ENVIRONMENT standing in for its RDS
instance (each environment of the bbws fleet has its own RDS; one shared server would
make dev's and sit's ``goldencrust_db`` the same database). The fleet file is the bbws
example's dev and sit with ``db_mode: direct`` and a content bucket each.

It proves on AWS what tests/e2e/test_approvals_local.py proves locally: content made in
dev (a post linking to the dev URL, a serialized option nested in a serialized string, a
Gutenberg block with a JSON-escaped URL, an uploaded file) reaches sit with sit's URLs,
the option unserializes in PHP, no dev host is left, and dev is unchanged.

moto starts no container: ``TaskPlayer`` (tests/backends/aws/content_player.py) plays the
content task, running the task definition's own script against a real directory tree per
access point; the stand-in WordPress of each environment serves ``wp-content/uploads``
from its tenant's access point tree, as the ECS task mounts it."""

from __future__ import annotations

import http.client
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from tests.backends.aws.content_player import TaskPlayer
from tests.backends.aws.infra import (
    REGION,
    BaseEnv,
    MariaDB,
    aws_block,
    create_base_env,
    make_mariadb_root,
    recording,
    start_mariadb,
)
from tests.backends.aws.test_deploy import VERIFY_DEADLINE, register_targets_like_ecs
from tests.backends.aws.wordpress_site import start_site
from tests.helpers.wpcontent import option_in_php, seed_site
from wpfleet.aws import session as aws_session
from wpfleet.backends.aws import content_run
from wpfleet.config.load import LoadedFleet, load_fleet
from wpfleet.content.dbconn import DbSpec
from wpfleet.errors import ValidationError
from wpfleet.services import backups, deployments, releases
from wpfleet.services.workspace import Workspace

pytestmark = [pytest.mark.aws, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[3]
TENANT = "goldencrust"
SUFFIX = {"dev": "wpdev.example.test", "sit": "wpsit.example.test"}


@pytest.fixture(scope="module")
def dev_rds() -> Iterator[MariaDB]:
    """dev's own database server (sit's is the session's ``mariadb``)."""
    root = make_mariadb_root()
    db = start_mariadb(root)
    yield db
    db.proc.terminate()
    db.proc.wait(timeout=30)
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def sites(moto_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A stand-in WordPress per environment (each reads its own env's secrets)."""
    out, stops = {}, []
    for env in ("dev", "sit"):
        root = tmp_path_factory.mktemp(f"wp-{env}")
        address, stop = start_site(root, moto_url, env)
        out[env] = (address, root / "wordpress")
        stops.append(stop)
    yield out
    for stop in stops:
        stop()


@dataclass
class Chain:
    loaded: LoadedFleet
    bases: dict[str, BaseEnv]
    player: TaskPlayer
    sites: dict[str, Any]

    def ws(self) -> Workspace:
        return Workspace(self.loaded, actor="test")

    def access(self, env: str) -> Any:
        with self.ws() as w:
            return backups.site_access(w, w.env(env), TENANT)

    def http(self, env: str, path: str) -> tuple[int, dict[str, str], str]:
        """GET through the environment's stand-in task, as the ALB forwards the host."""
        netloc = urlsplit(self.sites[env][0]).netloc
        conn = http.client.HTTPConnection(netloc, timeout=30)
        try:
            conn.request("GET", path, headers={"Host": f"{TENANT}.{SUFFIX[env]}"})
            res = conn.getresponse()
            return res.status, dict(res.getheaders()), res.read().decode("utf-8", "replace")
        finally:
            conn.close()

    def serve_uploads(self, env: str) -> Path:
        """The stand-in serves wp-content/uploads from the tenant's access point tree
        (the ECS task mounts the access point as wp-content)."""
        efs = self.bases[env].client("efs")
        (point,) = efs.describe_access_points(FileSystemId=self.bases[env].efs_id)["AccessPoints"]
        tree = self.player.efs / point["AccessPointId"]
        link = self.sites[env][1] / "wp-content" / "uploads"
        link.unlink(missing_ok=True)
        link.symlink_to(tree / "uploads", target_is_directory=True)
        return tree


def bbws_fleet(path: Path, bases: dict[str, BaseEnv], sites: dict[str, Any]) -> LoadedFleet:
    """The bbws example's dev and sit (one tenant of it), every placeholder filled with
    the environment's moto resources, ``db_mode: direct`` and a content bucket. Left out:
    prod, profiles (fake credentials), the per-environment DynamoDB state (sqlite here), basic
    auth (Lambda@Edge, not what this test is about); the stand-in installs WordPress at
    http:// (``scheme: http``)."""
    doc = yaml.safe_load((REPO / "examples/bbws/fleet.yaml").read_text())
    doc["state"] = {"backend": "sqlite", "path": str(path.parent / "state.db")}
    envs = []
    for env in doc["environments"]:
        if env["name"] not in bases:
            continue
        env.pop("state", None)
        env["basic_auth"] = False
        example = env["aws"]
        assert example["db_mode"] == "ecs-task" and example["rds_instance"].startswith(env["name"])
        base = bases[env["name"]]
        env["domain"] = "{tenant}." + SUFFIX[env["name"]]
        env["aws"] = aws_block(
            base, db_mode="direct", content_bucket=f"{env['name']}-wpfleet-content",
            scheme="http", http_check_address=sites[env["name"]][0],
        )  # fmt: skip
        assert {k for k in example if k not in ("profile", "dns", "ci_role_arn")} <= set(env["aws"])
        envs.append(env)
    doc["environments"] = envs
    (tenant,) = [t for t in doc["tenants"] if t["id"] == TENANT]
    tenant.pop("overrides")  # prod's: prod is not in this fleet
    doc["tenants"] = [tenant]
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return load_fleet(path)


@pytest.fixture
def chain(
    tmp_path: Path,
    base: BaseEnv,
    moto_url: str,
    dev_rds: MariaDB,
    sites: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Chain]:
    dev_rds.clean()
    bases = {"dev": create_base_env(moto_url, dev_rds, "dev", SUFFIX["dev"], net=30), "sit": base}
    for env in bases:
        base.client("s3").create_bucket(
            Bucket=f"{env}-wpfleet-content",
            CreateBucketConfiguration={"LocationConstraint": REGION},
        )
    monkeypatch.setattr(content_run, "WAIT_DELAY", 0)
    player = TaskPlayer(base, tmp_path / "efs")
    player.efs.mkdir()
    aws_session.add_session_hook(player.hook)
    try:
        yield Chain(bbws_fleet(tmp_path / "fleet.yaml", bases, sites), bases, player, sites)
    finally:
        aws_session.remove_session_hook(player.hook)


def deployed(chain: Chain) -> None:
    """goldencrust deployed to dev; dev's ``auto_promote`` carries it to sit."""
    with recording() as rec, chain.ws() as w:
        rec.fail = register_targets_like_ecs(chain.bases["sit"])
        dev = w.env("dev")
        outcome = deployments.deploy(w, dev, TENANT, verify_deadline=VERIFY_DEADLINE)
        assert outcome.deployment is not None and outcome.deployment.status == "succeeded"
        notes = releases.after_run(w, dev, TENANT, "deploy", outcome)
    assert "auto-promoted to sit" in notes, notes
    # each environment's database is on its own server, the other has none of it
    for env, other in (("dev", "sit"), ("sit", "dev")):
        names = [r[0] for r in chain.bases[env].db.query("SHOW DATABASES")]
        assert f"{TENANT}_db" in names
        assert chain.access(env).db_port == chain.bases[env].db.port != chain.bases[other].db.port


def seed_dev(chain: Chain) -> tuple[int, str]:
    access = chain.access("dev")
    url = access.url
    post_id = seed_site(_connect(access), url)
    uploads = chain.serve_uploads("dev") / "uploads"
    uploads.mkdir(parents=True)
    (uploads / "hello.txt").write_text("hello from dev\n")
    return post_id, url


def _connect(access: Any) -> Any:
    spec = DbSpec(access.db_host, access.db_port, access.db_user, access.db_password,
                  access.database)  # fmt: skip
    return spec.connect()


def text_of(chain: Chain, env: str) -> str:
    conn = _connect(chain.access(env))
    with conn.cursor() as cur:
        cur.execute("SELECT post_content, guid FROM wp_posts")
        posts = " ".join(f"{a} {b}" for a, b in cur.fetchall())
        cur.execute("SELECT option_value FROM wp_options")
        options = " ".join(str(v) for (v,) in cur.fetchall())
    conn.close()
    return posts + " " + options


def option_php(chain: Chain, env: str) -> str:
    return option_in_php(_connect(chain.access(env)), "wpfleet_test")


def test_promote_with_content_dev_to_sit_then_clone_back_down(chain: Chain) -> None:
    deployed(chain)
    post_id, dev_url = seed_dev(chain)
    dev_before = text_of(chain, "dev")
    sit_url = chain.access("sit").url
    dev_host, sit_host = urlsplit(dev_url).netloc, urlsplit(sit_url).netloc
    assert (dev_host, sit_host) == (f"{TENANT}.wpdev.example.test", f"{TENANT}.wpsit.example.test")
    with chain.ws() as w:
        result = releases.promote(w, TENANT, "sit", with_content=True,
                                  verify_deadline=VERIFY_DEADLINE)  # fmt: skip
    assert any(n.startswith("content cloned from dev") for n in result.notes), result.notes
    # sit serves the post with sit's URLs, and the uploaded file
    chain.serve_uploads("sit")
    status, _, body = chain.http("sit", f"/?p={post_id}")
    assert status == 200 and "Moved post" in body and f"{sit_url}/about/" in body
    assert dev_host not in body
    assert chain.http("sit", "/wp-content/uploads/hello.txt")[2] == "hello from dev\n"
    sit_text = text_of(chain, "sit")
    assert dev_host not in sit_text and sit_host in sit_text
    assert f"{sit_url}/wp-content/uploads/hello.txt".replace("/", "\\/") in sit_text
    assert option_php(chain, "sit") == f"{sit_url}/x {sit_url}/nested"
    assert text_of(chain, "dev") == dev_before  # dev is unchanged
    with chain.ws() as w:
        kept = backups.points(w, w.env("sit"), TENANT)
    assert [p["reason"] for p in kept] == ["before clone from dev"]
    assert kept[0]["path"].startswith(f"s3://sit-wpfleet-content/wpfleet-content/sit/{TENANT}/")
    # content moves down freely: sit → dev, back at dev's URLs; up needs --allow-upward
    conn = _connect(chain.access("sit"))
    with conn.cursor() as cur:
        cur.execute("UPDATE wp_posts SET post_title = 'Edited in sit' WHERE ID = %s", (post_id,))
    conn.close()
    with chain.ws() as w, pytest.raises(ValidationError, match="UP the chain"):
        backups.clone(w, TENANT, w.env("dev"), w.env("sit"))
    with chain.ws() as w:
        backups.clone(w, TENANT, w.env("sit"), w.env("dev"))
    status, _, body = chain.http("dev", f"/?p={post_id}")
    assert status == 200 and "Edited in sit" in body and f"{dev_url}/about/" in body
    assert sit_host not in text_of(chain, "dev")
    assert option_php(chain, "dev") == f"{dev_url}/x {dev_url}/nested"
    assert chain.http("dev", "/wp-content/uploads/hello.txt")[2] == "hello from dev\n"
    with chain.ws() as w:
        assert [p["reason"] for p in backups.points(w, w.env("dev"), TENANT)] == [
            "before clone from sit"
        ]
