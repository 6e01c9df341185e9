"""``wpfleet tf export``. No terraform binary can be installed here, so the tests prove
instead: every file parses (python-hcl2); every variable a module call passes is
declared by the module, every required one is passed, every ``var.X`` a root uses is
declared and has a value in its tfvars; one S3 state key per tenant and environment,
locked with ``use_lockfile``; no null_resource/timestamp(), no ``-target``; import
blocks from the config documents in the state store; checkov finds nothing it does not
list as a skip with a reason; and the same input gives the same bytes."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import hcl2
import pytest

from wpfleet import naming
from wpfleet.cli.main import main
from wpfleet.config.load import load_fleet
from wpfleet.iac.export import export, write
from wpfleet.iac.modules import CHECKOV_SKIPS
from wpfleet.state.sqlite import SqliteStore

REPO = Path(__file__).resolve().parents[2]
BBWS = REPO / "examples" / "bbws" / "fleet.yaml"
CHECKOV = REPO / ".venv-checkov" / "bin" / "checkov"

DOCUMENT = {
    "infrastructure": {
        "task_definition": "sit-goldencrust:7",
        "alb_listener_rule_priority": 140,
        "log_group": "/ecs/sit/goldencrust",
    },
    "database": {
        "secret_arn": "arn:aws:secretsmanager:eu-west-1:815856636111:secret:"
        "sit-goldencrust-db-credentials-AbCdEf"
    },
    "storage": {"access_point_id": "fsap-0123456789abcdef0"},
}


def norm(node: Any) -> Any:
    """python-hcl2 8 keeps quotes and adds meta keys: plain values, as HCL means them."""
    if isinstance(node, dict):
        return {k.strip('"'): norm(v) for k, v in node.items() if not k.startswith("__")}
    if isinstance(node, list):
        return [norm(v) for v in node]
    if isinstance(node, str):
        if len(node) >= 2 and node[0] == node[-1] == '"':
            return node[1:-1]
        if node.startswith("${") and node.endswith("}"):
            return node[2:-1]
    return node


def parse(text: str) -> dict[str, Any]:
    return norm(hcl2.loads(text))  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def files() -> dict[str, str]:
    return export(load_fleet(BBWS).fleet, {("goldencrust", "sit"): DOCUMENT})


def test_every_file_parses_and_twice_gives_the_same_bytes(files: dict[str, str]) -> None:
    again = export(load_fleet(BBWS).fleet, {("goldencrust", "sit"): DOCUMENT})
    assert again == files
    for path, text in files.items():
        assert path.endswith((".tf", ".tfvars"))
        parse(text)
    fleet = load_fleet(BBWS).fleet
    roots = {str(Path(p).parent) for p in files if p.startswith("tenants/")}
    assert roots == {
        naming.tf_root_dir(t.id, e.name)
        for e in fleet.environments
        for t in fleet.tenants_in(e.name)
    }


def test_one_state_key_per_tenant_and_environment_locked_by_s3(files: dict[str, str]) -> None:
    keys = []
    for path, text in files.items():
        if path.endswith("backend.tf"):
            s3 = parse(text)["terraform"][0]["backend"][0]["s3"]
            assert s3["use_lockfile"] is True and "dynamodb_table" not in s3
            keys.append(s3["key"])
    assert len(keys) == len(set(keys)) == 39
    assert not any("-target" in t or "terraform workspace" in t for t in files.values())


def test_database_module_has_no_rerunning_null_resource(files: dict[str, str]) -> None:
    main_tf = files["modules/database/main.tf"]
    assert "null_resource" not in main_tf and "timestamp()" not in main_tf
    resources = {next(iter(r)) for r in parse(main_tf)["resource"]}
    assert {"mysql_database", "mysql_user", "mysql_grant"} <= resources


def _module_variables(files: dict[str, str], module: str) -> tuple[set[str], set[str]]:
    variables = parse(files[f"modules/{module}/variables.tf"])["variable"]
    names = {next(iter(v)) for v in variables}
    required = {k for v in variables for k, spec in v.items() if "default" not in spec}
    return names, required


def test_module_calls_and_variables_match(files: dict[str, str]) -> None:
    for root in sorted({str(Path(p).parent) for p in files if p.startswith("tenants/")}):
        main_tf = parse(files[f"{root}/main.tf"])
        declared = {next(iter(v)) for v in parse(files[f"{root}/variables.tf"])["variable"]}
        values = set(parse(files[f"{root}/terraform.tfvars"]))
        assert declared == values, root
        used = set()
        for name in ("main.tf", "providers.tf", "imports.tf"):
            used |= set(re.findall(r"\bvar\.(\w+)", files.get(f"{root}/{name}", "")))
        assert used <= declared, (root, used - declared)
        for block in main_tf["module"]:
            ((_name, call),) = block.items()
            module = call["source"].rsplit("/", 1)[-1]
            names, required = _module_variables(files, module)
            passed = set(call) - {"source", "providers"}
            assert passed <= names and required <= passed, (root, module)


def test_import_blocks_for_what_wpfleet_created(files: dict[str, str]) -> None:
    root = naming.tf_root_dir("goldencrust", "sit")
    imports = parse(files[f"{root}/imports.tf"])["import"]
    ids = {i["to"]: i["id"] for i in imports}
    assert ids["module.ecs_tenant.aws_efs_access_point.tenant"] == "fsap-0123456789abcdef0"
    assert ids["module.ecs_tenant.aws_ecs_task_definition.tenant"].endswith(
        ":task-definition/sit-goldencrust:7"
    )
    assert ids["module.ecs_tenant.aws_ecs_service.tenant"] == "sit-cluster/sit-goldencrust-service"
    assert ids["module.ecs_tenant.aws_cloudwatch_log_group.tenant"] == "/ecs/sit/goldencrust"
    assert "module.database.aws_secretsmanager_secret.db" in ids
    assert re.search(r"^existing_secret +=  *true$", files[f"{root}/terraform.tfvars"], re.M)
    assert f"{naming.tf_root_dir('goldencrust', 'dev')}/imports.tf" not in files


def test_export_reads_the_documents_from_the_state_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Through the service: documents in sit's store give import blocks; dev's store
    cannot be read here (its profile does not exist): a warning, no import blocks."""
    text = BBWS.read_text()
    text = re.sub(
        r"state: \{backend: dynamodb, table: bbws-wpfleet-(sit|prod)[^}]*\}",
        r"state: {backend: sqlite, path: \1.db}",
        text,
    )
    text = text.replace(
        "region: eu-west-1\n      profile: Tebogo-sit",
        "region: eu-west-1\n      tf_state_bucket: bbws-tf-sit",
    )
    text = text.replace(
        "region: af-south-1\n      profile: Tebogo-prod",
        "region: af-south-1\n      tf_state_bucket: bbws-tf-prod",
    )
    (tmp_path / "fleet.yaml").write_text(text)
    store = SqliteStore(tmp_path / "sit.db")
    store.put_document(naming.config_document_path("sunsetbistro", "sit"), DOCUMENT)
    store.close()
    out = tmp_path / "terraform"
    assert main(["--fleet", str(tmp_path / "fleet.yaml"), "tf", "export", "--out", str(out)]) == 0
    assert "warning: dev: state not readable" in capsys.readouterr().err
    root = out / naming.tf_root_dir("sunsetbistro", "sit")
    assert (root / "imports.tf").exists()
    assert '"bbws-tf-sit"' in (root / "backend.tf").read_text()
    assert not (out / naming.tf_root_dir("sunsetbistro", "prod") / "imports.tf").exists()


def test_checkov_finds_nothing_but_the_listed_skips(tmp_path: Path) -> None:
    """One tenant (checkov takes ~1 s per root here), deployed, so imports are scanned."""
    text = re.sub(r"tenants:\n.*", "", BBWS.read_text(), flags=re.S)
    text += "tenants:\n  - {id: goldencrust, name: Golden Crust}\n"
    (tmp_path / "fleet.yaml").write_text(text)
    out = tmp_path / "terraform"
    write(
        export(load_fleet(tmp_path / "fleet.yaml").fleet, {("goldencrust", "sit"): DOCUMENT}), out
    )
    assert CHECKOV.exists(), "checkov is missing: run `make test-deps`"
    run = subprocess.run(
        [
            str(CHECKOV),
            "-d",
            str(out),
            "--framework",
            "terraform",
            "--skip-download",
            "-o",
            "json",
            "--compact",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    reports = json.loads(run.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    for report in reports:
        summary = report["summary"]
        assert summary["parsing_errors"] == 0, summary
        assert summary["resource_count"] > 10
        failed = report["results"]["failed_checks"]
        assert failed == [], [(f["check_id"], f["file_path"]) for f in failed]
        skipped = report["results"]["skipped_checks"]
        assert len(skipped) == summary["skipped"] > 0
        for skip in skipped:  # each listed, each with its reason in the HCL
            reason = CHECKOV_SKIPS[skip["check_id"]][1]
            assert skip["check_result"]["suppress_comment"].strip() == reason


def test_log_group_is_the_one_wpfleet_makes(files: dict[str, str]) -> None:
    """The same per-tenant group, retention and write scope as ``infra/log-group`` and
    the execution role of the AWS backend."""
    root = naming.tf_root_dir("goldencrust", "sit")
    values = parse(files[f"{root}/terraform.tfvars"])
    env = load_fleet(BBWS).fleet.env("sit")
    assert (
        values["names"]["log_group"]
        == naming.tenant_names("goldencrust", "sit", env.domain).log_group
    )
    assert values["log_retention_days"] == env.aws.logs.retention_days  # type: ignore[union-attr]
    module = files["modules/ecs-tenant/main.tf"]
    assert 'Resource = ["${aws_cloudwatch_log_group.tenant.arn}:*"]' in module
    assert "AmazonECSTaskExecutionRolePolicy" not in module  # logs on "*": not any more
