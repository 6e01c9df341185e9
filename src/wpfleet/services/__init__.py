"""The service layer: one module per user intent, each a few functions taking a
``Workspace`` and returning typed results (dataclasses), reporting progress through
``ws.events``. The CLI (and a future portal) parses, calls ONE service, renders.

Modules: ``deployments`` (plan, deploy, batch, destroy, adopt, verify), ``status``,
``history``, ``credentials``, ``platform``, ``content``.
"""

from wpfleet.context import default_actor
from wpfleet.services.events import Events, NoEvents, Recorder
from wpfleet.services.workspace import Workspace

__all__ = ["Events", "NoEvents", "Recorder", "Workspace", "default_actor"]
