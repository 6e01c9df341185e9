"""The reusable deploy workflow (``workflow_call``): wpfleet's pipeline, one step per
phase, in the environment's GitHub environment, serialized per tenant and environment.

Inputs reach shell only through ``env:`` (never ``${{ inputs.* }}`` inside ``run:``),
and are checked against the fleet file's tenants and environments before anything
else runs. The job that talks to AWS can assume the environment's role (OIDC) but not
write to the repository; the job that commits the config document back can write to
the repository but holds no AWS credentials.
"""

from __future__ import annotations

import json
from typing import Any

from wpfleet import naming
from wpfleet.ci import actions
from wpfleet.ci.context import CiFleet
from wpfleet.errors import ExitStatus

IN_TENANT = "${{ inputs.tenant }}"
IN_ENV = "${{ inputs.environment }}"
REPORT_DIR = "wpfleet-reports"
APPROVAL_PENDING = int(ExitStatus.APPROVAL_PENDING)


def lookup_expr(mapping: dict[str, Any], key_expr: str) -> str:
    """``mapping[key]`` from a literal JSON object, inside an expression."""
    literal = json.dumps(mapping, sort_keys=True, separators=(",", ":")).replace("'", "''")
    return f"fromJSON('{literal}')[{key_expr}]"


def lookup(mapping: dict[str, Any], key_expr: str) -> str:
    return "${{ " + lookup_expr(mapping, key_expr) + " }}"


def roles(ci: CiFleet) -> dict[str, str]:
    return {e.name: e.role_arn for e in ci.envs}


def regions(ci: CiFleet) -> dict[str, str]:
    return {e.name: e.region for e in ci.envs}


def allowed_pairs(ci: CiFleet) -> str:
    """``env:tenant`` for every tenant of every CI environment, space separated."""
    return " ".join(f"{e.name}:{t}" for e in ci.envs for t in e.tenants)


CHECK_INPUTS = """\
# Checked before use; only then echoed.
if [[ ! "$TENANT" =~ ^[a-z][a-z0-9-]{0,62}$ || ! "$ENVIRONMENT" =~ ^[a-z][a-z0-9]{0,9}$ ]]; then
  echo "::error::tenant or environment is not a valid wpfleet name"
  exit 1
fi
case " $ALLOWED " in
  *" $ENVIRONMENT:$TENANT "*) ;;
  *) echo "::error::tenant $TENANT is not in environment $ENVIRONMENT of the fleet file"
     exit 1 ;;
esac
if [[ -n "$PROMOTE_FROM" && ! "$PROMOTE_FROM" =~ ^[a-z][a-z0-9]{0,9}$ ]]; then
  echo "::error::promote_from is not a valid environment name"
  exit 1
fi
"""

STATUS = """\
gh api --silent --method POST "repos/$GITHUB_REPOSITORY/statuses/$GITHUB_SHA" \\
  -f state="$STATE" -f context="{context}" -f description="$DESCRIPTION" \\
  -f target_url="$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID"
"""

DEPLOY = """\
mkdir -p "{reports}"
set +e
if [[ -z "$PROMOTE_FROM" ]]; then
  wpfleet deploy "$TENANT" --env "$ENVIRONMENT" \\
    --report "{reports}/deploy.xml" --report-format junit
else
  wpfleet promote "$TENANT" --from "$PROMOTE_FROM" --to "$ENVIRONMENT"
fi
status=$?
set -e
if [[ $status -eq {pending} ]]; then
  echo "pending=true" >> "$GITHUB_OUTPUT"
  {{
    echo "### $TENANT in $ENVIRONMENT waits for approvals"
    echo "Approvers run the *{approve}* workflow with the deployment id below."
    echo '```'
    wpfleet history "$TENANT" --env "$ENVIRONMENT" --limit 3
    echo '```'
  }} >> "$GITHUB_STEP_SUMMARY"
  exit 0
fi
echo "pending=false" >> "$GITHUB_OUTPUT"
exit $status
"""

VERIFY = """\
wpfleet verify "$TENANT" --env "$ENVIRONMENT" --format junit --report "{reports}/verify.xml" \\
  > /dev/null
echo "verify: every check passed for $TENANT in $ENVIRONMENT" >> "$GITHUB_STEP_SUMMARY"
"""

COMMIT_BACK = """\
document="{document}"
git config user.name "$BOT_NAME"
git config user.email "$BOT_EMAIL"
git add -- "$document"
if git diff --cached --quiet; then
  echo "config document unchanged"
  exit 0
fi
# [skip ci], a path no workflow triggers on, and GITHUB_TOKEN pushes (which start no
# workflow): three reasons this commit cannot start another deployment.
git commit -m "wpfleet: config document of $TENANT in $ENVIRONMENT [skip ci]"
for attempt in 1 2 3 4 5; do
  if git push origin "HEAD:$BRANCH"; then
    exit 0
  fi
  echo "push refused (attempt $attempt): another commit landed first; rebasing"
  git pull --rebase origin "$BRANCH"
done
exit 1
"""

DISPATCH_PROMOTE = """\
gh workflow run "{promote}" --repo "$GITHUB_REPOSITORY" --ref "$REF" \\
  -f tenant="$TENANT" -f from="$ENVIRONMENT"
echo "promotion of $TENANT from $ENVIRONMENT requested" >> "$GITHUB_STEP_SUMMARY"
"""


def _inputs_env() -> dict[str, str]:
    return {
        "TENANT": IN_TENANT,
        "ENVIRONMENT": IN_ENV,
        "PROMOTE_FROM": "${{ inputs.promote_from }}",
    }


def _status_step(
    name: str, state: str, description: str, cond: str | None = None
) -> dict[str, Any]:
    context = naming.ci_status_context("$TENANT", "$ENVIRONMENT")
    step: dict[str, Any] = {"name": name}
    if cond:
        step["if"] = cond
    return step | {
        "env": {
            **_inputs_env(),
            "GH_TOKEN": "${{ github.token }}",
            "STATE": state,
            "DESCRIPTION": description,
        },
        "run": STATUS.format(context=context),
    }


def _document(ci: CiFleet, tenant: str, env: str) -> str:
    folder = ci.fleet_file.rpartition("/")[0]
    doc = naming.config_document_path(tenant, env)
    return f"{folder}/{doc}" if folder else doc


def _upload_steps(ci: CiFleet, reports: str) -> list[dict[str, Any]]:
    """The reports always; the config document only when the deployment finished."""
    return [
        actions.upload(naming.ci_report_artifact(IN_TENANT, IN_ENV), reports),
        {
            **actions.upload(
                naming.ci_document_artifact(IN_TENANT, IN_ENV),
                _document(ci, IN_TENANT, IN_ENV),
                always=False,
            ),
            "if": "${{ steps.deploy.outputs.pending == 'false' }}",
        },
    ]


def deploy_job(ci: CiFleet) -> dict[str, Any]:
    reports = REPORT_DIR
    final_state = (
        "${{ steps.deploy.outputs.pending == 'true' && 'pending' || "
        "(job.status == 'success' && 'success' || 'failure') }}"
    )
    return {
        "name": "Deploy ${{ inputs.tenant }} to ${{ inputs.environment }}",
        "runs-on": ci.fleet.ci.runs_on,
        "environment": IN_ENV,
        "concurrency": {
            "group": naming.ci_concurrency_group(IN_TENANT, IN_ENV),
            "cancel-in-progress": False,
        },
        "permissions": {"contents": "read", "id-token": "write", "statuses": "write"},
        "outputs": {"pending": "${{ steps.deploy.outputs.pending }}"},
        "steps": [
            {
                "name": "Check inputs",
                "env": {**_inputs_env(), "ALLOWED": allowed_pairs(ci)},
                "run": CHECK_INPUTS,
            },
            actions.checkout(),
            *actions.setup_wpfleet(ci),
            actions.aws_credentials(
                lookup(roles(ci), "inputs.environment"), lookup(regions(ci), "inputs.environment")
            ),
            _status_step("Status: pending", "pending", "wpfleet is deploying"),
            {"name": "Validate the fleet file", "run": "wpfleet validate"},
            {
                "name": "Plan",
                "env": _inputs_env(),
                "run": 'wpfleet plan "$TENANT" --env "$ENVIRONMENT"',
            },
            {
                "name": "Deploy (database, infra, verify, dns, post)",
                "id": "deploy",
                "env": _inputs_env(),
                "run": DEPLOY.format(
                    reports=reports,
                    pending=APPROVAL_PENDING,
                    approve=naming.ci_workflow("approve"),
                ),
            },
            {
                "name": "Verify",
                "if": "${{ steps.deploy.outputs.pending == 'false' }}",
                "env": _inputs_env(),
                "run": VERIFY.format(reports=reports),
            },
            *_upload_steps(ci, reports),
            _status_step("Status: result", final_state, "wpfleet deploy", "${{ always() }}"),
        ],
    }


def post_job(ci: CiFleet) -> dict[str, Any]:
    document = _document(ci, "$TENANT", "$ENVIRONMENT")
    folder = _document(ci, IN_TENANT, IN_ENV).rpartition("/")[0]
    return {
        "name": "Commit the config document",
        "needs": "deploy",
        "if": "${{ needs.deploy.outputs.pending == 'false' }}",
        "runs-on": ci.fleet.ci.runs_on,
        "permissions": {"contents": "write"},
        "steps": [
            actions.checkout(push=True),
            actions.download(naming.ci_document_artifact(IN_TENANT, IN_ENV), folder),
            {
                "name": "Commit and push (bot, [skip ci])",
                "env": {
                    **_inputs_env(),
                    "BOT_NAME": naming.CI_BOT_ACTOR,
                    "BOT_EMAIL": naming.CI_BOT_EMAIL,
                    "BRANCH": "${{ github.ref_name }}",
                },
                "run": COMMIT_BACK.format(document=document),
            },
        ],
    }


def promote_job(ci: CiFleet) -> dict[str, Any]:
    auto = {e.name: bool(e.auto_promote and e.next) for e in ci.envs}
    return {
        "name": "Promote",
        "needs": ["deploy", "post"],
        "if": lookup(auto, "inputs.environment"),
        "runs-on": ci.fleet.ci.runs_on,
        "permissions": {"actions": "write"},
        "steps": [
            {
                "name": "Request the promotion",
                "env": {
                    **_inputs_env(),
                    "GH_TOKEN": "${{ github.token }}",
                    "REF": "${{ github.ref_name }}",
                },
                "run": DISPATCH_PROMOTE.format(promote=naming.ci_workflow("promote")),
            }
        ],
    }


def deploy_workflow(ci: CiFleet) -> dict[str, Any]:
    return {
        "name": "wpfleet deploy (reusable)",
        "on": {
            "workflow_call": {
                "inputs": {
                    "tenant": {"description": "Tenant id", "required": True, "type": "string"},
                    "environment": {
                        "description": "Environment name",
                        "required": True,
                        "type": "string",
                    },
                    "promote_from": {
                        "description": "Promote the release of this environment instead",
                        "required": False,
                        "type": "string",
                        "default": "",
                    },
                }
            }
        },
        "permissions": {},
        "defaults": {"run": {"shell": "bash"}},
        "env": {"WPFLEET_FLEET": ci.fleet_file},
        "jobs": {
            "deploy": deploy_job(ci),
            "post": post_job(ci),
            "promote": promote_job(ci),
        },
    }
