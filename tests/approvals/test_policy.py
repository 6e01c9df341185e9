"""The approval policy as a pure function of (policy, request, votes, now)."""

from __future__ import annotations

import datetime as dt

import pytest

from wpfleet.approvals.policy import ApprovalRefused, Request, Verdict, Vote, check_vote, evaluate
from wpfleet.config.models import Approvals

SAST = dt.timezone(dt.timedelta(hours=2))
#: Wednesday 2026-12-02 10:00 in Johannesburg
WED_10 = dt.datetime(2026, 12, 2, 10, 0, tzinfo=SAST).timestamp()
POLICY = Approvals(
    required=2,
    approvers=["tebogotseka", "leads"],
    groups={"leads": ["lead-devops-engineer", "carol"]},
    wait_minutes=5,
    windows=["Mon-Fri 08:00-17:00 Africa/Johannesburg"],
    expire_hours=72,
)


def request(at: float = WED_10, by: str = "dev-person") -> Request:
    return Request(
        id="a-1", tenant="shop", env="prod", kind="deploy", release_id="r-1", plan_hash="p-1",
        requested_by=by, requested_at=at, expires_at=at + 72 * 3600,
    )  # fmt: skip


def yes(who: str, at: float = WED_10 + 60) -> Vote:
    return Vote(who, "approve", at)


def test_two_distinct_allowed_approvers_make_it_ready_after_the_wait() -> None:
    req = request()
    votes = [yes("tebogotseka"), yes("carol")]  # carol through the group "leads"
    assert evaluate(POLICY, req, votes[:1], WED_10 + 600).verdict is Verdict.PENDING
    ev = evaluate(POLICY, req, votes, WED_10 + 120)
    assert ev.verdict is Verdict.WAITING and ev.not_before == WED_10 + 300
    ev = evaluate(POLICY, req, votes, WED_10 + 300)
    assert ev.verdict is Verdict.READY and ev.approved_by == ("carol", "tebogotseka")


def test_the_same_approver_twice_counts_once() -> None:
    votes = [yes("tebogotseka"), yes("tebogotseka", WED_10 + 90)]
    ev = evaluate(POLICY, request(), votes, WED_10 + 600)
    assert ev.verdict is Verdict.PENDING and ev.missing == 1


def test_votes_of_the_requester_and_of_strangers_do_not_count() -> None:
    req = request(by="tebogotseka")
    votes = [yes("tebogotseka"), yes("mallory"), yes("carol")]
    ev = evaluate(POLICY, req, votes, WED_10 + 600)
    assert ev.verdict is Verdict.PENDING and ev.approved_by == ("carol",)


@pytest.mark.parametrize(
    ("voter", "by", "message"),
    [
        ("dev-person", "dev-person", "no self-approval"),
        ("mallory", "dev-person", "not an allowed approver"),
    ],
)
def test_check_vote_refuses(voter: str, by: str, message: str) -> None:
    with pytest.raises(ApprovalRefused, match=message):
        check_vote(POLICY, request(by=by), voter, WED_10 + 60)
    check_vote(POLICY, request(), "lead-devops-engineer", WED_10 + 60)  # allowed


def test_outside_the_window_it_waits_until_the_next_opening() -> None:
    fri_1658 = dt.datetime(2026, 12, 4, 16, 58, tzinfo=SAST).timestamp()
    req = request(at=fri_1658)
    votes = [yes("tebogotseka", fri_1658 + 30), yes("carol", fri_1658 + 40)]
    ev = evaluate(POLICY, req, votes, fri_1658 + 400)  # 17:04:40, the window closed at 17:00
    monday_8 = dt.datetime(2026, 12, 7, 8, 0, tzinfo=SAST).timestamp()
    assert ev.verdict is Verdict.WAITING and ev.not_before == monday_8
    assert evaluate(POLICY, req, votes, monday_8 + 60).verdict is Verdict.READY


def test_after_expiry_it_lapses_and_takes_no_vote() -> None:
    req = request()
    later = WED_10 + 72 * 3600
    assert evaluate(POLICY, req, [yes("tebogotseka")], later).verdict is Verdict.LAPSED
    with pytest.raises(ApprovalRefused, match="lapsed"):
        check_vote(POLICY, req, "carol", later)


def test_a_changed_release_or_plan_is_stale() -> None:
    votes = [yes("tebogotseka"), yes("carol")]
    now = WED_10 + 600
    assert evaluate(POLICY, request(), votes, now, ("r-1", "p-1")).verdict is Verdict.READY
    ev = evaluate(POLICY, request(), votes, now, ("r-2", "p-1"))
    assert ev.verdict is Verdict.STALE and "release changed" in ev.reason
    ev = evaluate(POLICY, request(), votes, now, ("r-1", "p-2"))
    assert ev.verdict is Verdict.STALE and "plan changed" in ev.reason


def test_one_allowed_rejection_ends_it_a_strangers_does_not() -> None:
    votes = [yes("tebogotseka"), Vote("mallory", "reject", WED_10 + 70)]
    assert evaluate(POLICY, request(), votes, WED_10 + 600).verdict is Verdict.PENDING
    votes.append(Vote("carol", "reject", WED_10 + 80))
    ev = evaluate(POLICY, request(), votes, WED_10 + 600)
    assert ev.verdict is Verdict.REJECTED and "carol" in ev.reason


def test_a_decided_request_keeps_its_verdict() -> None:
    req = request()
    req.status = "deployed"
    assert evaluate(POLICY, req, [], WED_10).verdict is Verdict.DEPLOYED
    with pytest.raises(ApprovalRefused, match="deployed"):
        check_vote(POLICY, req, "carol", WED_10)


def test_policy_that_can_never_be_satisfied_is_refused_by_the_fleet_file() -> None:
    with pytest.raises(ValueError, match="only 1 distinct approver"):
        Approvals(required=2, approvers=["solo"])
    with pytest.raises(ValueError, match="unknown time zone"):
        Approvals(windows=["Mon-Fri 08:00-17:00 Mars/Olympus"])
