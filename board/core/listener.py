"""Listeners hear about every recorded event and every new snapshot.

The service calls them on its own thread, so they must be quick (hand work to
their own thread or queue). A listener that raises is logged and the service
carries on: a broken screen must never stop the wall from recording.
"""

import logging
from typing import Protocol

from board.core.events import WallEvent
from board.core.snapshot import Snapshot

log = logging.getLogger(__name__)


class BoardListener(Protocol):
    def on_event(self, event: WallEvent) -> None: ...

    def on_snapshot(self, snapshot: Snapshot) -> None: ...


def notify(listeners: list[BoardListener], method: str, *args: object) -> None:
    """Call `method` on every listener; log and swallow each listener's failure."""
    for listener in listeners:
        try:
            getattr(listener, method)(*args)
        except Exception:
            log.exception("listener %r failed in %s; carrying on", listener, method)
