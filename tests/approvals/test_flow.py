"""The gate as the pipeline meets it (ask, admit, claim), on a real SQLite store, with
the external webhook gate served by a real local HTTP server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from wpfleet.approvals import flow
from wpfleet.approvals.book import ApprovalBook
from wpfleet.approvals.policy import ApprovalRefused, Verdict
from wpfleet.config.models import Approvals
from wpfleet.state.sqlite import SqliteStore

from .conftest import Gate

NOW = 1_800_000_000.0  # any time: no windows here


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    s = SqliteStore(tmp_path / "state.db")
    yield s
    s.close()


def ask(release: str = "r-1", plan: str = "p-1") -> flow.Ask:
    return flow.Ask("shop", "prod", "deploy", release, plan, actor="dev-person")


def requested(store: SqliteStore, policy: Approvals) -> str:
    with pytest.raises(flow.AwaitingApproval) as err:
        flow.require(store, policy, ask(), lambda: NOW)
    return err.value.request_id


def approve_both(store: SqliteStore, policy: Approvals, rid: str) -> None:
    book = ApprovalBook(store, lambda: NOW + 1)
    for who in ("tebogotseka", "carol"):
        book.vote(policy, book.get(rid), who, "approve")


POLICY = Approvals(required=2, approvers=["tebogotseka", "carol"])


def test_the_same_ask_keeps_one_request_a_changed_one_makes_another(store: SqliteStore) -> None:
    rid = requested(store, POLICY)
    assert requested(store, POLICY) == rid
    with pytest.raises(flow.AwaitingApproval) as other:
        flow.require(store, POLICY, ask(release="r-2"), lambda: NOW)
    assert other.value.request_id != rid


def test_admit_claims_once_and_refuses_a_changed_release(store: SqliteStore) -> None:
    rid = requested(store, POLICY)
    with pytest.raises(flow.AwaitingApproval, match="pending"):
        flow.admit(store, POLICY, rid, ask(), "d-1", lambda: NOW + 2)
    approve_both(store, POLICY, rid)
    with pytest.raises(ApprovalRefused, match="stale"):
        flow.admit(store, POLICY, rid, ask(plan="p-2"), "d-1", lambda: NOW + 2)
    assert ApprovalBook(store).get(rid).status == Verdict.STALE


def test_concurrent_admits_run_it_once(store: SqliteStore, tmp_path: Path) -> None:
    rid = requested(store, POLICY)
    approve_both(store, POLICY, rid)
    barrier, won, lost = threading.Barrier(6), [], []

    def run(n: int) -> None:
        own = SqliteStore(tmp_path / "state.db")  # one connection each, like processes
        barrier.wait(10)
        try:
            won.append(flow.admit(own, POLICY, rid, ask(), f"d-{n}", lambda: NOW + 2))
        except flow.AlreadyRun:
            lost.append(n)
        finally:
            own.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(won) == 1 and len(lost) == 5


def test_two_votes_at_once_by_the_same_person_count_once(
    store: SqliteStore, tmp_path: Path
) -> None:
    rid = requested(store, POLICY)
    barrier = threading.Barrier(8)

    def vote() -> None:
        own = SqliteStore(tmp_path / "state.db")
        book = ApprovalBook(own, lambda: NOW + 1)
        barrier.wait(10)
        book.vote(POLICY, book.get(rid), "carol", "approve")
        own.close()

    threads = [threading.Thread(target=vote) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert [v.approver for v in ApprovalBook(store).votes(rid)] == ["carol"]


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        ((200, b'{"state": "approved"}'), "run"),
        ((200, b'{"state": "pending"}'), "wait"),
        ((200, b'{"state": "rejected", "comment": "freeze"}'), "rejected"),
        ((503, b""), "wait"),
    ],
)
def test_the_external_gate_decides_last(
    store: SqliteStore, gate: tuple[Gate, str], answer: tuple[int, bytes], outcome: str
) -> None:
    state, url = gate
    state.answer = answer
    policy = Approvals(required=2, approvers=["tebogotseka", "carol"], webhook=url)
    rid = requested(store, policy)
    approve_both(store, policy, rid)
    if outcome == "run":
        assert flow.admit(store, policy, rid, ask(), "d-1", lambda: NOW + 2).id == rid
        assert state.seen[0]["approved_by"] == ["carol", "tebogotseka"]
    elif outcome == "wait":
        with pytest.raises(flow.AwaitingApproval, match="external gate"):
            flow.admit(store, policy, rid, ask(), "d-1", lambda: NOW + 2)
        assert ApprovalBook(store).get(rid).status == Verdict.PENDING
    else:
        with pytest.raises(ApprovalRefused, match="freeze"):
            flow.admit(store, policy, rid, ask(), "d-1", lambda: NOW + 2)
        assert ApprovalBook(store).get(rid).status == Verdict.REJECTED
