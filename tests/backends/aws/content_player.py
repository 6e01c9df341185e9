"""Plays the AWS content task for the tests: moto registers and "runs" a task but starts
no container. When wpfleet's waiter asks DescribeTasks, the task goes PROVISIONING →
RUNNING → STOPPED as ECS reports it
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html);
at RUNNING the player runs the very script the task definition carries (``command[0]``,
entry point ``python3 -c``) on this machine, against a real directory tree standing for
the access point and moto's S3. Its exit code is the container's ``exitCode``. The
script's own AWS calls are the task role's, not those of whoever runs wpfleet: they are
signed with the harness key (``FAKE_CREDENTIALS``), which an IAM-enforcing moto exempts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3

from tests.backends.aws.infra import BaseEnv
from tests.helpers.moto_server import FAKE_CREDENTIALS

#: the content bucket of the ``player`` fixture (tests/backends/aws/conftest.py)
CONTENT_BUCKET = "sit-wpfleet-content"
OK = SimpleNamespace(status_code=200, headers={}, text="", content=b"")
META = {"ResponseMetadata": {"HTTPStatusCode": 200}}


class TaskPlayer:
    """Plays the content task (see the module docstring). ``stop_next`` makes the next
    task stop as AWS reports a task that never started; ``runs`` keeps each run."""

    def __init__(self, base: BaseEnv, efs: Path) -> None:
        self.base, self.efs = base, efs
        self.tasks: dict[str, dict[str, Any]] = {}
        self.runs: list[dict[str, Any]] = []
        self.stop_next: dict[str, Any] | None = None
        self._body: dict[str, Any] = {}

    def hook(self, session: boto3.Session) -> None:
        uid = f"player-{id(self)}"
        session.events.register("before-call.ecs.RunTask", self._run_asked, unique_id=uid)
        session.events.register("after-call.ecs.RunTask", self._launched, unique_id=uid + "a")
        session.events.register(
            "before-call.ecs.DescribeTasks", self._describe, unique_id=uid + "d"
        )

    def _run_asked(self, params: dict[str, Any], **_: Any) -> None:
        self._body = json.loads(params.get("body") or b"{}")

    def _launched(self, parsed: dict[str, Any], **_: Any) -> None:
        for task in parsed.get("tasks", []):
            self.tasks[task["taskArn"]] = {"body": self._body, "step": 0}

    def _describe(self, params: dict[str, Any], **_: Any) -> Any:
        arns = json.loads(params.get("body") or b"{}").get("tasks", [])
        if len(arns) != 1 or arns[0] not in self.tasks:
            return None
        state = self.tasks[arns[0]]
        state["step"] += 1
        task: dict[str, Any] = {"taskArn": arns[0], "lastStatus": "PROVISIONING"}
        if state["step"] == 2:
            task["lastStatus"] = "RUNNING"
            state["stopped"] = self.stop_next or self._play(state["body"])
            self.stop_next = None
        elif state["step"] > 2:
            task.update(lastStatus="STOPPED", **state["stopped"])
        return OK, {"tasks": [task], "failures": [], **META}

    def _play(self, body: dict[str, Any]) -> dict[str, Any]:
        td = self.base.client("ecs").describe_task_definition(
            taskDefinition=body["taskDefinition"]
        )["taskDefinition"]
        (container,) = td["containerDefinitions"]
        assert container["entryPoint"] == ["python3", "-c"]
        env = {e["name"]: e["value"] for e in container["environment"]}
        for override in body["overrides"]["containerOverrides"]:
            env.update({e["name"]: e["value"] for e in override["environment"]})
        ap = td["volumes"][0]["efsVolumeConfiguration"]["authorizationConfig"]["accessPointId"]
        root = self.efs / ap  # what the access point shows at the container's mount point
        root.mkdir(parents=True, exist_ok=True)
        env["WPFLEET_ROOT"] = str(root)
        done = subprocess.run(
            [sys.executable, "-c", container["command"][0]],
            env={**os.environ, **FAKE_CREDENTIALS, **env, "AWS_ENDPOINT_URL": self.base.url},
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        self.runs.append({"env": env, "code": done.returncode, "out": done.stdout + done.stderr})
        return {
            "stoppedReason": "Essential container in task exited",
            "stopCode": "EssentialContainerExited",
            "containers": [
                {"name": "content", "lastStatus": "STOPPED", "exitCode": done.returncode}
            ],
        }

    def root(self) -> Path:
        (only,) = [p for p in self.efs.iterdir() if p.is_dir()]
        return only
