"""End-to-end fixtures: a real fleet on this machine's nginx + php-fpm + MariaDB.

Each test module gets its own fleet (temp dir, free ports, own runtime dir); tests use
distinct tenant ids so they can share it. The CLI runs in-process (``cli``) where speed
matters and as a real process (``sub``) where the process itself is under test (SIGKILL,
concurrent runs, argv of children).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import requires
from wpfleet.cli.main import main

pytestmark = pytest.mark.stack

TENANTS = [
    ("alpha", "Alpha Bakery"),
    ("bravo", "Bravo Bistro"),
    ("charlie", "Charlie Law"),
    ("delta", "Delta Build"),
    ("echo", "Echo Lens"),
    ("foxtrot", "Foxtrot Tech"),
    ("golf", "Golf Spa"),
    ("hotel", "Hotel Petal"),
    ("india", "India Auto"),
    ("juliet", "Juliet Trust"),
    ("kilo", "Kilo Props"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fleet_text(dev_http: int, dev_db: int, sit_http: int, sit_db: int) -> str:
    tenants = "\n".join(
        f"  - {{id: {tid}, name: {name}, admin_email: owner@{tid}.example}}"
        for tid, name in TENANTS
    )
    return f"""fleet: e2e
environments:
  - name: dev
    backend: local
    domain: "{{tenant}}.wpdev.localhost"
    local: {{http_port: {dev_http}, db_port: {dev_db}, isolation: per-tenant}}
  - name: sit
    backend: local
    domain: "{{tenant}}.wpsit.localhost"
    basic_auth: true
    local: {{http_port: {sit_http}, db_port: {sit_db}, isolation: shared}}
tenants:
{tenants}
"""


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> object:
        return json.loads(self.out)


@dataclass
class Fleet:
    root: Path
    path: Path
    runtime: Path
    ports: dict[str, int]

    def cli(self, *args: str, env: Mapping[str, str] | None = None) -> Result:
        """In-process, like httpie's tests: exit status, stdout and stderr."""
        import contextlib
        import io

        out, err = io.StringIO(), io.StringIO()
        saved = {k: os.environ.get(k) for k in (env or {})}
        os.environ.update(env or {})
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main(["--fleet", str(self.path), *args])
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        return Result(int(code), out.getvalue(), err.getvalue())

    def sub(
        self, *args: str, env: Mapping[str, str] | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        """A real ``wpfleet`` process."""
        return subprocess.run(
            [sys.executable, "-m", "wpfleet.cli.main", "--fleet", str(self.path), *args],
            capture_output=True,
            text=True,
            env={**os.environ, **(env or {})},
            timeout=timeout,
        )

    def popen(self, *args: str, env: Mapping[str, str] | None = None) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "wpfleet.cli.main", "--fleet", str(self.path), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )

    def http(
        self, env: str, tenant: str, path: str = "/", auth: tuple[str, str] | None = None
    ) -> tuple[int, dict[str, str], str]:
        """GET with the tenant's Host header (port included, as WordPress wants it)."""
        import base64

        port = self.ports[env]
        host = f"{tenant}.wp{env}.localhost:{port}"
        req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Host": host})
        if auth:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            req.add_header("Authorization", f"Basic {token}")
        opener = urllib.request.build_opener(NoRedirect)
        try:
            with opener.open(req, timeout=10) as resp:
                return resp.status, dict(resp.headers), resp.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read().decode("utf-8", "replace")

    def secret_values(self) -> set[str]:
        """Every secret value wpfleet has generated for this fleet."""
        values: set[str] = set()
        for file in (self.root / ".wpfleet" / "secrets").rglob("*.json"):
            data = json.loads(file.read_text())
            values |= {v for v in data.values() if isinstance(v, str) and len(v) >= 12}
        return values


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


@contextlib.contextmanager
def running_fleet(root: Path, text: str, ports: dict[str, int], prefix: str) -> Iterator[Fleet]:
    """A fleet file written under ``root`` with its platform up for the block, then down.

    The runtime directory is not under pytest's 0700 temp root: per-tenant uids must be
    able to traverse it."""
    path = root / "fleet.yaml"
    path.write_text(text)
    runtime = Path(tempfile.mkdtemp(prefix=prefix))
    runtime.chmod(0o755)
    old = os.environ.get("WPFLEET_RUNTIME_DIR")
    os.environ["WPFLEET_RUNTIME_DIR"] = str(runtime)
    f = Fleet(root, path, runtime, ports)
    try:
        up = f.cli("platform", "up")
        assert up.code == 0, up.err
        yield f
    finally:
        f.cli("platform", "down")
        if old is None:
            os.environ.pop("WPFLEET_RUNTIME_DIR", None)
        else:
            os.environ["WPFLEET_RUNTIME_DIR"] = old
        shutil.rmtree(runtime, ignore_errors=True)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    requires.require(requires.LOCAL_STACK, "the local stack")
    root = tmp_path_factory.mktemp("fleet")
    ports = {"dev": free_port(), "dev_db": free_port(), "sit": free_port(), "sit_db": free_port()}
    text = fleet_text(ports["dev"], ports["dev_db"], ports["sit"], ports["sit_db"])
    with running_fleet(root, text, ports, "wpfleet-e2e-") as f:
        yield f
