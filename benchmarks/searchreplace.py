"""search-replace: wpfleet beside Automattic's go-search-replace, same dumps, one run.

* A generated WordPress-like dump of ~100 MB (benchmarks/wpdump.py), 1 pair (bare host)
  and 3 pairs (http://, https://, bare host). MB/s = input bytes / wall seconds.
* Correctness of every output: byte-identical to the same dump generated for the new
  host (the generator is deterministic), row counts, and the PHP proof (every serialized
  value, nested ones too, through php-cli's own unserialize()).
* A correctness set of small dumps with inputs go-search-replace is known to get wrong.

go-search-replace 0.0.5 comes from the npm package @automattic/vip-search-replace@1.0.5
(bin/go-search-replace-test), installed into benchmarks/.work/npm (not committed).

go-search-replace 0.0.7 joins the run when ``GO_SEARCH_REPLACE_BIN`` names its binary.
npm has no 0.0.7 that works offline; ``benchmarks/build-go-search-replace.sh`` builds it
from source with Debian's Go (installing golang-go and git if missing), as was done for
the committed results:

    benchmarks/build-go-search-replace.sh   # -> benchmarks/.work/go-search-replace-0.0.7
    export GO_SEARCH_REPLACE_BIN=benchmarks/.work/go-search-replace-0.0.7
    python -m benchmarks.searchreplace

Each figure is the wall time of one run (wpfleet in this process, as the CLI runs it);
CPU seconds (user+sys, all threads) are recorded beside it, since the machine is shared
and go-search-replace uses more than one core.

Run: python -m benchmarks.searchreplace [--size-mb 100]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks.common import save
from benchmarks.wpdump import HOST, generate
from wpfleet.content.dbproof import PHP_CHECK
from wpfleet.content.phpserial import looks_serialized
from wpfleet.content.rowcount import RowCounter
from wpfleet.content.searchreplace import WHITESPACE, search_replace
from wpfleet.content.sqldump import Cell, DumpSchema, Splitter, statements

WORK = Path(__file__).resolve().parent / ".work"
NEW = "goldencrust.wpsit.kimmyai.io"
GO_PACKAGE = "@automattic/vip-search-replace@1.0.5"
Pairs = list[tuple[str, str]]
PAIR_SETS: dict[str, Pairs] = {
    "1 pair": [(HOST, NEW)],
    "3 pairs": [(f"http://{HOST}", f"http://{NEW}"), (f"https://{HOST}", f"https://{NEW}"),
                (HOST, NEW)],
}  # fmt: skip


def go_binary() -> Path | None:
    """go-search-replace 0.0.5 from npm (installed once into the work area)."""
    npm_dir = WORK / "npm"
    binary = npm_dir / "node_modules/@automattic/vip-search-replace/bin/go-search-replace-test"
    if not binary.exists() and shutil.which("npm"):
        npm_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(npm_dir), GO_PACKAGE],
            check=False, capture_output=True, timeout=300,
        )  # fmt: skip
    return binary if binary.exists() else None


def go_version(binary: Path) -> str:
    """ "0.0.7" from ``go-search-replace --version`` (its own words)."""
    out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=False)
    words = (out.stdout or out.stderr).split()
    return words[-1] if words else binary.name


def dump(name: str, size: int, host: str, newline: bool = True, rows: bool = False) -> Path:
    """A cached generated dump; ``rows``: in mariadb-dump 10.11's one-row-per-line shape."""
    path = WORK / f"{name}-{size}-{host}-{int(newline)}{'-rows' if rows else ''}.sql"
    if not path.exists():
        WORK.mkdir(parents=True, exist_ok=True)
        if rows:
            data = dump(name, size, host, newline).read_bytes()
            path.write_bytes(data.replace(b" VALUES (", b" VALUES\n(").replace(b"),(", b"),\n("))
        else:
            generate(path, size, host=host, newline=newline)
    return path


def sha(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


Timing = tuple[float, float]  # wall seconds, CPU seconds
Tool = Callable[[Path, Path, Pairs], Timing]


def run_wpfleet(src: Path, dst: Path, pairs: Pairs) -> Timing:
    before, started = os.times(), time.perf_counter()
    with open(src, "rb") as i, open(dst, "wb") as o:
        search_replace(i, o, pairs)
    return time.perf_counter() - started, _cpu(before, os.times())


def run_go(binary: Path) -> Tool:
    def run(src: Path, dst: Path, pairs: Pairs) -> Timing:
        with open(src, "rb") as i, open(dst, "wb") as o:
            return _timed([str(binary), *_flat(pairs)], stdin=i, stdout=o)

    return run


def _flat(pairs: Pairs) -> list[str]:
    return [s for pair in pairs for s in pair]


def _timed(argv: list[str], **kwargs: Any) -> Timing:
    before, started = os.times(), time.perf_counter()
    subprocess.run(argv, check=True, **kwargs)
    return time.perf_counter() - started, _cpu(before, os.times())


def _cpu(before: Any, after: Any) -> float:
    """User + system seconds of this process and its children between two os.times()."""
    fields = ("user", "system", "children_user", "children_system")
    return sum(getattr(after, f) - getattr(before, f) for f in fields)


def php_proof(path: Path) -> dict[str, object]:
    """Rows per table, and every serialized-looking value through PHP's unserialize()."""
    proc = subprocess.Popen(
        ["php", "-r", PHP_CHECK], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        env={**os.environ, "WPF_SEP": "0"},
    )  # fmt: skip
    assert proc.stdin is not None
    schema, rows = DumpSchema(), RowCounter()
    sent = 0

    def on_value(cell: Cell, value: bytes) -> None:
        nonlocal sent
        if looks_serialized(value.strip(WHITESPACE)):
            proc.stdin.write(b"%d\n" % len(value) + value)  # type: ignore[union-attr]
            sent += 1

    with open(path, "rb") as src:
        for kind, data in statements(src, Splitter(str(path))):
            if kind == "create":
                schema.create(data)
            elif kind == "insert":
                schema.insert(data, on_value)
            for line in data.splitlines(keepends=True):
                rows.feed(line)
    out, _ = proc.communicate()
    lines = out.decode().split("\n")
    bad = [x for x in lines[1:] if x.strip()]
    return {"rows": rows.finish(), "serialized_checked": int(lines[0] or 0),
            "serialized_broken": len(bad), "values_sent": sent}  # fmt: skip


def old_left(path: Path, old: str) -> int:
    """Occurrences of the old host in the raw output, in any of its spellings."""
    data = path.read_bytes()
    return sum(data.count(s.encode()) for s in (old, old.replace(".", "%2E")))


def compare(
    tools: dict[str, Tool],
    src: Path,
    expected: Path | None,
    pairs: Pairs,
    proof_cache: dict[str, dict[str, object]],
) -> dict[str, object]:
    """Each tool on the same input: MB/s, identical-to-expected, PHP proof, old host left."""
    size = src.stat().st_size
    want = sha(expected) if expected is not None else None
    out: dict[str, object] = {}
    for name, tool in tools.items():
        dst = WORK / f"out-{name}.sql"
        seconds, cpu = tool(src, dst, pairs)
        digest = sha(dst)
        if digest not in proof_cache:
            proof_cache[digest] = php_proof(dst)
        proof = proof_cache[digest]
        out[name] = {
            "seconds": round(seconds, 3),
            "mb_per_s": round(size / seconds / 1e6, 1),
            "cpu_seconds": round(cpu, 3),
            "mb_per_cpu_s": round(size / cpu / 1e6, 1),
            "identical_to_expected": None if want is None else digest == want,
            "php_proof_ok": proof["serialized_broken"] == 0,
            **proof,
            "old_host_left": old_left(dst, pairs[-1][0]),
        }
        dst.unlink()
    return out


def correctness_set(tools: dict[str, Tool]) -> dict[str, object]:
    """Small dumps with the inputs go-search-replace is known to get wrong."""
    small = 1_000_000
    cases: dict[str, tuple[Path, Path | None, Pairs]] = {
        "serialized ';' + nested + NUL-protected (1 pair)": (
            dump("small", small, HOST), dump("small", small, NEW), PAIR_SETS["1 pair"]),
        "last line without newline": (
            dump("small", small, HOST, newline=False), dump("small", small, NEW, newline=False),
            PAIR_SETS["1 pair"]),
        "pair order (scheme first, then host)": (
            dump("small", small, HOST), None,
            [(f"http://{HOST}", f"https://{HOST}"), (HOST, NEW)]),
    }  # fmt: skip
    cache: dict[str, dict[str, object]] = {}
    return {
        name: compare(tools, src, exp, pairs, cache) for name, (src, exp, pairs) in cases.items()
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=100)
    args = parser.parse_args(argv)
    tools: dict[str, Tool] = {"wpfleet": run_wpfleet}
    binary = go_binary()
    if binary is not None:
        tools["go-search-replace 0.0.5"] = run_go(binary)
    newer = os.environ.get("GO_SEARCH_REPLACE_BIN")
    if newer:
        tools[f"go-search-replace {go_version(Path(newer))}"] = run_go(Path(newer))
    load_at_start = os.getloadavg()
    size = args.size_mb * 1_000_000
    results: dict[str, object] = {}
    for shape, rows in (("extended INSERT lines", False), ("one row per line", True)):
        src, expected = dump("big", size, HOST, rows=rows), dump("big", size, NEW, rows=rows)
        cache: dict[str, dict[str, object]] = {}
        for label, pairs in PAIR_SETS.items():
            results[f"{label}, {shape}"] = compare(tools, src, expected, pairs, cache)
    save("searchreplace", {
        "dump_bytes": dump("big", size, HOST).stat().st_size,
        "load_average_at_start": load_at_start,
        "load_average_at_end": os.getloadavg(),
        "target": "at least go-search-replace 0.0.7's ~180 (1 pair) / ~140 (3 pairs) MB/s",
        "results": results,
        "correctness_set": correctness_set(tools),
    })  # fmt: skip


if __name__ == "__main__":
    main()
