"""The one HTTP client, against a real local server."""

from __future__ import annotations

from tests.checks.stage import Answer, Stage
from wpfleet.checks.probe import HttpProbe, basic_auth_header


def test_host_header_default_headers_and_login(stage: Stage) -> None:
    stage.answers["/x"] = Answer(302, b"moved", {"Location": "/y", "Set-Cookie": "a=1"})
    probe = HttpProbe(
        "127.0.0.1", stage.port, "alpha.test:8080",
        default_headers={"CloudFront-Forwarded-Proto": "https"},
    )  # fmt: skip
    reply = probe.get("/x", {"X-Extra": "1"}, ("u", "p"))
    assert reply.status == 302 and reply.header("Location") == "/y" and reply.body == b"moved"
    assert reply.cookies == ["a=1"] and reply.summary == "HTTP 302"
    sent = stage.seen[0]
    assert sent["host"] == "alpha.test:8080" and sent["x-extra"] == "1"
    assert sent["cloudfront-forwarded-proto"] == "https"
    assert sent["authorization"] == basic_auth_header(("u", "p")) == "Basic dTpw"
    assert probe.where == f"http://alpha.test:8080 via 127.0.0.1:{stage.port}"


def test_a_refused_connection_is_a_reply_not_an_exception() -> None:
    reply = HttpProbe("127.0.0.1", 9, "alpha.test", timeout=1.0).get("/")
    assert reply.status == 0 and "ConnectionRefusedError" in reply.error
    assert reply.summary.startswith("no answer (ConnectionRefusedError")
