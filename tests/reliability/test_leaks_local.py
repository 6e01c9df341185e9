"""The leak scanner over a run with crashes and rollbacks (issue 11, suite part 3).

Every command runs as a real process through PATH shims that record argv and
environment; /proc is sampled every 20 ms meanwhile. The run includes a killed deploy,
its resumption, a deploy that fails and rolls back, verification reports and a destroy,
because error paths are where secrets tend to slip into messages.
"""

from __future__ import annotations

import gzip
import json
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.reliability.conftest import Fleet
from tests.reliability.leaks import (
    ProcSampler,
    dump_sqlite,
    encodings,
    find_leaks,
    make_shims,
    text_files,
)

pytestmark = [pytest.mark.stack, pytest.mark.slow]

CRASHES = [
    (("deploy", "alpha", "--env", "sit"), {}, 0),
    (("deploy", "bravo", "--env", "dev"), {"WPFLEET_INJECT_KILL": "nginx:reload"}, -9),
    (("-v", "deploy", "bravo", "--env", "dev"), {}, 0),
    (("deploy", "charlie", "--env", "dev"), {"WPFLEET_INJECT_FAULT": "infra/wordpress@after"}, 4),
]
REPORTS = [
    (("--log-format", "json", "-v", "deploy", "delta", "--env", "sit"), {}, 0),
    (("deploy", "echo", "--env", "dev"), {}, 0),
    (("verify", "delta", "--env", "sit", "--format", "junit"), {}, 0),
    (("-o", "json", "verify", "echo", "--env", "dev"), {}, 0),
    (("-o", "json", "status"), {}, 0),
    (("history", "echo"), {}, 0),
    (("destroy", "echo", "--env", "dev", "--yes"), {}, 0),
    (("destroy", "delta", "--env", "sit", "--yes"), {}, 0),
]
#: issue 11 defect 8: restore points (manifest, dump, archive) and their commands;
#: ``{point}`` is the id the JSON ``backup create`` answered
BACKUPS = [
    (("deploy", "golf", "--env", "dev"), {}, 0),
    (("-o", "json", "-v", "backup", "create", "golf", "--env", "dev"), {}, 0),
    (("backup", "list", "golf", "--env", "dev"), {}, 0),
    (("-v", "backup", "restore", "golf", "{point}", "--env", "dev"), {}, 0),
]


def scan_run(fleet: Fleet, commands: list[tuple[tuple[str, ...], dict[str, str], int]]) -> None:
    """Run ``commands`` as real processes through the shims, then scan every place."""
    base = Path(tempfile.mkdtemp(prefix="wpfleet-leaks-"))
    base.chmod(0o755)
    log = base / "argv-env.log"
    log.touch()
    log.chmod(0o666)
    path = make_shims(base / "shims", log)
    outputs = []
    secrets: set[str] = set()
    with ProcSampler().running() as sampler:
        point = ""
        for args, extra, expected in commands:
            args = tuple(a.replace("{point}", point) for a in args)
            proc = fleet.sub(*args, env={"PATH": path, **extra})
            assert proc.returncode == expected, f"{args}: {proc.returncode} {proc.stderr}"
            outputs.append(proc.stdout + proc.stderr)
            secrets |= fleet.secret_values()  # gathered as they exist: destroy removes them
            if "backup" in args and "create" in args:
                point = json.loads(proc.stdout)["id"]
    recorded = log.read_bytes().decode("utf-8", "replace")
    assert "PATH=" in recorded, "the shims recorded nothing"
    assert sampler.samples > 10
    secrets |= fleet.secret_values()
    assert len(secrets) >= 4, "db admin, basic auth, and tenants' db and admin passwords"
    places = {
        "argv and environment of started programs": recorded,
        "/proc cmdline and environ samples": sampler.text(),
        "command output": "\n".join(outputs),
        "state store (journals, deployments, documents, reports)": dump_sqlite(
            fleet.root / ".wpfleet" / "state.db"
        ),
    }
    for file in text_files(fleet.root, fleet.runtime):
        places[str(file)] = file.read_text("utf-8", "replace")
        if file.suffix == ".gz":  # a restore point's dump and archive, unpacked
            places[f"{file} (unpacked)"] = gzip.decompress(file.read_bytes()).decode(
                "utf-8", "replace"
            )
    places["file names"] = "\n".join(
        str(f) for b in (fleet.root, fleet.runtime) for f in b.rglob("*")
    )
    assert len(places) > 20
    assert find_leaks(secrets, places) == []
    shutil.rmtree(base, ignore_errors=True)


def test_no_secret_leaks_across_a_kill_a_resume_and_a_rollback(fleet: Fleet) -> None:
    scan_run(fleet, CRASHES)


def test_no_secret_leaks_into_json_logs_reports_or_destroys(fleet: Fleet) -> None:
    scan_run(fleet, REPORTS)


def test_no_secret_leaks_into_restore_points_or_their_commands(fleet: Fleet) -> None:
    """A backup create, list and restore and the restore point taken before it: no
    secret in the manifest, the dump, the archive, file names, argv, logs or output."""
    scan_run(fleet, BACKUPS)  # no destroy in it: that would delete the secrets it scans for
    assert fleet.cli("destroy", "golf", "--env", "dev", "--yes").code == 0
    dumps = list((fleet.root / ".wpfleet").rglob("restore-points/dev/golf/*/*"))
    assert dumps, "no restore point was written where the scan looks"


def test_the_scanner_finds_a_planted_secret() -> None:
    """A scanner that cannot fail is a defect: plant each form and expect a hit."""
    secret = "s3cret-Value-0123456789"
    for form in encodings(secret):
        assert find_leaks({secret}, {"a log": f"line with {form} in it"})
    assert find_leaks({secret}, {"a log": "nothing here"}) == []
