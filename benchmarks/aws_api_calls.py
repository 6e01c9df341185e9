"""Logical AWS API calls (boto3 ``before-call`` events) the AWS backend makes, against
moto in server mode with a real MariaDB standing in for RDS and a local WordPress
answering the HTTP checks.

- a new tenant's deploy, excluding the verify phase's polling (counted apart) and the
  state store (SQLite here: no AWS calls); once with a cold preflight (the environment's
  first deploy: 8 base-resource describes) and once with a warm one (a passed preflight
  of the same ``aws:`` block is trusted for 10 minutes; STS is still asked);
- a second, unchanged deploy (all noops);
- ``status`` of 100 tenants (the status service, as ``wpfleet status`` runs it: at most
  25 calls and 1 s of wall time against moto); the seeds' verify script makes 5 calls
  per tenant, i.e. 500.

Run: ``python benchmarks/aws_api_calls.py`` (results in benchmarks/results/).
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.backends.aws.infra import (  # noqa: E402
    ENV,
    Recorder,
    create_base_env,
    make_mariadb_root,
    recording,
    start_mariadb,
    tenant,
    write_fleet,
)
from tests.backends.aws.test_deploy import register_targets_like_ecs  # noqa: E402
from tests.backends.aws.test_health_checks import make_tenants_directly  # noqa: E402
from tests.backends.aws.wordpress_site import start_site  # noqa: E402
from tests.helpers.moto_server import (  # noqa: E402
    fake_aws_credentials,
    reset_moto,
    start_moto_server,
)

from benchmarks.common import save  # noqa: E402
from wpfleet.aws import session as aws_session  # noqa: E402
from wpfleet.backends.aws import checks as aws_checks  # noqa: E402
from wpfleet.pipeline import deploy as pipeline  # noqa: E402
from wpfleet.state.sqlite import SqliteStore  # noqa: E402

TARGET_DEPLOY = 25
TARGET_STATUS = 25
TARGET_STATUS_WALL_S = 1.0


class PhaseRecorder(Recorder):
    """Counts calls made while a verify check runs apart from the others."""

    verifying: bool = False
    verify_calls: list[str]

    def __init__(self) -> None:
        super().__init__()
        self.verify_calls = []

    def _before_call(self, model: Any, params: dict[str, Any], **kw: Any) -> Any:
        if not self.verifying:
            return super()._before_call(model=model, params=params, **kw)
        name = f"{model.service_model.service_name}.{model.name}"
        self.verify_calls.append(name)
        return self.fail(name, params) if self.fail else None


@contextmanager
def verify_marked(rec: PhaseRecorder) -> Iterator[None]:
    original = aws_checks.AwsCheck.run

    def run(self: aws_checks.AwsCheck) -> Any:
        rec.verifying = True
        try:
            return original(self)
        finally:
            rec.verifying = False

    aws_checks.AwsCheck.run = run  # type: ignore[method-assign]
    try:
        yield
    finally:
        aws_checks.AwsCheck.run = original  # type: ignore[method-assign]


def deploy_counts(url: str, db: Any, site: str, work: Path) -> dict[str, Any]:
    reset_moto(url)
    db.clean()
    base = create_base_env(url, db)
    loaded = write_fleet(
        work / "fleet.yaml", base, [tenant("goldencrust"), tenant("sunsetbistro")],
        http_check_address=site,
    )  # fmt: skip
    store = SqliteStore(work / "state.db")
    out: dict[str, Any] = {}
    runs = (
        ("new_tenant_deploy_cold_preflight", "goldencrust"),
        ("unchanged_redeploy", "goldencrust"),
        ("new_tenant_deploy", "sunsetbistro"),
    )
    for run, tid in runs:
        rec = PhaseRecorder()
        aws_session.add_session_hook(rec.hook)
        rec.fail = register_targets_like_ecs(base)
        try:
            with verify_marked(rec):
                result = pipeline.deploy(
                    loaded, ENV, tid, actor="bench", store=store, verify_deadline=30
                )
        finally:
            aws_session.remove_session_hook(rec.hook)
        assert result.deployment is not None and result.deployment.status == "succeeded"
        out[run] = {
            "calls": len(rec.calls),
            "mutating": len(rec.mutating),
            "verify_calls": len(rec.verify_calls),
            "by_operation": dict(Counter(rec.calls).most_common()),
        }
    store.close()
    return out


def status_counts(url: str, db: Any, work: Path, n: int = 100) -> dict[str, Any]:
    """``wpfleet status`` of ``n`` tenants as the CLI runs it: the status service over a
    fresh Workspace (backend health, releases, drift flags, history, approvals); the
    store is SQLite, so every call counted is an AWS one."""
    from wpfleet.services import Workspace
    from wpfleet.services.status import fleet_status

    reset_moto(url)
    base = create_base_env(url, db)
    ids = [f"t{i:03d}" for i in range(n)]
    make_tenants_directly(base, ids)
    loaded = write_fleet(work / "fleet100.yaml", base, [tenant(i) for i in ids])
    walls = []
    for _ in range(3):  # AWS only (--no-http): these tenants have no site to fetch
        with recording() as rec:
            started = time.perf_counter()
            with Workspace(loaded, actor="bench") as ws:
                result = fleet_status(ws, ENV, http=False)
            walls.append(time.perf_counter() - started)
    assert len(result.rows) == n
    with recording() as with_pages, Workspace(loaded, actor="bench") as ws:
        fleet_status(ws, ENV)  # the page fetches (failing fast: no site) add no AWS call
    return {
        "tenants": n,
        "calls": len(rec.calls),
        "calls_with_page_fetches": len(with_pages.calls),
        "wall_s_median": round(statistics.median(walls), 3),
        "wall_s_all": [round(w, 3) for w in walls],
        "seeds_verify_script_calls": 5 * n,
        "by_operation": dict(Counter(rec.calls).most_common()),
    }


def main() -> None:
    fake_aws_credentials()
    work = Path(tempfile.mkdtemp(prefix="wpfleet-bench-aws-"))
    url, stop_moto = start_moto_server(in_subprocess=True, env={"MOTO_ECS_SERVICE_RUNNING": "1"})
    db = start_mariadb(make_mariadb_root())
    site, stop_site = start_site(work, url, ENV)
    try:
        deploys = deploy_counts(url, db, site, work)
        status = status_counts(url, db, work)
    finally:
        stop_site()
        db.proc.terminate()
        db.proc.wait(timeout=30)
        shutil.rmtree(db.datadir.parent, ignore_errors=True)
        stop_moto()
        shutil.rmtree(work, ignore_errors=True)
    new = deploys["new_tenant_deploy"]
    save(
        "aws_api_calls",
        {
            "targets": {
                "new_tenant_deploy": TARGET_DEPLOY,
                "status_100_tenants": TARGET_STATUS,
                "status_100_tenants_wall_s": TARGET_STATUS_WALL_S,
            },
            "new_tenant_deploy_excluding_verify": new["calls"],
            "new_tenant_deploy_met_target": new["calls"] <= TARGET_DEPLOY,
            "status_100_tenants": status["calls"],
            "status_met_target": status["calls"] <= TARGET_STATUS,
            "status_100_tenants_wall_s": status["wall_s_median"],
            "status_wall_met_target": status["wall_s_median"] <= TARGET_STATUS_WALL_S,
            "load_average_1_5_15": [round(x, 1) for x in os.getloadavg()],
            **deploys,
            "status": status,
        },
    )


if __name__ == "__main__":
    main()
