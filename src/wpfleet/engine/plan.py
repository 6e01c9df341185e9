"""Planning: read every resource, compare with what it should be, decide an ``Op``.

``plan_apply`` and ``plan_destroy`` are the only places decisions are made; ``wpfleet
plan`` prints their result and ``deploy``/``destroy`` execute it, so the dry run and the
real run cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from wpfleet.engine.resource import Fact, Op, Resource, Step
from wpfleet.errors import ConflictError

READ_CONCURRENCY = 8


def _read_all(resources: Sequence[Resource]) -> list[Fact | None]:
    if len(resources) <= 1:
        return [r.read() for r in resources]
    with ThreadPoolExecutor(max_workers=min(READ_CONCURRENCY, len(resources))) as pool:
        return list(pool.map(lambda r: r.read(), resources))


def is_ours(resource: Resource, fact: Fact, owned_ids: set[str]) -> bool:
    """Tagged as ours, recorded as ours, or living inside something we own."""
    if fact.tagged is not None:
        return fact.tagged or resource.id in owned_ids
    return (not resource.standalone) or resource.id in owned_ids


def _step(resource: Resource, op: Op, before: Fact | None, after: dict | None) -> Step:
    return Step(
        id=resource.id,
        op=op,
        phase=resource.phase,
        description=resource.description,
        depends_on=resource.depends_on,
        before=before.state if before else None,
        after=after,
        resource=resource,
    )


def plan_apply(
    resources: Sequence[Resource], owned_ids: set[str], *, adopt: bool = False
) -> list[Step]:
    """Steps that bring every resource to its desired state.

    A resource that exists but is not ours is a conflict: all conflicts are collected and
    raised together before anything changes, unless ``adopt`` asks to take them over.
    """
    facts = _read_all(resources)
    steps: list[Step] = []
    conflicts: list[str] = []
    for resource, fact in zip(resources, facts, strict=True):
        desired = resource.desired()
        if fact is None:
            steps.append(_step(resource, Op.CREATE, None, desired))
            continue
        if not is_ours(resource, fact, owned_ids):
            if not adopt:
                conflicts.append(resource.id)
                continue
            step = _step(resource, Op.ADOPT, fact, desired)
            step.changes = resource.differences(fact.state, desired)
            steps.append(step)
            continue
        changes = resource.differences(fact.state, desired)
        step = _step(resource, Op.UPDATE if changes else Op.NOOP, fact, desired)
        step.changes = changes
        steps.append(step)
    if conflicts:
        raise ConflictError(
            "resources with this tenant's names already exist and are not wpfleet's: "
            + ", ".join(conflicts),
            hint="if they belong to this tenant from before wpfleet, take them over with "
            "`wpfleet adopt TENANT --env ENV`; otherwise rename the tenant",
        )
    return steps


def plan_destroy(resources: Sequence[Resource], owned_ids: set[str]) -> list[Step]:
    """Steps that delete every resource of ours; dependencies are reversed by the executor.

    Something with our name that is not ours is never deleted: it is a conflict.
    """
    facts = _read_all(resources)
    steps: list[Step] = []
    conflicts: list[str] = []
    for resource, fact in zip(resources, facts, strict=True):
        if fact is None:
            steps.append(_step(resource, Op.NOOP, None, None))
        elif is_ours(resource, fact, owned_ids):
            steps.append(_step(resource, Op.DELETE, fact, None))
        else:
            conflicts.append(resource.id)
    if conflicts:
        raise ConflictError(
            "refusing to delete resources that are not wpfleet's: " + ", ".join(conflicts),
            hint="remove them by hand if they are really this tenant's, or adopt them first",
        )
    return steps


def changed(steps: Sequence[Step]) -> list[Step]:
    return [s for s in steps if s.op is not Op.NOOP]
