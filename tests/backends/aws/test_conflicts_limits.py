"""Ownership conflicts, AWS limits and listener priorities: every refusal happens while
planning, before any mutating call (counted with a boto3 ``before-call`` handler)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from tests.backends.aws.infra import ENV, BaseEnv, make_ctx, recording, tenant, write_fleet
from wpfleet import limits
from wpfleet.backends.aws.backend import AwsBackend
from wpfleet.backends.aws.resources.listener_rule import ListenerRule
from wpfleet.backends.base import TenantContext
from wpfleet.engine.plan import plan_apply
from wpfleet.engine.resource import Resource
from wpfleet.errors import ConfigError, ConflictError, ValidationError
from wpfleet.state.sqlite import SqliteStore

pytestmark = pytest.mark.aws


def setup(
    tmp_path: Path, base: BaseEnv, store: SqliteStore, tenants: list[dict], **kw: Any
) -> tuple[AwsBackend, TenantContext]:
    loaded = write_fleet(tmp_path / "fleet.yaml", base, tenants, **kw)
    backend = AwsBackend(loaded, loaded.fleet.env(ENV), store)
    return backend, make_ctx(loaded, tenants[0]["id"], store)


def by_id(backend: AwsBackend, ctx: TenantContext) -> dict[str, Resource]:
    return {r.id: r for r in backend.resources(ctx)}


def make_rule(base: BaseEnv, priority: int, name: str, host: str, tg: str | None = None) -> None:
    elb = base.client("elbv2")
    if tg:
        arn = elb.create_target_group(
            Name=tg, Protocol="HTTP", Port=80, VpcId=base.vpc_id, TargetType="ip"
        )["TargetGroups"][0]["TargetGroupArn"]
        action = {"Type": "forward", "TargetGroupArn": arn}
    else:
        action = {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}
    elb.create_rule(
        ListenerArn=base.listener_arn,
        Priority=priority,
        Conditions=[{"Field": "host-header", "HostHeaderConfig": {"Values": [host]}}],
        Actions=[action],
        Tags=[{"Key": "Name", "Value": name}],
    )


def untagged_service(base: BaseEnv) -> None:
    ecs = base.client("ecs")
    ecs.register_task_definition(
        family="legacy", containerDefinitions=[{"name": "c", "image": "nginx", "memory": 128}]
    )
    ecs.create_service(cluster=base.cluster, serviceName="sit-alpha-service",
                       taskDefinition="legacy", desiredCount=1)  # fmt: skip


def untagged_target_group(base: BaseEnv) -> None:
    base.client("elbv2").create_target_group(
        Name="sit-alpha-tg", Protocol="HTTP", Port=80, VpcId=base.vpc_id, TargetType="ip"
    )


def untagged_secret(base: BaseEnv) -> None:
    base.client("secretsmanager").create_secret(
        Name="sit-alpha-db-credentials", SecretString='{"password": "legacy"}',
        Tags=[{"Key": "Tenant", "Value": "alpha"}],
    )  # fmt: skip


@pytest.mark.parametrize(
    ("make", "step"),
    [
        (untagged_service, "infra/service"),
        (untagged_target_group, "infra/target-group"),
        (untagged_secret, "database/secret"),
    ],
)
def test_untagged_resource_with_our_name_is_a_conflict_before_any_change(
    tmp_path: Path, base: BaseEnv, store: SqliteStore, make: object, step: str
) -> None:
    make(base)  # type: ignore[operator]
    with recording() as rec:
        backend, ctx = setup(tmp_path, base, store, [tenant("alpha")])
        resources = by_id(backend, ctx)
        fact = resources[step].read()
        assert fact is not None and fact.tagged is False
        with pytest.raises(ConflictError) as err:
            plan_apply(list(resources.values()), set(store.owned(ENV, "alpha")))
    assert step in str(err.value)
    assert rec.calls and rec.mutating == []
    # adoption takes it over: the plan says adopt, and applying it (in dependency order,
    # skipping the WordPress install that needs a site) tags it
    steps = plan_apply(list(resources.values()), set(), adopt=True)
    assert {s.id: s.op.value for s in steps}[step] == "adopt"
    for s in steps:
        if s.id == "infra/wordpress":
            continue
        if s.op.value == "create":
            resources[s.id].create()
        elif s.op.value in ("adopt", "update"):
            resources[s.id].update(resources[s.id].desired())
    assert resources[step].read().tagged is True  # type: ignore[union-attr]
    # undoing the adoption takes our tags off again (the seeds' tags stay)
    resources[step].undo_update(fact.state)
    assert resources[step].read().tagged is False  # type: ignore[union-attr]


def test_target_group_name_limit() -> None:
    limits.check_target_group_name("sit-" + "a" * 25 + "-tg")
    with pytest.raises(ValidationError, match="32"):
        limits.check_target_group_name("sit-" + "a" * 26 + "-tg")


def test_too_long_tenant_is_refused_before_any_call(tmp_path: Path, base: BaseEnv) -> None:
    with recording() as rec, pytest.raises(ConfigError, match="target group name"):
        write_fleet(tmp_path / "fleet.yaml", base, [tenant("a" * 26)])
    assert rec.calls == []


def test_priority_outside_range_refused_before_any_mutating_call(
    tmp_path: Path, base: BaseEnv, store: SqliteStore
) -> None:
    with recording() as rec:
        backend, ctx = setup(tmp_path, base, store, [tenant("alpha")])
        ctx.tenant = dataclasses.replace(ctx.tenant, pinned_priority=50_001)
        with pytest.raises(ValidationError, match="50001"):
            plan_apply(backend.resources(ctx), set())
    assert rec.mutating == []


def test_101st_rule_refused_before_any_mutating_call(
    tmp_path: Path, base: BaseEnv, store: SqliteStore
) -> None:
    for i in range(100):
        make_rule(base, 1000 + i, f"other-{i}", f"other{i}.example.test")
    with recording() as rec:
        backend, ctx = setup(tmp_path, base, store, [tenant("alpha")])
        with pytest.raises(ValidationError, match="100 listener rules"):
            plan_apply(backend.resources(ctx), set())
    assert rec.calls and rec.mutating == []
    assert any(c.endswith(".DescribeRules") for c in rec.calls)


def test_room_on_alb_counts_target_groups_too() -> None:
    limits.check_room_on_alb(99, 99, "sit")
    with pytest.raises(ValidationError, match="cannot be raised"):
        limits.check_room_on_alb(10, 100, "sit")


def test_fargate_sizes_checked_before_any_call(
    tmp_path: Path, base: BaseEnv, store: SqliteStore
) -> None:
    # the fleet file itself is refused (validate), so no command gets as far as AWS
    with recording() as rec, pytest.raises(ConfigError) as err:
        setup(tmp_path, base, store, [tenant("alpha", overrides={"sit": {"memory": 4096}})])
    assert "memory 4096 MiB does not go with cpu 256" in str(err.value)
    assert rec.calls == []  # not even a describe
    # and the backend checks it again before any call, whatever built the context
    from wpfleet.limits import check_fargate

    with pytest.raises(ValidationError, match="memory 4096 MiB does not go with cpu 256"):
        check_fargate(256, 4096, "alpha in sit")


# --- priorities ------------------------------------------------------------------------
def test_pinned_priority_held_by_another_rule_names_the_holder(
    tmp_path: Path, base: BaseEnv, store: SqliteStore
) -> None:
    make_rule(base, 140, "sit-other-rule", "other.example.test", tg="sit-other-tg")
    with recording() as rec:
        backend, ctx = setup(tmp_path, base, store, [tenant("alpha", priority={"sit": 140})])
        with pytest.raises(ValidationError) as err:
            plan_apply(backend.resources(ctx), set())
    assert "sit-other-rule" in str(err.value) and "sit-other-tg" in str(err.value)
    assert rec.mutating == []


def test_pinned_priority_is_used(tmp_path: Path, base: BaseEnv, store: SqliteStore) -> None:
    backend, ctx = setup(tmp_path, base, store, [tenant("alpha", priority={"sit": 140})])
    res = by_id(backend, ctx)
    res["infra/target-group"].create()
    res["infra/listener-rule"].create()
    assert res["infra/listener-rule"].read().state["priority"] == 140  # type: ignore[union-attr]
    assert store.allocations(ENV, "priority") == {"alpha": 140}  # no one else allocates it


def test_allocation_skips_taken_priorities_and_is_kept(
    tmp_path: Path, base: BaseEnv, store: SqliteStore
) -> None:
    make_rule(base, 10, "legacy-a", "a.example.test")
    make_rule(base, 11, "legacy-b", "b.example.test")
    backend, ctx = setup(tmp_path, base, store, [tenant("alpha")])
    res = by_id(backend, ctx)
    res["infra/target-group"].create()
    rule = res["infra/listener-rule"]
    rule.create()
    assert rule.read().state["priority"] == 12  # type: ignore[union-attr]
    rule.create()  # a re-deploy keeps it
    assert rule.read().state["priority"] == 12  # type: ignore[union-attr]
    assert store.allocations(ENV, "priority") == {"alpha": 12}


def test_priority_in_use_retries_with_the_next_free_one(
    tmp_path: Path, base: BaseEnv, store: SqliteStore
) -> None:
    backend, ctx = setup(tmp_path, base, store, [tenant("alpha")])
    res = by_id(backend, ctx)
    res["infra/target-group"].create()
    rule = res["infra/listener-rule"]
    assert isinstance(rule, ListenerRule)
    rule.t.rules()  # the run's view of the listener, before someone else takes 10
    make_rule(base, 10, "racer", "racer.example.test")
    rule.create()
    assert rule.read().state["priority"] == 11  # type: ignore[union-attr]
