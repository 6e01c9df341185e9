"""Notifications against real receivers on loopback: an HTTP server standing in for Slack
and a generic webhook (Slack's incoming webhooks take a JSON POST with a ``text`` field),
and a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import json
import socket
import threading
import typing
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from wpfleet.config.models import Notify, SmtpSettings
from wpfleet.notify import Event, EventKind, send

SECRET = "s3cr3t-never-sent"


class _Receiver(BaseHTTPRequestHandler):
    bodies: typing.ClassVar[list[tuple[str, dict[str, object]]]] = []
    status = 200

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.bodies.append((self.path, json.loads(self.rfile.read(length))))
        self.send_response(self.status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, type[_Receiver]]]:
    handler = type("Handler", (_Receiver,), {"bodies": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], str]] = []

    async def handle_DATA(self, server: object, session: object, envelope: typing.Any) -> str:
        self.messages.append((envelope.mail_from, envelope.rcpt_tos, envelope.content.decode()))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[int, _Mailbox]]:
    box = _Mailbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, box
    controller.stop()


def _event(**detail: str) -> Event:
    return Event(
        EventKind.deployment_failed,
        fleet="bbws",
        env="sit",
        tenant="goldencrust",
        summary="verification failed: http",
        url="https://goldencrust.wpsit.kimmyai.io/",
        actor="tebogotseka",
        detail={"deployment": "d-123", **detail},
    )


def test_slack_webhook_and_email_get_the_event(receiver, smtp) -> None:
    base, handler = receiver
    port, box = smtp
    notify = Notify(
        slack_webhook=f"{base}/services/T000/B000/XXXX",
        webhook=f"{base}/hook",
        email=["ops@example.com"],
        smtp=SmtpSettings(port=port, sender="wpfleet@example.com"),
    )
    deliveries = send(_event(), notify)
    assert [(d.channel, d.ok) for d in deliveries] == [
        ("slack", True),
        ("webhook", True),
        ("email", True),
    ]
    slack = dict(handler.bodies)["/services/T000/B000/XXXX"]
    assert "goldencrust" in str(slack["text"]) and "FAILED" in str(slack["text"])
    hook = dict(handler.bodies)["/hook"]
    assert hook["kind"] == "deployment.failed" and hook["tenant"] == "goldencrust"
    sender, rcpts, content = box.messages[0]
    assert (sender, rcpts) == ("wpfleet@example.com", ["ops@example.com"])
    assert "Subject: [wpfleet bbws] FAILED: goldencrust sit" in content
    # the webhook's path is its token: never shown back
    assert all("XXXX" not in d.target for d in deliveries)


def test_nothing_secret_travels(receiver) -> None:
    base, handler = receiver
    send(_event(password=SECRET, db_secret=SECRET), Notify(webhook=f"{base}/h"))
    assert SECRET not in json.dumps(handler.bodies)


def test_a_dead_channel_is_reported_not_raised(smtp) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    notify = Notify(
        slack_webhook=f"http://127.0.0.1:{dead}/services/T/B/TOKEN",
        email=["ops@example.com"],
        smtp=SmtpSettings(port=dead),
    )
    deliveries = send(_event(), notify, timeout=1.0)
    assert [d.ok for d in deliveries] == [False, False]
    assert all("TOKEN" not in d.error and "TOKEN" not in d.target for d in deliveries)
    assert "Connection refused" in deliveries[0].error


def test_http_error_status_is_a_failed_delivery(receiver) -> None:
    base, handler = receiver
    handler.status = 500
    (delivery,) = send(_event(), Notify(webhook=f"{base}/h"))
    assert not delivery.ok and delivery.error == "HTTP 500"


def test_env_reference_and_event_filter(receiver, monkeypatch) -> None:
    base, handler = receiver
    monkeypatch.setenv("WPFLEET_TEST_SLACK", f"{base}/from-env")
    notify = Notify(slack_webhook="env:WPFLEET_TEST_SLACK", events=["deployment.failed"])
    assert send(_event(), notify)[0].ok
    assert handler.bodies[0][0] == "/from-env"
    ok = Event(EventKind.deployment_succeeded, fleet="f", env="dev", summary="ok")
    assert send(ok, notify) == []  # filtered out
    monkeypatch.delenv("WPFLEET_TEST_SLACK")
    (unset,) = send(_event(), notify)
    assert not unset.ok and "unset" in unset.error


def test_event_names_match_the_fleet_file_grammar() -> None:
    allowed = typing.get_args(typing.get_args(Notify.model_fields["events"].annotation)[0])
    assert sorted(allowed) == sorted(str(k) for k in EventKind)
