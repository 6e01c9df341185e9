"""The CLI in-process, where no platform is needed: help, init, validate, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from wpfleet.cli.main import main
from wpfleet.errors import ExitStatus


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_help_lists_every_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for status in ExitStatus:
        assert f"{int(status):>3}  " in out


def test_help_does_not_import_heavy_modules() -> None:
    probe = (
        "import sys; from wpfleet.cli.main import main; "
        "import contextlib, io\n"
        "with contextlib.redirect_stdout(io.StringIO()): main(['--help'])\n"
        "print(','.join(m for m in ('pydantic','boto3','pymysql','yaml') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_init_writes_the_example_and_refuses_to_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fleet = tmp_path / "fleet.yaml"
    code, out, _ = run(capsys, "--fleet", str(fleet), "init", "--example", "bbws")
    assert code == 0 and "wrote" in out
    assert "goldencrust" in fleet.read_text()
    code, _, err = run(capsys, "--fleet", str(fleet), "init")
    assert code == ExitStatus.USAGE and "--force" in err
    code, _, err = run(capsys, "--fleet", str(fleet), "init", "--example", "nope")
    assert code == ExitStatus.USAGE and "local, bbws" in err


def test_validate_reports_all_problems_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text(
        "fleet: x\nenvironments:\n  - {name: dev, domain: 'x'}\n"
        "tenants:\n  - {id: Bad, name: B}\n  - {id: 'a;rm', name: C}\n"
    )
    code, _, err = run(capsys, "--fleet", str(fleet), "validate")
    assert code == ExitStatus.USAGE
    assert "3 problem(s)" in err
    assert "Traceback" not in err
    assert "tenants[Bad].id" in err and "tenants[a;rm].id" in err


def test_validate_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = Path(__file__).resolve().parents[2]
    code, out, _ = run(
        capsys, "--fleet", str(repo / "examples/local/fleet.yaml"), "-o", "json", "validate"
    )
    assert code == 0
    assert json.loads(out)["tenants"] == ["goldencrust", "sunsetbistro", "sterlinglaw"]


@pytest.mark.parametrize(
    "tenant",
    [
        "GoldenCrust",
        "golden_crust",
        "golden.crust",
        "gölden",
        "x';DROP DATABASE x;--",
        "$(touch /tmp/pwned)",
        "a" * 40,
    ],
)
def test_bad_tenant_ids_are_refused_by_deploy_before_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tenant: str
) -> None:
    repo = Path(__file__).resolve().parents[2]
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text((repo / "examples/local/fleet.yaml").read_text())
    for cmd in ("deploy", "plan"):
        code, _, err = run(capsys, "--fleet", str(fleet), cmd, tenant, "--env", "dev")
        assert code == ExitStatus.VALIDATION, err
        assert "Traceback" not in err and "tenant id" in err
    assert not (tmp_path / ".wpfleet").exists() or not any((tmp_path / ".wpfleet").rglob("*.json"))


def test_unknown_tenant_and_env_are_not_found(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = Path(__file__).resolve().parents[2]
    fleet = str(repo / "examples/local/fleet.yaml")
    code, _, err = run(capsys, "--fleet", fleet, "plan", "nosuch", "--env", "dev")
    assert code == ExitStatus.NOT_FOUND and "nosuch" in err
    code, _, err = run(capsys, "--fleet", fleet, "plan", "goldencrust", "--env", "qa")
    assert code == ExitStatus.NOT_FOUND and "dev, sit" in err


def test_environment_with_approvals_records_nothing_while_its_platform_is_down(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A request is bound to a plan, and planning needs the platform: with it down the
    deploy stops (exit 11) before any request or change is recorded. The approval flow
    itself runs on the real stack in tests/e2e/test_approvals_local.py."""
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text(
        "fleet: x\nenvironments:\n"
        "  - name: prod\n    domain: '{tenant}.prod.localhost'\n"
        "    local: {http_port: 18999, db_port: 13999}\n"
        "    approvals: {required: 2, approvers: [a, b]}\n"
        "tenants:\n  - {id: shop, name: Shop}\n"
    )
    code, _, err = run(capsys, "--fleet", str(fleet), "deploy", "shop", "--env", "prod")
    assert code == ExitStatus.PLATFORM_DOWN, err
    assert not (tmp_path / "config").exists()
    code, out, _ = run(capsys, "--fleet", str(fleet), "-o", "json", "pending")
    assert code == 0 and json.loads(out) == []


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = run(capsys, "deploy", "--nonsense")
    assert code == ExitStatus.USAGE


def test_errors_are_json_for_machines(capsys: pytest.CaptureFixture[str]) -> None:
    repo = Path(__file__).resolve().parents[2]
    fleet = str(repo / "examples/local/fleet.yaml")
    code, _, err = run(capsys, "--fleet", fleet, "-o", "json", "plan", "nosuch", "--env", "dev")
    record = json.loads(err)
    assert code == ExitStatus.NOT_FOUND == record["exit_status"]
    assert "nosuch" in record["error"] and record["hint"]


def test_deploy_with_the_platform_down_says_how_to_start_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WPFLEET_RUNTIME_DIR", str(tmp_path / "runtime"))
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text(
        "fleet: x\nenvironments:\n"
        "  - name: dev\n    domain: '{tenant}.dev.localhost'\n"
        "    local: {http_port: 18998, db_port: 13998}\n"
        "tenants:\n  - {id: shop, name: Shop}\n"
    )
    code, _, err = run(capsys, "--fleet", str(fleet), "deploy", "shop", "--env", "dev")
    assert code == ExitStatus.PLATFORM_DOWN, err
    assert "wpfleet platform up" in err
    assert not (tmp_path / "config").exists()
