"""Approval gates: the policy (``policy``), deployment windows (``windows``), the
external webhook gate (``gate``) and the approval records in the state store (``book``)."""
