"""Approvals as a user meets them: pending, approve, reject, resume.

A deploy (or promote, or rollback) into an environment with ``approvals:`` records a
pending request and exits 6 (the pipeline's gate does that). Approvers then vote here.
The vote that satisfies the policy also runs the request, when the wait timer and the
window allow it; otherwise ``resume`` runs it later. Every function takes the clock, so
tests judge expiry, wait timers and windows at any time they choose.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from wpfleet.approvals.book import ApprovalBook, check_actor
from wpfleet.approvals.flow import AlreadyRun, AwaitingApproval, plan_hash
from wpfleet.approvals.policy import (
    Evaluation,
    Request,
    Verdict,
    Vote,
    evaluate,
)
from wpfleet.config.models import Approvals, Environment
from wpfleet.errors import UsageError
from wpfleet.pipeline import releasing
from wpfleet.pipeline.config_document import release_id
from wpfleet.pipeline.deploy import Outcome, Pipeline
from wpfleet.releases.history import log_event
from wpfleet.services import notifications
from wpfleet.services.clocked import pipeline
from wpfleet.services.workspace import Workspace

Clock = Callable[[], float]


@dataclass
class PendingRow:
    request: Request
    evaluation: Evaluation
    votes: list[Vote] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        ev = self.evaluation
        return {
            **self.request.as_dict(),
            "verdict": ev.verdict.value,
            "approved_by": list(ev.approved_by),
            "required": ev.required,
            "missing": ev.missing,
            "reason": ev.reason,
            "not_before": ev.not_before,
            "votes": [v.as_dict() for v in self.votes],
        }


@dataclass
class VoteResult:
    row: PendingRow
    vote: Vote
    outcome: Outcome | None = None  # set when this vote ran the request
    note: str = ""


def _policy(env: Environment) -> Approvals:
    """The environment's approval policy; ``env`` comes resolved (one value, one way)."""
    policy = env.approvals
    if policy is None:
        raise UsageError(f"{env.name} has no approvals: its deploys need none")
    return policy


def current_binding(ws: Workspace, req: Request, pipe: Pipeline) -> tuple[str, str]:
    """(release id, plan hash) of what the request would deploy if it ran now."""
    pin = req.pin or None
    ctx = releasing.pinned(pipe.context(req.tenant), pin)
    return release_id(ctx), plan_hash(pipe.plan(req.tenant, pin=pin))


def pending(
    ws: Workspace,
    tenant: str | None = None,
    env: str | None = None,
    *,
    clock: Clock = time.time,
) -> list[PendingRow]:
    """Open requests with their verdict now (pending, waiting, ready, or lapsed)."""
    rows = []
    for e in ws.envs(env):
        if e.approvals is None:
            continue
        book = ApprovalBook(ws.store(e), clock)
        for req in book.pending(tenant, e.name):
            votes = book.votes(req.id)
            rows.append(PendingRow(req, evaluate(e.approvals, req, votes, clock()), votes))
    return rows


def find(ws: Workspace, request_id: str, clock: Clock = time.time) -> tuple[Request, Any]:
    """The request and the environment it belongs to (requests live in its env's store)."""
    last: Exception | None = None
    for e in ws.envs(None):
        if e.approvals is None:
            continue
        try:
            return ApprovalBook(ws.store(e), clock).get(request_id), e
        except Exception as exc:  # NotFoundError: try the next environment's store
            last = exc
    if last is not None:
        raise last
    raise UsageError("no environment of this fleet has approvals")


def vote(
    ws: Workspace,
    request_id: str,
    decision: str,
    comment: str = "",
    *,
    run: bool = True,
    clock: Clock = time.time,
    verify_deadline: float | None = None,
) -> VoteResult:
    """Record ``ws.actor``'s vote (approve or reject). A vote on a request whose release
    or plan changed is refused as stale (and the request closed): it never deploys
    something nobody approved. The approval that satisfies the policy runs it."""
    check_actor(ws.actor)
    req, env = find(ws, request_id, clock)
    policy = _policy(env)
    store, book = ws.store(env), ApprovalBook(ws.store(env), clock)
    pipe = pipeline(ws, env, clock=clock, verify_deadline=verify_deadline)
    try:
        if req.status == Verdict.PENDING and decision == "approve":
            now = current_binding(ws, req, pipe)
            ev = evaluate(policy, req, book.votes(req.id), clock(), now)
            if ev.verdict in (Verdict.STALE, Verdict.LAPSED):
                from wpfleet.approvals.flow import stop

                stop(book, req, ev)
        cast = book.vote(policy, req, ws.actor, decision, comment)
        log_event(store, f"approval-{decision}", req.tenant, req.env, ws.actor, comment,
                  ref=req.id, at=cast.at)  # fmt: skip
        if decision == "reject":
            book.settle(req, Verdict.REJECTED, f"rejected by {ws.actor}")
        votes = book.votes(req.id)
        result = VoteResult(PendingRow(req, evaluate(policy, req, votes, clock()), votes), cast)
        notifications.approval_decided(ws, env, req.tenant, req.id, decision,
                                       str(result.row.evaluation.verdict))  # fmt: skip
        if run and result.row.evaluation.verdict is Verdict.READY:
            result.outcome, result.note = _try_run(pipe, req)
    finally:
        pipe.close()
    if result.outcome is not None:
        from wpfleet.services import releases as rel

        notes = rel.after_run(ws, env, req.tenant, req.kind, result.outcome, reason=req.reason,
                              clock=clock)  # fmt: skip
        result.note = "; ".join(notes)
    return result


def _try_run(pipe: Pipeline, req: Request) -> tuple[Outcome | None, str]:
    try:
        return run_request(pipe, req), ""
    except AwaitingApproval as exc:
        return None, exc.message
    except AlreadyRun as exc:  # the other approver's command runs it
        return None, exc.message


def run_request(pipe: Pipeline, req: Request) -> Outcome:
    """Deploy exactly what the request asked for, bound to its release and plan."""
    return pipe.deploy(
        req.tenant,
        pin=req.pin or None,
        kind=req.kind,
        request_id=req.id,
        reason=req.reason,
        origin=req.origin or ({"env": req.from_env} if req.from_env else None),
    )


def resume(
    ws: Workspace,
    request_id: str,
    *,
    clock: Clock = time.time,
    verify_deadline: float | None = None,
) -> Outcome:
    """Run an approved request once its wait timer and window allow (exit 6 until then)."""
    req, env = find(ws, request_id, clock)
    pipe = pipeline(ws, env, clock=clock, verify_deadline=verify_deadline)
    try:
        outcome = run_request(pipe, req)
    finally:
        pipe.close()
    from wpfleet.services import releases as rel

    rel.after_run(ws, env, req.tenant, req.kind, outcome, reason=req.reason, clock=clock)
    return outcome
