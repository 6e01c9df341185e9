"""Real AWS rules that moto does not enforce, checked before any mutating call."""

from __future__ import annotations

from wpfleet import naming
from wpfleet.errors import ValidationError

#: rules per ALB (default rules excluded; raisable) and target groups per ALB (not)
RULES_PER_ALB = 100
TARGET_GROUPS_PER_ALB = 100


def _range(lo: int, hi: int, step: int) -> set[int]:
    return set(range(lo, hi + 1, step))


#: Fargate task sizes: cpu units -> allowed memory (MiB)
FARGATE_SIZES: dict[int, set[int]] = {
    256: {512, 1024, 2048},
    512: _range(1024, 4096, 1024),
    1024: _range(2048, 8192, 1024),
    2048: _range(4096, 16384, 1024),
    4096: _range(8192, 30720, 1024),
    8192: _range(16384, 61440, 4096),
    16384: _range(32768, 122880, 8192),
}


def check_fargate(cpu: int, memory: int, where: str) -> None:
    allowed = FARGATE_SIZES.get(cpu)
    if allowed is None:
        raise ValidationError(
            f"{where}: cpu {cpu} is not a Fargate size",
            hint=f"use one of {', '.join(map(str, sorted(FARGATE_SIZES)))}",
        )
    if memory not in allowed:
        lo, hi = min(allowed), max(allowed)
        raise ValidationError(
            f"{where}: memory {memory} MiB does not go with cpu {cpu} on Fargate",
            hint=f"with cpu {cpu} use memory {lo}-{hi} MiB "
            f"(allowed: {', '.join(map(str, sorted(allowed)))})",
        )


def check_target_group_name(name: str) -> None:
    if len(name) > naming.TARGET_GROUP_MAX or not naming.TARGET_GROUP_NAME_RE.match(name):
        raise ValidationError(
            f"target group name {name!r} breaks AWS rules (≤ {naming.TARGET_GROUP_MAX} "
            "letters, digits and inner hyphens)",
            hint="choose a shorter tenant id",
        )


def check_room_on_alb(rules: int, target_groups: int, where: str) -> None:
    """A new tenant needs one more rule and one more target group on the ALB."""
    if rules >= RULES_PER_ALB:
        raise ValidationError(
            f"{where}: the ALB already has {rules} listener rules; AWS allows "
            f"{RULES_PER_ALB} per ALB (default rule excluded)",
            hint="raise the quota, or give part of the fleet its own ALB (another environment)",
        )
    if target_groups >= TARGET_GROUPS_PER_ALB:
        raise ValidationError(
            f"{where}: the ALB already has {target_groups} target groups; AWS allows "
            f"{TARGET_GROUPS_PER_ALB} per ALB and this quota cannot be raised",
            hint="give part of the fleet its own ALB (another environment)",
        )
