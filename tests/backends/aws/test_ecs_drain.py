"""A deleted ECS service drains before its name is free (real AWS; moto skips it), so
destroy waits for it, and a create right after a destroy waits too."""

from __future__ import annotations

from typing import Any

import pytest

from wpfleet.backends.aws import ecs
from wpfleet.errors import BackendError


class DrainingEcs:
    """Answers describe_services with DRAINING ``n`` times, then INACTIVE (a stand-in:
    moto itself never drains, which is why this seam is needed)."""

    def __init__(self, draining: int) -> None:
        self.draining = draining
        self.calls = 0

    def call(self, service: str, op: str, /, **kw: Any) -> dict[str, Any]:
        assert (service, op) == ("ecs", "describe_services")
        self.calls += 1
        status = "DRAINING" if self.calls <= self.draining else "INACTIVE"
        return {"services": [{"serviceName": kw["services"][0], "status": status}]}


def test_waits_while_draining_with_growing_pauses() -> None:
    aws = DrainingEcs(draining=3)
    pauses: list[float] = []
    ecs.wait_until_drained(aws, "c", "s", sleep=pauses.append, clock=lambda: 0.0)  # type: ignore[arg-type]
    assert aws.calls == 4
    assert pauses == sorted(pauses) and len(pauses) == 3


def test_gives_up_at_the_deadline_with_a_retryable_error() -> None:
    aws = DrainingEcs(draining=10**6)
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    with pytest.raises(BackendError) as info:
        ecs.wait_until_drained(aws, "c", "s", timeout=60, sleep=sleep, clock=lambda: now[0])  # type: ignore[arg-type]
    assert info.value.retryable and "draining" in info.value.message
    assert now[0] <= 60
