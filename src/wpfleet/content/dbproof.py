"""Prove a loaded database: rows per table as expected, no old host left (plain,
JSON-escaped or URL-encoded), every serialized value still unserializes with PHP's own
``unserialize()`` (nested ones too), and ``home``/``siteurl`` as expected.

The host search runs in the server (``INSTR`` over every text column, one query per
table); serialized-looking values stream through ONE php-cli process on stdin, length
prefixed, so a million values cost one PHP start-up.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from wpfleet.content.dbconn import DbSpec, client_argv, defaults_file, quote_ident
from wpfleet.content.searchreplace import variants
from wpfleet.errors import BackendError

TEXT_TYPES = (
    "char", "varchar", "tinytext", "text", "mediumtext", "longtext", "json",
    "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob",
)  # fmt: skip
MAX_LISTED = 50

# Reads "#label" lines (label k is the k-th, from 0) and "<k>:<length>\n<bytes>\n" records
# ("<length>\n…": the last label's; WPF_SEP=0: no trailing newline), empty lines skipped;
# prints how many serialized values it checked, then "label value #n" for each value that
# does not unserialize (nested strings included; n counts that label's values).
PHP_CHECK = r"""
function wpf_is_ser($d) {
    $d = trim($d);
    if ($d === 'N;') return true;
    if (strlen($d) < 4 || $d[1] !== ':') return false;
    $last = substr($d, -1);
    if ($last !== ';' && $last !== '}') return false;
    $t = $d[0];
    if (strpos('saOEC', $t) !== false) return (bool) preg_match("/^{$t}:[0-9]+:/s", $d);
    if (strpos('bid', $t) !== false) return (bool) preg_match("/^{$t}:[0-9.E+-]+;\$/", $d);
    return false;
}
function wpf_check($v, &$n) {
    if (is_array($v) || is_object($v)) {
        foreach ((array) $v as $k => $x) {
            if (!wpf_check($k, $n) || !wpf_check($x, $n)) return false;
        }
        return true;
    }
    if (!is_string($v) || !wpf_is_ser($v)) return true;
    $n++;
    $s = trim($v);
    $u = @unserialize($s, ['allowed_classes' => false]);
    if ($u === false && $s !== 'b:0;') return false;
    return wpf_check($u, $n);
}
$in = fopen('php://stdin', 'rb');
$n = 0; $seen = []; $bad = []; $labels = []; $label = ''; $sep = getenv('WPF_SEP') !== '0';
while (($h = fgets($in)) !== false) {
    if ($h === "\n") continue;  // a row's end
    if ($h[0] === '#') { $labels[] = $label = rtrim(substr($h, 1), "\n"); continue; }
    $c = strpos($h, ':');  // "<label number>:<length>", or "<length>" under the last label
    if ($c !== false) { $label = $labels[(int) substr($h, 0, $c)]; $h = substr($h, $c + 1); }
    $len = (int) $h; $v = '';
    while (strlen($v) < $len) {
        $c = fread($in, $len - strlen($v));
        if ($c === false || $c === '') break;
        $v .= $c;
    }
    if ($sep) fread($in, 1);  // the record's end
    $seen[$label] = ($seen[$label] ?? 0) + 1;
    if (!wpf_check($v, $n)) $bad[] = "$label value #" . $seen[$label];
}
echo $n, "\n", implode("\n", $bad), "\n";
"""


@dataclass
class DbProof:
    """What the proof found; ``ok`` is the verdict, ``problems`` says why not."""

    rows: dict[str, int] = field(default_factory=dict)
    serialized_values: int = 0
    bad_serialized: list[str] = field(default_factory=list)  # "table.column row #n"
    leftovers: dict[str, int] = field(default_factory=dict)  # "table.column (form)" → rows
    urls: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    check_error: BaseException | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return not self.problems


def prove_database(
    spec: DbSpec,
    tables: Mapping[str, str],
    *,
    expected_rows: Mapping[str, int] | None = None,
    old_hosts: Sequence[str] = (),
    expected_url: str | None = None,
    table_prefix: str = "wp_",
    php: str = "php",
) -> DbProof:
    """Prove ``tables`` (name in the dump → table in the database, e.g. a shadow table)."""
    proof = measure_tables(spec, tables, old_hosts=old_hosts, table_prefix=table_prefix, php=php)
    judge(proof, expected_rows, old_hosts, expected_url)
    return proof


def measure_tables(
    spec: DbSpec,
    tables: Mapping[str, str],
    *,
    old_hosts: Sequence[str] = (),
    table_prefix: str = "wp_",
    php: str = "php",
) -> DbProof:
    """What the proof reads in the database for ``tables`` (rows, old hosts, serialized
    values, URLs), not yet judged (:func:`judge`); parts measured apart :func:`merge`."""
    proof = DbProof()
    conn = spec.connect()
    try:
        with conn.cursor() as cur:
            columns = _text_columns(cur, spec.database, tables)
            # the PHP check (its own client and php-cli) runs while the counts are taken
            php_check = threading.Thread(
                target=_serialized, args=(spec, proof, tables, columns, php), daemon=True
            )
            php_check.start()
            try:
                for name, physical in tables.items():
                    cur.execute(f"SELECT COUNT(*) FROM {quote_ident(physical)}")
                    proof.rows[name] = int(cur.fetchone()[0])
                _leftovers(cur, proof, tables, columns, old_hosts)
                _urls(cur, proof, tables.get(table_prefix + "options"))
            finally:
                php_check.join()
        if proof.check_error is not None:
            raise proof.check_error
    finally:
        conn.close()
    return proof


def merge(parts: Sequence[DbProof]) -> DbProof:
    """One proof of the tables that ``parts`` measured apart."""
    whole = DbProof()
    for part in parts:
        whole.rows.update(part.rows)
        whole.serialized_values += part.serialized_values
        whole.bad_serialized += part.bad_serialized
        whole.leftovers.update(part.leftovers)
        whole.urls.update(part.urls)
        whole.problems += part.problems
    whole.bad_serialized = whole.bad_serialized[:MAX_LISTED]
    return whole


def _text_columns(cur: Any, database: str, tables: Mapping[str, str]) -> dict[str, list[str]]:
    """name → its text-like columns (searched for hosts and serialized values)."""
    marks = ", ".join(["%s"] * len(TEXT_TYPES))
    out: dict[str, list[str]] = {}
    for name, physical in tables.items():
        cur.execute(
            "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = %s "
            f"AND TABLE_NAME = %s AND DATA_TYPE IN ({marks}) ORDER BY ORDINAL_POSITION",
            (database, physical, *TEXT_TYPES),
        )
        out[name] = [str(r[0]) for r in cur.fetchall()]
    return out


def _forms(host: str) -> list[tuple[str, str]]:
    return [(v.form, v.old.decode("utf-8")) for v in variants([(host, host)])]


def _leftovers(
    cur: Any,
    proof: DbProof,
    tables: Mapping[str, str],
    columns: Mapping[str, list[str]],
    old_hosts: Sequence[str],
) -> None:
    checks = [(form, text) for host in old_hosts for form, text in _forms(host)]
    if not checks:
        return
    for name, cols in columns.items():
        if not cols:
            continue
        physical = tables[name]
        exprs, args, labels = [], [], []
        for col in cols:
            for form, text in checks:
                exprs.append(f"COALESCE(SUM(INSTR({quote_ident(col)}, %s) > 0), 0)")
                args.append(text)
                labels.append(f"{name}.{col} ({form}: {text})")
        cur.execute(f"SELECT {', '.join(exprs)} FROM {quote_ident(physical)}", args)
        for label, count in zip(labels, cur.fetchone(), strict=True):
            if int(count):
                proof.leftovers[label] = int(count)


def _urls(cur: Any, proof: DbProof, options: str | None) -> None:
    if options is None:
        return
    cur.execute(
        f"SELECT option_name, option_value FROM {quote_ident(options)} "
        "WHERE option_name IN ('home', 'siteurl')"
    )
    for key, value in cur.fetchall():
        proof.urls[str(key)] = value.decode() if isinstance(value, bytes) else str(value)


def _serialized(
    spec: DbSpec,
    proof: DbProof,
    tables: Mapping[str, str],
    columns: Mapping[str, list[str]],
    php: str,
) -> None:
    """Every serialized-looking value, from the ``mariadb`` client straight into ONE php
    process (a pipe between two C programs: no Python per value); record the broken.
    Runs in a thread: what it raises is kept in ``proof.check_error`` for the caller."""
    try:
        _serialized_check(spec, proof, tables, columns, php)
    except BaseException as exc:  # re-raised by prove_database
        proof.check_error = exc


def _serialized_check(
    spec: DbSpec,
    proof: DbProof,
    tables: Mapping[str, str],
    columns: Mapping[str, list[str]],
    php: str,
) -> None:
    sql = _values_sql(tables, columns)
    if not sql:
        return
    with defaults_file(spec) as cnf:
        argv = client_argv("mariadb", cnf, "--batch", "--raw", "--skip-column-names",
                           "--default-character-set=utf8mb4", spec.database)  # fmt: skip
        client = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert client.stdin is not None
        checker = subprocess.Popen(
            [php, "-r", PHP_CHECK], stdin=client.stdout, stdout=subprocess.PIPE
        )
        assert client.stdout is not None
        client.stdout.close()  # php holds it now
        client.stdin.write(sql.encode("utf-8"))
        client.stdin.close()
        out, _ = checker.communicate()
        client.wait()
    if client.returncode or checker.returncode:
        codes = f"mariadb {client.returncode}, php {checker.returncode}"
        hint = "are mariadb-client and php-cli installed?"
        raise BackendError(f"the serialized-value proof could not run ({codes})", hint=hint)
    lines = out.decode("utf-8", "replace").split("\n")
    proof.serialized_values = int(lines[0] or 0)
    bad = [x for x in lines[1:] if x.strip()]
    proof.bad_serialized = bad[:MAX_LISTED]
    if bad:
        proof.problems.append(f"{len(bad)} serialized value(s) do not unserialize in PHP")


def _values_sql(tables: Mapping[str, str], columns: Mapping[str, list[str]]) -> str:
    """The ``#label`` rows (one per text column), then ONE scan per table: each row that
    holds a serialized-looking value gives ``<label>:<length>\n<value>\n`` for each."""
    labels: list[str] = []
    scans: list[str] = []
    for name, cols in columns.items():
        records, wheres = [], []
        for col in cols:
            c = quote_ident(col)
            looks = (
                f"LEFT({c}, 2) IN ('a:', 'O:', 's:', 'C:', 'E:', 'i:', 'b:', 'd:', 'N;') "
                f"AND RIGHT(TRIM({c}), 1) IN (';', '}}')"
            )
            records.append(
                f"IF({looks}, CONCAT('{len(labels)}:', LENGTH({c}), '\\n', {c}, '\\n'), '')"
            )
            wheres.append(f"({looks})")
            labels.append("SELECT '#" + f"{name}.{col}".replace("'", "") + "';")
        if records:
            scans.append(
                f"SELECT CONCAT({', '.join(records)}) FROM {quote_ident(tables[name])} "
                f"WHERE {' OR '.join(wheres)};"
            )
    if not scans:
        return ""
    return "\n".join([*labels, *scans]) + "\n"


def judge(
    proof: DbProof,
    expected_rows: Mapping[str, int] | None,
    old_hosts: Sequence[str],
    expected_url: str | None,
) -> None:
    """Add to ``proof.problems`` what its measures show to be wrong."""
    if expected_rows is not None and dict(expected_rows) != proof.rows:
        diff = {
            t: (expected_rows.get(t), proof.rows.get(t))
            for t in set(expected_rows) | set(proof.rows)
            if expected_rows.get(t) != proof.rows.get(t)
        }
        proof.problems.append(f"row counts differ (expected, found): {diff}")
    if proof.leftovers:
        shown = ", ".join(list(proof.leftovers)[:5])
        proof.problems.append(f"an old host is left in {len(proof.leftovers)} column(s): {shown}")
    if expected_url is not None:
        want = expected_url.rstrip("/")
        for key in ("home", "siteurl"):
            got = proof.urls.get(key)
            if got is None or got.rstrip("/") != want:
                proof.problems.append(f"{key} is {got!r}, expected {want!r}")
