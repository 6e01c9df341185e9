"""A domain move of a live tenant on the AWS backend WITH content access (``db_mode:
direct`` and a content bucket), against moto + the MariaDB standing in for RDS: the
deploy that finds the changed domain takes a restore point (in S3, the content task
played by ``TaskPlayer``), updates the one listener rule's host, rewrites the database
and proves it; the site then answers at the new host. A failure after the content moved
puts the restore point back and the rule's old host."""

from __future__ import annotations

import http.client
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.backends.aws.content_player import CONTENT_BUCKET, TaskPlayer
from tests.backends.aws.infra import ENV, BaseEnv, recording, tenant, write_fleet
from tests.backends.aws.test_deploy import VERIFY_DEADLINE, register_targets_like_ecs
from tests.backends.aws.test_domain_move_aws import rules
from tests.helpers.wpcontent import option_in_php
from wpfleet.config.load import LoadedFleet
from wpfleet.content.dbconn import DbSpec
from wpfleet.pipeline.deploy import Outcome
from wpfleet.releases.history import events
from wpfleet.services import backups
from wpfleet.services.clocked import pipeline
from wpfleet.services.workspace import Workspace
from wpfleet.state.sqlite import SqliteStore

pytestmark = [pytest.mark.aws, pytest.mark.slow]

OLD_HOST = "alpha.wpsit.example.test"
#: in the environment's zone; the stand-in WordPress finds the tenant by the first label
NEW_DOMAIN = "{tenant}.new.wpsit.example.test"
NEW_HOST = "alpha.new.wpsit.example.test"


def cover_new_domain(base: BaseEnv) -> None:
    """Add ``*.new.wpsit.example.test`` to the distribution's alternate domain names, as
    an operator must before moving tenants there: Route 53 refuses an alias record for a
    name the distribution does not list, and the base ``*.wpsit`` wildcard covers one
    label only (wpfleet refuses the move while planning otherwise)."""
    cf = base.client("cloudfront")
    found = cf.get_distribution_config(Id=base.distribution_id)
    config, items = found["DistributionConfig"], ["*.new.wpsit.example.test"]
    current = config["Aliases"].get("Items") or []
    if items[0] not in current:
        config["Aliases"] = {"Quantity": len(current) + 1, "Items": [*current, *items]}
        cf.update_distribution(Id=base.distribution_id, IfMatch=found["ETag"],
                               DistributionConfig=config)  # fmt: skip


def fleet(tmp_path: Path, base: BaseEnv, site: str, **env_extra: Any) -> LoadedFleet:
    """The stand-in installs WordPress at http:// (``scheme: http``, as the proof asks)."""
    cover_new_domain(base)
    return write_fleet(
        tmp_path / "fleet.yaml", base, [tenant("alpha")], http_check_address=site,
        content_bucket=CONTENT_BUCKET, scheme="http", env_extra=env_extra,
    )  # fmt: skip


def deploy(loaded: LoadedFleet, base: BaseEnv) -> tuple[Outcome, list[str]]:
    """The deploy, and the AWS operations it called."""
    with recording() as rec, Workspace(loaded, actor="test") as ws:
        rec.fail = register_targets_like_ecs(base)
        outcome = pipeline(ws, ws.env(ENV), verify_deadline=VERIFY_DEADLINE).deploy("alpha")
    return outcome, rec.calls


def connect(loaded: LoadedFleet) -> Any:
    with Workspace(loaded, actor="test") as ws:
        a = backups.site_access(ws, ws.env(ENV), "alpha")
    return DbSpec(a.db_host, a.db_port, a.db_user, a.db_password, a.database).connect()


def ser(text: str) -> str:
    return f's:{len(text.encode())}:"{text}";'


def seed(loaded: LoadedFleet, player: TaskPlayer, base: BaseEnv) -> None:
    """A post linking to the site, a serialized option with a nested serialized string
    holding its URL, a JSON-escaped block URL; a file in the access point's tree."""
    url = f"http://{OLD_HOST}"
    option = "a:2:{" + ser("url") + ser(f"{url}/x") + ser("inner") + ser(ser(f"{url}/n")) + "}"
    block = '<!-- wp:image {"url":"' + url.replace("/", "\\/") + '\\/a.png"} -->'
    conn = connect(loaded)
    with conn.cursor() as cur:
        cur.execute(
            "UPDATE wp_posts SET post_content = %s WHERE ID = 1",
            (f'<p><a href="{url}/about/">About</a></p>\n{block}',),
        )
        cur.execute(
            "INSERT INTO wp_options (option_name, option_value, autoload) "
            "VALUES ('wpfleet_test', %s, 'no')",
            (option,),
        )
    conn.close()
    (ap,) = base.client("efs").describe_access_points(FileSystemId=base.efs_id)["AccessPoints"]
    uploads = player.efs / ap["AccessPointId"] / "uploads"
    uploads.mkdir(parents=True)
    (uploads / "hello.txt").write_text("hello\n")


def text_and_state(loaded: LoadedFleet) -> tuple[str, dict[str, tuple[int, int]]]:
    conn = connect(loaded)
    out, state = [], {}
    with conn.cursor() as cur:
        cur.execute("SHOW TABLES")
        for (table,) in cur.fetchall():
            cur.execute(f"SELECT COUNT(*) FROM `{table}`")
            (count,) = cur.fetchone()
            cur.execute(f"CHECKSUM TABLE `{table}`")
            state[table] = (count, cur.fetchone()[1])
        cur.execute("SELECT post_content FROM wp_posts")
        out += [r[0] for r in cur.fetchall()]
        cur.execute("SELECT option_value FROM wp_options")
        out += [str(r[0]) for r in cur.fetchall()]
    conn.close()
    return "\n".join(out), state


def option_via_php(loaded: LoadedFleet) -> str:
    return option_in_php(connect(loaded), "wpfleet_test")


def records(base: BaseEnv) -> list[str]:
    found = base.client("route53").list_resource_record_sets(HostedZoneId=base.zone_id)
    return sorted(r["Name"] for r in found["ResourceRecordSets"] if "alpha" in r["Name"])


def get(site: str, host: str, path: str = "/?p=1") -> tuple[int, str]:
    conn = http.client.HTTPConnection(urlsplit(site).netloc, timeout=30)
    try:
        conn.request("GET", path, headers={"Host": host})
        res = conn.getresponse()
        return res.status, res.read().decode("utf-8", "replace")
    finally:
        conn.close()


def test_a_changed_domain_moves_the_rule_and_the_content_and_proves_it(
    tmp_path: Path, base: BaseEnv, store: SqliteStore, wordpress_site: str, player: TaskPlayer
) -> None:
    loaded = fleet(tmp_path, base, wordpress_site)
    assert deploy(loaded, base)[0].deployment.status == "succeeded"  # type: ignore[union-attr]
    seed(loaded, player, base)
    moved = fleet(tmp_path, base, wordpress_site, domain=NEW_DOMAIN)
    outcome, calls = deploy(moved, base)
    assert outcome.deployment is not None and outcome.deployment.status == "succeeded"
    # the one rule, its host changed in place at its priority (never a second rule)
    assert rules(base) == [([NEW_HOST], "10")]
    assert records(base) == [f"{NEW_HOST}."]  # the old host's record moved with it
    assert "elbv2.ModifyRule" in calls and "elbv2.CreateRule" not in calls
    # the content: every spelling moved, the nested option unserializes in PHP
    text, _ = text_and_state(moved)
    new = f"http://{NEW_HOST}"
    assert OLD_HOST not in text and f"{new}/about/" in text
    assert f'"url":"{new.replace("/", chr(92) + "/")}\\/a.png"' in text
    assert option_via_php(moved) == f"{new}/x {new}/n"
    status, body = get(wordpress_site, NEW_HOST)
    assert status == 200 and f"{new}/about/" in body and OLD_HOST not in body
    # its restore point, at the old URL, in the content bucket; the move in history
    with Workspace(moved, actor="test") as ws:
        (point,) = backups.points(ws, ws.env(ENV), "alpha")
    assert point["url"] == f"http://{OLD_HOST}" and point["reason"].startswith("before domain")
    assert point["path"].startswith(f"s3://{CONTENT_BUCKET}/wpfleet-content/sit/alpha/")
    moves = [e for e in events(store, "alpha", ENV) if e["kind"] == "domain-move"]
    assert [(m["old_url"], m["new_url"]) for m in moves] == [(f"http://{OLD_HOST}", new)]


def test_a_failure_after_the_move_puts_the_old_host_and_content_back(
    tmp_path: Path,
    base: BaseEnv,
    store: SqliteStore,
    wordpress_site: str,
    player: TaskPlayer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loaded = fleet(tmp_path, base, wordpress_site)
    assert deploy(loaded, base)[0].deployment.status == "succeeded"  # type: ignore[union-attr]
    seed(loaded, player, base)
    before_text, before = text_and_state(loaded)
    moved = fleet(tmp_path, base, wordpress_site, domain=NEW_DOMAIN)
    monkeypatch.setenv("WPFLEET_INJECT_FAULT", "domain-move:proof")  # moved and proved
    with pytest.raises(Exception, match="domain-move:proof"):
        deploy(moved, base)
    monkeypatch.delenv("WPFLEET_INJECT_FAULT")
    assert rules(base) == [([OLD_HOST], "10")]
    assert records(base) == [f"{OLD_HOST}."]
    after_text, after = text_and_state(loaded)
    assert after == before and after_text == before_text and NEW_HOST not in after_text
    status, body = get(wordpress_site, OLD_HOST)
    assert status == 200 and f"http://{OLD_HOST}/about/" in body
    kinds = [e["kind"] for e in events(store, "alpha", ENV)]
    assert "domain-move-undone" in kinds and "domain-move" not in kinds
