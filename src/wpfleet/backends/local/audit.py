"""Isolation audit of a local environment's tenants, by trying (``wpfleet audit isolation``).

For each tenant A, against every other tenant B of the environment:

- **database**: A's database user connects with A's own password (from A's 0600 secret
  file, in process: never argv) and lists B's tables; that must be refused, while
  listing A's own must work (else the probe proves nothing and says so);
- **pool-uid**: A's PHP runs under a uid of its own, not root, not shared with any B;
- **file-modes**: A's ``wp-config.php`` gives nothing to other users (mode ``0640`` or
  tighter) and A's nginx logs are root's, closed to others;
- **php-probe**: a PHP script placed in A's own tmp dir for the audit and run by A's
  php-fpm pool (FastCGI straight to its socket) tries to read each B's
  ``wp-config.php``: every read must fail, while its own succeeds;
- **php-limits**: the same probe reports ``open_basedir`` set and every command-running
  function disabled (``phpfpm.DISABLED_FUNCTIONS``).
"""

from __future__ import annotations

import json
import os
import secrets
import stat
from pathlib import Path
from typing import Any

import pymysql

from wpfleet.backends.local import fastcgi, secretfiles
from wpfleet.backends.local.phpfpm import DISABLED_FUNCTIONS
from wpfleet.backends.local.tenant import LocalTenant
from wpfleet.backends.local.wordpress import php_str
from wpfleet.context import AuditFinding

DENIED = (1044, 1045, 1142, 1049)  # access denied to database / user / table; unknown db


def audit(tenants: list[LocalTenant]) -> list[AuditFinding]:
    out: list[AuditFinding] = []
    for a in tenants:
        others = [b for b in tenants if b.id != a.id]
        out.append(_database(a, others))
        out.append(_pool_uid(a, others))
        out.append(_file_modes(a))
        out += _php_probe(a, others)
    return out


def _database(a: LocalTenant, others: list[LocalTenant]) -> AuditFinding:
    secret = secretfiles.read_secret(a.secret_path) or {}
    if "db_password" not in secret:
        return AuditFinding(a.id, "database", False, "no database secret: not deployed here?")
    try:
        conn = pymysql.connect(
            host="127.0.0.1",
            port=a.ctx.env.local_settings.db_port,
            user=a.ctx.names.db_user,
            password=secret["db_password"],
            connect_timeout=5,
        )
    except pymysql.MySQLError as exc:
        return AuditFinding(a.id, "database", False, f"cannot connect as its own user: {exc}")
    reached: list[str] = []
    try:
        with conn.cursor() as cur:
            cur.execute(f"SHOW TABLES FROM `{a.ctx.names.database}`")
            for b in others:
                try:
                    cur.execute(f"SHOW TABLES FROM `{b.ctx.names.database}`")
                    reached.append(b.ctx.names.database)
                except pymysql.MySQLError as exc:
                    if exc.args[0] not in DENIED:
                        reached.append(f"{b.ctx.names.database} (unexpected: {exc.args[0]})")
    except pymysql.MySQLError as exc:
        return AuditFinding(a.id, "database", False, f"cannot read its own database: {exc}")
    finally:
        conn.close()
    if reached:
        return AuditFinding(a.id, "database", False, "reads " + ", ".join(reached))
    return AuditFinding(a.id, "database", True, f"refused on {len(others)} other database(s)")


def _pool_uid(a: LocalTenant, others: list[LocalTenant]) -> AuditFinding:
    if not a.own_pool:
        return AuditFinding(
            a.id, "pool-uid", False, "shares the environment's pool (isolation: shared)"
        )
    uid = a.known_uid()
    if not a.own_uid or uid is None or uid == 0:
        return AuditFinding(a.id, "pool-uid", False, f"no uid of its own (uid {uid})")
    shared = [b.id for b in others if b.own_pool and b.known_uid() == uid]
    if shared:
        return AuditFinding(a.id, "pool-uid", False, f"uid {uid} also runs " + ", ".join(shared))
    return AuditFinding(a.id, "pool-uid", True, f"uid {uid}")


def _file_modes(a: LocalTenant) -> AuditFinding:
    problems: list[str] = []
    for path, what in ((a.files.config, "wp-config.php"), (a.files.nginx_logs, "nginx-logs")):
        try:
            st = path.stat()
        except FileNotFoundError:
            problems.append(f"{what} missing")
            continue
        if st.st_mode & stat.S_IRWXO:
            problems.append(f"{what} mode {stat.S_IMODE(st.st_mode):04o} opens it to others")
    nginx_logs = a.files.nginx_logs
    if nginx_logs.exists() and nginx_logs.stat().st_uid != 0 and os.geteuid() == 0:
        problems.append("nginx-logs not owned by root")
    if problems:
        return AuditFinding(a.id, "file-modes", False, "; ".join(problems))
    return AuditFinding(a.id, "file-modes", True, "wp-config.php and nginx logs closed to others")


def _probe_source(a: LocalTenant, others: list[LocalTenant]) -> str:
    lines = [
        "<?php",
        "$r = array('own' => @file_get_contents(" + php_str(a.files.config) + ") !== false);",
    ]
    lines.append("$r['others'] = array();")
    for b in others:
        key, path = php_str(b.id), php_str(b.files.config)
        lines.append(f"$r['others'][{key}] = @file_get_contents({path}) !== false;")
    lines += [
        "$r['open_basedir'] = (string) ini_get('open_basedir');",
        "$r['disabled'] = (string) ini_get('disable_functions');",
        "header('Content-Type: application/json'); echo json_encode($r);",
    ]
    return "\n".join(lines) + "\n"


def _php_probe(a: LocalTenant, others: list[LocalTenant]) -> list[AuditFinding]:
    """Run the probe in A's pool; two findings: php-probe and php-limits."""
    probe = a.files.tmp / f"wpfleet-audit-{secrets.token_hex(8)}.php"
    try:
        probe.write_text(_probe_source(a, others), encoding="utf-8")
        probe.chmod(0o644)
        reply = fastcgi.get(a.socket, _params(probe), timeout=15.0)
    except OSError as exc:
        down = f"could not run a probe in its pool: {type(exc).__name__}: {exc}"
        return [
            AuditFinding(a.id, "php-probe", False, down),
            AuditFinding(a.id, "php-limits", False, down),
        ]
    finally:
        probe.unlink(missing_ok=True)
    body = reply.split(b"\r\n\r\n", 1)[-1]
    try:
        seen = json.loads(body)
    except ValueError:
        text = body[:200].decode(errors="replace")
        bad = f"the probe did not answer JSON: {text!r}"
        return [
            AuditFinding(a.id, "php-probe", False, bad),
            AuditFinding(a.id, "php-limits", False, bad),
        ]
    return [_probe_finding(a, seen), _limits_finding(a, seen)]


def _params(probe: Path) -> dict[str, str]:
    return {
        "GATEWAY_INTERFACE": "CGI/1.1",
        "REQUEST_METHOD": "GET",
        "SCRIPT_FILENAME": str(probe),
        "SCRIPT_NAME": "/" + probe.name,
        "DOCUMENT_ROOT": str(probe.parent),
        "REQUEST_URI": "/" + probe.name,
        "QUERY_STRING": "",
        "SERVER_NAME": "audit.invalid",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
    }


def _probe_finding(a: LocalTenant, seen: dict[str, Any]) -> AuditFinding:
    raw = seen.get("others")
    others: dict[str, Any] = raw if isinstance(raw, dict) else {}  # PHP: [] when empty
    read = sorted(k for k, v in others.items() if v)
    if not seen.get("own"):
        return AuditFinding(
            a.id,
            "php-probe",
            False,
            "its PHP cannot read its own wp-config.php: the probe proves nothing",
        )
    if read:
        return AuditFinding(
            a.id, "php-probe", False, "its PHP reads wp-config.php of " + ", ".join(read)
        )
    return AuditFinding(
        a.id, "php-probe", True, f"its PHP cannot read {len(others)} other wp-config.php"
    )


def _limits_finding(a: LocalTenant, seen: dict[str, Any]) -> AuditFinding:
    basedir = str(seen.get("open_basedir") or "")
    disabled = {f.strip() for f in str(seen.get("disabled") or "").split(",")}
    missing = [f for f in DISABLED_FUNCTIONS if f not in disabled]
    problems = ([] if basedir else ["open_basedir not set"]) + (
        [f"not disabled: {', '.join(missing)}"] if missing else []
    )
    if problems:
        return AuditFinding(a.id, "php-limits", False, "; ".join(problems))
    return AuditFinding(a.id, "php-limits", True, "open_basedir set; command functions disabled")
