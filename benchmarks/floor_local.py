"""The floor for one local deploy: the same work as `wpfleet deploy`, without wpfleet's
orchestration. Run as its own process, as the CLI is, so both pay for an interpreter:

    python -m benchmarks.floor_local FLEET TENANT

It creates the tenant's secret, database and user, wp-content, wp-config.php, php-fpm
pool (reloaded), nginx vhost (tested, reloaded) and the WordPress tables (the template
clone, or wp_install() via php-cli) by calling the local backend's own resources, in
their listed order, one after the other, then polls until the site first answers 200.
Skipped, compared with `wpfleet deploy`: reading and planning, the lock, the journal and
ownership records, concurrency, the verify checks, the release and the configuration
document.
"""

from __future__ import annotations

import http.client
import sys
import time
from pathlib import Path

from wpfleet.backends.local.backend import LocalBackend
from wpfleet.config.load import load_fleet
from wpfleet.pipeline.context import tenant_context
from wpfleet.state.sqlite import SqliteStore

DEADLINE_S = 30.0


def wait_for_200(port: int, host: str, deadline: float) -> None:
    """Poll ``GET /`` on 127.0.0.1:port with the tenant's Host until it answers 200."""
    while True:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("GET", "/", headers={"Host": f"{host}:{port}"})
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            conn.close()
        if time.monotonic() > deadline:
            raise SystemExit(f"{host} did not answer 200 in {DEADLINE_S} s")
        time.sleep(0.02)


def main(fleet: str, tenant_id: str) -> None:
    started = time.monotonic()
    loaded = load_fleet(fleet)
    env = loaded.fleet.env("dev")
    store = SqliteStore(Path(loaded.state_dir) / "floor.db")  # uids are allocated here
    backend = LocalBackend(loaded, env, store)
    ctx = tenant_context(loaded, env, tenant_id, store, who="floor")
    for resource in backend.resources(ctx):
        resource.create()
    local = env.local_settings
    wait_for_200(local.http_port, ctx.names.host, started + DEADLINE_S)
    backend.close()
    store.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
