"""Run every benchmark; results land in benchmarks/results/.

Run from the repository root: python -m benchmarks.run_all
"""

from __future__ import annotations

import runpy
import sys

for name in (
    "cli_help",
    "deploy_local",
    "platform_local",
    "aws_api_calls",
    "searchreplace",
    "content_transfer",
    "promote_local",
):
    print(f"== {name}", flush=True)
    sys.argv = [name]
    runpy.run_module(f"benchmarks.{name}", run_name="__main__")
