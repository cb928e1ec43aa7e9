"""The `positions` table: where each card hangs, kept in step with the event log.

The table is decided by the same fold as the live state (`board.core.state.apply`),
live for each recorded event and for the whole log on `db rebuild`.
"""

import sqlite3
from collections.abc import Iterable
from datetime import datetime

from board.core.events import WallEvent
from board.core.state import WallState, apply
from store.sqlite import time_text


def moves_card(state: WallState, event: WallEvent) -> bool:
    """Fold `event` into `state`; True if that changed where the event's person's card hangs."""
    before = state.positions.get(event.person_id) if event.person_id is not None else None
    apply(state, event)
    return event.person_id is not None and state.positions.get(event.person_id) != before


def project_position(connection: sqlite3.Connection, event: WallEvent) -> None:
    """Fold one recorded event into the `positions` table (no change for events that move no card)."""
    if event.person_id is None:
        return
    state = WallState()
    stored = connection.execute(
        "SELECT slot_id, since FROM positions WHERE person_id = ?", (event.person_id,)
    ).fetchone()
    if stored is not None:
        state.positions[event.person_id] = (stored[0], datetime.fromisoformat(stored[1]))
    if not moves_card(state, event):
        return
    if event.person_id in state.positions:
        slot_id, since = state.positions[event.person_id]
        connection.execute(
            "INSERT INTO positions (person_id, slot_id, since, seq) VALUES (?, ?, ?, ?) ON CONFLICT (person_id)"
            " DO UPDATE SET slot_id = excluded.slot_id, since = excluded.since, seq = excluded.seq",
            (event.person_id, slot_id, time_text(since), event.seq),
        )
    else:
        connection.execute("DELETE FROM positions WHERE person_id = ?", (event.person_id,))


def positions_of(events: Iterable[WallEvent]) -> list[tuple[int, str, str, int]]:
    """The whole `positions` table as the log decides it: (person, slot, since, seq of the event
    that put the card there) rows."""
    state, placed_by = WallState(), {}
    for event in events:
        if moves_card(state, event):
            placed_by[event.person_id] = event.seq
    return [
        (person_id, slot_id, time_text(since), placed_by[person_id])
        for person_id, (slot_id, since) in state.positions.items()
    ]
