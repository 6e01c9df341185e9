"""The WordPress install, completed by wpfleet over HTTP instead of a person in a browser:
site title, admin user with the generated password from the admin secret, admin e-mail
from the fleet file, search engines discouraged outside prod.

It lives inside the tenant's database (``standalone = False``): deleting the database
deletes it, so ``delete`` has nothing to do.
"""

from __future__ import annotations

from wpfleet.backends.aws.tenant import AwsResource, TenantAws
from wpfleet.backends.aws.web import BEHIND_CLOUDFRONT, Site
from wpfleet.checks.poll import Backoff, until
from wpfleet.engine.resource import Fact, Phase, State
from wpfleet.errors import BackendError

INSTALL = "/wp-admin/install.php"


def site(t: TenantAws, with_auth: bool = True, public: bool = False) -> Site:
    """The tenant's site as the checks and the installer reach it: through
    ``http_check_address`` when set, else straight to the ALB (the public record may not
    exist yet: sit verifies before DNS); ``public`` asks by the public name instead."""
    address = t.settings.http_check_address
    if address and not public:
        base = address if "://" in address else f"http://{address}"
        return Site(host=t.names.host, base=base, extra_headers=BEHIND_CLOUDFRONT)
    if not public and t.settings.listener_arn:
        listener, lb = t.listener(), t.load_balancer()
        scheme = "https" if listener.get("Protocol") == "HTTPS" else "http"
        return Site(
            host=t.names.host,
            base=f"{scheme}://{t.names.host}",
            connect_to=f"{lb['DNSName']}:{listener.get('Port', 443)}",
            extra_headers=BEHIND_CLOUDFRONT,
        )
    auth = None
    if with_auth and t.ctx.env.basic_auth:
        from wpfleet.backends.aws.platform import basic_auth_credentials

        creds = basic_auth_credentials(t.aws, t.ctx.fleet_name, t.env)
        auth = (creds.username, creds.password) if creds else None
    return Site(host=t.names.host, base=f"{t.settings.scheme}://{t.names.host}", auth=auth)


def is_installed(t: TenantAws) -> bool | None:
    """True/False from install.php; None when the site does not answer usefully."""
    reply = site(t).request(INSTALL)
    if reply.status == 0 or reply.status >= 500:
        return None
    page = reply.text
    if "Already Installed" in page:
        return True
    if 'id="setup"' in page or 'name="weblog_title"' in page:
        return False
    return None


#: how long a fresh service may take to answer install.php (Fargate start + pull)
SITE_DEADLINE = 600.0


def wait_for_site(t: TenantAws, deadline: float | None = None) -> bool:
    """``is_installed`` once the site answers; polls with growing delays until then."""
    limit = SITE_DEADLINE if deadline is None else deadline
    state = until(lambda: is_installed(t), limit, Backoff(1.0, 30.0), sleep=t.aws.sleep)
    if state is None:
        raise BackendError(
            f"the site of {t.tenant} in {t.env} did not answer {INSTALL} in time",
            hint="check the service's tasks and logs (`wpfleet verify`), then re-run deploy",
            code="WordPressUnreachable",
            retryable=True,
        )
    return state


class WordPressInstall(AwsResource):
    id = "infra/wordpress"
    phase = Phase.INFRA
    standalone = False
    depends_on = ("infra/service", "database/user", "database/admin-secret")
    description = "WordPress install (title, admin user, search engine visibility)"

    def read(self) -> Fact | None:
        return Fact({"installed": True}, tagged=None) if is_installed(self.t) else None

    def desired(self) -> State:
        return {"installed": True}

    def form(self) -> dict[str, str]:
        admin = self.t.secret_value(self.names.admin_secret)
        tenant = self.t.ctx.tenant
        return {
            "weblog_title": tenant.name,
            "user_name": str(admin.get("username") or tenant.admin_user),
            "admin_password": str(admin["password"]),
            "admin_password2": str(admin["password"]),
            "pw_weak": "1",
            "admin_email": str(admin.get("email") or tenant.admin_email),
            "blog_public": "1" if self.t.ctx.env.is_prod else "0",
            "language": "",
            "Submit": "Install WordPress",
        }

    def create(self) -> None:
        """Wait for the new service to answer (tasks take minutes to start on Fargate),
        then complete the install; a site that never answers is a (retryable) error."""
        state = wait_for_site(self.t)
        if state:
            return
        reply = site(self.t).request(f"{INSTALL}?step=2", data=self.form())
        if reply.status != 200 or not is_installed(self.t):
            raise BackendError(
                f"WordPress install of {self.t.tenant} in {self.t.env} did not complete "
                f"(HTTP {reply.status})",
                hint="check that the service runs and reaches its database "
                "(`wpfleet verify`), then re-run deploy",
                code="WordPressInstall",
                retryable=True,
            )

    def update(self, target: State) -> None:
        self.create()

    def delete(self) -> None:
        """Nothing: the install lives in the tenant's database."""
