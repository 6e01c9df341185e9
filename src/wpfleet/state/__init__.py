"""State stores: ``open_store`` picks the one an environment (or the fleet) asks for.

The DynamoDB store is imported only when asked for, so the default (SQLite) path never
pays for importing boto3.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from wpfleet.errors import UsageError
from wpfleet.state.base import Deployment, JournalEntry, Json, LockInfo, StateStore
from wpfleet.state.sqlite import SqliteStore

if TYPE_CHECKING:
    from wpfleet.config.load import LoadedFleet
    from wpfleet.config.models import Environment, StateConfig

__all__ = [
    "Deployment",
    "JournalEntry",
    "Json",
    "LockInfo",
    "SqliteStore",
    "StateStore",
    "open_store",
]


def open_store(loaded: LoadedFleet, env: Environment | None = None) -> StateStore:
    """The store for ``env`` (its own ``state:`` block) or else the fleet's.

    SQLite paths are relative to the fleet file; the default is ``.wpfleet/state.db``
    beside it.
    """
    cfg: StateConfig = (env.state if env is not None and env.state else None) or (
        loaded.fleet.state
    )
    if cfg.backend == "sqlite":
        return SqliteStore(_sqlite_path(loaded, cfg))
    return _dynamo_store(cfg, env)


def _sqlite_path(loaded: LoadedFleet, cfg: StateConfig) -> Path:
    if not cfg.path:
        return loaded.state_dir / "state.db"
    path = Path(cfg.path).expanduser()
    return path if path.is_absolute() else loaded.root / path


def _dynamo_store(cfg: StateConfig, env: Environment | None) -> StateStore:
    where = f"environments[{env.name}].state" if env is not None and env.state else "state"
    missing = [k for k in ("table", "bucket") if not getattr(cfg, k)]
    if missing:
        raise UsageError(
            f"{where}: backend dynamodb needs {' and '.join(missing)}",
            hint=f"add {', '.join(f'{k}: …' for k in missing)} under {where} in the fleet file",
        )
    from wpfleet.state.dynamodb import DynamoStore

    aws = env.aws if env is not None else None
    return DynamoStore(
        table=str(cfg.table),
        bucket=str(cfg.bucket),
        region=cfg.region or (aws.region if aws else None),
        endpoint_url=cfg.endpoint_url or (aws.endpoint_url if aws else None),
        profile=cfg.profile or (aws.profile if aws else None),
    )
