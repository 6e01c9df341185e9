"""Local backend: wall time of the real CLI.

- one tenant, `wpfleet deploy` until WordPress answers 200 (deploy includes verify):
  shared pool (target <= 1.0 s) and pool per tenant (target <= 1.5 s);
- `deploy --all` of 13 tenants into one environment, shared pool (target <= 4 s);
- a second, unchanged `deploy` (all noops).
Run from the repository root: python -m benchmarks.deploy_local [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics

from benchmarks.common import DEMO_TENANTS, bench_fleet, cli, save


def one_tenant(isolation: str, repeat: int) -> dict[str, float]:
    firsts, seconds = [], []
    for i in range(repeat):
        tenant = f"bench{i}"
        with bench_fleet(isolation, [tenant]) as fleet:
            firsts.append(cli(fleet, "deploy", tenant, "--env", "dev"))
            seconds.append(cli(fleet, "deploy", tenant, "--env", "dev"))
    return {
        "first_deploy_median_s": round(statistics.median(firsts), 3),
        "first_deploy_all_s": [round(x, 3) for x in firsts],
        "unchanged_redeploy_median_s": round(statistics.median(seconds), 3),
    }


def batch(isolation: str) -> dict[str, float]:
    with bench_fleet(isolation, DEMO_TENANTS) as fleet:
        first = cli(fleet, "deploy", "--all", "--env", "dev", "-j", "13")
        again = cli(fleet, "deploy", "--all", "--env", "dev", "-j", "13")
    return {
        "tenants": len(DEMO_TENANTS),
        "deploy_all_s": round(first, 3),
        "unchanged_deploy_all_s": round(again, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    save(
        "deploy_local",
        {
            "targets": {"shared_pool_s": 1.0, "per_tenant_pool_s": 1.5, "deploy_all_13_s": 4.0},
            "one_tenant_shared_pool": one_tenant("shared", args.repeat),
            "one_tenant_per_tenant_pool": one_tenant("per-tenant", args.repeat),
            "deploy_all_shared_pool": batch("shared"),
        },
    )


if __name__ == "__main__":
    main()
