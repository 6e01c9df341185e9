"""Creating the state store's table and bucket (``wpfleet platform bootstrap``): both
encrypted, idempotent, safe when two runners bootstrap at once."""

from __future__ import annotations

from typing import Any

from wpfleet.errors import BackendError, NotFoundError
from wpfleet.state.dynamo_base import DynamoBase

INDEXES = {"all": "gsi_all", "tenant": "gsi_tenant", "env": "gsi_env"}


class DynamoBootstrap(DynamoBase):
    # --- bootstrap -----------------------------------------------------------------------
    def bootstrap(self) -> list[str]:
        """Create the table and the bucket when missing, both encrypted; returns what
        was created (empty when both existed)."""
        created = []
        if not self._table_exists() and self._create_table():
            created.append(f"dynamodb table {self.table}")
        if not self._bucket_exists() and self._create_bucket():
            created.append(f"s3 bucket {self.bucket}")
        return created

    def _table_exists(self) -> bool:
        try:
            self._db("describe_table")
        except NotFoundError:
            return False
        return True

    def _create_table(self) -> bool:
        """Create and wait for the table; False when another runner created it first."""
        try:
            self._db("create_table", **self._table_spec())
            created = True
        except BackendError as err:
            if err.code != "ResourceInUseException":
                raise
            created = False
        waiter = self._client("dynamodb").get_waiter("table_exists")
        waiter.wait(TableName=self.table, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
        return created

    def _table_spec(self) -> dict[str, Any]:
        attrs = ["pk", "sk", "started", *INDEXES.values()]
        return dict(
            AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in attrs],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": index,
                    "KeySchema": [
                        {"AttributeName": attr, "KeyType": "HASH"},
                        {"AttributeName": "started", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
                for index, attr in INDEXES.items()
            ],
            BillingMode="PAY_PER_REQUEST",
            SSESpecification={"Enabled": True, "SSEType": "KMS"},
            Tags=[{"Key": "wpfleet:role", "Value": "state"}],
        )

    def _bucket_exists(self) -> bool:
        try:
            self._call("s3", "head_bucket", Bucket=self.bucket)
        except NotFoundError:
            return False
        except BackendError as err:
            if err.code in ("404", "NotFound"):
                return False
            raise
        return True

    def _create_bucket(self) -> bool:
        """Create the bucket and (again, harmlessly) its settings; False when another
        runner of ours created it first."""
        where = {}
        if self.region != "us-east-1":
            where = {"CreateBucketConfiguration": {"LocationConstraint": self.region}}
        created = True
        try:
            self._call("s3", "create_bucket", Bucket=self.bucket, **where)
        except BackendError as err:
            if err.code != "BucketAlreadyOwnedByYou":
                raise
            created = False
        rule = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
        self._call(
            "s3",
            "put_bucket_encryption",
            Bucket=self.bucket,
            ServerSideEncryptionConfiguration={"Rules": [rule]},
        )
        block = dict.fromkeys(
            ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"),
            True,
        )
        self._call(
            "s3",
            "put_public_access_block",
            Bucket=self.bucket,
            PublicAccessBlockConfiguration=block,
        )
        self._call(
            "s3",
            "put_bucket_versioning",
            Bucket=self.bucket,
            VersioningConfiguration={"Status": "Enabled"},
        )
        return created
