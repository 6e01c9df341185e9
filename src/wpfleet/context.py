"""Domain values shared by every layer above ``config``: what a backend acts on
(``TenantContext``), a revealed login (``Credentials``), a tenant's health as ``status``
shows it (``TenantHealth``), a platform's state (``PlatformStatus``), what ``discover``
found (``Discovered``), and who is acting (``default_actor``).

They used to live in ``backends/base.py``; services, reports and state may use them
without importing a backend.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wpfleet.config.load import LoadedFleet, ResolvedTenant
    from wpfleet.config.models import Environment
    from wpfleet.naming import TenantNames
    from wpfleet.state.base import StateStore


@dataclass
class TenantContext:
    """Everything a backend needs to act on one tenant in one environment."""

    loaded: LoadedFleet
    env: Environment
    tenant: ResolvedTenant
    names: TenantNames
    store: StateStore
    deployment_id: str = ""
    #: unix time the deployment started; log checks only look at lines after it
    started_at: float = 0.0
    actor: str = ""

    @property
    def fleet_name(self) -> str:
        return self.loaded.fleet.fleet


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str
    url: str = ""
    description: str = ""


@dataclass
class CostData:
    """An environment's spend as its backend's billing reports it (aws: Cost Explorer):
    per service per ISO day, and per tenant (cost-allocation tag; "" = untagged)."""

    account: str = ""
    currency: str = "USD"
    by_service: dict[str, dict[str, float]] = field(default_factory=dict)
    by_tenant: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class LogLine:
    """One log event of a tenant: when (epoch seconds), which stream or file, the text."""

    at: float
    source: str
    message: str


@dataclass(frozen=True)
class AuditFinding:
    """One isolation check of one tenant: held (``ok``) or breached, and what was seen
    (never a secret)."""

    tenant: str
    check: str  # e.g. database, pool-uid, file-modes, php-probe, php-limits, iam, sg
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class Diagnosis:
    """One finding of ``doctor``: the symptom it explains (503, 500, 401, ...), the cause
    as seen, the fix, and the wpfleet command that applies it where one does."""

    symptom: str
    cause: str
    fix: str
    command: str = ""


@dataclass
class TenantHealth:
    tenant: str
    deployed: bool
    healthy: bool | None  # None: not checked
    url: str = ""
    detail: str = ""


@dataclass
class ComponentStatus:
    name: str
    running: bool
    detail: str = ""


@dataclass
class PlatformStatus:
    env: str
    components: list[ComponentStatus] = field(default_factory=list)
    #: isolation or features the backend cannot give here, said plainly
    limitations: list[str] = field(default_factory=list)

    @property
    def up(self) -> bool:
        return all(c.running for c in self.components)


@dataclass
class Discovered:
    """What ``discover`` found (keys of the environment's backend settings block) and
    what it did not (each with the fix)."""

    settings: dict[str, Any] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)


ACTOR_VARS = ("WPFLEET_ACTOR", "GITHUB_ACTOR")


def default_actor() -> str:
    """Who is acting when ``--as`` is not given: ``$WPFLEET_ACTOR``, the CI actor, the
    login name (``uid-N`` when the uid has no name, as in some containers)."""
    for var in ACTOR_VARS:
        if os.environ.get(var):
            return os.environ[var]
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid-{os.getuid()}"
