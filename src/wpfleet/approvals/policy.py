"""Approval policy, evaluated as a pure function of (policy, request, votes, now).

No store, no clock, no network here: the caller passes ``now`` (tests inject any time)
and what the request is bound to today. That keeps the rules in one place that can be
read and tested on their own:

- only DISTINCT approvers count (votes are keyed by approver, so one person voting
  twice, or twice at once, is still one vote);
- only allowed approvers count: named in ``approvers``, directly or through a group;
- the requester never approves their own request;
- a rejection by an allowed approver ends the request;
- a request is bound to a release id and a plan hash: when either changed it is STALE,
  and approving it would deploy something nobody approved;
- after ``expire_hours`` a request that has not run LAPSES;
- with enough approvals it still WAITS for the wait timer and for an open window.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from wpfleet.config import windows as win
from wpfleet.config.models import Approvals
from wpfleet.errors import ValidationError


class Verdict(StrEnum):
    PENDING = "pending"  # not enough approvals yet
    WAITING = "waiting"  # approved; the wait timer or the window holds it back
    READY = "ready"  # may run now
    REJECTED = "rejected"
    STALE = "stale"  # the release or the plan changed since the request
    LAPSED = "lapsed"  # expired before it ran
    RUNNING = "running"  # claimed by one runner
    DEPLOYED = "deployed"
    FAILED = "failed"


#: verdicts after which a request never runs (again)
FINAL = frozenset(
    {Verdict.REJECTED, Verdict.STALE, Verdict.LAPSED, Verdict.DEPLOYED, Verdict.FAILED}
)


class ApprovalRefused(ValidationError):
    """A vote or a run that the policy does not allow; nothing was recorded."""


@dataclass
class Request:
    """What somebody asked to deploy, and what the approvals are bound to."""

    id: str
    tenant: str
    env: str
    kind: str  # deploy | promote | rollback
    release_id: str
    plan_hash: str
    requested_by: str
    requested_at: float
    expires_at: float
    reason: str = ""
    from_env: str = ""
    #: the release to deploy (promote/rollback); empty: the fleet file's config
    pin: dict[str, Any] = field(default_factory=dict)
    #: where a promoted release comes from: env, release_id, deployment_id
    origin: dict[str, Any] = field(default_factory=dict)
    status: str = "pending"  # pending, or a final/running verdict once decided
    deployment_id: str = ""
    decided_at: float | None = None
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Request:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass(frozen=True)
class Vote:
    approver: str
    decision: str  # approve | reject
    at: float
    comment: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Evaluation:
    verdict: Verdict
    approved_by: tuple[str, ...]
    required: int
    reason: str
    not_before: float | None = None  # WAITING: when it may run (None: no window ahead)

    @property
    def missing(self) -> int:
        return max(0, self.required - len(self.approved_by))


def allowed(policy: Approvals, who: str) -> bool:
    """Named in ``approvers``, or a member of a group named there. An empty list allows
    anyone (the requester still cannot approve their own request)."""
    if not policy.approvers:
        return True
    return any(who == a or who in policy.groups.get(a, []) for a in policy.approvers)


def check_vote(policy: Approvals, request: Request, voter: str, now: float) -> None:
    """Refuse a vote the policy does not allow, naming why (before anything is written)."""
    if request.status != Verdict.PENDING:
        raise ApprovalRefused(
            f"request {request.id} is {request.status}: it takes no more votes",
            hint="`wpfleet pending` lists the requests that are open",
        )
    if now >= request.expires_at:
        raise ApprovalRefused(
            f"request {request.id} lapsed (it expired after the policy's expiry)",
            hint=f"request again: wpfleet deploy {request.tenant} --env {request.env}",
        )
    if voter == request.requested_by:
        raise ApprovalRefused(
            f"{voter} requested {request.id} and cannot approve or reject it (no self-approval)",
            hint="another allowed approver must decide",
        )
    if not allowed(policy, voter):
        names = ", ".join(policy.approvers)
        raise ApprovalRefused(
            f"{voter} is not an allowed approver for {request.env}",
            hint=f"allowed: {names} (a name or a group of `approvals:` in the fleet file)",
        )


def evaluate(
    policy: Approvals,
    request: Request,
    votes: list[Vote],
    now: float,
    current: tuple[str, str] | None = None,
) -> Evaluation:
    """The request's verdict at ``now``. ``current`` is (release id, plan hash) as they
    are today; when given and different from the request's, the request is STALE."""
    approvers = _approvers(policy, request, votes)
    required = policy.required

    def verdict(v: Verdict, reason: str, not_before: float | None = None) -> Evaluation:
        return Evaluation(v, approvers, required, reason, not_before)

    if request.status != Verdict.PENDING:
        return verdict(Verdict(request.status), request.detail or request.status)
    rejected = [v.approver for v in votes if v.decision == "reject" and _counts(policy, request, v)]
    if rejected:
        return verdict(Verdict.REJECTED, f"rejected by {', '.join(sorted(rejected))}")
    if current is not None and current != (request.release_id, request.plan_hash):
        what = "release" if current[0] != request.release_id else "plan"
        return verdict(
            Verdict.STALE,
            f"the {what} changed since the request ({request.release_id} → {current[0]})"
            if what == "release"
            else "the plan changed since the request",
        )
    if now >= request.expires_at:
        return verdict(Verdict.LAPSED, "expired before it was approved and run")
    if len(approvers) < required:
        return verdict(Verdict.PENDING, f"{len(approvers)} of {required} approval(s); needs more")
    wait_until = request.requested_at + policy.wait_minutes * 60
    if now < wait_until:
        return verdict(Verdict.WAITING, "wait timer running", wait_until)
    if not win.is_open(policy.windows, now):
        at = win.next_open(policy.windows, now)
        return verdict(Verdict.WAITING, "outside the deployment window(s)", at)
    return verdict(Verdict.READY, f"approved by {', '.join(approvers)}")


def _counts(policy: Approvals, request: Request, vote: Vote) -> bool:
    return vote.approver != request.requested_by and allowed(policy, vote.approver)


def _approvers(policy: Approvals, request: Request, votes: list[Vote]) -> tuple[str, ...]:
    names = {v.approver for v in votes if v.decision == "approve" and _counts(policy, request, v)}
    return tuple(sorted(names))
