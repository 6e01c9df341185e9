"""Reliability soak (issue 11): the long variants of tests/reliability/.

1. Random kills: a first deploy of a fresh tenant is SIGKILLed after a random delay
   (0.1 - 2.0 s, so every phase gets hit: database, pool, vhost, reloads, WordPress
   install); the next plain deploy must succeed at its first attempt, plan only noops
   afterwards, and a destroy must leave no files, pool, vhost or secret behind.
2. Optionally (``--aws``) the full AWS fault matrix: every mutating operation of the code
   path failed before it reaches AWS and after its response is lost
   (``WPFLEET_FAULT_MATRIX=all pytest tests/reliability/test_aws_faults.py``).
3. Optionally (``--fuzz N``) the hostile-input fuzz with N examples per property.

Run from the repository root: python -m benchmarks.reliability_soak [--kills N] [--aws]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.common import WPFLEET, bench_fleet, save


def run(fleet: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*WPFLEET, "--fleet", str(fleet), *args], capture_output=True, text=True, check=False
    )


def leftovers(fleet: Path, tenant: str) -> list[str]:
    runtime = Path(os.environ["WPFLEET_RUNTIME_DIR"]) / "dev"
    found = [str(p) for p in (runtime / "tenants").glob(f"{tenant}*")]
    found += [str(p) for p in (runtime / "nginx" / "vhosts").glob(f"{tenant}.conf")]
    found += [str(p) for p in (runtime / "php-fpm" / "pools").glob(f"dev-{tenant}.conf")]
    found += [str(p) for p in fleet.parent.glob(f".wpfleet/secrets/dev/tenants/{tenant}.json")]
    return found


def random_kills(count: int, seed: int) -> dict[str, object]:
    rng = random.Random(seed)
    tenants = [f"k{i}" for i in range(count)]
    results = []
    with bench_fleet("per-tenant", tenants) as fleet:
        for tenant in tenants:
            delay = round(rng.uniform(0.1, 2.0), 2)
            proc = subprocess.Popen(
                [*WPFLEET, "--fleet", str(fleet), "deploy", tenant, "--env", "dev"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(delay)
            killed = proc.poll() is None
            if killed:
                os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            again = run(fleet, "deploy", tenant, "--env", "dev", "--verify-deadline", "15")
            plan = run(fleet, "-o", "json", "plan", tenant, "--env", "dev")
            ops = {s["op"] for s in json.loads(plan.stdout)["steps"]} if plan.stdout else set()
            gone = run(fleet, "destroy", tenant, "--env", "dev", "--yes")
            results.append(
                {
                    "tenant": tenant,
                    "kill_after_s": delay,
                    "killed": killed,
                    "next_deploy_exit": again.returncode,
                    "then_only_noops": ops == {"noop"},
                    "destroy_exit": gone.returncode,
                    "left_behind": leftovers(fleet, tenant),
                }
            )
            print(json.dumps(results[-1]), flush=True)
    failures = [
        r
        for r in results
        if r["next_deploy_exit"]
        or not r["then_only_noops"]
        or r["destroy_exit"]
        or r["left_behind"]
    ]
    return {"kills": len(results), "failures": failures, "runs": results}


def pytest_run(path: str, env: dict[str, str]) -> dict[str, object]:
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", path, "-q", "-p", "no:cacheprovider", "-rfEx"],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=False,
    )
    tail = proc.stdout.strip().splitlines()[-15:]
    return {"exit": proc.returncode, "seconds": round(time.perf_counter() - started), "tail": tail}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--aws", action="store_true")
    parser.add_argument("--fuzz", type=int, default=0)
    args = parser.parse_args()
    data: dict[str, object] = {"random_kills": random_kills(args.kills, args.seed)}
    if args.aws:
        data["aws_fault_matrix"] = pytest_run(
            "tests/reliability/test_aws_faults.py", {"WPFLEET_FAULT_MATRIX": "all"}
        )
    if args.fuzz:
        data["fuzz"] = pytest_run(
            "tests/reliability/test_hostile_fuzz.py", {"WPFLEET_FUZZ_EXAMPLES": str(args.fuzz)}
        )
    save("reliability_soak", data)


if __name__ == "__main__":
    main()
