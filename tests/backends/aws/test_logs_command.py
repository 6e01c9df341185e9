"""``wpfleet logs`` on AWS: CloudWatch Logs FilterLogEvents over the tenant's own group
``/ecs/{env}/{tenant}`` (moto server), every page, and ``--follow`` as polling."""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.backends.aws.infra import ENV, BaseEnv, recording, tenant, write_fleet
from tests.backends.aws.test_health_checks import stub
from wpfleet.context import LogLine
from wpfleet.services import Workspace
from wpfleet.services import logs as service

pytestmark = pytest.mark.aws


def _put(base: BaseEnv, stream: str, *events: tuple[float, str], group: str = "") -> None:
    """Events into ``stream`` of ``group`` (default: the stream's tenant's own group)."""
    client = base.client("logs")
    group = group or f"/ecs/{ENV}/{stream.split('/')[0]}"
    with contextlib.suppress(client.exceptions.ResourceAlreadyExistsException):
        client.create_log_group(logGroupName=group)
    with contextlib.suppress(client.exceptions.ResourceAlreadyExistsException):
        client.create_log_stream(logGroupName=group, logStreamName=stream)
    client.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": int(at * 1000), "message": text} for at, text in events],
    )


def test_since_grep_and_follow_read_only_the_tenants_streams(tmp_path: Path, base: BaseEnv) -> None:
    now = time.time()
    _put(
        base,
        "alpha/wordpress/task1",
        (now - 600, "old: before --since"),
        (now - 60, '10.0.1.5 - - "GET / HTTP/1.1" 200'),
        (now - 30, "Error establishing a database connection"),
    )
    _put(base, "bravo/wordpress/task9", (now - 20, "another tenant's line"))
    _put(base, "alpha/wordpress/old", (now - 25, "in the shared group"), group=f"/ecs/{ENV}")
    loaded = write_fleet(tmp_path / "fleet.yaml", base, [tenant("alpha"), tenant("bravo")])
    seen: list[LogLine] = []
    with Workspace(loaded, actor="t") as ws:
        env = ws.env(ENV)
        assert service.read(ws, env, "alpha", seen.append, since="2m") == 2
        assert [line.message[:5] for line in seen] == ["10.0.", "Error"]
        assert seen[0].source == "alpha/wordpress/task1" and seen[0].at == pytest.approx(
            now - 60, abs=0.01
        )
        grepped: list[LogLine] = []
        service.read(ws, env, "alpha", grepped.append, since="2m", grep="Error establishing")
        assert [line.message for line in grepped] == ["Error establishing a database connection"]

        polls = iter([True, True, False])

        def keep_going() -> bool:
            _put(base, "alpha/wordpress/task1", (time.time(), "appended while following"))
            return next(polls)

        followed: list[LogLine] = []
        service.read(
            ws,
            env,
            "alpha",
            followed.append,
            since="2m",
            follow=True,
            poll=0.01,
            keep_going=keep_going,
        )
    messages = [line.message for line in followed]
    assert messages[:2] == [line.message for line in seen]
    # each appended line once (the third was put as following stopped: not read)
    assert messages[2:] == ["appended while following"] * 2


def test_pages_are_followed_past_empty_ones(tmp_path: Path, base: BaseEnv) -> None:
    """AWS: FilterLogEvents "can return an empty page, or a page with fewer results than
    requested, while nextToken says more remain"
    (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html).
    moto returns everything on one page, so the pages are stubbed: two empty ones with a
    nextToken, then the event."""
    loaded = write_fleet(tmp_path / "fleet.yaml", base, [tenant("alpha")])
    event = {
        "logStreamName": "alpha/wordpress/0123",
        "timestamp": int(time.time() * 1000) - 5000,
        "message": "PHP Fatal error: on page three",
        "eventId": "3",
    }
    sent: list[dict[str, Any]] = []

    def pages(name: str, params: dict[str, Any]) -> Any:
        if name != "logs.FilterLogEvents":
            return None
        body = json.loads(params.get("body") or b"{}")
        sent.append(body)
        token = body.get("nextToken")
        if token is None:
            return stub({"events": [], "nextToken": "p2"})
        if token == "p2":
            return stub({"events": [], "nextToken": "p3"})
        return stub({"events": [event]})

    seen: list[LogLine] = []
    with recording() as rec, Workspace(loaded, actor="t") as ws:
        rec.fail = pages
        service.read(ws, ws.env(ENV), "alpha", seen.append, since="1m", grep="Fatal")
    assert [line.message for line in seen] == ["PHP Fatal error: on page three"]
    assert [b.get("nextToken") for b in sent] == [None, "p2", "p3"]
    assert {b["logGroupName"] for b in sent} == {f"/ecs/{ENV}/alpha"}
    assert {b["logStreamNamePrefix"] for b in sent} == {"alpha/"}
    assert {b["filterPattern"] for b in sent} == {'"Fatal"'}


def test_a_tenant_without_its_group_is_told_to_deploy(tmp_path: Path, base: BaseEnv) -> None:
    from wpfleet.errors import NotFoundError

    loaded = write_fleet(tmp_path / "fleet.yaml", base, [tenant("alpha")])
    with Workspace(loaded, actor="t") as ws, pytest.raises(NotFoundError) as caught:
        service.read(ws, ws.env(ENV), "alpha", lambda line: None, since="1m")
    assert "log group /ecs/sit/alpha does not exist" in caught.value.message
    assert caught.value.hint and "wpfleet deploy alpha --env sit" in caught.value.hint
