"""Batched fleet health, and the verify checks' answers on the cases moto fakes."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.backends.aws.infra import ENV, BaseEnv, make_ctx, recording, tenant, write_fleet
from wpfleet.backends.aws.backend import AwsBackend
from wpfleet.state.sqlite import SqliteStore

pytestmark = pytest.mark.aws


def make_tenants_directly(base: BaseEnv, ids: list[str], running: bool = True) -> None:
    """Target groups and services as a deploy would leave them (fast, straight to moto)."""
    elb, ecs = base.client("elbv2"), base.client("ecs")
    ecs.register_task_definition(
        family="bench", containerDefinitions=[{"name": "wordpress", "image": "x", "memory": 128}]
    )
    for i, tid in enumerate(ids):
        tg = elb.create_target_group(
            Name=f"{ENV}-{tid}-tg", Protocol="HTTP", Port=80, VpcId=base.vpc_id, TargetType="ip"
        )["TargetGroups"][0]["TargetGroupArn"]
        elb.create_rule(
            ListenerArn=base.listener_arn, Priority=10 + i,
            Conditions=[{"Field": "host-header", "Values": [f"{tid}.example.test"]}],
            Actions=[{"Type": "forward", "TargetGroupArn": tg}],
        )  # fmt: skip
        ecs.create_service(
            cluster=base.cluster, serviceName=f"{ENV}-{tid}-service", taskDefinition="bench",
            desiredCount=1 if running else 0,
        )  # fmt: skip


def test_health_of_100_tenants_is_batched(
    tmp_path: Path, base: BaseEnv, store: SqliteStore
) -> None:
    ids = [f"t{i:03d}" for i in range(100)]
    make_tenants_directly(base, ids[:95])  # five were never deployed
    loaded = write_fleet(tmp_path / "fleet.yaml", base, [tenant(i) for i in ids])
    with recording() as rec:
        backend = AwsBackend(loaded, loaded.fleet.env(ENV), store)
        # these tenants have no site (made directly): the page fetches are left out here
        # and tested with a real one in tests/backends/aws/test_drift_aws.py
        health = backend.health([make_ctx(loaded, i, store) for i in ids], http=False)
    counts = Counter(rec.calls)
    assert counts["ecs.DescribeServices"] == 10
    assert counts["elbv2.DescribeTargetGroups"] == 1  # the ALB's, paginated
    assert counts["elbv2.DescribeListeners"] == 0  # the ALB's ARN is read from the listener's
    assert counts["cloudwatch.GetMetricData"] == 1
    assert len(rec.calls) <= 25, counts
    assert sum(h.deployed for h in health.values()) == 95
    assert health["t000"].healthy is True and health["t000"].detail.startswith("1/1 running")
    assert health["t099"].deployed is False and health["t099"].healthy is None


def checks_by_name(backend: AwsBackend, ctx: Any) -> dict[str, Any]:
    return {c.name: c for c in backend.checks(ctx)}


def test_checks_on_what_moto_fakes(tmp_path: Path, base: BaseEnv, store: SqliteStore) -> None:
    loaded = write_fleet(
        tmp_path / "fleet.yaml", base, [tenant("alpha")], http_check_address="127.0.0.1:9"
    )
    backend = AwsBackend(loaded, loaded.fleet.env(ENV), store)
    ctx = make_ctx(loaded, "alpha", store)
    checks = checks_by_name(backend, ctx)
    missing = {name: c.run() for name, c in checks.items()}
    assert [n for n, r in missing.items() if r.ok] == []
    assert missing["logs"].detail == "log group /ecs/sit/alpha is missing (a deploy creates it)"
    assert "not found" in missing["secret"].detail and "missing" in missing["service"].detail
    http = missing["http"].detail
    assert http.startswith("http://alpha.wpsit.example.test via 127.0.0.1:9: no answer"), http
    make_tenants_directly(base, ["alpha"])
    assert checks["service"].run().ok and checks["running"].run().ok
    target = checks["target"].run()  # moto registers no targets for ECS: empty = unhealthy
    assert not target.ok and "empty list is unhealthy" in target.detail
    tg = base.client("elbv2").describe_target_groups(Names=["sit-alpha-tg"])["TargetGroups"][0]
    base.client("elbv2").register_targets(
        TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": "10.20.1.5", "Port": 80}]
    )
    assert checks["target"].run().ok


def test_logs_check_finds_fatal_and_sqlstate_since_the_deploy(
    tmp_path: Path, base: BaseEnv, store: SqliteStore
) -> None:
    loaded = write_fleet(tmp_path / "fleet.yaml", base, [tenant("alpha")])
    backend = AwsBackend(loaded, loaded.fleet.env(ENV), store)
    ctx = make_ctx(loaded, "alpha", store)
    logs = base.client("logs")
    stream = "alpha/wordpress/0123"
    for group in ("/ecs/sit/alpha", "/ecs/sit/beta"):
        logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName="/ecs/sit/alpha", logStreamName=stream)
    logs.create_log_stream(logGroupName="/ecs/sit/beta", logStreamName="beta/wordpress/1")
    logs.create_log_stream(logGroupName="/ecs/sit", logStreamName=stream)
    now = int(ctx.started_at * 1000)
    logs.put_log_events(
        logGroupName="/ecs/sit/beta", logStreamName="beta/wordpress/1",
        logEvents=[{"timestamp": now + 5, "message": "PHP Fatal error: other tenant"}],
    )  # fmt: skip
    logs.put_log_events(  # the environment's group: where alpha logged before its own
        logGroupName="/ecs/sit", logStreamName=stream,
        logEvents=[{"timestamp": now + 5, "message": "PHP Fatal error: the shared group"}],
    )  # fmt: skip
    check = checks_by_name(backend, ctx)["logs"]
    assert check.run().ok, check.run().detail  # only the tenant's own group is read
    logs.put_log_events(
        logGroupName="/ecs/sit/alpha", logStreamName=stream,
        logEvents=[
            {"timestamp": now - 60_000, "message": "PHP Fatal error: before the deploy"},
            {"timestamp": now + 10, "message": "SQLSTATE[HY000] [1045] Access denied"},
        ],
    )  # fmt: skip
    result = check.run()
    assert (
        not result.ok and "SQLSTATE" in result.detail and "before the deploy" not in result.detail
    )


def test_logs_check_follows_next_token_past_an_empty_page(
    tmp_path: Path, base: BaseEnv, store: SqliteStore
) -> None:
    """AWS: FilterLogEvents "can return an empty page, or a page with fewer results than
    requested, while nextToken says more remain"
    (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html).
    moto returns everything on one page, so both pages are stubbed here: page 1 empty
    with a nextToken, the error on page 2."""
    loaded = write_fleet(tmp_path / "fleet.yaml", base, [tenant("alpha")])
    backend = AwsBackend(loaded, loaded.fleet.env(ENV), store)
    ctx = make_ctx(loaded, "alpha", store)
    event = {
        "logStreamName": "alpha/wordpress/0123", "timestamp": int(ctx.started_at * 1000) + 5,
        "message": "PHP Fatal error: Uncaught Error on page two", "eventId": "1",
    }  # fmt: skip
    sent: list[dict[str, Any]] = []

    def pages(name: str, params: dict[str, Any]) -> Any:
        if name != "logs.FilterLogEvents":
            return None
        body = json.loads(params.get("body") or b"{}")
        sent.append(body)
        if "Fatal" not in body["filterPattern"]:
            return stub({"events": [], "searchedLogStreams": []})
        if "nextToken" not in body:
            return stub({"events": [], "nextToken": "page-2"})
        return stub({"events": [event]})

    with recording() as rec:
        rec.fail = pages
        result = checks_by_name(backend, ctx)["logs"].run()
    assert not result.ok and "page two" in result.detail, result.detail
    assert [b.get("nextToken") for b in sent if "Fatal" in b["filterPattern"]] == [None, "page-2"]


def stub(parsed: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """A ``before-call`` handler's answer: AWS's response without sending the call."""
    from types import SimpleNamespace

    http = SimpleNamespace(status_code=200, headers={}, text="", content=b"")
    return http, {**parsed, "ResponseMetadata": {"HTTPStatusCode": 200}}


def test_https_check_wants_401_without_and_the_page_with_basic_auth(
    tmp_path: Path, base: BaseEnv, store: SqliteStore
) -> None:
    """A stand-in for CloudFront + the basic-auth Lambda@Edge (moto serves no traffic):
    the https check runs in sit as well as prod (seeds, phase 3B), after the DNS phase."""
    import base64
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from wpfleet.backends.aws import checks as aws_checks
    from wpfleet.backends.aws.web import Site
    from wpfleet.checks.site import HttpsCheck

    good = "Basic " + base64.b64encode(b"bbws-sit:s3cret").decode()
    page = b"<html><head><title>Alpha Bakery</title></head><body><h1>Alpha Bakery</h1>"
    page += b"<p>Fresh bread every morning.</p></body></html>"

    class Edge(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            authed = self.headers.get("Authorization") == good
            self.send_response(200 if authed else 401)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(page if authed else b"")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Edge)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    address = f"http://127.0.0.1:{server.server_address[1]}"
    loaded = write_fleet(
        tmp_path / "fleet.yaml", base, [tenant("alpha")], env_extra={"basic_auth": True}
    )
    backend = AwsBackend(loaded, loaded.fleet.env(ENV), store)
    t = backend.tenant(make_ctx(loaded, "alpha", store))
    https = [c for c in backend.checks(t.ctx) if c.name == "https"]
    assert len(https) == 1 and https[0].after_dns  # sit, not only prod
    edge = Site(host="alpha.wpsit.example.test", base=address)
    expect = aws_checks.expectations(t, public=True)
    assert expect.basic_auth
    login = replace(expect, credentials=lambda: ("bbws-sit", "s3cret"))
    try:
        result = HttpsCheck(edge, login).run()
        assert result.ok and "401 without credentials, HTTP 200 with" in result.detail
        assert "front page of 'Alpha Bakery'" in result.detail
        wrong = replace(expect, credentials=lambda: ("bbws-sit", "nope"))
        assert not HttpsCheck(edge, wrong).run().ok
    finally:
        server.shutdown()


def test_site_goes_straight_to_the_alb_before_dns(
    tmp_path: Path, base: BaseEnv, store: SqliteStore
) -> None:
    from wpfleet.backends.aws.resources.wordpress_install import site

    loaded = write_fleet(tmp_path / "fleet.yaml", base, [tenant("alpha")])
    backend = AwsBackend(loaded, loaded.fleet.env(ENV), store)
    t = backend.tenant(make_ctx(loaded, "alpha", store))
    lb = base.client("elbv2").describe_load_balancers(LoadBalancerArns=[base.lb_arn])
    via_alb = site(t)
    assert via_alb.connect_to == f"{lb['LoadBalancers'][0]['DNSName']}:80"
    assert via_alb.base == "http://alpha.wpsit.example.test"  # the listener is HTTP here
    assert via_alb.extra_headers == {"CloudFront-Forwarded-Proto": "https"}
    assert site(t, public=True).base == "https://alpha.wpsit.example.test"


def test_pinned_tls_checks_the_tenant_host_name(tmp_path: Path) -> None:
    """``connect_to`` dials another address (the ALB) but TLS verifies the tenant's host,
    like ``curl --resolve``."""
    import ssl
    import subprocess
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from wpfleet.backends.aws.web import Site

    host = "alpha.wpsit.example.test"
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", f"/CN={host}",
         "-addext", f"subjectAltName=DNS:{host}"],
        check=True, capture_output=True,
    )  # fmt: skip
    seen: list[str] = []

    class Alb(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.headers.get("Host", ""))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"<title>Alpha</title>")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Alb)
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert, key)
    server.socket = server_ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    trust = ssl.create_default_context(cafile=str(cert))
    try:
        ok = Site(host=host, base=f"https://{host}", connect_to=f"127.0.0.1:{port}",
                  context=trust).request("/")  # fmt: skip
        assert ok.status == 200 and "Alpha" in ok.text and seen == [host]
        wrong = Site(host="beta.wpsit.example.test", base="https://beta.wpsit.example.test",
                     connect_to=f"127.0.0.1:{port}", context=trust).request("/")  # fmt: skip
        assert wrong.status == 0 and "certificate" in wrong.error.lower()
    finally:
        server.shutdown()


def test_cost_per_tenant_from_cost_explorer(
    tmp_path: Path, base: BaseEnv, store: SqliteStore
) -> None:
    """moto's Cost Explorer answers what is seeded through its static results API."""
    import datetime as dt
    import json as _json
    import urllib.request

    from wpfleet.backends.aws import ce

    def group(tid: str, amount: str) -> dict[str, Any]:
        return {"Keys": [f"wpfleet:tenant${tid}"],
                "Metrics": {"UnblendedCost": {"Amount": amount, "Unit": "USD"}}}  # fmt: skip

    seeded = {"results": [{"ResultsByTime": [
        {"TimePeriod": {"Start": "2026-11-20", "End": "2026-11-21"}, "Total": {},
         "Groups": [group("alpha", "1.25"), group("beta", "0.50")], "Estimated": False},
        {"TimePeriod": {"Start": "2026-11-21", "End": "2026-11-22"}, "Total": {},
         "Groups": [group("alpha", "1.00"), group("", "0.10")], "Estimated": False},
    ]}]}  # fmt: skip
    req = urllib.request.Request(
        f"{base.url}/moto-api/static/ce/cost-and-usage-results",
        data=_json.dumps(seeded).encode(), method="POST",
    )  # fmt: skip
    urllib.request.urlopen(req, timeout=5).close()
    loaded = write_fleet(tmp_path / "fleet.yaml", base, [tenant("alpha")])
    backend = AwsBackend(loaded, loaded.fleet.env(ENV), store)
    with recording() as rec:
        costs = ce.get_cost_and_usage(backend.aws, ENV, 2, dt.date(2026, 11, 22))
    assert rec.calls == ["ce.GetCostAndUsage"]
    assert costs.by_tenant == {"alpha": 2.25, "beta": 0.5, "": 0.1}
    assert costs.days == ["2026-11-20", "2026-11-21"] and costs.currency == "USD"
