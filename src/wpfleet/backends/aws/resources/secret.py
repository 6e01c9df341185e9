"""Database phase: the tenant's secrets (database credentials, WordPress admin).

Secrets are tagged (ownership by tag). A secret is never re-generated once it exists:
``update`` leaves its value alone.
"""

from __future__ import annotations

import secrets
import string
from typing import Any

from wpfleet.aws.errors import AwsConflict
from wpfleet.backends.aws import secretsmanager
from wpfleet.backends.aws import tags as T
from wpfleet.backends.aws.tenant import AwsResource, TenantAws
from wpfleet.engine.resource import Fact, Phase, State
from wpfleet.errors import ConflictError

PASSWORD_ALPHABET = string.ascii_letters + string.digits
PASSWORD_LENGTH = 32


def generate_password(length: int = PASSWORD_LENGTH) -> str:
    """Letters and digits only: safe inside SQL, shell and URLs without quoting."""
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))


class SecretResource(AwsResource):
    """A tagged Secrets Manager secret holding a JSON object with a generated password."""

    phase = Phase.DATABASE

    def __init__(self, t: TenantAws, step_id: str, name: str, description: str) -> None:
        super().__init__(t)
        self.id = step_id
        self.secret_name = name
        self.description = description

    def value(self) -> dict[str, Any]:
        raise NotImplementedError

    def read(self) -> Fact | None:
        meta = self.t.secret_meta(self.secret_name)
        if meta is None:
            return None
        return self.fact({"name": self.secret_name, "arn": meta["ARN"]}, meta.get("Tags"))

    def desired(self) -> State:
        return {"name": self.secret_name}

    def create(self) -> None:
        """Create with a fresh password; an existing secret of ours is kept as it is."""
        fact = self.read()
        if fact is not None:
            self._converge(fact)
            return
        value = self.value()
        try:
            created = secretsmanager.create_secret(
                self.aws,
                self.secret_name,
                value,
                self.t.tags(self.secret_name),
                self.description,
            )
        except AwsConflict:
            self.t.changed(f"secret:{self.secret_name}")
            fact = self.read()
            if fact is None:
                raise
            self._converge(fact)
            return
        meta = {"ARN": created["ARN"], "Name": self.secret_name,
                "Tags": T.as_key_value(self.t.tags(self.secret_name))}  # fmt: skip
        self.t.remember(f"secret:{self.secret_name}", meta)
        self.t.remember(f"secret-value:{self.secret_name}", value)

    def _converge(self, fact: Fact) -> None:
        if not fact.tagged and self.id not in self.t.ctx.store.owned(self.t.env, self.t.tenant):
            raise ConflictError(
                f"secret {self.secret_name} exists and is not wpfleet's",
                hint="adopt it with `wpfleet adopt`, or delete it if it is stale",
            )
        self.update(self.desired())

    def update(self, target: State) -> None:
        """Only (re)tag: the value is never regenerated."""
        name = self.secret_name
        tag, untag = secretsmanager.tag_resource, secretsmanager.untag_resource
        self.reconcile_tags(target, name, name, tag, untag)
        self.t.changed(f"secret:{self.secret_name}")

    def delete(self) -> None:
        secretsmanager.delete_secret(self.aws, self.secret_name)
        self.t.changed(f"secret:{self.secret_name}", f"secret-value:{self.secret_name}")

    def ownership_data(self) -> State:
        return {"name": self.secret_name}


class DbSecret(SecretResource):
    def __init__(self, t: TenantAws) -> None:
        super().__init__(
            t,
            "database/secret",
            t.names.db_secret,
            f"Database credentials for {t.tenant} in {t.env} (wpfleet)",
        )

    def value(self) -> dict[str, Any]:
        host, port = self.t.db_endpoint()
        return {
            "username": self.names.db_user,
            "password": generate_password(),
            "database": self.names.database,
            "host": host,
            "port": port,
        }


class AdminSecret(SecretResource):
    def __init__(self, t: TenantAws) -> None:
        super().__init__(
            t,
            "database/admin-secret",
            t.names.admin_secret,
            f"WordPress admin login for {t.tenant} in {t.env} (wpfleet)",
        )

    def value(self) -> dict[str, Any]:
        tenant = self.t.ctx.tenant
        return {
            "username": tenant.admin_user,
            "password": generate_password(),
            "email": tenant.admin_email,
        }
