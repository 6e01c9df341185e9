"""The workflows around the reusable deploy: dispatch, per-tenant triggers, promotion,
release pull requests, approvals, and the scheduled drift + status report."""

from __future__ import annotations

import json
from typing import Any

from wpfleet import naming
from wpfleet.ci import actions
from wpfleet.ci.context import CiFleet
from wpfleet.ci.deploy_workflow import CHECK_INPUTS, allowed_pairs, lookup, regions, roles

#: what a job that calls the reusable deploy must grant (its jobs ask for these)
DEPLOY_GRANTS = {"actions": "write", "contents": "write", "id-token": "write", "statuses": "write"}


def _deploy_call(ci: CiFleet, tenant: str, env: str, promote_from: str = "") -> dict[str, Any]:
    return {
        "uses": f"./.github/workflows/{naming.ci_workflow('deploy')}",
        "permissions": dict(DEPLOY_GRANTS),
        "with": {"tenant": tenant, "environment": env, "promote_from": promote_from},
    }


def _choice(description: str, options: list[str]) -> dict[str, Any]:
    return {"description": description, "required": True, "type": "choice", "options": options}


def _base(name: str, on: dict[str, Any], ci: CiFleet, jobs: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "on": on,
        "permissions": {},
        "defaults": {"run": {"shell": "bash"}},
        "env": {"WPFLEET_FLEET": ci.fleet_file},
        "jobs": jobs,
    }


def dispatch_workflow(ci: CiFleet) -> dict[str, Any]:
    on = {
        "workflow_dispatch": {
            "inputs": {
                "tenant": _choice("Tenant", list(ci.tenants)),
                "environment": _choice("Environment", [e.name for e in ci.envs]),
            }
        }
    }
    call = _deploy_call(ci, "${{ inputs.tenant }}", "${{ inputs.environment }}")
    return _base("wpfleet deploy", on, ci, {"deploy": call})


def tenant_workflow(ci: CiFleet, tenant: str) -> dict[str, Any]:
    envs = [e.name for e in ci.envs if tenant in e.tenants]
    on = {"workflow_dispatch": {"inputs": {"environment": _choice("Environment", envs)}}}
    call = _deploy_call(ci, tenant, "${{ inputs.environment }}")
    return _base(f"wpfleet deploy {tenant}", on, ci, {"deploy": call})


ROUTE = """\
case "$FROM" in
{cases}
  *) echo "::error::no promotion from that environment"; exit 1 ;;
esac
echo "to=$to" >> "$GITHUB_OUTPUT"
echo "gated=$gated" >> "$GITHUB_OUTPUT"
ENVIRONMENT="$to"
PROMOTE_FROM="$FROM"
"""

REQUEST = """\
wpfleet --output json status --env "$FROM" > status.json
python - <<'PY'
import json, os, pathlib
rows = [r for r in json.load(open("status.json")) if r.get("tenant") == os.environ["TENANT"]]
if not rows or not rows[0].get("release"):
    raise SystemExit(f"no release of {os.environ['TENANT']} in {os.environ['FROM']} to promote")
record = {
    "tenant": os.environ["TENANT"], "from": os.environ["FROM"], "to": os.environ["TO"],
    "release": rows[0]["release"], "requested_by": os.environ["ACTOR"],
    "source_run": os.environ["GITHUB_RUN_ID"],
}
path = pathlib.Path(os.environ["RELEASE_FILE"])
path.parent.mkdir(parents=True, exist_ok=True)
path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\\n")
PY
rm -f status.json
git config user.name "$BOT_NAME"
git config user.email "$BOT_EMAIL"
git switch -c "$BRANCH"
git add -- "$RELEASE_FILE"
git commit -m "wpfleet: release $TENANT from $FROM to $TO"
git push --force origin "HEAD:$BRANCH"
if gh pr view "$BRANCH" > /dev/null 2>&1; then
  echo "the open release pull request of $BRANCH now records this release"
else
  gh pr create --base "$BASE" --head "$BRANCH" \\
    --title "Release $TENANT to $TO" \\
    --body "Merging this deploys the release in $RELEASE_FILE to $TO (after wpfleet approvals)."
fi
"""


def _route_cases(ci: CiFleet) -> str:
    lines = []
    for e in ci.promotable:
        nxt = ci.env(e.next or "")
        lines.append(f"  {e.name}) to={nxt.name}; gated={str(nxt.gated).lower()} ;;")
    return "\n".join(lines)


def _request_job(ci: CiFleet, io: dict[str, str], to: str) -> dict[str, Any]:
    """Into a gated environment: record the release and open its pull request."""
    return {
        "name": "Open the release pull request",
        "needs": "route",
        "if": "${{ needs.route.outputs.gated == 'true' }}",
        "runs-on": ci.fleet.ci.runs_on,
        "permissions": {"contents": "write", "pull-requests": "write", "id-token": "write"},
        "steps": [
            actions.checkout(push=True),
            *actions.setup_wpfleet(ci),
            actions.aws_credentials(
                lookup(roles(ci), "inputs.from"), lookup(regions(ci), "inputs.from")
            ),
            {
                "name": "Record the release and open the pull request",
                "env": {
                    **io,
                    "TO": to,
                    "ACTOR": "${{ github.actor }}",
                    "GH_TOKEN": "${{ github.token }}",
                    "RELEASE_FILE": naming.release_request_path("${{ inputs.tenant }}", to),
                    "BRANCH": naming.ci_release_branch("${{ inputs.tenant }}", to),
                    "BASE": ci.fleet.ci.branch,
                    "BOT_NAME": naming.CI_BOT_ACTOR,
                    "BOT_EMAIL": naming.CI_BOT_EMAIL,
                },
                "run": REQUEST,
            },
        ],
    }


def promote_workflow(ci: CiFleet) -> dict[str, Any]:
    """dev -> sit deploys at once; into an environment with approvals (prod) a pull
    request records the release, and merging it requests the deployment."""
    on = {
        "workflow_dispatch": {
            "inputs": {
                "tenant": _choice("Tenant", list(ci.tenants)),
                "from": _choice("Promote from", [e.name for e in ci.promotable]),
            }
        }
    }
    io = {"TENANT": "${{ inputs.tenant }}", "FROM": "${{ inputs.from }}"}
    route = {
        "name": "Where to",
        "runs-on": ci.fleet.ci.runs_on,
        "permissions": {},
        "outputs": {
            "to": "${{ steps.route.outputs.to }}",
            "gated": "${{ steps.route.outputs.gated }}",
        },
        "steps": [
            {
                "name": "Route and check inputs",
                "id": "route",
                "env": {**io, "ALLOWED": allowed_pairs(ci)},
                "run": ROUTE.format(cases=_route_cases(ci)) + CHECK_INPUTS,
            }
        ],
    }
    to = "${{ needs.route.outputs.to }}"
    promote = {
        **_deploy_call(ci, "${{ inputs.tenant }}", to, "${{ inputs.from }}"),
        "needs": "route",
        "if": "${{ needs.route.outputs.gated == 'false' }}",
    }
    request = _request_job(ci, io, to)
    return _base(
        "wpfleet promote", on, ci, {"route": route, "promote": promote, "request": request}
    )


CHANGED = """\
python - <<'PY'
import json, os, pathlib, re, subprocess
allowed = json.loads(os.environ["ALLOWED"])
changed = subprocess.run(
    ["git", "diff", "--name-only", "--diff-filter=AM", "HEAD^", "HEAD", "--", "releases/"],
    check=True, capture_output=True, text=True,
).stdout.split()
out = []
for name in changed:
    m = re.fullmatch(r"releases/([a-z][a-z0-9]{0,9})/([a-z][a-z0-9-]{0,62})\\.json", name)
    if not m or m.group(2) not in allowed.get(m.group(1), {}).get("tenants", []):
        raise SystemExit(f"{name} is not a release request of a tenant of the fleet file")
    env, tenant = m.groups()
    record = json.loads(pathlib.Path(name).read_text())
    if record.get("tenant") != tenant or record.get("to") != env:
        raise SystemExit(f"{name} names another tenant or environment than its path")
    out.append({"tenant": tenant, "environment": env, "from": allowed[env]["from"]})
with open(os.environ["GITHUB_OUTPUT"], "a") as fh:
    fh.write("releases=" + json.dumps(out, sort_keys=True) + "\\n")
PY
"""


def release_workflow(ci: CiFleet) -> dict[str, Any]:
    """A merged release pull request deploys its release (then wpfleet approvals)."""
    paths = [naming.release_request_path("*", "*").replace("/*.json", "/**")]
    on = {"push": {"branches": [ci.fleet.ci.branch], "paths": paths}}
    allowed = {
        e.name: {"tenants": list(e.tenants), "from": e.previous} for e in ci.gated if e.previous
    }
    changed = {
        "name": "Release requests merged",
        "if": f"${{{{ github.actor != '{naming.CI_BOT_ACTOR}' }}}}",
        "runs-on": ci.fleet.ci.runs_on,
        "permissions": {"contents": "read"},
        "outputs": {"releases": "${{ steps.changed.outputs.releases }}"},
        "steps": [
            {**actions.checkout(), "with": {"persist-credentials": False, "fetch-depth": 2}},
            {
                "name": "Find the merged release requests",
                "id": "changed",
                "env": {"ALLOWED": json.dumps(allowed, sort_keys=True)},
                "run": CHANGED,
            },
        ],
    }
    deploy = {
        **_deploy_call(
            ci, "${{ matrix.tenant }}", "${{ matrix.environment }}", "${{ matrix.from }}"
        ),
        "needs": "changed",
        "if": "${{ needs.changed.outputs.releases != '[]' }}",
        "strategy": {
            "fail-fast": False,
            "matrix": {"include": "${{ fromJSON(needs.changed.outputs.releases) }}"},
        },
    }
    return _base("wpfleet release", on, ci, {"changed": changed, "deploy": deploy})
