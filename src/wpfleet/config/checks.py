"""Every cross-field rule of the fleet file, reported all at once with path and fix:
names and their limits, ports, priorities, approvals, images, Fargate sizes."""

from __future__ import annotations

from collections.abc import Callable

from wpfleet import grammar, naming
from wpfleet.config.models import Environment, Fleet, Tenant, TenantOverride
from wpfleet.config.resolve import resolve_tenant
from wpfleet.errors import ConfigProblem, ValidationError


def check_fleet(fleet: Fleet, name: str) -> list[ConfigProblem]:
    """Every cross-field rule, all at once: names, limits, ports, priorities, approvals."""
    out: list[ConfigProblem] = []
    out += _problem(name, "fleet", grammar.check_fleet_name, fleet.fleet)
    out += _check_environments(fleet, name)
    out += _check_tenants(fleet, name)
    return out


def _check_environments(fleet: Fleet, name: str) -> list[ConfigProblem]:
    out: list[ConfigProblem] = []
    if not fleet.environments:
        out.append(ConfigProblem(name, "environments", "no environments", "add at least one"))
    seen: dict[str, int] = {}
    ports: dict[int, str] = {}
    for env in fleet.environments:
        where = f"environments[{grammar.label(env.name, 20)}]"
        try:
            naming.check_env_name(env.name)
        except ValidationError as exc:
            out.append(ConfigProblem(name, f"{where}.name", exc.message, exc.hint or ""))
        if env.name in seen:
            out.append(ConfigProblem(name, where, "duplicate environment", "rename one"))
        seen[env.name] = 1
        out += _problem(name, f"{where}.domain", grammar.check_domain_pattern, env.domain)
        if env.backend == "local":
            ls = env.local_settings
            out += _problem(name, f"{where}.local.bind", grammar.check_bind, ls.bind)
            for port, what in ((ls.http_port, "http_port"), (ls.db_port, "db_port")):
                if port in ports:
                    out.append(
                        ConfigProblem(
                            name,
                            f"{where}.local.{what}",
                            f"port {port} is also used by {ports[port]}",
                            "give every environment its own ports",
                        )
                    )
                ports[port] = f"{env.name}.{what}"
        out += _check_environment_settings(env, name, where)
    return out


def _check_environment_settings(env: Environment, name: str, where: str) -> list[ConfigProblem]:
    """The checks of one environment that need no other environment."""
    out: list[ConfigProblem] = []
    if env.backend == "aws" and env.aws is None:
        out.append(
            ConfigProblem(
                name,
                f"{where}.aws",
                "backend is aws but the aws: block is missing",
                f"add it, or fill it with `wpfleet platform discover --env {env.name}`",
            )
        )
    p = env.priorities
    for value, what in ((p.first, "first"), (p.last, "last")):
        if not naming.PRIORITY_MIN <= value <= naming.PRIORITY_MAX:
            out.append(
                ConfigProblem(
                    name,
                    f"{where}.priorities.{what}",
                    f"priority {value} is outside 1-50000",
                    "ALB rule priorities are 1-50000",
                )
            )
    approvals = env.approvals
    if approvals and approvals.approvers and len(approvals.approvers) < approvals.required:
        out.append(
            ConfigProblem(
                name,
                f"{where}.approvals",
                f"{approvals.required} approvals required but only "
                f"{len(approvals.approvers)} approver(s) listed",
                "list more approvers or lower `required`",
            )
        )
    return out


def _check_tenants(fleet: Fleet, name: str) -> list[ConfigProblem]:
    out: list[ConfigProblem] = []
    env_names = {e.name for e in fleet.environments}
    seen: set[str] = set()
    for tenant in fleet.tenants:
        where = f"tenants[{grammar.label(tenant.id)}]"
        if tenant.id in seen:
            out.append(ConfigProblem(name, where, "duplicate tenant id", "remove one"))
        seen.add(tenant.id)
        out += _check_tenant_values(tenant, where, name)
        try:
            naming.check_tenant_id(tenant.id)
        except ValidationError as exc:
            out.append(ConfigProblem(name, f"{where}.id", exc.message, exc.hint or ""))
            continue
        for env in fleet.environments:
            if tenant.environments is not None and env.name not in tenant.environments:
                continue
            names = naming.TenantNames(tenant.id, env.name, naming.host_for(tenant.id, env.domain))
            if not grammar.domain_problem(env.domain):
                out += _problem(name, f"{where}.id", grammar.check_host, names.host)
            for problem in names.problems():
                out.append(
                    ConfigProblem(
                        name, f"{where}.id", f"in {env.name}: {problem}", "choose a shorter id"
                    )
                )
        for key in list(tenant.priority) + list(tenant.overrides):
            if key not in env_names:
                out.append(
                    ConfigProblem(
                        name,
                        f"{where}",
                        f"names environment {key!r}, which the fleet does not have",
                        f"use one of: {', '.join(sorted(env_names))}",
                    )
                )
        for env_name, prio in tenant.priority.items():
            if env_name in env_names:
                rng = fleet.env(env_name).priorities
                if not rng.first <= prio <= rng.last:
                    out.append(
                        ConfigProblem(
                            name,
                            f"{where}.priority.{env_name}",
                            f"priority {prio} is outside {env_name}'s range {rng.first}-{rng.last}",
                            "pin a priority inside the range, or remove the pin",
                        )
                    )
    out += _check_pinned_priorities_unique(fleet, name)
    out += _check_images(fleet, name)
    out += _check_fargate_sizes(fleet, name)
    return out


def _problem(
    name: str, where: str, check: Callable[[str], None], value: str
) -> list[ConfigProblem]:
    """A grammar check as a list of problems (empty when ``value`` passes)."""
    try:
        check(value)
    except ValidationError as exc:
        return [ConfigProblem(name, where, exc.message, exc.hint or "")]
    return []


def _check_tenant_values(tenant: Tenant, where: str, name: str) -> list[ConfigProblem]:
    """Display names (also per-environment overrides), admin user and e-mail."""
    out = _problem(name, f"{where}.name", grammar.check_display_name, tenant.name)
    out += _problem(name, f"{where}.admin_user", grammar.check_admin_user, tenant.admin_user)
    out += _problem(name, f"{where}.admin_email", grammar.check_email, tenant.admin_email)
    for env_name, override in tenant.overrides.items():
        if override.name is not None:
            key = f"{where}.overrides.{grammar.label(env_name, 20)}.name"
            out += _problem(name, key, grammar.check_display_name, override.name)
    return out


def _check_fargate_sizes(fleet: Fleet, name: str) -> list[ConfigProblem]:
    """AWS refuses cpu/memory pairs Fargate does not offer; moto does not (notes)."""
    from wpfleet.limits import check_fargate

    out = []
    for env in fleet.environments:
        if env.backend != "aws":
            continue
        for tenant in fleet.tenants_in(env.name):
            r = resolve_tenant(fleet, tenant, env)
            try:
                check_fargate(r.cpu, r.memory, f"{tenant.id} in {env.name}")
            except ValidationError as exc:
                o = tenant.overrides.get(env.name)
                where = (
                    f"tenants[{tenant.id}].overrides.{env.name}"
                    if o and (o.cpu or o.memory)
                    else "defaults"
                )
                out.append(ConfigProblem(name, where, exc.message, exc.hint or ""))
    return out


OFFICIAL_IMAGE_PREFIXES = ("wordpress", "library/wordpress", "docker.io/library/wordpress")


def is_official_wordpress(image: str) -> bool:
    repo = image.split("@", 1)[0]
    last = repo.rsplit("/", 1)[-1]
    if ":" in last:
        repo = repo[: len(repo) - len(last)] + last.split(":", 1)[0]
    return repo in OFFICIAL_IMAGE_PREFIXES


def _check_images(fleet: Fleet, name: str) -> list[ConfigProblem]:
    """The seeds' pitfall 4: a custom image that does not write wp-config.php answers 500."""
    out = []
    for env in fleet.environments:
        if env.backend != "aws":
            continue
        for tenant in fleet.tenants_in(env.name):
            o = tenant.overrides.get(env.name) or TenantOverride()
            image = o.image or fleet.defaults.image
            declared = (
                o.image_writes_wp_config
                if o.image_writes_wp_config is not None
                else fleet.defaults.image_writes_wp_config
            )
            if not is_official_wordpress(image) and not declared:
                where = (
                    f"tenants[{tenant.id}].overrides.{env.name}.image"
                    if o.image
                    else ("defaults.image")
                )
                out.append(
                    ConfigProblem(
                        name,
                        where,
                        f"{image!r} is not the official wordpress image; in {env.name} its "
                        "entrypoint must write wp-config.php or WordPress answers 500",
                        "use wordpress:<tag>, or set image_writes_wp_config: true beside "
                        "the image once the entrypoint does",
                    )
                )
                if not o.image:
                    return out  # one problem for the default, not one per tenant
    return out


def _check_pinned_priorities_unique(fleet: Fleet, name: str) -> list[ConfigProblem]:
    out = []
    holders: dict[tuple[str, int], str] = {}
    for tenant in fleet.tenants:
        for env_name, prio in tenant.priority.items():
            key = (env_name, prio)
            if key in holders:
                out.append(
                    ConfigProblem(
                        name,
                        f"tenants[{tenant.id}].priority.{env_name}",
                        f"priority {prio} is also pinned by {holders[key]}",
                        "give each tenant its own priority, or remove the pin",
                    )
                )
            holders[key] = tenant.id
    return out
