"""Reusable helpers for tests against the real local stack: a temporary fleet with two
environments on free ports, recording PATH wrappers, tenant contexts, and a minimal
"deploy"/"destroy" that drives Resources directly (no engine needed)."""

from __future__ import annotations

import os
import shutil
import socket
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

from wpfleet import naming
from wpfleet.backends.base import TenantContext
from wpfleet.backends.local import LocalBackend
from wpfleet.config.load import LoadedFleet, load_fleet, resolve_tenant
from wpfleet.engine.resource import Resource
from wpfleet.state.base import StateStore

WRAPPED = (
    "mysql",
    "mariadb",
    "mysqldump",
    "mariadb-dump",
    "php",
    "openssl",
    "mariadbd",
    "mariadb-install-db",
    "nginx",
    "php-fpm8.2",
    "cp",
)

FLEET_YAML = """\
fleet: lt{suffix}
environments:
  - name: dev
    backend: local
    domain: "{{tenant}}.wpdev.localhost"
    local: {{http_port: {p0}, db_port: {p1}, isolation: per-tenant}}
  - name: sit
    backend: local
    domain: "{{tenant}}.wpsit.localhost"
    basic_auth: true
    local: {{http_port: {p2}, db_port: {p3}, isolation: shared}}
  - name: prod
    backend: local
    domain: "{{tenant}}.wp.localhost"
    local: {{http_port: {p4}, db_port: {p5}}}
tenants:
  - id: alpha
    name: Alpha Bakery & Cafe
    admin_email: owner@alpha.example
  - id: bravo
    name: Bravo Bistro
    admin_email: owner@bravo.example
  - id: charlie
    name: Charlie's Law
    admin_email: office@charlie.example
  - id: delta
    name: Delta Dental
"""


def free_ports(count: int) -> list[int]:
    socks = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def write_fleet(directory: Path) -> LoadedFleet:
    ports = free_ports(6)
    text = FLEET_YAML.format(
        suffix=os.getpid() % 100000, **{f"p{i}": p for i, p in enumerate(ports)}
    )
    path = directory / "fleet.yaml"
    path.write_text(text)
    return load_fleet(path)


def install_argv_recorder(shim_dir: Path, log: Path) -> None:
    """Put wrappers that append their argv to ``log`` in front of PATH."""
    shim_dir.mkdir(parents=True, exist_ok=True)
    shim_dir.chmod(0o755)
    search = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
    for name in WRAPPED:
        real = shutil.which(name, path=search)
        if not real:
            continue
        wrapper = shim_dir / name
        wrapper.write_text(
            f'#!/bin/sh\nprintf "%s\\n" "{name} $*" >> "{log}"\nexec "{real}" "$@"\n'
        )
        wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    os.environ["PATH"] = f"{shim_dir}{os.pathsep}{os.environ.get('PATH', '')}"
    log.touch()
    log.chmod(0o666)


def make_ctx(backend: LocalBackend, tenant: str, store: StateStore) -> TenantContext:
    fleet = backend.loaded.fleet
    env = backend.env
    return TenantContext(
        loaded=backend.loaded,
        env=env,
        tenant=resolve_tenant(fleet, fleet.tenant(tenant), env),
        names=naming.tenant_names(tenant, env.name, env.domain),
        store=store,
        deployment_id="test",
        started_at=time.time(),
        actor="pytest",
    )


@dataclass
class Timings:
    steps: dict[str, float] = field(default_factory=dict)


def deploy(resources: list[Resource]) -> Timings:
    """Converge every resource in list order (which respects dependencies)."""
    timings = Timings()
    for res in resources:
        start = time.perf_counter()
        fact = res.read()
        if fact is None:
            res.create()
        elif res.differences(fact.state, res.desired()):
            res.update(res.desired())
        timings.steps[res.id] = time.perf_counter() - start
    return timings


def destroy(resources: list[Resource]) -> None:
    for res in reversed(resources):
        res.delete()
