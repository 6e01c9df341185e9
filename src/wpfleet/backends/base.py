"""The interface both backends implement. The pipeline never branches on a backend's
name: an ability a backend lacks raises ``NotImplementedError`` (reported to the user as
"not supported by this backend")."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wpfleet.checks.base import Check
    from wpfleet.config.load import LoadedFleet, ResolvedTenant
    from wpfleet.config.models import Environment
    from wpfleet.engine.resource import Resource
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
class TenantHealth:
    tenant: str
    deployed: bool
    healthy: bool | None  # None: not checked
    url: str = ""
    detail: str = ""


class Backend(ABC):
    """One environment's backend. Constructed per (fleet, environment)."""

    def __init__(self, loaded: LoadedFleet, env: Environment, store: StateStore) -> None:
        self.loaded = loaded
        self.env = env
        self.store = store

    # --- platform ------------------------------------------------------------------------
    @abstractmethod
    def platform_up(self) -> PlatformStatus:
        """Start (local) or bootstrap (aws) what the environment's tenants share. Idempotent."""

    @abstractmethod
    def platform_down(self) -> PlatformStatus: ...

    @abstractmethod
    def platform_status(self) -> PlatformStatus: ...

    @abstractmethod
    def preflight(self) -> None:
        """Raise ``PlatformDownError``/``ValidationError`` when the environment cannot take
        a deployment (platform stopped, base resources missing, wrong AWS account)."""

    # --- tenants -------------------------------------------------------------------------
    @abstractmethod
    def resources(self, ctx: TenantContext) -> list[Resource]:
        """Every resource of the tenant, each with its phase and dependencies."""

    @abstractmethod
    def checks(self, ctx: TenantContext) -> list[Check]:
        """The verify phase's checks (the seeds' six, plus WordPress-level ones)."""

    @abstractmethod
    def urls(self, ctx: TenantContext) -> dict[str, str]:
        """``url``, ``admin_url`` and ``health_check_url`` as a user would open them."""

    @abstractmethod
    def document_sections(self, ctx: TenantContext) -> dict[str, Any]:
        """The backend-specific sections of the tenant configuration document
        (infrastructure, database, storage, networking); no secrets."""

    def publish_document(self, ctx: TenantContext, doc: dict[str, Any] | None) -> None:  # noqa: B027
        """Also store the configuration document elsewhere (S3 on aws); None deletes it."""

    @abstractmethod
    def health(self, ctxs: list[TenantContext]) -> dict[str, TenantHealth]:
        """Status of many tenants at once, cheaply (batched calls)."""

    # --- credentials (revealed on explicit request only) -------------------------------
    @abstractmethod
    def basic_auth_credentials(self) -> Credentials | None:
        """The environment's basic-auth login, or None when it has none."""

    @abstractmethod
    def admin_credentials(self, ctx: TenantContext) -> Credentials:
        """The tenant's WordPress admin login."""

    def close(self) -> None:  # noqa: B027
        """Release clients and connections."""
