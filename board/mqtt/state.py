"""The one JSON form of a board snapshot: the retained `state` topic, `state/get`, and `wallboard status --json`."""

from datetime import datetime
from pathlib import Path
from typing import Any

from board.core.snapshot import AttemptView, PersonView, Snapshot


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _person(person: PersonView | None) -> dict[str, Any] | None:
    if person is None:
        return None
    # The stored file name, not the Pi's path: clients know the name, not our disk.
    return {"id": person.id, "name": person.name, "photo": Path(person.photo).name if person.photo else None}


def _attempt(attempt: AttemptView) -> dict[str, Any]:
    return {"id": attempt.id, "person": attempt.person, "coach": attempt.coach, "at": _iso(attempt.at)}


def snapshot_payload(snapshot: Snapshot) -> dict[str, Any]:
    period = snapshot.period
    return {
        "board_id": snapshot.board_id,
        "version": snapshot.version,
        "language": snapshot.language,
        "levels": [
            {
                "id": level.id,
                "name": level.name,
                "slots": [
                    {
                        "id": slot.id,
                        "status": str(slot.status),
                        "person": _person(slot.person),
                        "unknown_uid": slot.unknown_uid,
                        "since": _iso(slot.moved_at),
                    }
                    for slot in level.slots
                ],
            }
            for level in snapshot.levels
        ],
        "period": None
        if period is None
        else {
            "id": period.id,
            "starts_at": _iso(period.starts_at),
            "ends_at": _iso(period.ends_at),
            "goal": period.goal,
            "count": period.count,
            "today": period.today,
            "percent": round(period.fraction * 100, 1),
        },
        "pad_window": None
        if snapshot.pad_window is None
        else {
            "coach": snapshot.pad_window.coach,
            "until": _iso(snapshot.pad_window.until),
        },
        "people_on_wall": sum(1 for level in snapshot.levels for slot in level.slots if slot.person is not None),
        "last_attempt": _attempt(snapshot.recent_attempts[0]) if snapshot.recent_attempts else None,
        "recent_attempts": [_attempt(attempt) for attempt in snapshot.recent_attempts],
        "moved_up": list(snapshot.moved_up),
        "last_move_up": None
        if snapshot.last_move_up is None
        else {
            "person": snapshot.last_move_up.person,
            "at": _iso(snapshot.last_move_up.at),
        },
        "message": snapshot.message,
        "offline_readers": list(snapshot.offline_readers),
    }
