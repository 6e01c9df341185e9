"""Per-environment AWS sessions: one boto3 Session for the environment's account, one for
DNS (the seeds' hosted zone lives in the prod account), clients cached for the run.

Every call goes through ``AwsSession.call`` so that retries and error translation
happen in one place (``errors.call_with_retry``). Test seams: ``add_session_hook``
registers a function that sees every boto3 Session this module creates (tests use it
to count calls or inject faults with ``before-call`` / ``before-send`` handlers), and
``sleep`` is injectable.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config

from wpfleet.aws.errors import call_with_retry
from wpfleet.config.models import AwsSettings
from wpfleet.errors import ValidationError

SessionHook = Callable[[boto3.Session], None]
_HOOKS: list[SessionHook] = []

#: botocore's own retries are off: ``call_with_retry`` is the only retry policy, so
#: attempts are counted in one place (3 in all) instead of 3 x botocore's.
CLIENT_CONFIG = Config(retries={"total_max_attempts": 1}, connect_timeout=10, read_timeout=60)


def add_session_hook(hook: SessionHook) -> None:
    _HOOKS.append(hook)


def remove_session_hook(hook: SessionHook) -> None:
    if hook in _HOOKS:
        _HOOKS.remove(hook)


def new_boto_session(profile: str | None, region: str) -> boto3.Session:
    session = boto3.Session(profile_name=profile, region_name=region)
    for hook in list(_HOOKS):
        hook(session)
    return session


class AwsSession:
    """The clients of one environment, created lazily and kept for the run."""

    def __init__(
        self,
        settings: AwsSettings,
        env_name: str,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.env_name = env_name
        self.sleep = sleep
        self._main: boto3.Session | None = None
        self._dns: boto3.Session | None = None
        self._clients: dict[tuple[str, str, bool], Any] = {}
        self._account_checked = False
        self._caller_account: str | None = None
        #: boto3 sessions are not thread-safe while creating clients; the engine reads
        #: and applies concurrently
        self._lock = threading.RLock()

    @property
    def region(self) -> str:
        return self.settings.region

    @property
    def boto_session(self) -> boto3.Session:
        if self._main is None:
            self._main = new_boto_session(self.settings.profile, self.settings.region)
        return self._main

    @property
    def dns_session(self) -> boto3.Session:
        dns = self.settings.dns
        if dns.profile is None or dns.profile == self.settings.profile:
            return self.boto_session
        if self._dns is None:
            self._dns = new_boto_session(dns.profile, dns.region or self.settings.region)
        return self._dns

    def client(self, service: str, *, region: str | None = None, dns: bool = False) -> Any:
        """A cached client; ``dns`` uses the DNS credentials (route53)."""
        region = region or self.settings.region
        key = (service, region, dns)
        with self._lock:
            return self._client_locked(service, region, dns, key)

    def _client_locked(
        self, service: str, region: str, dns: bool, key: tuple[str, str, bool]
    ) -> Any:
        if key not in self._clients:
            session = self.dns_session if dns else self.boto_session
            self._clients[key] = session.client(
                service,
                region_name=region,
                endpoint_url=self.settings.endpoint_url,
                config=CLIENT_CONFIG,
            )
        return self._clients[key]

    def call(
        self,
        service: str,
        operation: str,
        /,
        *,
        region: str | None = None,
        dns: bool = False,
        **kwargs: Any,
    ) -> Any:
        """``client.operation(**kwargs)`` with retries and error translation."""
        method = getattr(self.client(service, region=region, dns=dns), operation)
        return call_with_retry(lambda: method(**kwargs), f"{service}.{operation}", sleep=self.sleep)

    def paginate(self, service: str, operation: str, key: str, **kwargs: Any) -> list[Any]:
        """Every item under ``key`` across all pages of ``operation``."""
        paginator = self.client(service).get_paginator(operation)

        def collect() -> list[Any]:
            out: list[Any] = []
            for page in paginator.paginate(**kwargs):
                out.extend(page.get(key, []))
            return out

        return call_with_retry(collect, f"{service}.{operation}", sleep=self.sleep)

    @property
    def account_id(self) -> str:
        """The configured account, or the caller's when none is configured."""
        if self.settings.account_id:
            return self.settings.account_id
        if self._caller_account is None:
            self._caller_account = str(self.call("sts", "get_caller_identity")["Account"])
        return self._caller_account

    def check_account(self) -> None:
        """Refuse to run with credentials of another account than the environment's."""
        if self._account_checked or not self.settings.account_id:
            return
        actual = str(self.call("sts", "get_caller_identity")["Account"])
        if actual != self.settings.account_id:
            profile = self.settings.profile or "the default credential chain"
            raise ValidationError(
                f"environment {self.env_name} is AWS account {self.settings.account_id} but "
                f"the credentials from {profile} belong to account {actual}",
                hint=f"use the profile for account {self.settings.account_id} "
                f"(aws.profile in the fleet file) or fix aws.account_id",
            )
        self._account_checked = True
