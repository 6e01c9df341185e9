"""``wpfleet tf export``: every file, by path under the output folder. Same fleet file
and documents, same bytes."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from wpfleet import naming
from wpfleet.config.models import Environment, Fleet
from wpfleet.errors import ConfigError, ConfigProblem
from wpfleet.iac.modules import MODULES
from wpfleet.iac.roots import RootInput, root_files

Documents = Mapping[tuple[str, str], dict[str, Any]]  # (tenant, env) -> config document


def _state_bucket(fleet: Fleet, env: Environment) -> str | None:
    assert env.aws is not None
    state = env.state or fleet.state
    return env.aws.tf_state_bucket or (state.bucket if state.backend == "dynamodb" else None)


def _priorities(fleet: Fleet, env: Environment, documents: Documents) -> dict[str, int]:
    """Deployed: the priority wpfleet allocated. Pinned: the pin. Otherwise the first
    free one of the range, in fleet-file order (wpfleet keeps whatever it allocates, and
    the next export reads it from the config document)."""
    out: dict[str, int] = {}
    for t in fleet.tenants_in(env.name):
        doc = documents.get((t.id, env.name)) or {}
        deployed = (doc.get("infrastructure") or {}).get("alb_listener_rule_priority")
        if deployed or t.priority.get(env.name):
            out[t.id] = int(deployed or t.priority[env.name])
    taken = set(out.values())
    free = (p for p in range(env.priorities.first, env.priorities.last + 1) if p not in taken)
    for t in fleet.tenants_in(env.name):
        if t.id not in out:
            nxt = next(free, None)
            if nxt is None:
                raise ConfigError(
                    [
                        ConfigProblem(
                            "fleet file",
                            f"environments[{env.name}].priorities",
                            "no free listener priority left for " + t.id,
                            "widen the range",
                        )
                    ]
                )
            out[t.id] = nxt
    return out


def export(fleet: Fleet, documents: Documents) -> dict[str, str]:
    envs = [e for e in fleet.environments if e.backend == "aws" and e.aws is not None]
    problems = [
        ConfigProblem(
            "fleet file",
            f"environments[{e.name}].aws.tf_state_bucket",
            "Terraform state needs an S3 bucket",
            "set aws.tf_state_bucket, or a dynamodb state with a bucket",
        )
        for e in envs
        if not _state_bucket(fleet, e)
    ]
    if not envs:
        problems.append(
            ConfigProblem("fleet file", "environments", "no environment uses `backend: aws`", "")
        )
    if problems:
        raise ConfigError(problems)
    files: dict[str, str] = {}
    for module, texts in MODULES.items():
        for name, text in texts.items():
            files[f"modules/{module}/{name}"] = text
    for env in envs:
        priorities = _priorities(fleet, env, documents)
        for tenant in fleet.tenants_in(env.name):
            root = RootInput(
                fleet,
                env,
                tenant,
                priorities[tenant.id],
                str(_state_bucket(fleet, env)),
                documents.get((tenant.id, env.name)),
            )
            folder = naming.tf_root_dir(tenant.id, env.name)
            for name, text in root_files(root).items():
                files[f"{folder}/{name}"] = text
    return dict(sorted(files.items()))


def write(files: Mapping[str, str], out: Path) -> list[str]:
    """Write the files that differ; returns their paths."""
    written = []
    for rel, text in files.items():
        path = out / rel
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        written.append(rel)
    return written
