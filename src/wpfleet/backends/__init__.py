"""Backends: ``local`` (nginx + php-fpm + MariaDB on this machine) and ``aws``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wpfleet.backends.base import Backend
    from wpfleet.config.load import LoadedFleet
    from wpfleet.config.models import Environment
    from wpfleet.state.base import StateStore


def get_backend(loaded: LoadedFleet, env: Environment, store: StateStore) -> Backend:
    """The environment's backend; imported lazily so ``--help`` stays fast."""
    if env.backend == "aws":
        from wpfleet.backends.aws.backend import AwsBackend

        return AwsBackend(loaded, env, store)
    from wpfleet.backends.local.backend import LocalBackend

    return LocalBackend(loaded, env, store)
