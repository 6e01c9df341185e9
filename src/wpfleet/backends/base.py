"""The interface both backends implement. The pipeline never branches on a backend's
name: an ability a backend lacks raises ``NotImplementedError`` (reported to the user as
"not supported by this backend").

The values a backend takes and returns (``TenantContext``, ``Credentials``,
``TenantHealth``, ``PlatformStatus``, ``Discovered``) live in ``wpfleet.context``, so
services and the CLI use them without importing a backend; they are re-exported here."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

from wpfleet.backends.siteaccess import ContentAccess, RestorePoints, SiteFiles
from wpfleet.context import (
    AuditFinding,
    ComponentStatus,
    CostData,
    Credentials,
    Diagnosis,
    Discovered,
    LogLine,
    PlatformStatus,
    TenantContext,
    TenantHealth,
)

if TYPE_CHECKING:
    import datetime as dt

    from wpfleet.checks.base import Check
    from wpfleet.config.load import LoadedFleet
    from wpfleet.config.models import Environment
    from wpfleet.engine.resource import Resource
    from wpfleet.state.base import StateStore


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
    def health(self, ctxs: list[TenantContext], *, http: bool = True) -> dict[str, TenantHealth]:
        """Status of many tenants at once, cheaply (batched calls); ``http=False`` skips
        whatever fetches pages (the quick mode of ``status --no-http``)."""

    # --- credentials (revealed on explicit request only) -------------------------------
    @abstractmethod
    def basic_auth_credentials(self) -> Credentials | None:
        """The environment's basic-auth login, or None when it has none."""

    @abstractmethod
    def admin_credentials(self, ctx: TenantContext) -> Credentials:
        """The tenant's WordPress admin login."""

    def environment_drift(self) -> list[ComponentStatus]:
        """The shared settings wpfleet keeps for the environment, as components; one not
        ``running`` is drift that ``platform_up`` repairs (aws: a CloudFront cache
        behavior without the basic-auth function). Most backends keep none."""
        return []

    def tenant_traces(self) -> dict[str, list[str]]:
        """tenant id -> what of it exists in the environment, found by wpfleet's own
        marks only (aws: the ``wpfleet:env`` tag; local: its vhosts), for orphans."""
        return {}

    def platform_fix(self) -> list[str]:
        """Repair the base-resource settings wpfleet may repair (never create them); what
        was done, one line each. A backend without any says so plainly."""
        from wpfleet.errors import UsageError

        raise UsageError(
            f"{self.env.name}: the {self.env.backend} backend has no base-resource settings "
            "to repair",
            hint="platform up --fix is for backend: aws (the EFS file-system policy)",
        )

    def content_access(self, ctx: TenantContext) -> ContentAccess:
        """How the content engine reaches the tenant's site: its database as the tenant's
        own user, its wp-content (``SiteFiles``), where its restore points are kept
        (``RestorePoints``), its URL. Backends without it say so."""
        from wpfleet.errors import ContentUnavailable

        raise ContentUnavailable(
            f"content export/import is not available on the {self.env.backend} backend",
            hint="restore points, clone and --with-content work on backends local and aws",
        )

    def image_digest(self, ctx: TenantContext) -> str | None:
        """The digest of the image the tenant's running task was started from, for its
        release record; None where the backend has no such thing (local)."""
        return None

    def discover(self) -> Discovered:
        """Find the environment's existing base resources (aws: by the seeds' names and
        tags). A backend without this ability says so plainly."""
        from wpfleet.errors import UsageError

        raise UsageError(
            f"{self.env.name} is not an aws environment: its {self.env.backend} backend "
            "has no base resources to discover",
            hint="discover is for backend: aws",
        )

    # --- operations ----------------------------------------------------------------------
    def costs(self, days: int, today: dt.date) -> CostData:
        """What the environment cost over the ``days`` before ``today``, per service and
        day and per tenant. A backend without a bill says so (NotImplementedError)."""
        raise NotImplementedError(
            f"{self.env.name}: the {self.env.backend} backend has no bill to read; "
            "cost reports are for backend: aws (Cost Explorer)"
        )

    def logs(
        self, ctx: TenantContext, since: float, pattern: str | None, cursor: Any = None
    ) -> tuple[list[LogLine], Any]:
        """The tenant's log lines at or after ``since`` (epoch seconds) containing
        ``pattern``, oldest first, and a cursor: handed back, the next call returns only
        what came after (``--follow`` polls with it)."""
        raise NotImplementedError(f"{self.env.name}: the {self.env.backend} backend has no logs")

    def audit_isolation(self, ctxs: list[TenantContext]) -> list[AuditFinding]:
        """Prove, by trying, that each tenant of ``ctxs`` reaches nothing of the others."""
        raise NotImplementedError(f"{self.env.name}: the {self.env.backend} backend has no audit")

    def diagnose(self, ctx: TenantContext) -> list[Diagnosis]:
        """Why the tenant may not serve: each cause found, with its fix (``doctor``)."""
        raise NotImplementedError(f"{self.env.name}: the {self.env.backend} backend has no doctor")

    def close(self) -> None:  # noqa: B027
        """Release clients and connections."""


__all__ = [
    "AuditFinding",
    "Backend",
    "ComponentStatus",
    "ContentAccess",
    "CostData",
    "Credentials",
    "Diagnosis",
    "Discovered",
    "LogLine",
    "PlatformStatus",
    "RestorePoints",
    "SiteFiles",
    "TenantContext",
    "TenantHealth",
]
