"""Local backend: wall time of the real CLI.

- one tenant, `wpfleet deploy` until WordPress answers 200 (deploy includes verify):
  shared pool (target <= 1.0 s) and pool per tenant (target <= 1.5 s);
- `deploy --all` of 13 tenants into one environment, shared pool (target <= 4 s);
- a second, unchanged `deploy` (all noops);
- in the same fleet and run, the FLOOR (benchmarks/floor_local.py: the same work by a
  plain loop over the backend's resources, no orchestration) and wpfleet's ratio to it
  (issue 7's target: at most 1.3x), and `--all`'s ratio to 13 single deploys (<= 0.5x).
Run from the repository root: python -m benchmarks.deploy_local [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.common import DEMO_TENANTS, bench_fleet, cli, save


def floor(fleet: Path, tenant: str) -> float:
    """Wall time of the hand-written floor for one new tenant (its own process)."""
    started = time.perf_counter()
    cmd = [sys.executable, "-m", "benchmarks.floor_local", str(fleet), tenant]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"floor for {tenant} failed ({proc.returncode}):\n{proc.stderr}")
    return elapsed


def one_tenant(isolation: str, repeat: int) -> dict[str, Any]:
    firsts, seconds, floors = [], [], []
    for i in range(repeat):
        tenant = f"bench{i}"
        with bench_fleet(isolation, [tenant, f"floor{i}"]) as fleet:
            floors.append(floor(fleet, f"floor{i}"))
            firsts.append(cli(fleet, "deploy", tenant, "--env", "dev"))
            seconds.append(cli(fleet, "deploy", tenant, "--env", "dev"))
    first, base = statistics.median(firsts), statistics.median(floors)
    return {
        "first_deploy_median_s": round(first, 3),
        "first_deploy_all_s": [round(x, 3) for x in firsts],
        "floor_median_s": round(base, 3),
        "floor_all_s": [round(x, 3) for x in floors],
        "ratio_to_floor": round(first / base, 2),
        "unchanged_redeploy_median_s": round(statistics.median(seconds), 3),
    }


def batch(isolation: str, single_s: float) -> dict[str, Any]:
    with bench_fleet(isolation, DEMO_TENANTS) as fleet:
        first = cli(fleet, "deploy", "--all", "--env", "dev", "-j", "13")
        again = cli(fleet, "deploy", "--all", "--env", "dev", "-j", "13")
    return {
        "tenants": len(DEMO_TENANTS),
        "deploy_all_s": round(first, 3),
        "unchanged_deploy_all_s": round(again, 3),
        "ratio_to_13_single_deploys": round(first / (single_s * len(DEMO_TENANTS)), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    shared = one_tenant("shared", args.repeat)
    save(
        "deploy_local",
        {
            "targets": {
                "shared_pool_s": 1.0,
                "per_tenant_pool_s": 1.5,
                "deploy_all_13_s": 4.0,
                "ratio_to_floor": 1.3,
                "ratio_to_13_single_deploys": 0.5,
            },
            "one_tenant_shared_pool": shared,
            "one_tenant_per_tenant_pool": one_tenant("per-tenant", args.repeat),
            "deploy_all_shared_pool": batch("shared", shared["first_deploy_median_s"]),
        },
    )


if __name__ == "__main__":
    main()
