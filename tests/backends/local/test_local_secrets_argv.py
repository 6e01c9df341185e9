"""No secret ever appears in a child process's argv (``ps`` shows argv to every user).

The session fixture put recording wrappers for mysql, mariadb, php, openssl, nginx,
php-fpm, mariadbd … in front of PATH before the platforms came up, so their argv for
everything the backend did in this session is in the log."""

from __future__ import annotations

import pytest
from conftest import LocalStack
from local_stack import deploy, destroy

from wpfleet.backends.local import secretfiles

pytestmark = pytest.mark.stack


def test_no_secret_value_in_any_argv(local_stack: LocalStack) -> None:
    backend = local_stack.backends["sit"]
    resources = backend.resources(local_stack.ctx("sit", "delta"))
    try:
        deploy(resources)
    finally:
        secrets_dir = local_stack.loaded.state_dir / "secrets"
        values = [
            value
            for path in secrets_dir.rglob("*.json")
            for value in (secretfiles.read_secret(path) or {}).values()
            if len(value) >= 8
        ]
        destroy(resources)
    log = local_stack.argv_log.read_text()
    programs = {line.split(" ", 1)[0] for line in log.splitlines()}
    assert {"php", "openssl", "mariadb", "mariadbd", "nginx", "php-fpm8.2"} <= programs
    assert len(values) > 20
    leaked = [v for v in values if v in log]
    assert leaked == []
