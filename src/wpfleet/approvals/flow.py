"""The approval gate as the pipeline meets it: ask (record a pending request and stop
with exit 6), admit (run an approved request, exactly once), finish.

A request is bound to what was asked: the release id (a hash of the resolved config,
image included) and the plan hash (the steps deploy would take). ``admit`` recomputes
both; if either changed, the request is STALE and nothing runs.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

from wpfleet.approvals import gate
from wpfleet.approvals.book import ApprovalBook, check_actor
from wpfleet.approvals.policy import ApprovalRefused, Evaluation, Request, Verdict, evaluate
from wpfleet.config.models import Approvals
from wpfleet.engine.resource import Step
from wpfleet.errors import ApprovalPendingError, UsageError
from wpfleet.releases.history import log_event
from wpfleet.state.base import StateStore


class AwaitingApproval(ApprovalPendingError):
    """Exit 6: the request is recorded and waits for approvals, the wait timer, a window
    or the external gate."""

    def __init__(
        self, message: str, *, request_id: str, verdict: str, hint: str, created: bool = False
    ) -> None:
        super().__init__(message, hint=hint)
        self.request_id = request_id
        self.verdict = verdict
        #: this run opened the request (approvers are told once, not at every retry)
        self.created = created


class AlreadyRun(ApprovalRefused):
    """Another command claimed the request first (two approvers at once): not an error
    for the approver whose vote was recorded."""


@dataclass
class Ask:
    """What a deployment is about to do, as the gate sees it."""

    tenant: str
    env: str
    kind: str
    release_id: str
    plan_hash: str
    actor: str
    reason: str = ""
    from_env: str = ""
    pin: dict[str, Any] = field(default_factory=dict)
    origin: dict[str, Any] = field(default_factory=dict)


def plan_hash(steps: Sequence[Step]) -> str:
    """The steps deploy would take, hashed: what the approvers approved."""
    rows = [[s.id, s.op.value, s.changes, s.after] for s in steps]
    return hashlib.sha256(json.dumps(rows, sort_keys=True, default=str).encode()).hexdigest()[:16]


def require(store: StateStore, policy: Approvals, ask: Ask, clock: Callable[[], float]) -> NoReturn:
    """Record (or find) the pending request for ``ask`` and stop with exit 6."""
    check_actor(ask.actor)
    book = ApprovalBook(store, clock)
    draft = Request(
        id="",
        tenant=ask.tenant,
        env=ask.env,
        kind=ask.kind,
        release_id=ask.release_id,
        plan_hash=ask.plan_hash,
        requested_by=ask.actor,
        requested_at=0.0,
        expires_at=0.0,
        reason=ask.reason,
        from_env=ask.from_env,
        pin=ask.pin,
        origin=ask.origin,
    )
    req, created = book.open_request(policy, draft)
    if created:
        log_event(store, "approval-requested", req.tenant, req.env, ask.actor, ask.reason,
                  ref=req.id, release=req.release_id, at=req.requested_at)  # fmt: skip
    who = ", ".join(policy.approvers) or "anyone but the requester"
    raise AwaitingApproval(
        f"{req.tenant} to {req.env} needs {policy.required} approval(s) from {who}: "
        f"request {req.id} is pending (release {req.release_id}, expires "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(req.expires_at))})",
        request_id=req.id,
        verdict=Verdict.PENDING.value,
        hint=f"approvers run: wpfleet approve {req.id} --as NAME; then it runs "
        f"(or: wpfleet deploy --resume {req.id})",
        created=created,
    )


def admit(
    store: StateStore,
    policy: Approvals,
    request_id: str,
    ask: Ask,
    deployment_id: str,
    clock: Callable[[], float],
) -> Request:
    """The request, claimed for this deployment; or an error saying why it cannot run."""
    book = ApprovalBook(store, clock)
    req = book.get(request_id)
    if (req.tenant, req.env) != (ask.tenant, ask.env):
        raise UsageError(f"request {req.id} is for {req.tenant} in {req.env}, not this deploy")
    ev = evaluate(policy, req, book.votes(req.id), clock(), (ask.release_id, ask.plan_hash))
    if ev.verdict is Verdict.READY and policy.webhook:
        ev = _ask_gate(book, policy.webhook, req, ev)
    if ev.verdict is not Verdict.READY:
        stop(book, req, ev)
    if not book.claim(req, deployment_id, ask.actor):
        raise AlreadyRun(
            f"request {req.id} is already being run by another command",
            hint=f"see `wpfleet history {req.tenant}`",
        )
    log_event(store, "approval-run", req.tenant, req.env, ask.actor, ev.reason, ref=req.id,
              deployment=deployment_id)  # fmt: skip
    return req


def _ask_gate(book: ApprovalBook, url: str, req: Request, ev: Evaluation) -> Evaluation:
    answer = gate.ask(url, req, ev.approved_by)
    if answer.state == "approved":
        return ev
    verdict = Verdict.REJECTED if answer.state == "rejected" else Verdict.WAITING
    reason = f"external gate {gate.where(url)}: {answer.state}" + (
        f" ({answer.comment})" if answer.comment else ""
    )
    return Evaluation(verdict, ev.approved_by, ev.required, reason)


def stop(book: ApprovalBook, req: Request, ev: Evaluation) -> NoReturn:
    """Raise the error for a request that cannot run now; record final verdicts."""
    if ev.verdict in (Verdict.PENDING, Verdict.WAITING):
        when = ""
        if ev.not_before:
            when = time.strftime(" until %Y-%m-%d %H:%M UTC", time.gmtime(ev.not_before))
        raise AwaitingApproval(
            f"request {req.id} ({req.tenant} to {req.env}) is {ev.verdict}{when}: {ev.reason}",
            request_id=req.id,
            verdict=ev.verdict.value,
            hint=f"wpfleet deploy --resume {req.id} once it may run; `wpfleet pending`",
        )
    if ev.verdict in (Verdict.RUNNING, Verdict.DEPLOYED):
        raise AlreadyRun(
            f"request {req.id} is already being run or has run ({ev.verdict})",
            hint=f"see `wpfleet history {req.tenant}`",
        )
    if req.status == Verdict.PENDING:
        book.settle(req, ev.verdict, ev.reason)
        log_event(book.store, f"approval-{ev.verdict}", req.tenant, req.env, "wpfleet",
                  ev.reason, ref=req.id)  # fmt: skip
    raise ApprovalRefused(
        f"request {req.id} is {ev.verdict}: {ev.reason}; nothing was deployed",
        hint=f"request again: wpfleet deploy {req.tenant} --env {req.env}",
    )


def finish(
    store: StateStore, req: Request, ok: bool, detail: str, clock: Callable[[], float]
) -> None:
    ApprovalBook(store, clock).settle(req, Verdict.DEPLOYED if ok else Verdict.FAILED, detail)
