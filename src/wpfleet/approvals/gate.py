"""The optional external gate: a webhook that must answer "approved".

Modelled on GitHub's custom deployment protection rules: when people have approved and
the window is open, wpfleet POSTs the request (JSON) to the environment's webhook and
runs only if the answer is ``200`` with ``{"state": "approved"}``. ``"rejected"`` ends
the request; anything else (``"pending"``, an error, a timeout) means "not yet": the
request stays open and ``wpfleet deploy --resume`` asks again. The URL may hold a token,
so it is never printed: messages name the host only.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit, urlunsplit

from wpfleet.approvals.policy import Request

TIMEOUT = 10.0


@dataclass(frozen=True)
class GateAnswer:
    state: str  # approved | rejected | pending
    comment: str = ""


def where(url: str) -> str:
    """The host of the webhook, safe to print."""
    return urlsplit(url).netloc.rpartition("@")[2] or "the webhook"


def _bare(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def ask(url: str, request: Request, approved_by: tuple[str, ...]) -> GateAnswer:
    body = json.dumps(
        {
            "event": "deployment_protection_rule",
            "request": request.id,
            "tenant": request.tenant,
            "environment": request.env,
            "kind": request.kind,
            "release": request.release_id,
            "plan_hash": request.plan_hash,
            "requested_by": request.requested_by,
            "approved_by": list(approved_by),
        }
    ).encode()
    http = urllib.request.Request(
        _bare(url), data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    parts = urlsplit(url)
    if parts.username is not None:  # credentials in the URL: sent as basic auth
        token = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
        http.add_header("Authorization", "Basic " + base64.b64encode(token).decode())
    try:
        with urllib.request.urlopen(http, timeout=TIMEOUT) as resp:
            data = json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return GateAnswer("pending", f"{where(url)} answered HTTP {exc.code}")
    except (OSError, ValueError) as exc:
        return GateAnswer("pending", f"{where(url)} did not answer: {type(exc).__name__}")
    state = str(data.get("state", "")).lower() if isinstance(data, dict) else ""
    comment = str(data.get("comment", "")) if isinstance(data, dict) else ""
    if state not in ("approved", "rejected"):
        return GateAnswer("pending", comment or f"{where(url)} has not approved yet")
    return GateAnswer(state, comment)
