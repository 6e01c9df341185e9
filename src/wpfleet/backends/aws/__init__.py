"""The AWS backend: the seeds' pipeline on ECS Fargate, ALB, EFS, RDS, Secrets Manager,
Route53 and CloudFront, behind the same ``Backend`` interface as the local backend.

Layout (moto-style, one concept per module):

- ``session``: per-environment boto3 session (profile or default chain, region,
  ``endpoint_url`` for moto), a separate DNS session, cached clients, the STS account
  check; every call goes through ``AwsSession.call`` (retries + error translation).
- ``errors``: the one place AWS error codes become wpfleet errors; backoff with jitter.
- one thin module per service, functions named after the AWS operations: ``ecs``,
  ``elbv2``, ``efs``, ``secretsmanager``, ``iam``, ``rds``, ``route53``, ``cloudfront``,
  ``lambda_``, ``logs``, ``cloudwatch``, ``s3``, ``acm``, ``ec2``, ``ce`` (cost per tenant),
  ``sts``.
- ``tenant``: what a tenant's resources share (names, tags, per-run cached reads).
- ``resources/``: one module per resource, as moto lays out per service:
  ``access_point``, ``task_definition``, ``target_group``, ``listener_rule``, ``service``,
  ``secret`` (database and admin secrets), ``database``, ``database_user``, ``roles``
  (per-tenant roles, the seeds' shared-role inline policy), ``dns_record`` (alias
  record), ``wordpress_install`` (install over HTTP); their base class ``AwsResource``
  lives in ``tenant``. ``mysql`` and ``dbinit`` run the SQL directly or as a one-off ECS
  task; ``priorities`` and ``limits`` check the real AWS rules moto does not.
- ``checks`` (verify), ``platform`` (base resources, basic-auth Lambda@Edge),
  ``discover`` (fill the ``aws:`` block), ``documents`` (config document sections),
  ``backend`` (``AwsBackend``).
"""
