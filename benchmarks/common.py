"""Shared helpers for the benchmarks: a throw-away fleet on free ports, timing, results."""

from __future__ import annotations

import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
WPFLEET = [sys.executable, "-m", "wpfleet.cli.main"]
DEMO_TENANTS = [
    "tenant1",
    "tenant2",
    "goldencrust",
    "sunsetbistro",
    "sterlinglaw",
    "ironpeak",
    "premierprop",
    "lenslight",
    "nexgentech",
    "serenity",
    "bloompetal",
    "precisionauto",
    "bbwstrustedservice",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fleet_yaml(isolation: str, tenants: list[str]) -> str:
    http, db = free_port(), free_port()
    lines = [
        "fleet: bench",
        "environments:",
        "  - name: dev",
        "    backend: local",
        '    domain: "{tenant}.bench.localhost"',
        f"    local: {{http_port: {http}, db_port: {db}, isolation: {isolation}}}",
        "tenants:",
    ]
    lines += [f"  - {{id: {t}, name: Bench {t}}}" for t in tenants]
    return "\n".join(lines) + "\n"


@contextmanager
def bench_fleet(isolation: str, tenants: list[str]) -> Iterator[Path]:
    """A fleet in a temp dir with its platform up; everything removed afterwards."""
    root = Path(tempfile.mkdtemp(prefix="wpfleet-bench-"))
    root.chmod(0o755)  # as root, tenants' own uids must traverse the runtime below it
    runtime = root / "runtime"
    os.environ["WPFLEET_RUNTIME_DIR"] = str(runtime)
    fleet = root / "fleet.yaml"
    fleet.write_text(fleet_yaml(isolation, tenants))
    cli(fleet, "platform", "up")
    try:
        yield fleet
    finally:
        cli(fleet, "platform", "down", check=False)
        shutil.rmtree(root, ignore_errors=True)


def cli(fleet: Path, *args: str, check: bool = True) -> float:
    """Run the real CLI as a user would; return its wall time in seconds."""
    started = time.perf_counter()
    proc = subprocess.run([*WPFLEET, "--fleet", str(fleet), *args], capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if check and proc.returncode != 0:
        raise SystemExit(f"wpfleet {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return elapsed


def save(name: str, data: dict[str, object]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    data = {
        "benchmark": name,
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        **data,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2) + "\n")
    print(json.dumps(data, indent=2))
    return path
