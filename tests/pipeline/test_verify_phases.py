"""When each check is asked: sit verifies before DNS (seeds, phase 3A) and asks the
checks that go through the public DNS name (``after_dns``: https) after the DNS phase
(phase 3B); prod verifies everything after DNS. A stub backend stands in for the real
ones: only the pipeline's phase loop is under test (no resources, no platform)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from wpfleet.checks.base import Check, CheckResult
from wpfleet.config.load import load_fleet
from wpfleet.engine.executor import Executor
from wpfleet.engine.resource import PHASE_ORDER
from wpfleet.errors import VerifyFailedError
from wpfleet.pipeline.deploy import Outcome, Pipeline
from wpfleet.state.sqlite import SqliteStore

FLEET = """
fleet: t
state: {backend: sqlite}
environments:
  - {name: sit, backend: local, domain: "{tenant}.wpsit.localhost",
     local: {http_port: 1, db_port: 3}}
  - {name: prod, backend: local, domain: "{tenant}.example.com",
     local: {http_port: 2, db_port: 4}}
tenants:
  - {id: alpha, name: Alpha, admin_email: a@alpha.example}
"""


class Asked(Check):
    """Records the phase that had just been applied when it was asked."""

    def __init__(self, name: str, applied: list[str], *, after_dns: bool = False) -> None:
        self.name, self.applied, self.after_dns = name, applied, after_dns
        self.ok = True
        self.asked_after: list[str] = []

    def ask(self) -> CheckResult:
        self.asked_after.append(self.applied[-1])
        return self.result(self.ok, "asked")


class Stub:
    def __init__(self, checks: list[Asked]) -> None:
        self._checks = checks

    def checks(self, ctx: Any) -> list[Check]:
        return list(self._checks)


def apply_phases(tmp_path: Path, env: str, make: Any) -> tuple[Outcome, list[Asked]]:
    """The pipeline's phase loop with no steps; ``make(applied)`` gives the checks."""
    (tmp_path / "fleet.yaml").write_text(FLEET)
    store = SqliteStore(tmp_path / "state.db")
    pipeline = Pipeline(load_fleet(tmp_path / "fleet.yaml"), env, store=store, verify_deadline=0)
    applied: list[str] = []
    checks = make(applied)
    pipeline._backend = Stub(checks)  # type: ignore[assignment]
    executor = Executor(store, "d-1", env, "alpha")
    phases = iter(PHASE_ORDER)
    executor.apply = lambda steps: applied.append(str(next(phases)))  # type: ignore[method-assign]
    outcome = Outcome("alpha", env)
    try:
        pipeline._apply_phases(pipeline.context("alpha", "d-1"), executor, outcome, [])
    finally:
        store.close()
    return outcome, checks


@pytest.mark.parametrize("env,http_after", [("sit", "infra"), ("prod", "dns")])
def test_public_checks_are_asked_after_the_dns_phase(
    tmp_path: Path, env: str, http_after: str
) -> None:
    outcome, (http, https) = apply_phases(
        tmp_path, env, lambda a: [Asked("http", a), Asked("https", a, after_dns=True)]
    )
    assert http.asked_after == [http_after] and https.asked_after == ["dns"]
    assert outcome.report is not None and outcome.report.ok
    assert [o.name for o in outcome.report.outcomes] == ["http", "https"]


def test_a_failing_public_check_fails_the_deploy_after_dns(tmp_path: Path) -> None:
    def make(applied: list[str]) -> list[Asked]:
        https = Asked("https", applied, after_dns=True)
        https.ok = False
        return [Asked("http", applied), https]

    with pytest.raises(VerifyFailedError, match="https"):
        apply_phases(tmp_path, "sit", make)
