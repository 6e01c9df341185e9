"""The one place where AWS error codes become wpfleet errors, and where retries live.

Every call the AWS backend makes goes through ``call_with_retry`` (via
``AwsSession.call``), so throttling is retried the same way everywhere and a caller only
ever sees ``wpfleet.errors`` types: ``NotFoundError`` for absent things (reads turn it
into ``None``), ``ConflictError`` for names already taken, ``ValidationError`` for
requests AWS refuses as invalid, and ``BackendError`` for the rest (``retryable`` set for
transient failures).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from wpfleet.errors import (
    BackendError,
    ConflictError,
    NotFoundError,
    ValidationError,
    WpfleetError,
)

T = TypeVar("T")

MAX_ATTEMPTS = 3
BASE_DELAY = 0.5
MAX_DELAY = 8.0

RETRYABLE_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalFailure",
        "InternalError",
        "InternalServerError",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)

NOT_FOUND_CODES = frozenset(
    {
        "ResourceNotFoundException",
        "NotFoundException",
        "NoSuchEntity",
        "NoSuchKey",
        "NoSuchBucket",
        "NoSuchHostedZone",
        "NoSuchDistribution",
        "TargetGroupNotFound",
        "ListenerNotFound",
        "LoadBalancerNotFound",
        "RuleNotFound",
        "ServiceNotFoundException",
        "ClusterNotFoundException",
        "FileSystemNotFound",
        "AccessPointNotFound",
        "DBInstanceNotFound",
        "DBInstanceNotFoundFault",
    }
)

CONFLICT_CODES = frozenset(
    {
        "ResourceExistsException",
        "ResourceAlreadyExistsException",  # CloudWatch Logs: CreateLogGroup
        "EntityAlreadyExists",
        "DuplicateTargetGroupName",
        "DuplicateListener",
        "PriorityInUse",
        "AccessPointAlreadyExists",
        "ResourceConflictException",
        "BucketAlreadyExists",
        "InvalidChangeBatch",
    }
)

VALIDATION_CODES = frozenset(
    {
        "ValidationError",
        "ValidationException",
        "InvalidParameterException",
        "InvalidParameterValue",
        "InvalidParameterValueException",
        "InvalidParameterCombination",
        "InvalidRequestException",
        "InvalidInput",
        "MalformedPolicyDocument",
        "LimitExceeded",
        "LimitExceededException",
        "TooManyTargetGroups",
        "TooManyRules",
        "TooManyTargets",
        "InvalidConfigurationRequest",
    }
)


class AwsConflict(ConflictError):
    """A ConflictError that remembers the AWS code (``PriorityInUse`` is handled apart)."""

    def __init__(self, message: str, *, code: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.code = code


class AwsNotFound(NotFoundError):
    def __init__(self, message: str, *, code: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.code = code


class AwsInvalid(ValidationError):
    def __init__(self, message: str, *, code: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.code = code


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def translate(exc: Exception, what: str) -> WpfleetError:
    """Turn a botocore failure of ``what`` (e.g. ``ecs.create_service``) into our error."""
    if isinstance(exc, ClientError):
        code = error_code(exc)
        text = exc.response.get("Error", {}).get("Message", "") or str(exc)
        message = f"{what}: {code}: {text}"
        if _is_not_found(code, text):
            return AwsNotFound(message, code=code)
        if code in CONFLICT_CODES or code.endswith("AlreadyExists"):
            return AwsConflict(message, code=code)
        if code in VALIDATION_CODES:
            return AwsInvalid(message, code=code)
        if code in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation"):
            return BackendError(
                message,
                code=code,
                hint="the AWS credentials lack this permission; check the profile or role",
            )
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        # a 5xx is the server's fault, whatever its code (moto answers some with HTML)
        retryable = code in RETRYABLE_CODES or status >= 500
        return BackendError(message, code=code, retryable=retryable)
    # a connect timeout never reached AWS, so a retry cannot repeat a change
    transient = EndpointConnectionError | ConnectTimeoutError | ConnectionClosedError
    if isinstance(exc, transient | ReadTimeoutError):
        return BackendError(f"{what}: {exc}", code=type(exc).__name__, retryable=True)
    return BackendError(f"{what}: {exc}", code=type(exc).__name__)


def _is_not_found(code: str, text: str) -> bool:
    if code in NOT_FOUND_CODES or code.endswith("NotFound") or code.startswith("NoSuch"):
        return True
    # ECS says "ClientException: Unable to describe task definition." for an unknown family
    return code == "ClientException" and "Unable to describe task definition" in text


def backoff_delay(attempt: int, *, base: float = BASE_DELAY, cap: float = MAX_DELAY) -> float:
    """Full-jitter exponential backoff: a random delay in [0, min(cap, base * 2**attempt)]."""
    return random.uniform(0, min(cap, base * (2**attempt)))


def call_with_retry(
    fn: Callable[[], T],
    what: str,
    *,
    attempts: int = MAX_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``fn``; retry transient AWS failures up to ``attempts`` tries in all.

    Non-retryable errors are raised at once, translated; the last retryable one is
    raised translated after the final attempt.
    """
    for attempt in range(attempts):
        try:
            return fn()
        except WpfleetError:
            raise
        except Exception as exc:
            err = translate(exc, what)
            retry = isinstance(err, BackendError) and err.retryable
            if not retry or attempt == attempts - 1:
                raise err from exc
            sleep(backoff_delay(attempt))
    raise AssertionError("unreachable")  # pragma: no cover


def is_code(exc: BaseException, *codes: str) -> bool:
    return getattr(exc, "code", None) in codes


def absent_on_not_found(fn: Callable[[], T]) -> T | None:
    """``fn()``, or None when it raised NotFoundError: reads report absence as None."""
    try:
        return fn()
    except NotFoundError:
        return None
