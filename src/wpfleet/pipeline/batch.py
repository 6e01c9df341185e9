"""Deploying many tenants at once: each independent, a summary at the end."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from wpfleet.errors import ExitStatus, WpfleetError
from wpfleet.pipeline.deploy import Outcome, Pipeline


@dataclass
class BatchItem:
    tenant: str
    ok: bool
    seconds: float
    outcome: Outcome | None = None
    error: str = ""
    status: ExitStatus = ExitStatus.OK


def run_batch(
    pipeline: Pipeline,
    tenants: Sequence[str],
    action: Callable[[str], Outcome],
    *,
    concurrency: int = 4,
    on_done: Callable[[BatchItem], None] | None = None,
) -> list[BatchItem]:
    """Run ``action`` for every tenant; one failure never stops the others."""

    def one(tenant: str) -> BatchItem:
        item = attempt(tenant)
        if on_done is not None:
            on_done(item)
        return item

    def attempt(tenant: str) -> BatchItem:
        started = time.monotonic()
        try:
            outcome = action(tenant)
        except WpfleetError as exc:
            return BatchItem(
                tenant, False, time.monotonic() - started, error=exc.message, status=exc.status
            )
        except Exception as exc:
            return BatchItem(
                tenant,
                False,
                time.monotonic() - started,
                error=f"{type(exc).__name__}: {exc}",
                status=ExitStatus.ERROR,
            )
        return BatchItem(tenant, True, time.monotonic() - started, outcome=outcome)

    if not tenants:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(tenants)))) as pool:
        return list(pool.map(one, tenants))
