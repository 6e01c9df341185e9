"""How a test (or a child process of a test) opens each kind of state store.

A ``StoreSpec`` is plain, picklable data, so ``multiprocessing`` children can open their
own connection to the same store.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from wpfleet.state.base import StateStore

REGION = "eu-west-1"


@dataclass(frozen=True)
class StoreSpec:
    kind: str  # sqlite | dynamodb | memory
    path: str = ""
    table: str = ""
    bucket: str = ""
    endpoint_url: str = ""

    def open(self) -> StateStore:
        if self.kind == "memory":
            return _memory_store(self.path)
        if self.kind == "sqlite":
            from wpfleet.state.sqlite import SqliteStore

            return SqliteStore(Path(self.path))
        from wpfleet.state.dynamodb import DynamoStore

        return DynamoStore(
            table=self.table,
            bucket=self.bucket,
            region=REGION,
            endpoint_url=self.endpoint_url,
            profile=None,
        )


_MEMORY: dict[str, StateStore] = {}


def _memory_store(name: str) -> StateStore:
    """The in-memory store the local backend's tests use: one per name, so that a
    second ``open`` sees what the first wrote (as with a file or a table)."""
    from tests.backends.local.local_memstore import MemoryStore

    if name not in _MEMORY:
        _MEMORY[name] = MemoryStore()
    return _MEMORY[name]
