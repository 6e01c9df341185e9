"""The error tree and the exit-code enum.

Every failure a user can meet is a ``WpfleetError`` carrying the exit status it maps to,
so the CLI has exactly one error boundary (``wpfleet.cli.main``) and the program body
beneath it raises instead of printing and exiting.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class ExitStatus(IntEnum):
    """One meaning per exit code; documented in ``wpfleet --help``."""

    OK = 0
    ERROR = 1  # unexpected internal error (a bug): please report it
    USAGE = 2  # bad command line, or the fleet file cannot be read / is invalid
    VALIDATION = 3  # inputs are readable but not acceptable (names, limits, conflicts)
    ROLLED_BACK = 4  # the deployment failed and everything it changed was undone
    NEEDS_ATTENTION = 5  # the deployment failed and the rollback did not finish
    APPROVAL_PENDING = 6  # the environment needs approvals that are not there yet
    LOCK_HELD = 7  # another live deployment holds the (tenant, env) lock
    DRIFT_FOUND = 8  # actual resources differ from the fleet file (``wpfleet drift``)
    PARTIAL_FAILURE = 9  # a batch ran; some tenants failed, the others succeeded
    VERIFY_FAILED = 10  # the checks ran and at least one failed; status: a tenant unhealthy
    PLATFORM_DOWN = 11  # the environment's platform is not running / not reachable
    NOT_FOUND = 12  # the tenant, environment or deployment named does not exist
    INTERRUPTED = 130  # interrupted by the user (Ctrl-C)


EXIT_STATUS_HELP = {
    ExitStatus.OK: "success",
    ExitStatus.ERROR: "internal error (a bug in wpfleet: please report it)",
    ExitStatus.USAGE: "usage or fleet-file error",
    ExitStatus.VALIDATION: "validation error (names, limits, conflicts): nothing was changed",
    ExitStatus.ROLLED_BACK: "deployment failed and was rolled back",
    ExitStatus.NEEDS_ATTENTION: "rollback incomplete: needs attention (see `wpfleet history`)",
    ExitStatus.APPROVAL_PENDING: "approval pending",
    ExitStatus.LOCK_HELD: "lock held by another live deployment",
    ExitStatus.DRIFT_FOUND: "drift found",
    ExitStatus.PARTIAL_FAILURE: "batch finished with some tenants failed",
    ExitStatus.VERIFY_FAILED: "verification failed (status: a tenant shown is unhealthy)",
    ExitStatus.PLATFORM_DOWN: "platform not running (run `wpfleet platform up`)",
    ExitStatus.NOT_FOUND: "tenant, environment or deployment not found",
    ExitStatus.INTERRUPTED: "interrupted",
}


class WpfleetError(Exception):
    """Base of every error wpfleet reports to a user.

    ``hint`` says what to do about it; the CLI prints both and exits with ``status``.
    """

    status: ExitStatus = ExitStatus.ERROR

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(WpfleetError):
    status = ExitStatus.USAGE


class ContentUnavailable(UsageError):
    """The environment cannot export or import content (its backend or settings lack
    what that needs); a destroy then goes ahead without a restore point."""


@dataclass(frozen=True)
class ConfigProblem:
    """One problem in the fleet file: where it is and how to fix it."""

    file: str
    path: str
    message: str
    fix: str = ""

    def render(self) -> str:
        where = f"{self.file}: {self.path}" if self.path else self.file
        text = f"{where}: {self.message}"
        return f"{text} (fix: {self.fix})" if self.fix else text


class ConfigError(WpfleetError):
    """The fleet file cannot be used; carries every problem found, not just the first."""

    status = ExitStatus.USAGE

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p.render()}" for p in problems)
        super().__init__(f"{len(problems)} problem(s) in the fleet file:\n{lines}")


class ValidationError(WpfleetError):
    status = ExitStatus.VALIDATION


class NameLimitError(ValidationError):
    """A derived name breaks a limit (length, characters)."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        ValidationError.__init__(self, message, hint=hint)


class ConflictError(ValidationError):
    """A resource with our name exists and is not ours: nothing was changed."""


class NotFoundError(WpfleetError):
    status = ExitStatus.NOT_FOUND


class LockHeldError(WpfleetError):
    status = ExitStatus.LOCK_HELD


class ApprovalPendingError(WpfleetError):
    status = ExitStatus.APPROVAL_PENDING


class PlatformDownError(WpfleetError):
    status = ExitStatus.PLATFORM_DOWN


class BackendError(WpfleetError):
    """A backend operation failed (a command, an SQL statement, an AWS call).

    ``retryable`` marks transient failures (throttling, timeouts) that the caller may retry.
    """

    status = ExitStatus.ERROR

    def __init__(
        self, message: str, *, hint: str | None = None, code: str = "", retryable: bool = False
    ) -> None:
        super().__init__(message, hint=hint)
        self.code = code
        self.retryable = retryable


class InjectedFault(BackendError):
    """Raised by the ``WPFLEET_INJECT_FAULT`` test seam (see ``wpfleet.engine.faults``)."""


class VerifyFailedError(WpfleetError):
    status = ExitStatus.VERIFY_FAILED


class DeploymentFailed(WpfleetError):
    """A deployment failed; ``rolled_back`` says whether the rollback completed."""

    def __init__(
        self, message: str, *, rolled_back: bool, deployment_id: str, cause: str = ""
    ) -> None:
        hint = (
            f"see `wpfleet history` for deployment {deployment_id}"
            if rolled_back
            else f"rollback did not finish: inspect deployment {deployment_id} with "
            "`wpfleet history`, fix the cause, then re-run deploy or destroy"
        )
        super().__init__(message, hint=hint)
        self.rolled_back = rolled_back
        self.deployment_id = deployment_id
        self.cause = cause
        self.status = ExitStatus.ROLLED_BACK if rolled_back else ExitStatus.NEEDS_ATTENTION


class BatchFailed(WpfleetError):
    """Some tenants of a batch failed; ``failures`` maps tenant id to its error."""

    def __init__(self, failures: dict[str, str]) -> None:
        super().__init__(f"{len(failures)} tenant(s) failed: {', '.join(sorted(failures))}")
        self.failures = failures
        self.status = ExitStatus.PARTIAL_FAILURE
