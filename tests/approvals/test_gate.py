"""The external gate against a real local HTTP server (GitHub-style protection rule)."""

from __future__ import annotations

import pytest

from wpfleet.approvals.gate import ask, where
from wpfleet.approvals.policy import Request

from .conftest import Gate

REQ = Request(
    id="a-1", tenant="shop", env="prod", kind="deploy", release_id="r-1", plan_hash="p-1",
    requested_by="dev-person", requested_at=1.0, expires_at=2.0,
)  # fmt: skip


def test_the_gate_is_sent_the_request_and_its_approvers(gate: tuple[Gate, str]) -> None:
    state, url = gate
    assert ask(url, REQ, ("carol", "tebogotseka")).state == "approved"
    sent = state.seen[0]
    assert sent["request"] == "a-1" and sent["release"] == "r-1" and sent["plan_hash"] == "p-1"
    assert sent["approved_by"] == ["carol", "tebogotseka"] and sent["environment"] == "prod"
    assert state.auth == "Basic dG9rZW46czNjcmV0"  # token:s3cret from the URL


@pytest.mark.parametrize(
    ("answer", "state"),
    [
        ((200, b'{"state": "rejected", "comment": "change freeze"}'), "rejected"),
        ((200, b'{"state": "pending"}'), "pending"),
        ((200, b"not json"), "pending"),
        ((500, b'{"state": "approved"}'), "pending"),  # an error never approves
    ],
)
def test_only_an_explicit_approved_lets_it_run(
    gate: tuple[Gate, str], answer: tuple[int, bytes], state: str
) -> None:
    gate[0].answer = answer
    got = ask(gate[1], REQ, ())
    assert got.state == state
    assert "s3cret" not in got.comment  # the URL's token is never echoed


def test_an_unreachable_gate_is_pending_and_names_only_the_host() -> None:
    got = ask("http://user:tok@127.0.0.1:9/x", REQ, ())
    assert got.state == "pending" and "tok" not in got.comment
    assert where("https://user:tok@gate.example:8443/p?k=v") == "gate.example:8443"
