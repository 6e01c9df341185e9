"""`wpfleet platform discover` through the CLI, against moto."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.backends.aws.infra import ENV, BaseEnv, tenant, write_fleet
from wpfleet.cli.main import main
from wpfleet.config.load import load_fleet

pytestmark = pytest.mark.aws


def test_discover_prints_then_writes_the_aws_block(
    tmp_path: Path, base: BaseEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    fleet = tmp_path / "fleet.yaml"
    write_fleet(fleet, base, [tenant("alpha")])
    raw = yaml.safe_load(fleet.read_text())
    keep = {"account_id", "region", "endpoint_url", "rds_endpoint"}
    raw["environments"][0]["aws"] = {
        k: v for k, v in raw["environments"][0]["aws"].items() if k in keep
    }
    fleet.write_text(yaml.safe_dump(raw, sort_keys=False))

    code = main(["--fleet", str(fleet), "-o", "json", "platform", "discover", "--env", ENV])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["aws"]["cluster"] == base.cluster
    assert out["aws"]["listener_arn"] == base.listener_arn
    assert out["aws"]["rds_endpoint"] == raw["environments"][0]["aws"]["rds_endpoint"]
    assert "listener_arn" not in fleet.read_text(), "without --write nothing is written"

    code = main(["--fleet", str(fleet), "platform", "discover", "--env", ENV, "--write"])
    capsys.readouterr()
    assert code == 0
    aws = load_fleet(fleet).fleet.env(ENV).aws
    assert aws is not None
    assert (aws.cluster, aws.efs_id, aws.hosted_zone_id) == (
        base.cluster,
        base.efs_id,
        base.zone_id,
    )
    assert (tmp_path / "fleet.yaml.bak").exists()


def test_discover_refuses_a_local_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = Path(__file__).resolve().parents[3]
    code = main(
        ["--fleet", str(repo / "examples/local/fleet.yaml"), "platform", "discover", "--env", "dev"]
    )
    assert code == 2
    assert "not an aws environment" in capsys.readouterr().err


def test_bootstrap_creates_the_state_store_and_basic_auth(
    tmp_path: Path, base: BaseEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    fleet = tmp_path / "fleet.yaml"
    state = {
        "backend": "dynamodb",
        "table": "wpfleet-boot-state",
        "bucket": "wpfleet-boot-state",
        "region": "eu-west-1",
        "endpoint_url": base.url,
    }
    write_fleet(fleet, base, [tenant("alpha")], env_extra={"state": state, "basic_auth": True})
    code = main(["--fleet", str(fleet), "platform", "bootstrap", "--env", ENV])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "created dynamodb table wpfleet-boot-state" in out
    assert base.client("dynamodb").describe_table(TableName="wpfleet-boot-state")["Table"]
    fn = base.client("lambda", "us-east-1").get_function(FunctionName=f"{ENV}-wpfleet-basic-auth")
    assert fn["Configuration"]["FunctionName"] == f"{ENV}-wpfleet-basic-auth"
    code = main(["--fleet", str(fleet), "platform", "bootstrap", "--env", ENV])
    assert code == 0 and "created dynamodb" not in capsys.readouterr().out  # idempotent
    code = main(["--fleet", str(fleet), "platform", "down", "--env", ENV])
    assert code == 2 and "not supported" in capsys.readouterr().err
