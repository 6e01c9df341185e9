"""The AWS operations of a CI run (deploy -> verify -> destroy, state on DynamoDB + S3),
in both database modes (``direct`` and ``ecs-task``), recorded with a boto3
``before-call`` handler, are exactly the generated list that
``wpfleet ci policy`` is built from. After a change to the AWS code path, re-record:
``WPFLEET_RECORD_OPERATIONS=1 pytest tests/backends/aws/test_ci_operations.py``."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.backends.aws.ci_scenario import bootstrap_state, ci_fleet, full_run, unique
from tests.backends.aws.infra import BaseEnv
from wpfleet.ci.policy import OPERATIONS_FILE, recorded_operations

pytestmark = [pytest.mark.aws, pytest.mark.slow]


def test_recorded_operations_match_the_generated_list(
    tmp_path: Path, base: BaseEnv, wordpress_site: str
) -> None:
    bootstrap_state(base)
    calls = unique(full_run(ci_fleet(tmp_path, base, wordpress_site), base))
    (tmp_path / "ecs-task").mkdir()
    ecs_task = ci_fleet(tmp_path / "ecs-task", base, wordpress_site, db_mode="ecs-task")
    calls = unique(calls + full_run(ecs_task, base))
    if os.environ.get("WPFLEET_RECORD_OPERATIONS") == "1":
        OPERATIONS_FILE.write_text(json.dumps({"operations": calls}, indent=2) + "\n")
    assert calls == recorded_operations(), (
        "the AWS calls of deploy/verify/destroy changed: re-record with "
        "WPFLEET_RECORD_OPERATIONS=1 (see this module's docstring)"
    )
