"""`wpfleet --help` wall time (target <= 0.25 s): the CLI imports lazily."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from benchmarks.common import save


def main(repeat: int = 10) -> None:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "wpfleet.cli.main", "--help"], capture_output=True, check=True
        )
        times.append(time.perf_counter() - started)
    save(
        "cli_help",
        {
            "target_s": 0.25,
            "median_s": round(statistics.median(times), 3),
            "max_s": round(max(times), 3),
            "runs": repeat,
        },
    )


if __name__ == "__main__":
    main()
