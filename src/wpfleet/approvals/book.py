"""Approval requests and votes in the state store.

- ``approvals/requests/{id}``: the request (what, bound to which release and plan, who
  asked, when it expires, its status once decided);
- ``approvals/votes/{id}/{approver}``: one vote per approver, written with
  ``put_document_if_absent``: the same person approving twice (or from two terminals at
  once) is stored once, and two different people never overwrite each other;
- ``approvals/claims/{id}``: written once, by the one command that runs the request.

The rules live in ``policy``; this module only reads and writes.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable

from wpfleet.approvals.policy import (
    ApprovalRefused,
    Request,
    Verdict,
    Vote,
    check_vote,
)
from wpfleet.config.models import Approvals
from wpfleet.errors import NotFoundError, UsageError
from wpfleet.state.base import StateStore

ACTOR_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$")
REQUESTS = "approvals/requests/"


def check_actor(who: str) -> str:
    if not ACTOR_RE.match(who or ""):
        raise UsageError(
            f"actor {who!r} is not a valid name",
            hint="use a login name: letters, digits, '.', '_', '@', '+', '-' (--as USER)",
        )
    return who


def new_request_id(now: float) -> str:
    return time.strftime("a-%Y%m%d-%H%M%S-", time.gmtime(now)) + secrets.token_hex(3)


class ApprovalBook:
    def __init__(self, store: StateStore, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock

    # --- requests ------------------------------------------------------------------------
    def open_request(self, policy: Approvals, draft: Request) -> tuple[Request, bool]:
        """The open request for the same (tenant, env, kind, release, plan), or ``draft``
        stored as a new one. Returns (request, created). Re-running a deploy that waits
        for approval therefore keeps ONE request, and its votes."""
        now = float(self.clock())
        for req in self.pending(draft.tenant, draft.env):
            same = (req.kind, req.release_id, req.plan_hash, req.from_env) == (
                draft.kind,
                draft.release_id,
                draft.plan_hash,
                draft.from_env,
            )
            if same and now < req.expires_at:
                return req, False
        draft.id = draft.id or new_request_id(now)
        draft.requested_at = now
        draft.expires_at = now + policy.expire_hours * 3600
        self.store.put_document(REQUESTS + draft.id, draft.as_dict())
        return draft, True

    def get(self, request_id: str) -> Request:
        doc = self.store.get_document(REQUESTS + request_id) if request_id else None
        if doc is None:
            raise NotFoundError(
                f"no approval request {request_id!r}",
                hint="`wpfleet pending` lists the open ones",
            )
        return Request.from_dict(doc)

    def all(self, tenant: str | None = None, env: str | None = None) -> list[Request]:
        """Every request, newest first."""
        reqs = [Request.from_dict(d) for d in self.store.list_documents(REQUESTS).values()]
        reqs = [r for r in reqs if (tenant in (None, r.tenant)) and (env in (None, r.env))]
        return sorted(reqs, key=lambda r: r.requested_at, reverse=True)

    def pending(self, tenant: str | None = None, env: str | None = None) -> list[Request]:
        return [r for r in self.all(tenant, env) if r.status == Verdict.PENDING]

    def settle(self, request: Request, status: Verdict, detail: str = "") -> Request:
        """Write a decided status (running, deployed, failed, rejected, stale, lapsed)."""
        request.status = status.value
        request.detail = detail
        request.decided_at = float(self.clock())
        self.store.put_document(REQUESTS + request.id, request.as_dict())
        return request

    # --- votes ---------------------------------------------------------------------------
    def votes(self, request_id: str) -> list[Vote]:
        docs = self.store.list_documents(f"approvals/votes/{request_id}/").values()
        return sorted((Vote(**d) for d in docs), key=lambda v: v.at)

    def vote(
        self, policy: Approvals, request: Request, who: str, decision: str, comment: str = ""
    ) -> Vote:
        """Record ``who``'s vote once. A second vote by the same person is refused when
        it differs, and changes nothing when it is the same."""
        check_actor(who)
        key = f"approvals/votes/{request.id}/{who}"
        found = self.store.get_document(key)
        if found is None:
            now = float(self.clock())
            check_vote(policy, request, who, now)
            vote = Vote(who, decision, now, comment)
            if self.store.put_document_if_absent(key, vote.as_dict()):
                return vote
            found = self.store.get_document(key) or vote.as_dict()  # lost a race to self
        earlier = Vote(**found)
        if earlier.decision != decision:
            raise ApprovalRefused(
                f"{who} already voted {earlier.decision} on {request.id}; a vote is final",
            )
        return earlier

    # --- running -------------------------------------------------------------------------
    def claim(self, request: Request, deployment_id: str, who: str) -> bool:
        """True for exactly one caller: the one that runs the request."""
        doc = {"deployment_id": deployment_id, "by": who, "at": float(self.clock())}
        if not self.store.put_document_if_absent(f"approvals/claims/{request.id}", doc):
            return False
        request.deployment_id = deployment_id
        self.settle(request, Verdict.RUNNING, f"run by {who}")
        return True

    def unclaim(self, request: Request) -> Request:
        """Undo a claim whose deployment never started (it stays approved and pending)."""
        self.store.delete_document(f"approvals/claims/{request.id}")
        request.deployment_id = ""
        return self.settle(request, Verdict.PENDING, "its run did not start; resume it")
