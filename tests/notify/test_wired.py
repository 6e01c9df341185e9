"""Notifications wired into the services: a deployment's success, failure and rollback
reach a real local HTTP receiver (standing in for Slack and a webhook) and a real SMTP
server (aiosmtpd); nothing secret is in any message; a dead channel fails nothing.

The backend is the services' fake world (tests/services/factories.py): these tests are
about what the deployment service tells, not about nginx or ECS."""

from __future__ import annotations

import json
import logging
import socket
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.engine.fakes import World
from tests.notify.test_channels import receiver, smtp  # noqa: F401 - fixtures
from tests.services.factories import workspace, write_fleet
from wpfleet.errors import DeploymentFailed
from wpfleet.notify import EventKind
from wpfleet.services import deployments, notifications

SECRETS = ("secret-of-alpha", "basic-secret", "s3cr3t-db-pass")


def _fleet(tmp_path: Path, env_notify: dict[str, Any] | None, fleet_notify: dict[str, Any]) -> Path:
    path = write_fleet(tmp_path, tenants=("alpha", "bravo"), envs=("dev",))
    data = yaml.safe_load(path.read_text())
    data["notify"] = fleet_notify
    if env_notify is not None:
        data["environments"][0]["notify"] = env_notify
    path.write_text(yaml.safe_dump(data))
    return path


def _dead_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _everything_sent(handler: Any, box: Any) -> str:
    return json.dumps(handler.bodies) + "".join(m[2] for m in box.messages)


def test_success_failure_and_rollback_reach_every_channel(tmp_path, receiver, smtp) -> None:  # noqa: F811
    base, handler = receiver
    port, box = smtp
    env_notify = {
        "slack_webhook": f"{base}/services/T0/B0/TOKEN",
        "webhook": f"{base}/hook",
        "email": ["ops@example.com"],
        "smtp": {"port": port},
    }
    # the fleet's own notify points nowhere: the environment's must win
    fleet_notify = {"webhook": f"{base}/fleet-level"}
    world = World()
    with workspace(_fleet(tmp_path, env_notify, fleet_notify), world) as ws:
        deployments.deploy(ws, ws.env("dev"), "alpha")
        world.fail_on.add(("create", "dev/bravo/site"))  # after the database: rolled back
        with pytest.raises(DeploymentFailed):
            deployments.deploy(ws, ws.env("dev"), "bravo")
        world.fail_on.add(("delete", "dev/bravo/database"))  # the undo fails: needs attention
        with pytest.raises(DeploymentFailed):
            deployments.deploy(ws, ws.env("dev"), "bravo")
    hooks = [body for path, body in handler.bodies if path == "/hook"]
    assert [(h["kind"], h["tenant"]) for h in hooks] == [
        (str(EventKind.deployment_succeeded), "alpha"),
        (str(EventKind.deployment_rolled_back), "bravo"),
        (str(EventKind.deployment_failed), "bravo"),
    ]
    assert hooks[0]["url"] == "http://alpha.wpdev.localhost/"
    assert hooks[1]["detail"]["cause"].startswith("RuntimeError: create of dev/bravo/site")
    assert not [p for p, _ in handler.bodies if p == "/fleet-level"]
    slack = [b["text"] for p, b in handler.bodies if p.startswith("/services/")]
    assert len(slack) == 3 and "ROLLED BACK: bravo dev" in slack[1]
    assert len(box.messages) == 3 and "OK: alpha dev" in box.messages[0][2]
    sent = _everything_sent(handler, box)
    assert not [s for s in SECRETS if s in sent]


def test_fleet_notify_applies_when_the_env_has_none(tmp_path, receiver) -> None:  # noqa: F811
    base, handler = receiver
    with workspace(_fleet(tmp_path, None, {"webhook": f"{base}/fleet-level"})) as ws:
        deployments.deploy_many(ws, ws.env("dev"), concurrency=2)
    assert sorted(b["tenant"] for _, b in handler.bodies) == ["alpha", "bravo"]


def test_a_dead_channel_never_fails_a_deployment(tmp_path, caplog) -> None:
    dead = _dead_port()
    env_notify = {
        "slack_webhook": f"http://127.0.0.1:{dead}/services/T/B/TOKEN",
        "email": ["ops@example.com"],
        "smtp": {"port": dead},
    }
    world = World()
    with (
        caplog.at_level(logging.WARNING, logger="wpfleet.notify"),
        workspace(_fleet(tmp_path, env_notify, {}), world) as ws,
    ):
        outcome = deployments.deploy(ws, ws.env("dev"), "alpha")
        notes = ws.events.kinds("note")  # type: ignore[attr-defined]
    assert outcome.deployment is not None and outcome.deployment.status == "succeeded"
    assert "dev/alpha/site" in world.things
    assert len(notes) == 2 and all("failed" in n and "TOKEN" not in n for n in notes)
    assert "Connection refused" in caplog.text and "TOKEN" not in caplog.text


def test_a_secret_slipped_into_detail_is_dropped(tmp_path, receiver) -> None:  # noqa: F811
    base, handler = receiver
    with workspace(_fleet(tmp_path, {"webhook": f"{base}/h"}, {})) as ws:
        env = ws.env("dev")
        news = notifications.event(
            ws,
            env,
            EventKind.drift_found,
            "2 differences",
            detail={"db_password": SECRETS[2], "resource": "infra/vhost"},
        )
        (delivery,) = notifications.notify(ws, env, news)
    assert delivery.ok
    assert SECRETS[2] not in json.dumps(handler.bodies)
    assert handler.bodies[0][1]["detail"] == {"resource": "infra/vhost"}
    assert handler.bodies[0][1]["actor"] == "tester"


def test_a_failed_refusal_before_the_run_is_not_news(tmp_path, receiver) -> None:  # noqa: F811
    base, handler = receiver
    env_notify = {"webhook": f"{base}/h"}
    with workspace(_fleet(tmp_path, env_notify, {})) as ws, pytest.raises(Exception, match="nope"):
        deployments.deploy(ws, ws.env("dev"), "nope")
    assert handler.bodies == []
