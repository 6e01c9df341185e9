"""wpfleet: run a fleet of WordPress tenants across dev -> sit -> prod."""

__version__ = "0.1.0"
