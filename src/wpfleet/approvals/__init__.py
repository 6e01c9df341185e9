"""Approval gates: the policy (``policy``; windows are ``wpfleet.config.windows``), the
external webhook gate (``gate``) and the approval records in the state store (``book``)."""
