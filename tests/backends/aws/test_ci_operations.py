"""The AWS operations of a CI run (deploy -> verify -> destroy, state on DynamoDB + S3),
in both database modes (``direct`` and ``ecs-task``), recorded with a boto3
``before-call`` handler, are exactly the generated list that ``wpfleet ci policy`` is
built from; and what a content run (``direct`` with a content bucket: a restore point,
its restore, destroy's restore point) adds to them is exactly its ``content_operations``.
After a change to the AWS code path, re-record:
``WPFLEET_RECORD_OPERATIONS=1 pytest tests/backends/aws/test_ci_operations.py``."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.backends.aws.ci_scenario import bootstrap_state, ci_fleet, full_run, unique
from tests.backends.aws.infra import BaseEnv
from wpfleet.ci.policy import OPERATIONS_FILE, content_operations, recorded_operations

pytestmark = [pytest.mark.aws, pytest.mark.slow]


def test_recorded_operations_match_the_generated_list(
    tmp_path: Path, base: BaseEnv, wordpress_site: str
) -> None:
    bootstrap_state(base)
    runs = {}
    for name, mode, bucket in (("direct", "direct", None), ("ecs-task", "ecs-task", True),
                               ("content", "direct", True)):  # fmt: skip
        (tmp_path / name).mkdir()
        loaded = ci_fleet(tmp_path / name, base, wordpress_site, db_mode=mode, content=bucket)
        runs[name] = unique(full_run(loaded, base))
    calls = unique(runs["direct"] + runs["ecs-task"])
    content = sorted(set(runs["content"]) - set(calls))
    if os.environ.get("WPFLEET_RECORD_OPERATIONS") == "1":
        doc = {"operations": calls, "content_operations": content}
        OPERATIONS_FILE.write_text(json.dumps(doc, indent=2) + "\n")
    assert (calls, content) == (recorded_operations(), content_operations()), (
        "the AWS calls of deploy/verify/destroy (or content's) changed: re-record with "
        "WPFLEET_RECORD_OPERATIONS=1 (see this module's docstring)"
    )
