"""Releases: immutable records of what a deployment put in an environment, the runs
that passed or failed, holds, and the event history beside them."""
