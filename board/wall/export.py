"""The recorded wall as tables: attempts, moves, events and people, for a spreadsheet or BI tool.

The columns are a stable interface (docs/export.md lists them): new columns may be
added at the end, none is renamed or dropped. Attempts and moves come from the
event log itself, so every confirmed attempt appears exactly once.
"""

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from board.core.events import EventType
from board.core.harvest import PeriodSpan
from board.core.settings import WallSettings
from store.repository import Store

MOVE_EVENTS = (EventType.CARD_PLACED, EventType.CARD_MOVED, EventType.MOVE_CORRECTED, EventType.CARD_OFF_WALL)


@dataclass(frozen=True)
class Table:
    """One export table; what each holds is described for users in docs/export.md."""

    name: str
    columns: tuple[str, ...]
    key: str  # the column pages are ordered and continued by
    rows: Callable[[Store, WallSettings, PeriodSpan], list[dict[str, Any]]]


def _attempt_rows(store: Store, settings: WallSettings, span: PeriodSpan) -> list[dict[str, Any]]:
    log = store.log_until((EventType.ATTEMPT_CONFIRMED,), span.ends_at, always=(EventType.ATTEMPT_VOIDED,))
    voids = {e.details["attempt_id"]: e.details.get("reason") for e in log if e.type is EventType.ATTEMPT_VOIDED}
    return [
        {
            "attempt_id": e.details["attempt_id"],
            "at": e.at.isoformat(),
            "period_id": e.details.get("period_id"),
            "person_id": e.person_id,
            "person_name": e.details.get("person_name"),
            "coach_id": e.coach_id,
            "coach_name": e.details.get("coach_name"),
            "via": e.details.get("via"),
            "slot": e.slot_id,
            "voided": e.details["attempt_id"] in voids,
            "void_reason": voids.get(e.details["attempt_id"]),
            "event_seq": e.seq,
        }
        for e in log
        if e.type is EventType.ATTEMPT_CONFIRMED and span.holds(e.at)
    ]


def _move_rows(store: Store, settings: WallSettings, span: PeriodSpan) -> list[dict[str, Any]]:
    levels = {slot: index for index, level in enumerate(settings.levels) for slot in level.slots}
    rows = []
    for e in store.log_until(MOVE_EVENTS, span.ends_at):
        if not span.holds(e.at):
            continue
        details = e.details
        from_slot = (
            details.get("from_slot")
            or details.get("last_slot")
            or (e.slot_id if e.type is EventType.CARD_OFF_WALL else None)
        )
        to_slot = (
            details.get("to_slot")
            if e.type is EventType.MOVE_CORRECTED
            else (None if e.type is EventType.CARD_OFF_WALL else e.slot_id)
        )
        change = levels[to_slot] - levels[from_slot] if from_slot in levels and to_slot in levels else None
        rows.append(
            {
                "seq": e.seq,
                "at": e.at.isoformat(),
                "type": str(e.type),
                "person_id": e.person_id,
                "person_name": details.get("person_name"),
                "from_slot": from_slot,
                "to_slot": to_slot,
                "level_change": change,
                "reason": details.get("reason"),
            }
        )
    return rows


def _event_rows(store: Store, settings: WallSettings, span: PeriodSpan) -> list[dict[str, Any]]:
    return [
        {
            "seq": e.seq,
            "at": e.at.isoformat(),
            "type": str(e.type),
            "person_id": e.person_id,
            "coach_id": e.coach_id,
            "slot": e.slot_id,
            "uid": e.uid,
            "details": e.details,
        }
        for e in store.log_until(tuple(EventType), span.ends_at)
        if span.holds(e.at)
    ]


def _people_rows(store: Store, settings: WallSettings, span: PeriodSpan) -> list[dict[str, Any]]:
    people = store.load_directory()
    slots = store.positions()
    cards: dict[int, list[str]] = {}
    for uid, owner in people.cards.items():
        cards.setdefault(owner, []).append(uid)
    return [
        {
            "person_id": p.id,
            "name": p.name,
            "archived": p.archived,
            "photo": p.photo,
            "cards": " ".join(sorted(cards.get(p.id, []))),
            "slot": slots.get(p.id),
        }
        for p in sorted(people.people.values(), key=lambda p: p.id)
    ]


TABLES = {
    table.name: table
    for table in (
        Table(
            "attempts",
            (
                "attempt_id",
                "at",
                "period_id",
                "person_id",
                "person_name",
                "coach_id",
                "coach_name",
                "via",
                "slot",
                "voided",
                "void_reason",
                "event_seq",
            ),
            "attempt_id",
            _attempt_rows,
        ),
        Table(
            "moves",
            ("seq", "at", "type", "person_id", "person_name", "from_slot", "to_slot", "level_change", "reason"),
            "seq",
            _move_rows,
        ),
        Table(
            "events",
            ("seq", "at", "type", "person_id", "coach_id", "slot", "uid", "details"),
            "seq",
            _event_rows,
        ),
        Table(
            "people",
            ("person_id", "name", "archived", "photo", "cards", "slot"),
            "person_id",
            _people_rows,
        ),
    )
}


def export_rows(store: Store, settings: WallSettings, table: str, span: PeriodSpan) -> list[dict[str, Any]]:
    return TABLES[table].rows(store, settings, span)


def as_csv(table: str, rows: list[dict[str, Any]]) -> str:
    """A header, then one line per row; true/false for flags, nothing for a missing value."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=TABLES[table].columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _cell(value) for key, value in row.items()})
    return out.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def as_json(rows: list[dict[str, Any]]) -> str:
    return json.dumps(rows, ensure_ascii=False, indent=1) + "\n"


def page(table: str, rows: list[dict[str, Any]], after: int, limit: int) -> tuple[list[dict[str, Any]], int, bool]:
    """Rows whose key is above `after`, at most `limit`: (rows, next `after`, more to come)."""
    key = TABLES[table].key
    rest = [row for row in rows if row[key] > after]
    chosen = rest[:limit]
    return chosen, chosen[-1][key] if chosen else after, len(rest) > limit
