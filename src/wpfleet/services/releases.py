"""Promotion, rollback, holds and the release list: moving releases along the chain.

- ``promote`` deploys into an environment the release that last PASSED in the
  environment right before it (never "whatever runs there now", never skipping one),
  pinning that release's image: code moves up, the target keeps its own sizes and names.
- ``rollback`` redeploys the last good release (or a named one that passed) and HOLDS the
  environment, so that auto-promotion does not undo it until ``unhold``.
- ``after_run`` is what follows a successful deployment: the hold of a rollback, and
  ``auto_promote`` into the next environment (which may itself wait for approval).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from wpfleet.approvals.flow import AwaitingApproval
from wpfleet.config.models import Environment
from wpfleet.engine.resource import Step
from wpfleet.errors import NotFoundError, ValidationError
from wpfleet.pipeline import releasing
from wpfleet.pipeline.deploy import Outcome
from wpfleet.releases.book import ReleaseBook
from wpfleet.releases.history import events, log_event
from wpfleet.services.clocked import pipeline
from wpfleet.services.workspace import Workspace
from wpfleet.state.base import Json

Clock = Callable[[], float]


@dataclass
class PromotePlan:
    tenant: str
    source: Environment
    target: Environment
    release: Json  # the source's last passed release
    run: Json  # the run in which it passed
    pin: dict[str, Any]
    current: Json | None  # what the target runs now (its pointer)
    diff: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)


@dataclass
class PromoteResult:
    plan: PromotePlan
    outcome: Outcome | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class RollbackResult:
    outcome: Outcome
    notes: list[str] = field(default_factory=list)


def previous(ws: Workspace, env: Environment) -> Environment | None:
    names = [e.name for e in ws.envs(None)]
    i = names.index(env.name)
    return ws.env(names[i - 1]) if i > 0 else None


def following(ws: Workspace, env: Environment) -> Environment | None:
    names = [e.name for e in ws.envs(None)]
    i = names.index(env.name)
    return ws.env(names[i + 1]) if i + 1 < len(names) else None


def plan_promotion(
    ws: Workspace, tenant: str, to: str, source: str | None = None, *, clock: Clock = time.time
) -> PromotePlan:
    """Decide what a promotion would deploy, refusing (before any change) a skipped
    environment, a hold on the target, a missing passed release, or a short soak."""
    target = ws.env(to)
    prev = previous(ws, target)
    if prev is None:
        raise ValidationError(f"{to} is the first environment: nothing is promoted into it")
    if source is not None and source != prev.name:
        raise ValidationError(
            f"promotion into {to} comes from {prev.name}, not {source}: "
            "promotion never skips an environment of the chain",
            hint=f"wpfleet promote {tenant} --to {following_name(ws, source)}",
        )
    held = ReleaseBook(ws.store(target)).held(tenant, target.name)
    if held is not None:
        raise ValidationError(
            f"{tenant} in {to} is held since a rollback by {held['by']}: promotion refused",
            hint=f"wpfleet release unhold {tenant} --env {to} (once the cause is fixed)",
        )
    passed = ReleaseBook(ws.store(prev)).last_passed(tenant, prev.name)
    if passed is None:
        raise NotFoundError(
            f"no release of {tenant} has passed verification in {prev.name} yet",
            hint=f"deploy it there first: wpfleet deploy {tenant} --env {prev.name}",
        )
    _check_soak(ws, target, prev, tenant, passed, clock())
    pin = {"image": passed["release"]["config"]["image"]}
    current = ReleaseBook(ws.store(target)).current(tenant, target.name)
    plan = PromotePlan(tenant, prev, target, passed["release"], passed, pin, current)
    before = (current or {}).get("config", {})
    pipe = pipeline(ws, target, clock=clock)
    try:
        ctx = releasing.pinned(pipe.context(tenant), pin)
        after = ctx.tenant.as_release_config()
        plan.diff = {k: (before.get(k), v) for k, v in after.items() if before.get(k) != v}
    finally:
        pipe.close()
    return plan


def following_name(ws: Workspace, env_name: str) -> str:
    nxt = following(ws, ws.env(env_name))
    return nxt.name if nxt else env_name


def _check_soak(
    ws: Workspace, target: Environment, prev: Environment, tenant: str, passed: Json, now: float
) -> None:
    if not target.soak_minutes:
        return
    book = ReleaseBook(ws.store(prev))
    since = book.first_passed_at(tenant, prev.name, passed["release_id"]) or passed["at"]
    ready = since + target.soak_minutes * 60
    if now < ready:
        left = int((ready - now) // 60) + 1
        raise ValidationError(
            f"release {passed['release_id']} has soaked in {prev.name} for "
            f"{int((now - since) // 60)} min; {target.name} asks for {target.soak_minutes}",
            hint=f"promote again in {left} min",
        )


def promote(
    ws: Workspace,
    tenant: str,
    to: str,
    source: str | None = None,
    *,
    dry_run: bool = False,
    with_content: bool = False,
    reason: str = "",
    clock: Clock = time.time,
    verify_deadline: float | None = None,
) -> PromoteResult:
    """``with_content``: also clone the source's content over the target's (URLs
    rewritten, proved, after a restore point of the target) once the release runs."""
    plan = plan_promotion(ws, tenant, to, source, clock=clock)
    pipe = pipeline(ws, plan.target, clock=clock, verify_deadline=verify_deadline)
    try:
        if dry_run:
            plan.steps = pipe.plan(tenant, pin=plan.pin)
            return PromoteResult(plan)
        origin = {
            "env": plan.source.name,
            "release_id": plan.run["release_id"],
            "deployment_id": plan.run["deployment_id"],
            "with_content": with_content,
        }
        outcome = pipe.deploy(tenant, pin=plan.pin, kind="promote", reason=reason, origin=origin)
    finally:
        pipe.close()
    log_event(ws.store(plan.target), "promote", tenant, plan.target.name, ws.actor, reason,
              release=outcome.deployment.release["id"] if outcome.deployment else "",
              origin=origin)  # fmt: skip
    result = PromoteResult(plan, outcome)
    result.notes = after_run(
        ws, plan.target, tenant, "promote", outcome, reason=reason, clock=clock
    )
    return result


def rollback(
    ws: Workspace,
    tenant: str,
    env: str,
    to: str | None = None,
    *,
    with_content: bool = False,
    reason: str = "",
    clock: Clock = time.time,
    verify_deadline: float | None = None,
) -> RollbackResult:
    """Redeploy the last good release before the current one (or ``to``, which must
    have passed there), then hold the environment. ``with_content`` also restores the
    newest restore point taken while that release ran (checked before any change)."""
    target = ws.env(env)
    book = ReleaseBook(ws.store(target))
    current = book.current(tenant, env) or {}
    if to:
        release = book.require(tenant, env, to)
        if book.first_passed_at(tenant, env, to) is None:
            raise ValidationError(
                f"release {to} never passed verification in {env}: not a rollback target",
                hint=f"`wpfleet releases {tenant}` shows which passed",
            )
    else:
        found = book.last_passed(tenant, env, before=current.get("id", ""))
        if found is None:
            raise NotFoundError(
                f"{tenant} in {env} has no good release before {current.get('id') or 'now'}",
                hint=f"`wpfleet releases {tenant}` lists them",
            )
        release = found["release"]
    pin = dict(release["config"])
    origin: Json = {"env": env, "release_id": current.get("id", ""), "with_content": with_content}
    if with_content:
        from wpfleet.services import backups

        origin["restore_point"] = backups.for_release(ws, target, tenant, release["id"])["id"]
    pipe = pipeline(ws, target, clock=clock, verify_deadline=verify_deadline)
    try:
        outcome = pipe.deploy(tenant, pin=pin, kind="rollback", reason=reason, origin=origin)
    finally:
        pipe.close()
    notes = after_run(ws, target, tenant, "rollback", outcome, reason=reason, clock=clock)
    return RollbackResult(outcome, notes)


def after_run(
    ws: Workspace,
    env: Environment,
    tenant: str,
    kind: str,
    outcome: Outcome,
    *,
    reason: str = "",
    clock: Clock = time.time,
) -> list[str]:
    """Hold after a rollback; auto-promote after a deploy or promotion. Returns notes."""
    rid = outcome.deployment.release.get("id", "") if outcome.deployment else ""
    origin = (outcome.deployment.release.get("origin") if outcome.deployment else None) or {}
    notes = _content_after(ws, env, tenant, kind, origin)
    if kind == "rollback":
        ReleaseBook(ws.store(env)).hold(tenant, env.name, actor=ws.actor, reason=reason,
                                        release_id=rid)  # fmt: skip
        log_event(ws.store(env), "rollback", tenant, env.name, ws.actor, reason, release=rid)
        return [*notes, f"{tenant} in {env.name} is held at {rid}: "
                "`wpfleet release unhold` lifts it"]  # fmt: skip
    return [*notes, *auto_promote(ws, env, tenant, clock=clock)]


def _content_after(
    ws: Workspace, env: Environment, tenant: str, kind: str, origin: Json
) -> list[str]:
    """The content half of ``--with-content``, once the release runs."""
    if not origin.get("with_content"):
        return []
    from wpfleet.services import backups

    if kind == "rollback":
        done = backups.restore(ws, env, tenant, origin["restore_point"])
        return [f"content restored from {done['id']} (restore point before: "
                f"{done['restore_point_before']})"]  # fmt: skip
    moved = backups.clone(ws, tenant, ws.env(origin["env"]), env, upward=True)
    return [f"content cloned from {moved['from']} (restore point before: "
            f"{moved['restore_point_before']})"]  # fmt: skip


def auto_promote(
    ws: Workspace, env: Environment, tenant: str, *, clock: Clock = time.time
) -> list[str]:
    nxt = following(ws, env)
    if not env.auto_promote or nxt is None:
        return []
    if tenant not in [t.id for t in ws.loaded.fleet.tenants_in(nxt.name)]:
        return []
    if ReleaseBook(ws.store(nxt)).held(tenant, nxt.name) is not None:
        return [f"auto-promotion to {nxt.name} skipped: {tenant} is held there"]
    try:
        result = promote(ws, tenant, nxt.name, env.name, reason=f"auto_promote from {env.name}",
                         clock=clock)  # fmt: skip
    except AwaitingApproval as exc:
        return [f"auto-promotion to {nxt.name}: {exc.message}"]
    return [f"auto-promoted to {nxt.name}", *result.notes]


def unhold(ws: Workspace, tenant: str, env: str, *, reason: str = "") -> Json | None:
    target = ws.env(env)
    held = ReleaseBook(ws.store(target)).unhold(tenant, env)
    if held is not None:
        log_event(ws.store(target), "unhold", tenant, env, ws.actor, reason)
    return held


def releases(ws: Workspace, tenant: str) -> dict[str, list[Json]]:
    """Per environment, oldest first: each release with whether it passed, how many
    times it ran, whether it runs now / is the last good one, and any hold."""
    ws.loaded.fleet.tenant(tenant)
    out: dict[str, list[Json]] = {}
    for e in ws.envs(None):
        book = ReleaseBook(ws.store(e))
        runs = book.runs(tenant, e.name)
        current = (book.current(tenant, e.name) or {}).get("id")
        held = book.held(tenant, e.name)
        rows = []
        for rel in book.releases(tenant, e.name):
            mine = [r for r in runs if r["release_id"] == rel["id"]]
            rows.append({**rel, "runs": len(mine), "passed": any(r["passed"] for r in mine),
                         "last_run": mine[0] if mine else None, "current": rel["id"] == current,
                         "held": bool(held and held.get("release_id") == rel["id"])})  # fmt: skip
        out[e.name] = rows
    return out


def history_events(ws: Workspace, tenant: str | None, env: str | None) -> list[Json]:
    """Approvals, votes, promotions, rollbacks and holds, newest first."""
    found: list[Json] = []
    seen: set[int] = set()
    for e in ws.envs(env):
        store = ws.store(e)
        if id(store) in seen:
            continue
        seen.add(id(store))
        found += events(store, tenant, env)
    return sorted(found, key=lambda x: x.get("at", 0.0), reverse=True)
