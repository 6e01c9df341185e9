"""Export + import + proof of a ~100 MB database beside a plain ``mariadb-dump | mariadb``
of the same database, in one run, on one MariaDB (target: at most 1.5x).

wpfleet's side: export_database (dump streamed through gzip, rows counted, CHECKSUM
TABLE, manifest), then import_database into another database as that database's own user
(dump check, load into shadow tables, proof with PHP's unserialize(), one RENAME swap).

Each repeat copies the same source into fresh databases, the plain way then wpfleet's, one
right after the other; the figures reported are the medians over the repeats (every run is
kept in ``runs``), with the load average before each run.

Run: python -m benchmarks.content_transfer [--size-mb 100] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from tests.backends.aws.infra import MariaDB, make_mariadb_root, start_mariadb

from benchmarks.common import save
from benchmarks.wpdump import HOST, generate
from wpfleet.content.dbconn import DbSpec, client_argv, defaults_file
from wpfleet.content.export import export_database
from wpfleet.content.importer import import_database
from wpfleet.content.manifest import Manifest


def tenant(db: MariaDB, name: str) -> DbSpec:
    db.query(f"CREATE DATABASE `{name}_db` CHARACTER SET utf8mb4")
    db.query(f"CREATE USER '{name}_user'@'%' IDENTIFIED BY 'bench-{name}-pw'")
    db.query(f"GRANT ALL PRIVILEGES ON `{name}_db`.* TO '{name}_user'@'%'")
    return DbSpec("127.0.0.1", db.port, f"{name}_user", f"bench-{name}-pw", f"{name}_db")


def plain_copy(src: DbSpec, dst: DbSpec) -> float:
    """``mariadb-dump --single-transaction --no-tablespaces SRC | mariadb DST``."""
    with defaults_file(src) as a, defaults_file(dst) as b:
        started = time.perf_counter()
        dump = subprocess.Popen(
            client_argv("mariadb-dump", a, "--single-transaction", "--no-tablespaces",
                        src.database), stdout=subprocess.PIPE)  # fmt: skip
        load = subprocess.run(client_argv("mariadb", b, dst.database), stdin=dump.stdout)
        dump.wait()
        elapsed = time.perf_counter() - started
    if dump.returncode or load.returncode:
        raise SystemExit("the plain copy failed")
    return elapsed


def one_run(db: MariaDB, src: DbSpec, work: Path, n: int) -> dict[str, object]:
    """The plain copy, then wpfleet's export + import + proof, into fresh databases."""
    plain, ours = tenant(db, f"plain{n}"), tenant(db, f"ours{n}")
    load = os.getloadavg()
    plain_s = plain_copy(src, plain)
    started = time.perf_counter()
    manifest = export_database(src, work / f"export{n}")
    export_s = time.perf_counter() - started
    result = import_database(ours, work / f"export{n}", expected_url=f"https://{HOST}")
    total_s = time.perf_counter() - started
    return {
        "load_average_at_start": load,
        "plain_dump_pipe_load_s": round(plain_s, 2),
        "wpfleet_export_s": round(export_s, 2),
        "wpfleet_import_and_proof_s": round(total_s - export_s, 2),
        "wpfleet_total_s": round(total_s, 2),
        "ratio": round(total_s / plain_s, 2),
        "proof_ok": result.proof.ok,
        "serialized_values_proved": result.proof.serialized_values,
        "manifest": manifest,
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    root = make_mariadb_root()
    work = Path(tempfile.mkdtemp(prefix="wpfleet-bench-transfer-"))
    db = start_mariadb(root)
    try:
        src = tenant(db, "src")
        seed = work / "seed.sql"
        generate(seed, args.size_mb * 1_000_000, host=HOST)
        with defaults_file(src) as cnf, open(seed, "rb") as f:
            subprocess.run(client_argv("mariadb", cnf, src.database), stdin=f, check=True)
        load_at_start = os.getloadavg()
        runs = [one_run(db, src, work, n) for n in range(args.repeats)]
        manifest = runs[0].pop("manifest")
        for run in runs[1:]:
            run.pop("manifest")
        assert isinstance(manifest, Manifest)
        median = {
            key: statistics.median(float(r[key]) for r in runs)  # type: ignore[arg-type]
            for key in ("plain_dump_pipe_load_s", "wpfleet_export_s",
                        "wpfleet_import_and_proof_s", "wpfleet_total_s", "ratio")
        }  # fmt: skip
        save("content_transfer", {
            "dump_sql_bytes": manifest.sql_bytes,
            "load_average_at_start": load_at_start,
            "load_average_at_end": os.getloadavg(),
            "dump_gzip_bytes": manifest.dump_bytes,
            "rows": manifest.rows,
            "repeats": args.repeats,
            **median,
            "target_ratio": 1.5,
            "proof_ok": all(r["proof_ok"] for r in runs),
            "serialized_values_proved": runs[0]["serialized_values_proved"],
            "runs": runs,
        })  # fmt: skip
    finally:
        db.proc.terminate()
        db.proc.wait(timeout=60)
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
