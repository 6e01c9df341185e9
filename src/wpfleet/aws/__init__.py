"""AWS plumbing shared by the AWS backend and the DynamoDB state store: the boto3
session (one per environment, retries, endpoint and profile) and the mapping of AWS
errors to wpfleet's. Below both ``backends`` and ``state`` in the layers, so the state
store never imports a backend."""
