"""Approvals from GitHub (the approver is the person who runs the workflow) and the
scheduled drift + status report."""

from __future__ import annotations

from typing import Any

from wpfleet import naming
from wpfleet.ci import actions
from wpfleet.ci.context import CiFleet
from wpfleet.ci.deploy_workflow import lookup, regions, roles
from wpfleet.ci.other_workflows import _base, _choice, _deploy_call

APPROVE = """\
if [[ ! "$DEPLOYMENT" =~ ^[A-Za-z0-9][A-Za-z0-9._:-]{0,79}$ ]]; then
  echo "::error::deployment is not a wpfleet deployment id"
  exit 1
fi
wpfleet approve "$DEPLOYMENT" --as "$ACTOR"
"""

DRIFT = """\
set +e
wpfleet drift --env "$ENVIRONMENT" > drift.txt 2>&1
drift=$?
wpfleet status --env "$ENVIRONMENT" > status.txt 2>&1
set -e
{
  echo "## $ENVIRONMENT: drift (exit $drift) and status"
  echo '```'
  cat drift.txt
  echo '```'
  echo '```'
  cat status.txt
  echo '```'
} >> "$GITHUB_STEP_SUMMARY"
exit $drift
"""


def approve_workflow(ci: CiFleet) -> dict[str, Any]:
    """Records one approval as ``github.actor`` (wpfleet refuses self-approval and
    approvers not in the fleet file), then asks for the deployment again: it goes on
    once enough distinct approvers have approved."""
    gated = [e for e in ci.gated if e.previous]
    on = {
        "workflow_dispatch": {
            "inputs": {
                "tenant": _choice("Tenant", list(ci.tenants)),
                "environment": _choice("Environment", [e.name for e in gated]),
                "deployment": {
                    "description": "Deployment id (from the pending deployment's summary)",
                    "required": True,
                    "type": "string",
                },
            }
        }
    }
    previous = {e.name: e.previous for e in gated}
    approve = {
        "name": "Approve",
        "runs-on": ci.fleet.ci.runs_on,
        "permissions": {"contents": "read", "id-token": "write"},
        "steps": [
            actions.checkout(),
            *actions.setup_wpfleet(ci),
            actions.aws_credentials(
                lookup(roles(ci), "inputs.environment"), lookup(regions(ci), "inputs.environment")
            ),
            {
                "name": "Record the approval",
                "env": {"DEPLOYMENT": "${{ inputs.deployment }}", "ACTOR": "${{ github.actor }}"},
                "run": APPROVE,
            },
        ],
    }
    deploy = {
        **_deploy_call(
            ci,
            "${{ inputs.tenant }}",
            "${{ inputs.environment }}",
            lookup(previous, "inputs.environment"),
        ),
        "needs": "approve",
    }
    return _base("wpfleet approve", on, ci, {"approve": approve, "deploy": deploy})


def drift_workflow(ci: CiFleet) -> dict[str, Any]:
    on = {"schedule": [{"cron": ci.fleet.ci.drift_schedule}], "workflow_dispatch": {}}
    job = {
        "name": "Drift and status: ${{ matrix.environment }}",
        "runs-on": ci.fleet.ci.runs_on,
        "permissions": {"contents": "read", "id-token": "write"},
        "strategy": {"fail-fast": False, "matrix": {"environment": [e.name for e in ci.envs]}},
        "steps": [
            actions.checkout(),
            *actions.setup_wpfleet(ci),
            actions.aws_credentials(
                lookup(roles(ci), "matrix.environment"), lookup(regions(ci), "matrix.environment")
            ),
            {
                "name": "Drift and status",
                "env": {"ENVIRONMENT": "${{ matrix.environment }}"},
                "run": DRIFT,
            },
        ],
    }
    return _base("wpfleet drift", on, ci, {"drift": job})


def all_workflows(ci: CiFleet) -> dict[str, dict[str, Any]]:
    """File name -> workflow, every file this fleet file asks for."""
    from wpfleet.ci.deploy_workflow import deploy_workflow
    from wpfleet.ci.other_workflows import (
        dispatch_workflow,
        promote_workflow,
        release_workflow,
        tenant_workflow,
    )

    out = {
        naming.ci_workflow("deploy"): deploy_workflow(ci),
        naming.ci_workflow("dispatch"): dispatch_workflow(ci),
        naming.ci_workflow("drift"): drift_workflow(ci),
    }
    if ci.promotable:
        out[naming.ci_workflow("promote")] = promote_workflow(ci)
    if any(e.previous for e in ci.gated):
        out[naming.ci_workflow("release")] = release_workflow(ci)
        out[naming.ci_workflow("approve")] = approve_workflow(ci)
    if ci.fleet.ci.per_tenant_workflows:
        for tenant in ci.tenants:
            out[naming.ci_tenant_workflow(tenant)] = tenant_workflow(ci, tenant)
    return dict(sorted(out.items()))
