"""One module per user intent, under the CLI (and the portal)."""
