"""Fixtures for the checks' tests."""

from tests.checks.stage import stage

__all__ = ["stage"]
