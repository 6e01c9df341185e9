"""``wpfleet doctor`` on local: the troubleshooting table's analogues on this machine.

What is looked at, in the order a request meets it:

- the platform: nginx (connection refused), php-fpm's master (502), MariaDB (500);
- a php-fpm pool that will not start (``php-fpm -t`` names the pool and the reason):
  with the master down it is why ``platform up`` fails; with it running, the next
  reload (any deploy) would be refused;
- each of the tenant's resources, read and compared with what it should be (the
  planner's own read): a missing vhost answers nginx's default (404), a missing or
  changed pool 502, a missing database or user "Error establishing a database
  connection" (500); every one of them is put back by a deploy;
- the pool's socket accepting connections (502 when not);
- the PHP error log's database errors of the last hour (1049, 1045, 2002);
- 401: the environment's basic auth.
"""

from __future__ import annotations

import time

from wpfleet.backends.local import logs, proc
from wpfleet.backends.local.tenant import LocalTenant
from wpfleet.context import Diagnosis
from wpfleet.engine.resource import Resource

#: step id -> (symptom, what a request sees)
SYMPTOM = {
    "database/secret": ("500", "WordPress has no database password"),
    "database/database": ("500", "Error establishing a database connection (unknown database)"),
    "database/user": ("500", "Error establishing a database connection (access denied)"),
    "infra/content": ("500", "wp-content is missing"),
    "infra/wp-config": ("500", "wp-config.php is missing or stale"),
    "infra/pool": ("502", "nginx finds no PHP pool for the tenant (Bad Gateway)"),
    "infra/vhost": ("404", "nginx has no server block for the tenant's host"),
    "infra/wordpress": ("200", "WordPress is not installed (the install page shows)"),
}
LOG_TERMS = (
    ("[1049]", "the database does not exist (Unknown database)"),
    ("[1045]", "the database refuses the user's password (Access denied)"),
    ("[2002]", "the database server cannot be reached"),
)


def diagnose(t: LocalTenant, resources: list[Resource], basic_auth: bool) -> list[Diagnosis]:
    deploy = f"wpfleet deploy {t.id} --env {t.ctx.env.name}"
    up = f"wpfleet platform up --env {t.ctx.env.name}"
    platform = t.platform
    down = [
        (name, symptom)
        for name, symptom, running in (
            ("nginx", "connection refused", platform.nginx.running()),
            ("php-fpm", "502 Bad Gateway", platform.fpm.running()),
            (
                "MariaDB",
                "500 Error establishing a database connection",
                proc.tcp_open("127.0.0.1", t.ctx.env.local_settings.db_port),
            ),
        )
        if not running
    ]
    broken = _pools_that_will_not_start(t, up, fpm_down=("php-fpm", "502 Bad Gateway") in down)
    if down:  # nothing below can be read without them
        return broken + [
            Diagnosis(symptom, f"{name} is not running", "start the platform", up)
            for name, symptom in down
            if not (name == "php-fpm" and broken)
        ]
    out = broken + _resources(resources, deploy)
    if t.own_pool and platform.fpm.pool_configured(t.pool_name) and not proc.unix_open(t.socket):
        out.append(
            Diagnosis("502", f"the pool's socket {t.socket} does not accept", "reload", deploy)
        )
    out += _log_causes(t, deploy)
    if basic_auth:
        out.append(
            Diagnosis(
                "401",
                f"{t.ctx.env.name} is behind basic auth: without the login nginx answers 401",
                "send the environment's login",
                f"wpfleet credentials --env {t.ctx.env.name}",
            )
        )
    return out


def _resources(resources: list[Resource], deploy: str) -> list[Diagnosis]:
    out = []
    for resource in resources:
        if resource.id not in SYMPTOM:
            continue
        symptom, seen = SYMPTOM[resource.id]
        fact = resource.read()
        if fact is None:
            out.append(Diagnosis(symptom, f"{seen}: {resource.id} is missing", "deploy", deploy))
            continue
        changed = resource.differences(fact.state, resource.desired())
        if changed:
            what = f"{resource.id} differs ({', '.join(changed)})"
            out.append(Diagnosis(symptom, f"{seen}: {what}", "deploy", deploy))
    return out


def _log_causes(t: LocalTenant, deploy: str) -> list[Diagnosis]:
    out = []
    since = time.time() - 3600
    for term, cause in LOG_TERMS:
        lines, _ = logs.read(t.files, since, term, None)
        php = [line for line in lines if line.source == "php-error"]
        if php:
            out.append(
                Diagnosis(
                    "500", f"{cause}; the PHP log says: {php[-1].message[:200]}", "deploy", deploy
                )
            )
    return out


def _pools_that_will_not_start(t: LocalTenant, up: str, *, fpm_down: bool) -> list[Diagnosis]:
    """``php-fpm -t`` over the files on disk (~30 ms): each pool it refuses, its reason
    and the tenant whose deploy writes it again."""
    env, fpm = t.ctx.env.name, t.platform.fpm
    if not fpm.conf.exists():  # the platform was never up: nothing to test yet
        return []
    out = []
    for pool, error in fpm.config_errors():
        tenant_pool = pool.startswith(f"{env}-") and pool != t.platform.shared_pool_name
        owner = pool.removeprefix(f"{env}-") if tenant_pool else ""
        where = f"pool {pool} ({fpm.pool_file(pool)})" if pool else "php-fpm's config"
        if fpm_down:
            cause = f"php-fpm is not running and will not start: {where}: {error}"
            fix = (
                f"the file is not what wpfleet wrote: move it aside (mv {fpm.pool_file(pool)} "
                f"{fpm.pool_file(pool)}.broken), start the platform, then deploy "
                f"{owner or 'the tenant'} (it writes the pool again)"
                if pool
                else "start the platform (it writes php-fpm's config again)"
            )
            out.append(Diagnosis("502 Bad Gateway", cause, fix, up))
            continue
        cause = (
            f"{where} will not start: {error}; php-fpm runs its previous config, but its "
            "next reload (any tenant's deploy) is refused until this is fixed"
        )
        command = f"wpfleet deploy {owner} --env {env}" if owner else up
        out.append(Diagnosis("502", cause, "write the pool again from the fleet file", command))
    return out
