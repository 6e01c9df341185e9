"""The environment's own nginx master: routes by Host header on the environment's port
(like the ALB), one server block per tenant, basic auth where the environment asks.

Started with ``-e ABS_PATH -c CONF`` (otherwise it fails on its compiled-in error log).
Reload is asynchronous, so after a SIGHUP we poll a tiny ping location of the vhost
until it answers with the new vhost's fingerprint header.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
from dataclasses import dataclass
from pathlib import Path

from wpfleet import grammar, seams
from wpfleet.backends.local import probe, proc
from wpfleet.backends.local.paths import EnvPaths, TenantPaths, is_root
from wpfleet.errors import BackendError

PING_PATH = "/.wpfleet-ping"
TENANT_HEADER = "X-Wpfleet-Tenant"
VHOST_HEADER = "X-Wpfleet-Vhost"


@dataclass(frozen=True)
class VhostSpec:
    tenant: str
    host: str
    listen: str
    core: Path
    files: TenantPaths
    socket: Path
    htpasswd: Path | None

    def body(self) -> str:
        """The server block. Every value in it passes ``grammar.config_token`` here, so no
        name or path can end a directive or open a block (issue 11)."""
        for value in (self.tenant, self.host, self.listen, self.core, self.socket):
            grammar.config_token(value)
        for value in (self.files.root, self.htpasswd or "-"):
            grammar.config_token(value)
        auth = (
            f'    auth_basic "restricted";\n    auth_basic_user_file {self.htpasswd};\n'
            if self.htpasswd
            else ""
        )
        f = self.files
        return (
            "server {\n"
            f"    listen {self.listen};\n"
            f"    server_name {self.host};\n"
            f"    root {self.core};\n"
            "    index index.php;\n"
            "    client_max_body_size 64m;\n"
            f"    access_log {f.nginx_access_log};\n"
            f"    error_log {f.nginx_error_log};\n"
            f"    add_header {TENANT_HEADER} {self.tenant} always;\n"
            f"{auth}"
            f"    location = {PING_PATH} {{ auth_basic off; access_log off; return 204; }}\n"
            "    location = /wp-config.php { deny all; }\n"
            "    location ~ /\\. { deny all; }\n"
            "    location ^~ /wp-content/ {\n"
            f"        alias {f.content}/;\n"
            f"        disable_symlinks if_not_owner from={f.content};\n"
            "        location ~ \\.(php|phtml|phar)$ { deny all; }\n"
            "    }\n"
            "    location / { try_files $uri $uri/ /index.php?$args; }\n"
            "    location ~ \\.php$ {\n"
            "        try_files $uri =404;\n"
            "        include /etc/nginx/fastcgi_params;\n"
            "        fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;\n"
            # Debian's fastcgi_params passes HTTP_HOST as $host, without the port, and
            # WordPress then redirects every page to itself: give it the port back
            # (built from the matched server name, not the raw client header).
            "        fastcgi_param HTTP_HOST $host:$server_port;\n"
            f"        fastcgi_param WPFLEET_TENANT_CONFIG {f.config};\n"
            f"        fastcgi_pass unix:{self.socket};\n"
            "    }\n"
            "}\n"
        )

    def fingerprint(self) -> str:
        return hashlib.sha256(self.body().encode()).hexdigest()[:16]

    def render(self) -> str:
        """The body plus a header carrying its fingerprint, so a probe sees which
        version of the vhost answered."""
        body = self.body()
        marker = f"    add_header {VHOST_HEADER} {self.fingerprint()} always;\n"
        return "# written by wpfleet\n" + body.replace(
            "    index index.php;\n", "    index index.php;\n" + marker, 1
        )


class Nginx:
    def __init__(self, paths: EnvPaths, port: int, bind: str = "127.0.0.1") -> None:
        self.paths = paths
        self.port = port
        self.bind = bind
        self.conf = paths.nginx / "nginx.conf"
        self.pid_file = paths.run / "nginx.pid"
        self.error_log = paths.logs / "nginx-error.log"
        self.lock = paths.locks / "nginx.lock"
        self.loaded = proc.LoadedConfigs(paths.run / "nginx.loaded", self.config_files)

    def config_files(self) -> list[Path]:
        """Every file the master reads: its own config and the vhosts."""
        return [self.conf, *sorted(self.paths.vhosts.glob("*.conf"))]

    def is_loaded(self, tenant: str) -> bool:
        """True when the running master serves exactly the vhost file now on disk."""
        return self.loaded.holds(self.vhost_file(tenant))

    @property
    def listen(self) -> str:
        return f"{self.bind}:{self.port}"

    def pid(self) -> int | None:
        return proc.read_pid(self.pid_file)

    def running(self) -> bool:
        return self.pid() is not None

    def vhost_file(self, tenant: str) -> Path:
        return self.paths.vhosts / f"{tenant}.conf"

    def render_master(self) -> str:
        n = self.paths.nginx
        user = "user www-data www-data;\n" if is_root() else ""
        temps = "".join(
            f"    {kind}_temp_path {n / 'tmp' / kind};\n"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        return (
            "# written by wpfleet: this environment's own nginx\n"
            f"{user}worker_processes 1;\n"
            f"pid {self.pid_file};\n"
            f"error_log {self.error_log};\n"
            "events { worker_connections 512; }\n"
            "http {\n"
            "    include /etc/nginx/mime.types;\n"
            "    default_type application/octet-stream;\n"
            "    sendfile on;\n    server_tokens off;\n"
            f"    access_log off;\n{temps}"
            f"    server {{ listen {self.listen} default_server; return 404; }}\n"
            f"    include {self.paths.vhosts}/*.conf;\n"
            "}\n"
        )

    def prepare(self) -> bool:
        """Write the master config; True when it changed."""
        proc.ensure_dir(self.paths.vhosts, mode=0o755)
        proc.ensure_dir(self.paths.nginx / "tmp", mode=0o755)
        return proc.write_file(self.conf, self.render_master())

    def still_loaded(self, path: Path) -> bool:
        """True when the running master loaded ``path`` and no reload has dropped it yet
        (a run killed between removing the file and the reload)."""
        return self.running() and str(path) in self.loaded.loaded()

    def start(self) -> None:
        """Start the master; what it reads at start is what it has loaded."""
        snapshot = self.loaded.snapshot()
        argv = ["nginx", "-e", str(self.error_log), "-c", str(self.conf), "-g", "daemon off;"]
        proc.spawn(argv, self.paths.logs / "nginx.out")
        self.loaded.record(snapshot)

    def wait_ready(self, timeout: float = 10.0) -> None:
        def ready() -> bool:
            return self.running() and proc.tcp_open(self.bind, self.port)

        if not proc.wait_for(ready, timeout):
            raise BackendError(f"nginx did not start on {self.listen}: {_tail(self.error_log)}")

    def stop(self) -> None:
        proc.stop_pid(self.pid())

    def apply_vhost(self, spec: VhostSpec) -> None:
        """Write the vhost; reload when it changed (unless a reload that started after our
        write already picked it up); wait until that version answers."""
        self.write_vhost(spec.tenant, spec.host, spec.render())

    def write_vhost(self, tenant: str, host: str, text: str) -> None:
        """Write a vhost's text, test the whole configuration, reload, wait until that
        version answers. A configuration nginx refuses is taken back at once (the previous
        text restored, or the file removed), so one tenant's bad vhost never blocks the
        reloads of every other tenant. A file already written but never loaded (a run
        killed before its reload) is tested and reloaded all the same."""
        path = self.vhost_file(tenant)
        with proc.file_lock(self.lock):  # tested alone: another tenant's write waits
            previous = path.read_text() if path.exists() else None
            changed = proc.write_file(path, text)
            if changed or not self.loaded.holds(path):
                try:
                    self.test_config()
                except BackendError:
                    if changed and previous is None:
                        path.unlink(missing_ok=True)
                    elif changed and previous is not None:
                        proc.write_file(path, previous)
                    raise
        with proc.file_lock(self.lock):  # a reload begun since our write covers it
            if not self.loaded.holds(path):
                self.reload()
        self.wait_vhost(host, vhost_fingerprint(text))

    def test_config(self) -> None:
        """``nginx -t`` on the whole configuration (as the reload would read it)."""
        seams.point("nginx:test")
        proc.run(
            ["nginx", "-t", "-q", "-e", str(self.error_log), "-c", str(self.conf)],
            what="nginx -t (the new vhost was refused and taken back)",
            timeout=30,
        )

    def remove_vhost(self, tenant: str, host: str) -> None:
        with proc.file_lock(self.lock):
            path = self.vhost_file(tenant)
            if not (path.exists() or self.still_loaded(path)):
                return
            path.unlink(missing_ok=True)
            self.reload()
        self.wait_vhost(host, None)

    def reload_locked(self) -> None:
        with proc.file_lock(self.lock):
            self.reload()

    def reload(self) -> None:
        """SIGHUP, then wait until the old workers are gone: the master lets them accept
        requests (with the previous configuration) for another ~100 ms."""
        pid = self.pid()
        if pid is None:
            return
        old_workers = proc.child_pids(pid)
        snapshot = self.loaded.snapshot()
        seams.point("nginx:reload")
        os.kill(pid, signal.SIGHUP)
        seams.point("nginx:reload@after")
        if not proc.wait_for(lambda: not old_workers & proc.child_pids(pid), 10.0):
            raise BackendError(f"nginx did not finish reloading: {_tail(self.error_log)}")
        self.loaded.record(snapshot)

    def answering_version(self, host: str) -> str | None:
        reply = probe.request(self.port, host, PING_PATH, timeout=2.0, address=self.bind)
        return reply.header(VHOST_HEADER) or None

    def wait_vhost(self, host: str, fingerprint: str | None, timeout: float = 10.0) -> None:
        """Poll until ``host`` is served by the vhost version ``fingerprint`` (None: by no
        vhost at all)."""
        if self.pid() is None:
            return
        if not proc.wait_for(lambda: self.answering_version(host) == fingerprint, timeout):
            raise BackendError(
                f"nginx did not pick up the vhost for {host}: {_tail(self.error_log)}"
            )


def vhost_fingerprint(text: str) -> str | None:
    """The version a vhost's text announces in its ``X-Wpfleet-Vhost`` header."""
    match = re.search(rf"add_header {VHOST_HEADER} (\S+) always;", text)
    return match.group(1) if match else None


def _tail(path: Path, size: int = 1500) -> str:
    try:
        return path.read_bytes()[-size:].decode(errors="replace").strip()
    except OSError:
        return "(no log)"
