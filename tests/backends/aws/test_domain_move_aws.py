"""A domain move on the AWS backend, against moto + MariaDB: the listener rule is the
one forwarding to the tenant's target group, so a changed host updates THAT rule and
never adds a second; and while the AWS backend cannot reach a tenant's content, the
deploy refuses the move before changing anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.backends.aws.infra import ENV, BaseEnv, make_ctx, recording, tenant, write_fleet
from tests.backends.aws.test_conflicts_limits import make_rule
from tests.backends.aws.test_deploy import VERIFY_DEADLINE, register_targets_like_ecs
from wpfleet.backends.aws.backend import AwsBackend
from wpfleet.engine.plan import plan_apply
from wpfleet.engine.resource import Op
from wpfleet.errors import ConflictError, ValidationError
from wpfleet.pipeline import deploy as pipeline
from wpfleet.state.sqlite import SqliteStore

pytestmark = [pytest.mark.aws, pytest.mark.slow]

MOVED = {"domain": "{tenant}.moved.example.test"}


def rules(base: BaseEnv) -> list[tuple[list[str], str]]:
    """(hosts, priority) of every non-default rule of the listener."""
    found = base.client("elbv2").describe_rules(ListenerArn=base.listener_arn)["Rules"]
    return [
        ([v for c in r["Conditions"] for v in c.get("HostHeaderConfig", {}).get("Values", [])],
         r["Priority"])
        for r in found if not r["IsDefault"]
    ]  # fmt: skip


def deployed(tmp_path: Path, base: BaseEnv, site: str, store: SqliteStore) -> None:
    loaded = write_fleet(tmp_path / "fleet.yaml", base, [tenant("alpha")],
                         http_check_address=site)  # fmt: skip
    with recording() as rec:
        rec.fail = register_targets_like_ecs(base)
        outcome = pipeline.deploy(loaded, ENV, "alpha", actor="test", store=store,
                                  verify_deadline=VERIFY_DEADLINE)  # fmt: skip
    assert outcome.deployment is not None and outcome.deployment.status == "succeeded"
    assert rules(base) == [(["alpha.wpsit.example.test"], "10")]


def test_a_changed_domain_is_refused_before_any_change_without_content_access(
    tmp_path: Path, base: BaseEnv, store: SqliteStore, wordpress_site: str
) -> None:
    deployed(tmp_path, base, wordpress_site, store)
    moved = write_fleet(tmp_path / "fleet.yaml", base, [tenant("alpha")], env_extra=MOVED,
                        http_check_address=wordpress_site)  # fmt: skip
    with recording() as rec, pytest.raises(ValidationError) as err:
        pipeline.deploy(moved, ENV, "alpha", actor="test", store=store)
    assert "alpha's URL in sit changed (https://alpha.wpsit.example.test → " in str(err.value)
    assert "https://alpha.moved.example.test)" in str(err.value)
    assert "nothing was changed" in str(err.value)
    assert rec.mutating == [], rec.mutating
    assert rules(base) == [(["alpha.wpsit.example.test"], "10")]


def test_the_rule_of_a_moved_host_is_updated_in_place_never_doubled(
    tmp_path: Path, base: BaseEnv, store: SqliteStore, wordpress_site: str
) -> None:
    """The routing half of a move (the content half needs AWS content access): the rule
    found by its target group gets the new host through ModifyRule, at its priority."""
    deployed(tmp_path, base, wordpress_site, store)
    moved = write_fleet(tmp_path / "fleet.yaml", base, [tenant("alpha")], env_extra=MOVED,
                        http_check_address=wordpress_site)  # fmt: skip
    ctx = make_ctx(moved, "alpha", store)
    backend = AwsBackend(moved, moved.fleet.env(ENV), store)
    try:
        rule = next(r for r in backend.resources(ctx) if r.id == "infra/listener-rule")
        [step] = plan_apply([rule], set(store.owned(ENV, "alpha")))
        assert (step.op, step.changes) == (Op.UPDATE, ["host"])
        rule.update(rule.desired())
        assert rules(base) == [(["alpha.moved.example.test"], "10")]
        [again] = plan_apply([rule], set(store.owned(ENV, "alpha")))
        assert again.op is Op.NOOP
    finally:
        backend.close()


def test_a_new_host_routed_to_another_tenants_target_group_is_refused(
    tmp_path: Path, base: BaseEnv, store: SqliteStore, wordpress_site: str
) -> None:
    """The moved host is already routed to bravo's target group (another tenant's live
    site). The rule that host finds is bravo's: planning alpha's rule refuses, before any
    change and even with --adopt, naming the host, bravo's rule and priority and its
    target group; alpha's own rule is still the one found by its target group, so a
    destroy of alpha deletes alpha's rule and leaves bravo's alone. (At the rule's level:
    the pipeline refuses an AWS move earlier, while content access is missing.)"""
    deployed(tmp_path, base, wordpress_site, store)
    make_rule(base, 20, "bravo-rule", "alpha.moved.example.test", tg="sit-bravo-tg")
    elb = base.client("elbv2")
    listed = elb.describe_rules(ListenerArn=base.listener_arn)["Rules"]
    arn = {r["Priority"]: r["RuleArn"] for r in listed}
    moved = write_fleet(tmp_path / "fleet.yaml", base, [tenant("alpha")], env_extra=MOVED,
                        http_check_address=wordpress_site)  # fmt: skip
    with recording() as rec:
        backend = AwsBackend(moved, moved.fleet.env(ENV), store)
        try:
            ctx = make_ctx(moved, "alpha", store)
            rule = next(r for r in backend.resources(ctx) if r.id == "infra/listener-rule")
            for adopt in (False, True):
                with pytest.raises(ConflictError) as err:
                    plan_apply([rule], set(store.owned(ENV, "alpha")), adopt=adopt)
                text = str(err.value)
                assert "host alpha.moved.example.test of alpha in sit" in text, text
                assert f"target group sit-bravo-tg by listener rule {arn['20']}" in text
                assert "(priority 20)" in text and "nothing was changed" in text
                assert "give alpha another domain in the fleet file" in (err.value.hint or "")
            assert rec.mutating == [], rec.mutating
            fact = rule.read()
            assert fact is not None and fact.state["arn"] == arn["10"]
            rule.delete()
        finally:
            backend.close()
    assert rules(base) == [(["alpha.moved.example.test"], "20")]
    [bravo] = [r for r in elb.describe_rules(ListenerArn=base.listener_arn)["Rules"]
               if r["Priority"] == "20"]  # fmt: skip
    assert bravo["Actions"][0]["TargetGroupArn"].split("/")[1] == "sit-bravo-tg"
