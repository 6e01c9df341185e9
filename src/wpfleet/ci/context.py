"""What the workflow generator needs from the fleet file, checked once.

CI deploys only ``backend: aws`` environments (a runner cannot reach a local stack),
with state that runners share (DynamoDB + S3) and an OIDC role per environment. Every
missing piece is reported at once, naming the key and the fix, before anything is
written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from wpfleet import __version__
from wpfleet.config.models import Environment, Fleet, StateConfig
from wpfleet.errors import ConfigError, ConfigProblem


@dataclass(frozen=True)
class CiEnv:
    name: str
    region: str
    role_arn: str
    auto_promote: bool
    gated: bool  # approvals declared: reached through a release pull request
    tenants: tuple[str, ...]
    next: str | None  # the environment a release is promoted to from here
    previous: str | None


@dataclass(frozen=True)
class CiFleet:
    fleet: Fleet
    fleet_file: str  # relative to the repository root, POSIX separators
    envs: tuple[CiEnv, ...]
    requirement: str

    @property
    def tenants(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.fleet.tenants)

    def env(self, name: str) -> CiEnv:
        return next(e for e in self.envs if e.name == name)

    @property
    def promotable(self) -> tuple[CiEnv, ...]:
        """Environments a release can be promoted from (they have a next one)."""
        return tuple(e for e in self.envs if e.next)

    @property
    def gated(self) -> tuple[CiEnv, ...]:
        return tuple(e for e in self.envs if e.gated)


def _state(fleet: Fleet, env: Environment) -> StateConfig:
    return env.state or fleet.state


def _env_problems(fleet: Fleet, env: Environment, where: str) -> list[ConfigProblem]:
    out = []
    aws = env.aws
    if aws is None or not aws.ci_role_arn:
        out.append(
            ConfigProblem(
                where,
                f"environments[{env.name}].aws.ci_role_arn",
                "CI needs the IAM role GitHub Actions assumes through OIDC",
                "add `ci_role_arn: arn:aws:iam::ACCOUNT:role/NAME` (its policy: "
                f"`wpfleet ci policy --env {env.name}`)",
            )
        )
    state = _state(fleet, env)
    if state.backend != "dynamodb":
        key = f"environments[{env.name}].state" if env.state else "state"
        out.append(
            ConfigProblem(
                where,
                key,
                "CI runners share no disk: the state must be on DynamoDB + S3",
                "set `state: {backend: dynamodb, table: ..., bucket: ..., region: ...}`",
            )
        )
    return out


def ci_fleet(fleet: Fleet, fleet_path: Path, repo_root: Path) -> CiFleet:
    """The CI view of ``fleet``; ``repo_root`` is where ``.github/`` lives."""
    where = str(fleet_path)
    aws_envs = [e for e in fleet.environments if e.backend == "aws"]
    problems: list[ConfigProblem] = []
    if not aws_envs:
        problems.append(
            ConfigProblem(
                where,
                "environments",
                "no environment uses `backend: aws`",
                "CI deploys AWS environments only: a runner cannot reach a local stack",
            )
        )
    for env in aws_envs:
        problems += _env_problems(fleet, env, where)
    if problems:
        raise ConfigError(problems)
    rel = os.path.relpath(fleet_path.resolve(), repo_root.resolve())
    if rel.startswith(".."):
        raise ConfigError(
            [
                ConfigProblem(
                    where,
                    "",
                    "the fleet file is outside the repository",
                    f"keep it under {repo_root} (the workflows check it out)",
                )
            ]
        )
    envs = []
    names = [e.name for e in aws_envs]
    for i, env in enumerate(aws_envs):
        assert env.aws is not None and env.aws.ci_role_arn
        envs.append(
            CiEnv(
                name=env.name,
                region=env.aws.region,
                role_arn=env.aws.ci_role_arn,
                auto_promote=env.auto_promote,
                gated=env.approvals is not None,
                tenants=tuple(t.id for t in fleet.tenants_in(env.name)),
                next=names[i + 1] if i + 1 < len(names) else None,
                previous=names[i - 1] if i > 0 else None,
            )
        )
    requirement = fleet.ci.install or f"wpfleet=={__version__}"
    return CiFleet(fleet, Path(rel).as_posix(), tuple(envs), requirement)
