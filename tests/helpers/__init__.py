"""Test helpers shared between test packages (moto server, factories)."""
