"""Entries of the append-only event log, as the rest of the process sees them."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class EventType(StrEnum):
    CARD_PLACED = "card_placed"
    CARD_MOVED = "card_moved"
    CARD_OFF_WALL = "card_off_wall"
    CARD_REMOVED = "card_removed"  # an unknown tag left its slot
    UNKNOWN_TAG = "unknown_tag"
    ATTEMPT_CONFIRMED = "attempt_confirmed"
    ATTEMPT_REJECTED = "attempt_rejected"
    ATTEMPT_VOIDED = "attempt_voided"
    PAD_OPENED = "pad_opened"
    PAD_CLOSED = "pad_closed"
    GOAL_REACHED = "goal_reached"
    GOAL_SET = "goal_set"
    PERIOD_STARTED = "period_started"
    READER_OFFLINE = "reader_offline"
    READER_ONLINE = "reader_online"
    PERSON_ADDED = "person_added"
    PERSON_UPDATED = "person_updated"
    PERSON_ARCHIVED = "person_archived"
    CARD_ASSIGNED = "card_assigned"
    CARD_UNASSIGNED = "card_unassigned"
    COACH_ADDED = "coach_added"
    COACH_REMOVED = "coach_removed"
    MOVE_CORRECTED = "move_corrected"
    PERIOD_CLOSED = "period_closed"  # the totals of a period that ended, before its awards
    AWARD_GIVEN = "award_given"
    HARVEST_SHOWN = "harvest_shown"  # someone asked the screen to show a harvest
    JOURNEY_SHOWN = "journey_shown"  # someone looked at their own card; no personal data
    SUN_MOVED = "sun_moved"  # someone slid the wall's sun (details: height 0..1)
    COACH_ANOMALY = "coach_anomaly"  # a coach confirmed more than the rules allow: a copied badge?


# Events whose tag may be a coach badge. A badge's UID is its only credential (a copy
# confirms attempts), so it stays in the log for the audit and is never published.
BADGE_EVENTS = frozenset({EventType.COACH_ADDED, EventType.COACH_REMOVED, EventType.ATTEMPT_REJECTED})


# Refusals (`attempt_rejected` reasons) that someone at the wall caused and is told about, kindly.
EXPLAINED_REFUSALS = frozenset({"self_confirm", "duplicate", "unknown_badge"})


@dataclass(frozen=True)
class Draft:
    """An event the rules want recorded; the store gives it `seq` and `at`."""

    type: EventType
    person_id: int | None = None
    slot_id: str | None = None
    coach_id: int | None = None
    uid: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WallEvent(Draft):
    """One recorded fact. `seq` is the event-log id: gap-free order for consumers."""

    seq: int = field(kw_only=True)
    at: datetime = field(kw_only=True)  # aware, in the board's timezone

    def as_payload(self) -> dict[str, Any]:
        """The JSON form used on stdout (scenario replay) and on MQTT.

        People and coaches appear by id and name; the names are copied into
        `details` when the event is written, so old events keep old names.
        Card events carry the card's `uid`; a badge's never leaves the log.
        """
        details = dict(self.details)
        payload: dict[str, Any] = {"seq": self.seq, "type": str(self.type), "at": self.at.isoformat()}
        if self.person_id is not None:
            payload["person"] = {"id": self.person_id, "name": details.pop("person_name", None)}
        if self.coach_id is not None:
            payload["coach"] = {"id": self.coach_id, "name": details.pop("coach_name", None)}
        if self.slot_id is not None:
            payload["slot"] = self.slot_id
        if self.uid is not None and self.type not in BADGE_EVENTS:
            payload["uid"] = self.uid
        payload.update(details)
        return payload

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> "WallEvent":
        """The event `as_payload` published, read back (a company collector folds it with `state.apply`).

        A badge's UID, which is never published, stays None.
        """
        details = dict(payload)
        seq, kind, at = details.pop("seq"), EventType(details.pop("type")), datetime.fromisoformat(details.pop("at"))
        person, coach = details.pop("person", None), details.pop("coach", None)
        if person is not None and person["name"] is not None:
            details["person_name"] = person["name"]
        if coach is not None and coach["name"] is not None:
            details["coach_name"] = coach["name"]
        return cls(
            kind,
            person_id=None if person is None else person["id"],
            slot_id=details.pop("slot", None),
            coach_id=None if coach is None else coach["id"],
            uid=details.pop("uid", None),
            details=details,
            seq=seq,
            at=at,
        )
