"""Generators for GitHub Actions: the workflows that run wpfleet, and the IAM policy of
the role they assume. Pure functions of the fleet file: no backend, no state."""
