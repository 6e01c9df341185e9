"""Session fixtures for the local backend's stack tests.

``local_stack`` writes a temporary fleet (dev: per-tenant pools; sit: shared pool and
basic auth; prod: never started), records every wrapped binary's argv, brings both
platforms up, deploys alpha and bravo into dev and sit, and tears everything down
(platform down, runtime and secrets removed) at the end of the session.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from local_memstore import MemoryStore
from local_stack import deploy, install_argv_recorder, make_ctx, write_fleet
from tests.helpers import requires

from wpfleet.backends.base import TenantContext
from wpfleet.backends.local import LocalBackend
from wpfleet.config.load import LoadedFleet


@dataclass
class LocalStack:
    loaded: LoadedFleet
    store: MemoryStore
    backends: dict[str, LocalBackend]
    argv_log: Path

    def ctx(self, env: str, tenant: str) -> TenantContext:
        return make_ctx(self.backends[env], tenant, self.store)


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    requires.require(requires.LOCAL_STACK, "the local stack")
    base = tmp_path_factory.mktemp("local-stack")
    old_path = os.environ.get("PATH", "")
    # The wrappers must be reachable by the tenants' uids: not under pytest's 0700 tmp.
    shims = Path(tempfile.mkdtemp(prefix="wpfleet-shims-"))
    shims.chmod(0o755)
    argv_log = shims / "argv.log"
    install_argv_recorder(shims / "bin", argv_log)
    loaded = write_fleet(base)
    store = MemoryStore()
    backends = {
        env: LocalBackend(loaded, loaded.fleet.env(env), store) for env in ("dev", "sit", "prod")
    }
    stack = LocalStack(loaded, store, backends, argv_log)
    try:
        _parallel([backends["dev"].platform_up, backends["sit"].platform_up])
        _parallel(
            [
                functools.partial(deploy, backends[env].resources(stack.ctx(env, tenant)))
                for env in ("dev", "sit")
                for tenant in ("alpha", "bravo")
            ]
        )
        yield stack
    finally:
        for backend in backends.values():
            backend.platform.purge()
            backend.close()
        _remove_empty_parent(backends["dev"].platform.paths.root.parent)
        os.environ["PATH"] = old_path
        shutil.rmtree(shims, ignore_errors=True)


def _parallel(jobs: list[Callable[[], object]]) -> None:
    """Run ``jobs`` in threads; re-raise the first failure."""
    errors: list[BaseException] = []

    def run(job: Callable[[], object]) -> None:
        try:
            job()
        except BaseException as exc:  # re-raised below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def _remove_empty_parent(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.rmdir()
