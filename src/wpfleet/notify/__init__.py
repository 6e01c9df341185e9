"""Notifications: Slack incoming webhooks, a generic JSON webhook and e-mail (SMTP).

Why this shape: a notification is a side effect of a deployment, never part of it. So
:func:`send` never raises: every channel is tried with a short timeout, and each one
reports a :class:`Delivery` (ok or the error, with the channel's address masked), which
the caller logs. A message carries only the event's own fields, which callers build from
names, statuses and URLs: never a secret. Channel addresses that hold a token (a Slack
webhook URL) may be given as ``env:VARIABLE`` in the fleet file, and are never printed.
"""

from wpfleet.notify.channels import Delivery, send
from wpfleet.notify.events import Event, EventKind

__all__ = ["Delivery", "Event", "EventKind", "send"]
