"""Local backend: wall time of ``status`` over 39 tenant-environments (13 tenants in
dev, sit and prod, each environment its own nginx + php-fpm + MariaDB), all deployed
and healthy, so every row makes its real HTTP check (GET / with the title checked).

- the status service alone (``services.status.fleet_status``, one Workspace): target
  <= 0.5 s (issue 9);
- the CLI (``wpfleet status``, a new process: Python start and imports included), for
  reference;
- ``wpfleet drift`` of the same 39, for reference.

Run from the repository root: python -m benchmarks.status_local [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import DEMO_TENANTS, cli, free_port, save

ENVS = ("dev", "sit", "prod")
TARGET_S = 0.5


def fleet_yaml() -> str:
    lines = ["fleet: bench", "environments:"]
    for env in ENVS:
        lines += [
            f"  - name: {env}",
            "    backend: local",
            f'    domain: "{{tenant}}.{env}.bench.localhost"',
            f"    local: {{http_port: {free_port()}, db_port: {free_port()}, isolation: shared}}",
        ]
    lines.append("tenants:")
    lines += [f"  - {{id: {t}, name: Bench {t}}}" for t in DEMO_TENANTS]
    return "\n".join(lines) + "\n"


def in_process(fleet: Path, http: bool = True) -> tuple[float, int, int]:
    from wpfleet.services import Workspace
    from wpfleet.services.status import fleet_status

    started = time.perf_counter()
    with Workspace(fleet) as ws:
        result = fleet_status(ws, http=http)
    elapsed = time.perf_counter() - started
    healthy = sum(1 for r in result.rows if r.state == "healthy")
    for r in result.rows:
        if r.state != "healthy":
            print(f"not healthy: {r.env}/{r.tenant}: {r.state} {r.detail}")
    return elapsed, len(result.rows), healthy


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="wpfleet-bench-status-"))
    root.chmod(0o755)
    os.environ["WPFLEET_RUNTIME_DIR"] = str(root / "runtime")
    fleet = root / "fleet.yaml"
    fleet.write_text(fleet_yaml())
    out: dict[str, Any] = {}
    try:
        cli(fleet, "platform", "up")
        for env in ENVS:
            cli(fleet, "deploy", "--all", "--env", env, "-j", "13")
        in_process(fleet)  # warm: opcache, first connections
        runs = [in_process(fleet) for _ in range(args.repeat)]
        quick = [in_process(fleet, http=False) for _ in range(args.repeat)]
        walls = [cli(fleet, "status", check=False) for _ in range(args.repeat)]
        quick_walls = [cli(fleet, "status", "--no-http") for _ in range(args.repeat)]
        drift = cli(fleet, "drift", check=False)
        service = statistics.median(r[0] for r in runs)
        out = {
            "targets": {"status_39_tenant_envs_s": TARGET_S},
            "tenant_envs": runs[0][1],
            "healthy": runs[0][2],
            "status_service_median_s": round(service, 3),
            "status_service_all_s": [round(r[0], 3) for r in runs],
            "met_target": service <= TARGET_S,
            "status_cli_median_s": round(statistics.median(walls), 3),
            "status_no_http_service_median_s": round(statistics.median(q[0] for q in quick), 3),
            "status_no_http_met_target": statistics.median(q[0] for q in quick) <= TARGET_S,
            "status_no_http_cli_median_s": round(statistics.median(quick_walls), 3),
            "drift_cli_s": round(drift, 3),
            "load_average_1_5_15": [round(x, 1) for x in os.getloadavg()],
        }
    finally:
        cli(fleet, "platform", "down", check=False)
        shutil.rmtree(root, ignore_errors=True)
    save("status_local", out)


if __name__ == "__main__":
    main()
