"""The AWS backend's resources, one module per resource, as moto lays out per service.

Each module holds one ``AwsResource`` (or a small family: the two roles, the two
secrets) with its read / desired / create / update / delete; the AWS calls themselves
live in the thin per-service modules one level up (``ecs``, ``elbv2``, ``efs``, ...).
"""
