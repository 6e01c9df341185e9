"""Day-2 commands on the real local stack (nginx + php-fpm + MariaDB + WordPress):
``logs`` reads the tenant's own nginx and PHP logs."""

from __future__ import annotations

import json
import time

import pytest

from tests.e2e.conftest import Fleet

pytestmark = pytest.mark.stack


def test_logs_show_the_tenants_own_requests(fleet: Fleet) -> None:
    assert fleet.cli("deploy", "golf", "--env", "dev").code == 0
    assert fleet.cli("deploy", "hotel", "--env", "dev").code == 0
    marker = f"/golf-marker-{time.time_ns()}"
    assert fleet.http("dev", "golf", marker)[0] == 404
    assert fleet.http("dev", "hotel", "/hotel-only")[0] == 404
    res = fleet.cli("-o", "json", "logs", "golf", "--env", "dev", "--since", "5m")
    assert res.code == 0, res.err
    lines = [json.loads(line) for line in res.out.splitlines()]
    assert any(marker in line["message"] and line["source"] == "nginx-access" for line in lines)
    assert not any("/hotel-only" in line["message"] for line in lines)  # another tenant's
    grepped = fleet.cli("logs", "golf", "--env", "dev", "--grep", marker)
    assert grepped.code == 0 and len(grepped.out.splitlines()) == 1
    assert "nginx-access" in grepped.out


def test_logs_refuse_bad_input_before_reading(fleet: Fleet) -> None:
    bad = fleet.cli("logs", "golf", "--env", "dev", "--since", "forever")
    assert bad.code == 2 and "--since" in bad.err
    missing = fleet.cli("logs", "nosuch", "--env", "dev")
    assert missing.code == 12, missing.err
