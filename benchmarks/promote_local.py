"""Local backend: `wpfleet promote TENANT --to sit --with-content` of a fresh tenant.

A fleet of two local environments (dev, sit) on free ports, the real stack (nginx,
php-fpm, MariaDB, WordPress). Per tenant: `deploy --env dev` (a fresh tenant), then the
timed `promote --to sit --with-content` as a user runs it (its own process: start-up,
release deploy to sit, restore point of sit, export of dev, URL search-replace, import
through shadow tables, proof, wp-content swap, health check). Target: at most 3 s.

One more promote of another fresh tenant runs in this process with a timer around each
phase, so the result says where the time goes.

Run from the repository root: python -m benchmarks.promote_local [--repeat N]
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from benchmarks.common import cli, free_port, save

# (module, function): what each phase of a promote with content calls
PHASES = [
    ("wpfleet.pipeline.deploy", "Pipeline.deploy"),
    ("wpfleet.services.backups", "export_site"),
    ("wpfleet.services.backups", "search_replace"),
    ("wpfleet.services.backups", "create"),
    ("wpfleet.services.backups", "load_site"),
    ("wpfleet.content.importer", "_load"),
    ("wpfleet.content.importer", "_prove"),
    ("wpfleet.backends.siteaccess", "LocalFiles.pull"),
    ("wpfleet.backends.siteaccess", "LocalFiles.push"),
]


def fleet_yaml() -> str:
    ports = {k: free_port() for k in ("dev", "dev_db", "sit", "sit_db")}
    return f"""fleet: bench
environments:
  - name: dev
    backend: local
    domain: "{{tenant}}.wpdev.localhost"
    local: {{http_port: {ports["dev"]}, db_port: {ports["dev_db"]}, isolation: shared}}
  - name: sit
    backend: local
    domain: "{{tenant}}.wpsit.localhost"
    local: {{http_port: {ports["sit"]}, db_port: {ports["sit_db"]}, isolation: shared}}
tenants:
""" + "".join(f"  - {{id: p{i}, name: Promote {i}}}\n" for i in range(12))


@contextlib.contextmanager
def two_env_fleet() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="wpfleet-bench-promote-"))
    root.chmod(0o755)  # tenants' own uids must traverse the runtime below it
    os.environ["WPFLEET_RUNTIME_DIR"] = str(root / "runtime")
    fleet = root / "fleet.yaml"
    fleet.write_text(fleet_yaml())
    cli(fleet, "platform", "up")
    try:
        yield fleet
    finally:
        cli(fleet, "platform", "down", check=False)
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def phase_timers() -> Iterator[dict[str, float]]:
    """Wall seconds spent in each of PHASES (nested phases count in their parent too)."""
    import importlib

    spent: dict[str, float] = {}
    undo: list[Callable[[], None]] = []
    for module_name, attr in PHASES:
        owner: Any = importlib.import_module(module_name)
        *path, name = attr.split(".")
        for part in path:
            owner = getattr(owner, part)
        original = getattr(owner, name)
        label = f"{module_name.rsplit('.', 1)[-1]}.{attr}"

        def timed(*a: Any, _f: Any = original, _l: str = label, **k: Any) -> Any:
            started = time.perf_counter()
            try:
                return _f(*a, **k)
            finally:
                spent[_l] = spent.get(_l, 0.0) + time.perf_counter() - started

        setattr(owner, name, functools.wraps(original)(timed))
        undo.append(lambda o=owner, n=name, f=original: setattr(o, n, f))
    try:
        yield spent
    finally:
        for fn in undo:
            fn()


def in_process(fleet: Path, tenant: str) -> dict[str, Any]:
    from wpfleet.cli.main import main

    cli(fleet, "deploy", tenant, "--env", "dev")
    with phase_timers() as spent, contextlib.redirect_stdout(io.StringIO()):
        started = time.perf_counter()
        code = main(["--fleet", str(fleet), "promote", tenant, "--to", "sit", "--with-content"])
        total = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"in-process promote of {tenant} failed ({code})")
    return {"total_s": round(total, 3), **{k: round(v, 3) for k, v in spent.items()}}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    load_at_start = os.getloadavg()
    with two_env_fleet() as fleet:
        deploys, promotes = [], []
        for i in range(args.repeat):
            deploys.append(cli(fleet, "deploy", f"p{i}", "--env", "dev"))
            promotes.append(cli(fleet, "promote", f"p{i}", "--to", "sit", "--with-content"))
        phases = in_process(fleet, f"p{args.repeat}")
    save("promote_local", {
        "load_average_at_start": load_at_start,
        "load_average_at_end": os.getloadavg(),
        "target_s": 3.0,
        "promote_with_content_median_s": round(statistics.median(promotes), 3),
        "promote_with_content_all_s": [round(x, 3) for x in promotes],
        "fresh_deploy_to_dev_all_s": [round(x, 3) for x in deploys],
        "phases_of_one_promote_in_process_s": phases,
    })  # fmt: skip


if __name__ == "__main__":
    main()
