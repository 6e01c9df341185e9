"""Front pages for ``status``: ``GET /`` of each running tenant, its title checked,
through the same way in as verify's HTTP check (``http_check_address`` or the ALB with
the tenant's Host; ``resources.wordpress_install.site``). No AWS call per tenant: the listener and
the load balancer are described once per run (the environment's cache)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from wpfleet.backends.aws.resources.wordpress_install import site
from wpfleet.backends.aws.tenant import TenantAws
from wpfleet.checks.page import title_of
from wpfleet.checks.site import front_page_verdict
from wpfleet.context import TenantHealth

#: pages fetched at once (each is a WordPress render on the tenant's task)
CONCURRENCY = 8


def with_pages(tenants: list[TenantAws], health: dict[str, TenantHealth]) -> None:
    """Add the front page's verdict to each tenant ECS reports healthy (in place): a
    service at running = desired whose site answers a blank page is not healthy."""
    due = [t for t in tenants if (h := health.get(t.tenant)) is not None and h.healthy]
    if not due:
        return
    with ThreadPoolExecutor(max_workers=min(CONCURRENCY, len(due))) as pool:
        verdicts = list(pool.map(_page, due))
    for t, (ok, detail) in zip(due, verdicts, strict=True):
        h = health[t.tenant]
        h.healthy = ok
        h.detail = f"{h.detail}, {detail}" if h.detail else detail


def _page(t: TenantAws) -> tuple[bool, str]:
    try:
        reply = site(t, with_auth=False).get("/")
    except Exception as exc:  # a status row names the problem; it never stops the table
        return False, f"GET /: {exc}"
    ok, detail = front_page_verdict(reply, t.ctx.tenant.name, t.names.host)
    if not ok:
        return False, f"GET /: {detail}"
    title = title_of(reply.body)
    return True, f'GET / -> {reply.status} "{title}"' if title else f"GET / -> {reply.status}"
