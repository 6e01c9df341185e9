"""CI intents: generate (or check) the GitHub Actions workflows, and the CI role's
IAM policy. Thin: the generators in ``wpfleet.ci`` do the work."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wpfleet.services.workspace import Workspace


@dataclass
class GenerateResult:
    out: Path
    files: list[str]
    written: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    @property
    def up_to_date(self) -> bool:
        return not (self.changed or self.missing or self.extra)


def repo_root_for(out: Path, fallback: Path) -> Path:
    """``X/.github/workflows`` -> ``X``; any other folder: the fleet file's folder."""
    out = out.resolve()
    if out.name == "workflows" and out.parent.name == ".github":
        return out.parent.parent
    return fallback


def generate_workflows(ws: Workspace, out: Path, *, check: bool = False) -> GenerateResult:
    """Write the workflows into ``out`` (only what changed), or with ``check`` only
    compare them with what is there."""
    from wpfleet.ci import generate
    from wpfleet.ci.context import ci_fleet

    loaded = ws.loaded
    ci = ci_fleet(loaded.fleet, loaded.path, repo_root_for(out, loaded.root))
    files = generate.render(ci)
    status = generate.check(files, out)
    result = GenerateResult(
        out, sorted(files), changed=status.changed, missing=status.missing, extra=status.extra
    )
    if not check:
        result.written = generate.write(files, out)
    return result


def ci_policy(ws: Workspace, env: str) -> dict[str, Any]:
    """The least-privilege policy document of ``env``'s CI role."""
    from wpfleet.ci.policy import build_policy

    return build_policy(ws.fleet, ws.env(env))
