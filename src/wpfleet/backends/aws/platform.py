"""What an AWS environment's tenants share: base resources (checked, never created) and
the basic-auth bootstrap (created by ``platform up``).

Basic auth runs as Lambda@Edge (us-east-1, a numbered version, viewer-request on the
distribution). Lambda@Edge cannot read environment variables, so the function carries
only the SHA-256 of ``user:password``; the password itself lives in the secret
``{env}-basic-auth-password`` and nowhere else.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from typing import Any

from wpfleet import naming
from wpfleet.aws.session import AwsSession
from wpfleet.backends.aws import (
    acm,
    cloudfront,
    ecs,
    efs,
    efs_policy,
    elbv2,
    iam,
    lambda_,
    logs,
    rds,
    route53,
    secretsmanager,
)
from wpfleet.backends.aws import tags as T
from wpfleet.backends.aws.resources.secret import generate_password
from wpfleet.backends.aws.tenant import EnvCache
from wpfleet.backends.base import ComponentStatus, Credentials
from wpfleet.config.models import Environment
from wpfleet.errors import ValidationError
from wpfleet.naming import basic_auth_function, basic_auth_role

EDGE_TRUST = ["lambda.amazonaws.com", "edgelambda.amazonaws.com"]
DISCOVER = "fill or fix the aws: block with `wpfleet platform discover --env {env}`"

LAMBDA_SOURCE = """'use strict';
// wpfleet basic auth for {env}. Only a SHA-256 of "user:password" is here: Lambda@Edge
// has no environment variables, and the password stays in Secrets Manager.
const crypto = require('crypto');
const EXPECTED = '{digest}';
const CHALLENGE = {{
  status: '401',
  statusDescription: 'Unauthorized',
  headers: {{'www-authenticate': [{{key: 'WWW-Authenticate', value: 'Basic realm="{env}"'}}]}},
}};
exports.handler = async (event) => {{
  const request = event.Records[0].cf.request;
  const header = (request.headers.authorization || [])[0];
  if (header && header.value.startsWith('Basic ')) {{
    const given = Buffer.from(header.value.slice(6), 'base64').toString();
    const digest = crypto.createHash('sha256').update(given).digest('hex');
    if (crypto.timingSafeEqual(Buffer.from(digest), Buffer.from(EXPECTED))) {{
      return request;
    }}
  }}
  return CHALLENGE;
}};
"""


# --- base resources -----------------------------------------------------------------------
def domain_suffix(env: Environment) -> str:
    return env.domain.replace("{tenant}.", "").replace("{tenant}", "")


def base_components(
    aws: AwsSession, env: Environment, cache: EnvCache | None = None
) -> list[ComponentStatus]:
    """Each base resource the environment names: present or missing (and the fix)."""
    s = aws.settings
    out: list[ComponentStatus] = []
    found_cf = None

    def add(name: str, ok: bool, what: str) -> None:
        detail = what if ok else f"{what} not found; " + DISCOVER.format(env=env.name)
        out.append(ComponentStatus(name, ok, detail))

    if s.cluster:
        found = [c for c in ecs.describe_clusters(aws, [s.cluster]) if c["status"] == "ACTIVE"]
        add("cluster", bool(found), f"ECS cluster {s.cluster}")
    if s.listener_arn:
        add(
            "listener",
            _listener(aws, s.listener_arn, cache) is not None,
            f"ALB listener {s.listener_arn}",
        )
    if s.efs_id:
        fs = efs.describe_file_system(aws, s.efs_id)
        add("efs", fs is not None, f"EFS {s.efs_id}")
        if fs is not None:
            out.append(efs_policy.status(aws, env.name, s.efs_id))
    group = naming.log_group(env.name)
    add("log-group", logs.log_group_exists(aws, group), f"log group {group}")
    if s.rds_instance:
        add(
            "rds",
            rds.describe_db_instance(aws, s.rds_instance) is not None,
            f"RDS instance {s.rds_instance}",
        )
    if s.hosted_zone_id:
        add(
            "zone",
            route53.get_hosted_zone(aws, s.hosted_zone_id) is not None,
            f"hosted zone {s.hosted_zone_id}",
        )
    if s.cloudfront_distribution_id:
        found_cf = cloudfront.get_distribution_config(aws, s.cloudfront_distribution_id)
        if found_cf is not None and cache is not None:
            with cache.lock:  # the tenants' DNS records check their hosts against it
                cache.values["distribution"] = found_cf
        add(
            "distribution",
            found_cf is not None,
            f"CloudFront distribution {s.cloudfront_distribution_id}",
        )
    if s.certificate_arn:
        out.append(certificate_status(aws, env, s.certificate_arn))
    if env.basic_auth and found_cf is not None:
        out.append(basic_auth_coverage(aws, env))
    return out


def _listener(aws: AwsSession, arn: str, cache: EnvCache | None) -> dict[str, Any] | None:
    """Described once per run: tenants' resources read the same listener (``listener``)."""
    found = elbv2.describe_listener(aws, arn)
    if found is not None and cache is not None:
        with cache.lock:
            cache.values["listener"] = found
    return found


def certificate_status(aws: AwsSession, env: Environment, arn: str) -> ComponentStatus:
    region = arn.split(":")[3] if arn.count(":") >= 5 else aws.region
    cert = acm.describe_certificate(aws, arn, region)
    wildcard = f"*.{domain_suffix(env)}"
    if cert is None:
        return ComponentStatus("certificate", False, f"certificate {arn} not found")
    names = {cert.get("DomainName"), *cert.get("SubjectAlternativeNames", [])}
    if wildcard not in names:
        return ComponentStatus(
            "certificate",
            False,
            f"certificate {arn} covers {', '.join(sorted(n for n in names if n))}, "
            f"not {wildcard}; request one for {wildcard} or fix aws.certificate_arn",
        )
    return ComponentStatus("certificate", True, f"certificate for {wildcard}")


# --- basic auth ---------------------------------------------------------------------------
def basic_auth_credentials(aws: AwsSession, fleet: str, env: str) -> Credentials | None:
    name = naming.basic_auth_secret(env)
    if secretsmanager.describe_secret(aws, name) is None:
        return None
    value = secretsmanager.get_secret_value(aws, name)
    return Credentials(
        username=str(value.get("username") or naming.basic_auth_user(fleet, env)),
        password=str(value["password"]),
        description=f"basic auth of {env} (secret {name})",
    )


def ensure_basic_auth_secret(aws: AwsSession, fleet: str, env: str) -> Credentials:
    found = basic_auth_credentials(aws, fleet, env)
    if found is not None:
        return found
    name = naming.basic_auth_secret(env)
    user = naming.basic_auth_user(fleet, env)
    secretsmanager.create_secret(
        aws,
        name,
        {"username": user, "password": generate_password()},
        T.env_tags(env, name),
        f"basic auth password of {env} (wpfleet)",
    )
    creds = basic_auth_credentials(aws, fleet, env)
    assert creds is not None
    return creds


def credentials_digest(creds: Credentials) -> str:
    return hashlib.sha256(f"{creds.username}:{creds.password}".encode()).hexdigest()


def lambda_source(env: str, digest: str) -> str:
    return LAMBDA_SOURCE.format(env=env, digest=digest)


def lambda_zip(source: str) -> bytes:
    """A deterministic zip (fixed timestamp) so unchanged code has an unchanged hash."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        info = zipfile.ZipInfo("index.js", date_time=(2020, 1, 1, 0, 0, 0))
        info.external_attr = 0o644 << 16
        zf.writestr(info, source)
    return buf.getvalue()


def ensure_edge_role(aws: AwsSession, env: str) -> str:
    name = basic_auth_role(env)
    role = iam.get_role(aws, name)
    if role is None:
        role = iam.create_role(
            aws,
            name,
            iam.trust_policy(EDGE_TRUST),
            T.env_tags(env, name),
            f"wpfleet basic-auth Lambda@Edge of {env}",
        )
    return str(role["Arn"])


def ensure_basic_auth_function(aws: AwsSession, env: str, zip_bytes: bytes) -> str:
    """Create or update the function; returns the ARN of a published, Active version.

    Every step waits for Lambda's state machine (``lambda_.wait``): publishing while an
    update is in progress, or associating a Pending version, is refused by AWS."""
    name = basic_auth_function(env)
    current = lambda_.get_function(aws, name)
    code_sha = _lambda_sha(zip_bytes)
    if current is None:
        created = _create_when_role_assumable(
            aws,
            FunctionName=name,
            Runtime="nodejs20.x",
            Handler="index.handler",
            Role=ensure_edge_role(aws, env),
            Code={"ZipFile": zip_bytes},
            Publish=True,
            MemorySize=128,
            Timeout=5,
            Tags=T.env_tags(env, name),
            Description=f"wpfleet basic auth for {env}",
        )
        lambda_.wait(aws, "function_active_v2", name)
        return _active_version(aws, name, created)
    lambda_.wait(aws, "function_active_v2", name)  # an earlier run's create may be Pending
    lambda_.wait(aws, "function_updated_v2", name)  # ... or its update still in progress
    if current["Configuration"].get("CodeSha256") != code_sha:
        lambda_.update_function_code(aws, name, zip_bytes)
        lambda_.wait(aws, "function_updated_v2", name)
    return _active_version(aws, name, lambda_.publish_version(aws, name))


def _active_version(aws: AwsSession, name: str, published: dict[str, Any]) -> str:
    """The version's ARN once the version is Active (CloudFront refuses it before)."""
    version = str(published.get("Version", "1"))
    if version != "$LATEST":
        lambda_.wait(aws, "published_version_active", name, version)
    return _versioned(published)


#: a new IAM role takes a few seconds before Lambda may assume it
ROLE_PROPAGATION_TRIES = 8


def _create_when_role_assumable(aws: AwsSession, **spec: Any) -> dict[str, Any]:
    for attempt in range(ROLE_PROPAGATION_TRIES):
        try:
            return lambda_.create_function(aws, **spec)
        except ValidationError as exc:
            if "role" not in exc.message.lower() or attempt == ROLE_PROPAGATION_TRIES - 1:
                raise
            aws.sleep(min(2.0 * (attempt + 1), 8.0))
    raise AssertionError("unreachable")  # pragma: no cover


def _lambda_sha(zip_bytes: bytes) -> str:
    import base64

    return base64.b64encode(hashlib.sha256(zip_bytes).digest()).decode()


def _versioned(config: dict[str, Any]) -> str:
    arn = str(config["FunctionArn"])
    version = str(config.get("Version", "1"))
    if version == "$LATEST" or arn.rsplit(":", 1)[-1] == version:
        return arn
    return f"{arn}:{version}"


def cache_behaviors(config: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(path pattern, behavior) of every cache behavior, the default one first: each is
    a way into the origin, so each must carry the basic-auth function."""
    more = (config.get("CacheBehaviors") or {}).get("Items") or []
    default = ("default (*)", config["DefaultCacheBehavior"])
    return [default, *((str(b.get("PathPattern")), b) for b in more)]


def associate_viewer_request(aws: AwsSession, dist_id: str, function_arn: str) -> None:
    """Put the version on the viewer-request trigger of EVERY cache behavior (a
    ``/wp-content/*`` behavior without it would serve the site without the password)."""
    found = cloudfront.get_distribution_config(aws, dist_id)
    if found is None:
        return
    config, etag = found
    for _path, behavior in cache_behaviors(config):
        items = [
            a
            for a in (behavior.get("LambdaFunctionAssociations", {}).get("Items") or [])
            if a.get("EventType") != "viewer-request"
        ]
        items.append(
            {"LambdaFunctionARN": function_arn, "EventType": "viewer-request", "IncludeBody": False}
        )
        behavior["LambdaFunctionAssociations"] = {"Quantity": len(items), "Items": items}
    cloudfront.update_distribution(aws, dist_id, config, etag)


def unprotected_behaviors(aws: AwsSession, env: str, dist_id: str) -> list[str]:
    """Path patterns of the cache behaviors whose viewer-request trigger is not the
    environment's basic-auth function (any published version of it)."""
    found = cloudfront.get_distribution_config(aws, dist_id)
    if found is None:
        return []
    marker = f":function:{basic_auth_function(env)}:"
    out = []
    for path, behavior in cache_behaviors(found[0]):
        items = behavior.get("LambdaFunctionAssociations", {}).get("Items") or []
        if not any(
            a.get("EventType") == "viewer-request" and marker in str(a.get("LambdaFunctionARN"))
            for a in items
        ):
            out.append(path)
    return out


def basic_auth_coverage(aws: AwsSession, env: Environment) -> ComponentStatus:
    """Whether every cache behavior of the distribution asks for the password."""
    dist_id = aws.settings.cloudfront_distribution_id or ""
    missing = unprotected_behaviors(aws, env.name, dist_id)
    if missing:
        return ComponentStatus(
            "basic-auth-behaviors",
            False,
            f"CloudFront distribution {dist_id}: cache behaviors without the basic-auth "
            f"viewer-request function: {', '.join(missing)}; run "
            f"`wpfleet platform up --env {env.name}` to attach it to every behavior",
        )
    return ComponentStatus("basic-auth-behaviors", True, "every cache behavior asks for it")


def bootstrap_basic_auth(aws: AwsSession, fleet: str, env: str) -> str:
    """Secret, function (hash only), published version, viewer-request association."""
    creds = ensure_basic_auth_secret(aws, fleet, env)
    code = lambda_zip(lambda_source(env, credentials_digest(creds)))
    version_arn = ensure_basic_auth_function(aws, env, code)
    if aws.settings.cloudfront_distribution_id:
        associate_viewer_request(aws, aws.settings.cloudfront_distribution_id, version_arn)
    return version_arn
