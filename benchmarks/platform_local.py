"""Local backend: wall time of `wpfleet platform up` when the platform is already up
(target <= 0.2 s in process: it only checks that every process answers and changes nothing).

Moved here from tests/backends/local/test_local_platform.py, which asserted the time:
on a 2-core machine shared with other work such an assertion fails by chance. The test
keeps what must hold always (nothing changes); the time is measured here.
Run from the repository root: python -m benchmarks.platform_local [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from benchmarks.common import bench_fleet, cli, save
from wpfleet.backends.local.platform import LocalPlatform
from wpfleet.config.load import load_fleet


def in_process(fleet: Path, repeat: int) -> list[float]:
    """``LocalPlatform.up()`` on a running platform, without the interpreter's start."""
    loaded = load_fleet(fleet)
    platform = LocalPlatform(loaded, loaded.fleet.env("dev"))
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        platform.up()
        times.append(time.perf_counter() - started)
    platform.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with bench_fleet("shared", ["bench0"]) as fleet:
        times = [cli(fleet, "platform", "up") for _ in range(args.repeat)]
        inner = in_process(fleet, args.repeat)
    save(
        "platform_local",
        {
            "targets": {"platform_up_again_s": 0.2},
            "platform_up_again_median_s": round(statistics.median(inner), 3),
            "platform_up_again_all_s": [round(t, 3) for t in inner],
            "platform_up_again_cli_median_s": round(statistics.median(times), 3),
            "platform_up_again_cli_all_s": [round(t, 3) for t in times],
            "note": "wall time of the CLI process, interpreter start included",
        },
    )


if __name__ == "__main__":
    main()
