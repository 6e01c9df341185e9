"""Error translation and retries: unit tests, plus one fault injected against moto."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, ConnectTimeoutError

from tests.backends.aws.infra import (
    ENV,
    BaseEnv,
    injected_error,
    make_ctx,
    recording,
    tenant,
    write_fleet,
)
from wpfleet.aws.errors import call_with_retry, translate
from wpfleet.backends.aws.backend import AwsBackend
from wpfleet.errors import BackendError, ConflictError, NotFoundError, ValidationError
from wpfleet.state.sqlite import SqliteStore


def client_error(code: str, message: str = "boom") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "Op")


@pytest.mark.parametrize(
    ("code", "kind", "retryable"),
    [
        ("ResourceNotFoundException", NotFoundError, False),
        ("TargetGroupNotFound", NotFoundError, False),
        ("NoSuchEntity", NotFoundError, False),
        ("ResourceExistsException", ConflictError, False),
        ("PriorityInUse", ConflictError, False),
        ("DuplicateTargetGroupName", ConflictError, False),
        ("ValidationError", ValidationError, False),
        ("InvalidParameterException", ValidationError, False),
        ("Throttling", BackendError, True),
        ("ThrottlingException", BackendError, True),
        ("TooManyRequestsException", BackendError, True),
        ("RequestLimitExceeded", BackendError, True),
        ("ServiceUnavailable", BackendError, True),
        ("AccessDenied", BackendError, False),
        ("SomethingElse", BackendError, False),
    ],
)
def test_translate(code: str, kind: type, retryable: bool) -> None:
    err = translate(client_error(code), "svc.op")
    assert isinstance(err, kind)
    assert "svc.op" in err.message and code in err.message
    assert getattr(err, "retryable", False) is retryable


def test_unknown_task_definition_is_not_found() -> None:
    err = translate(client_error("ClientException", "Unable to describe task definition."), "x")
    assert isinstance(err, NotFoundError)


def failing(codes: list[str]) -> Any:
    calls = {"n": 0}

    def fn() -> str:
        calls["n"] += 1
        if codes:
            raise client_error(codes.pop(0))
        return "ok"

    return fn, calls


def test_throttled_twice_then_success_takes_three_attempts() -> None:
    sleeps: list[float] = []
    fn, calls = failing(["Throttling", "ThrottlingException"])
    assert call_with_retry(fn, "x.y", sleep=sleeps.append) == "ok"
    assert calls["n"] == 3 and len(sleeps) == 2
    assert 0 <= sleeps[0] <= 0.5 and 0 <= sleeps[1] <= 1.0  # full jitter, growing cap


def test_throttled_three_times_gives_up_retryable() -> None:
    fn, calls = failing(["Throttling"] * 3)
    with pytest.raises(BackendError) as err:
        call_with_retry(fn, "x.y", sleep=lambda _s: None)
    assert calls["n"] == 3 and err.value.retryable


def test_connect_timeout_is_retried_like_throttling() -> None:
    """botocore raises ConnectTimeoutError when the TCP connection is not made within
    ``connect_timeout`` (a dropped SYN, a congested NAT): the request never reached AWS,
    so it is retried like throttling."""
    attempts = {"n": 0}

    def fn() -> str:
        attempts["n"] += 1
        if attempts["n"] < 3:
            raise ConnectTimeoutError(endpoint_url="https://ecs.eu-west-1.amazonaws.com/")
        return "ok"

    assert call_with_retry(fn, "ecs.describe_services", sleep=lambda _s: None) == "ok"
    assert attempts["n"] == 3
    err = translate(ConnectTimeoutError(endpoint_url="https://x/"), "ecs.run_task")
    assert isinstance(err, BackendError) and err.retryable and err.code == "ConnectTimeoutError"


def test_non_retryable_is_raised_at_once() -> None:
    fn, calls = failing(["ValidationError"])
    with pytest.raises(ValidationError):
        call_with_retry(fn, "x.y", sleep=lambda _s: None)
    assert calls["n"] == 1


@pytest.mark.aws
def test_throttling_injected_against_moto_is_retried(
    tmp_path: Path, base: BaseEnv, store: SqliteStore
) -> None:
    """A ``before-call`` handler that returns a response skips the request: the first two
    CreateTargetGroup calls are throttled, the third reaches moto."""
    loaded = write_fleet(tmp_path / "fleet.yaml", base, [tenant("alpha")])
    throttled: list[str] = []

    def fail(name: str, _params: dict[str, Any]) -> Any:
        if name.endswith("CreateTargetGroup") and len(throttled) < 2:
            throttled.append(name)
            return injected_error("Throttling")
        return None

    with recording() as rec:
        rec.fail = fail
        backend = AwsBackend(loaded, loaded.fleet.env(ENV), store)
        backend.aws.sleep = lambda _s: None
        ctx = make_ctx(loaded, "alpha", store)
        tg = next(r for r in backend.resources(ctx) if r.id == "infra/target-group")
        tg.create()
    assert rec.calls.count("elbv2.CreateTargetGroup") == 3
    assert tg.read() is not None
