"""Run every benchmark; results land in benchmarks/results/."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

for name in ("cli_help", "deploy_local", "aws_api_calls"):
    script = HERE / f"{name}.py"
    if script.exists():
        print(f"== {name}", flush=True)
        sys.argv = [str(script)]
        runpy.run_path(str(script), run_name="__main__")
