"""The wall's rules as plain functions over plain data.

Each rule looks at the in-memory `WallState` and the `Directory` of who is who and
returns `Draft`s: events to record. Recording is the service's job; once an event
is recorded, `apply` folds it into the state. Physical presence that records
nothing by itself (a card lifted, a tag seen) is updated here directly.
"""

from datetime import date, datetime, timedelta
from typing import Any

from board.core.clock import elapsed, later
from board.core.events import Draft, EventType
from board.core.settings import PAD, PeriodLength, WallSettings
from board.core.state import CoachInfo, Directory, Lift, PersonInfo, WallState


class RejectReason:
    UNKNOWN_BADGE = "unknown_badge"
    SELF_CONFIRM = "self_confirm"
    DUPLICATE = "duplicate"
    NO_CARD = "no_card"  # a badge on an empty slot
    RATE_LIMITED = "rate_limited"  # the coach confirmed coach_limit people within the window already


# -- periods ---------------------------------------------------------------------


def period_bounds(config: WallSettings, moment: datetime) -> tuple[datetime, datetime]:
    """Start and end of the period containing `moment`, in local time.

    Built from local calendar dates so a period starts at 00:00 even across DST.
    """
    local = moment.astimezone(config.tz)
    day = local.date()
    length = config.rules.period
    if length is PeriodLength.DAY:
        start, end = day, day + timedelta(days=1)
    elif length is PeriodLength.WEEK:
        start = day - timedelta(days=(day.weekday() - config.rules.period_start.number) % 7)
        end = start + timedelta(days=7)
    else:
        start = day.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1)
    return _midnight(config, start), _midnight(config, end)


def _midnight(config: WallSettings, day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=config.tz)


# -- sensor rules ----------------------------------------------------------------


def tag_seen(
    state: WallState, people: Directory, config: WallSettings, reader: str, uid: str, now: datetime
) -> list[Draft]:
    state.present.setdefault(reader, set()).add(uid)
    if reader == PAD:
        return _seen_at_pad(state, people, config, uid, now)
    coach = people.coach_by_badge(uid)
    if coach is not None:
        if not config.rules.slot_confirm:
            return []
        occupant = state.occupant(reader)
        if occupant is None:
            return [_rejected(RejectReason.NO_CARD, coach=coach, slot_id=reader, uid=uid)]
        return confirm_attempt(state, people, config, coach, people.people[occupant], "slot", reader, now)
    person = people.card_owner(uid)
    if person is not None:
        return _card_arrived(state, config, person, reader, uid)
    occupant = state.occupant(reader)
    if occupant is not None:
        # A tag nobody registered, held against someone's polaroid: most likely a
        # coach badge that was never enrolled.
        return [_rejected(RejectReason.UNKNOWN_BADGE, person=people.people[occupant], slot_id=reader, uid=uid)]
    return [Draft(EventType.UNKNOWN_TAG, slot_id=reader, uid=uid)]


def tag_gone(
    state: WallState, people: Directory, config: WallSettings, reader: str, uid: str, now: datetime
) -> list[Draft]:
    state.present.get(reader, set()).discard(uid)
    if reader == PAD:
        return []
    person = people.card_owner(uid)
    if person is not None:
        recorded = state.positions.get(person.id)
        if recorded and recorded[0] == reader and person.id not in state.lifted:
            # Not recorded yet: a lift becomes a move, a put-back or, after the
            # move window, "off the wall".
            state.lifted[person.id] = Lift(reader, now)
        return []
    if not people.is_known(uid) and state.occupant(reader) is None:
        return [Draft(EventType.CARD_REMOVED, slot_id=reader, uid=uid)]
    return []


def reader_offline(state: WallState, reader: str, error: str) -> list[Draft]:
    if reader in state.offline:
        return []
    return [Draft(EventType.READER_OFFLINE, slot_id=reader, details={"error": error})]


def reader_online(state: WallState, reader: str) -> list[Draft]:
    if reader not in state.offline:
        return []
    return [Draft(EventType.READER_ONLINE, slot_id=reader)]


def _card_arrived(state: WallState, config: WallSettings, person: PersonInfo, slot_id: str, uid: str) -> list[Draft]:
    lift = state.lifted.get(person.id)
    recorded = state.positions.get(person.id)
    from_slot = lift.slot_id if lift else (recorded[0] if recorded else None)
    if from_slot == slot_id:
        state.lifted.pop(person.id, None)  # put back where it was: nothing happened
        return []
    names = {"person_name": person.name}
    if from_slot is not None:
        # Also when the card shows up in B before A's reader has given up on it:
        # a card is in one place, so it moved.
        change = config.level_of(slot_id) - config.level_of(from_slot) if from_slot in config.slot_ids else 0
        details = names | {"from_slot": from_slot, "to_slot": slot_id, "level_change": change}
        return [Draft(EventType.CARD_MOVED, person_id=person.id, slot_id=slot_id, uid=uid, details=details)]
    previous = state.last_slot.get(person.id)
    change = config.level_of(slot_id) - config.level_of(previous) if previous in config.slot_ids else 0
    details = names | {"from_slot": None, "last_slot": previous, "level_change": change}
    return [Draft(EventType.CARD_PLACED, person_id=person.id, slot_id=slot_id, uid=uid, details=details)]


def _seen_at_pad(state: WallState, people: Directory, config: WallSettings, uid: str, now: datetime) -> list[Draft]:
    if not config.rules.pad_confirm:
        return []
    # The window of a coach removed meanwhile (by another process) is closed.
    window = state.pad if state.pad and now < state.pad.until and state.pad.coach_id in people.coaches else None
    coach = people.coach_by_badge(uid)
    if coach is not None:
        if window and window.coach_id == coach.id:
            return [pad_closed(coach.id, coach.name, "badge")]
        until = later(now, config.rules.confirm)
        return [
            Draft(
                EventType.PAD_OPENED,
                coach_id=coach.id,
                slot_id=PAD,
                details={"coach_name": coach.name, "until": until.isoformat()},
            )
        ]
    person = people.card_owner(uid)
    if window is None and person is not None:
        # Someone looks at their own journey: the screen shows it; the log keeps only that it happened.
        return [Draft(EventType.JOURNEY_SHOWN, slot_id=PAD)]
    if window is None:
        return [_rejected(RejectReason.UNKNOWN_BADGE, slot_id=PAD, uid=uid)]
    if person is None:
        return [Draft(EventType.UNKNOWN_TAG, slot_id=PAD, uid=uid)]
    return confirm_attempt(state, people, config, people.coaches[window.coach_id], person, "pad", PAD, now)


def pad_closed(coach_id: int, coach_name: str | None, reason: str) -> Draft:
    """The coach pad's window ends: a second tap, a timeout, or the coach removed."""
    return Draft(
        EventType.PAD_CLOSED, coach_id=coach_id, slot_id=PAD, details={"coach_name": coach_name, "reason": reason}
    )


# -- attempts --------------------------------------------------------------------


def confirm_attempt(
    state: WallState,
    people: Directory,
    config: WallSettings,
    coach: CoachInfo | None,
    person: PersonInfo,
    via: str,
    slot_id: str | None,
    now: datetime,
    reason: str | None = None,
) -> list[Draft]:
    """Confirm an attempt unless a rule forbids it; `coach` is None for an admin's manual one."""
    if coach is not None:
        if coach.person_id == person.id:
            return [_rejected(RejectReason.SELF_CONFIRM, coach=coach, person=person, slot_id=slot_id)]
        last = state.last_confirm.get((coach.id, person.id))
        if last is not None and elapsed(last, now) < config.rules.duplicate:
            return [_rejected(RejectReason.DUPLICATE, coach=coach, person=person, slot_id=slot_id)]
        recent = _confirmed_lately(state, config, coach, now)
        if recent >= config.rules.coach_limit:
            return [
                _rejected(RejectReason.RATE_LIMITED, coach=coach, person=person, slot_id=slot_id),
                Draft(
                    EventType.COACH_ANOMALY,
                    coach_id=coach.id,
                    person_id=person.id,
                    slot_id=slot_id,
                    details={
                        "coach_name": coach.name,
                        "person_name": person.name,
                        "confirmed": recent,
                        "window_s": config.rules.coach_limit_window,
                    },
                ),
            ]
    period = state.period
    assert period is not None, "expire() opens a period before any rule runs"
    details: dict[str, Any] = {"person_name": person.name, "via": via, "period_id": period.id}
    if coach is not None:
        details["coach_name"] = coach.name
    if reason:
        details["reason"] = reason
    drafts = [
        Draft(
            EventType.ATTEMPT_CONFIRMED,
            person_id=person.id,
            slot_id=slot_id,
            coach_id=coach.id if coach else None,
            details=details,
        )
    ]
    if not period.goal_reached and period.goal > 0 and period.count + 1 >= period.goal:
        drafts.append(
            Draft(
                EventType.GOAL_REACHED, details={"period_id": period.id, "goal": period.goal, "count": period.count + 1}
            )
        )
    return drafts


def _confirmed_lately(state: WallState, config: WallSettings, coach: CoachInfo, now: datetime) -> int:
    """People this coach confirmed within the coach limit's window."""
    window = timedelta(seconds=config.rules.coach_limit_window)
    return sum(
        1
        for (coach_id, _person), at in state.last_confirm.items()
        if coach_id == coach.id and elapsed(at, now) < window
    )


def _rejected(
    reason: str,
    *,
    coach: CoachInfo | None = None,
    person: PersonInfo | None = None,
    slot_id: str | None = None,
    uid: str | None = None,
) -> Draft:
    details: dict[str, Any] = {"reason": reason}
    if coach:
        details["coach_name"] = coach.name
    if person:
        details["person_name"] = person.name
    return Draft(
        EventType.ATTEMPT_REJECTED,
        person_id=person.id if person else None,
        coach_id=coach.id if coach else None,
        slot_id=slot_id,
        uid=uid,
        details=details,
    )


# -- time ------------------------------------------------------------------------


def expire(state: WallState, people: Directory, config: WallSettings, now: datetime) -> list[Draft]:
    """What the passing of time records: cards off the wall, pad timeouts, new periods."""
    drafts = []
    for person_id, lift in state.lifted.items():
        if elapsed(lift.at, now) >= config.rules.move:
            name = people.people[person_id].name if person_id in people.people else None
            drafts.append(
                Draft(
                    EventType.CARD_OFF_WALL,
                    person_id=person_id,
                    slot_id=lift.slot_id,
                    details={"person_name": name, "lifted_at": lift.at.isoformat()},
                )
            )
    if state.pad is not None and now >= state.pad.until:
        coach = people.coaches.get(state.pad.coach_id)
        drafts.append(pad_closed(state.pad.coach_id, coach.name if coach else None, "timeout"))
    if state.period is None or now >= state.period.ends_at:
        drafts.append(new_period(config, now, next_goal(state, config)))
    return drafts


def next_goal(state: WallState, config: WallSettings) -> int:
    return config.rules.default_goal if state.next_goal is None else state.next_goal


def new_period(config: WallSettings, now: datetime, goal: int) -> Draft:
    starts_at, ends_at = period_bounds(config, now)
    return Draft(
        EventType.PERIOD_STARTED,
        details={"starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat(), "goal": goal},
    )


def close_period(state: WallState, config: WallSettings, now: datetime) -> Draft:
    """An admin ends the period now: the next one runs from now to the regular end."""
    _starts_at, ends_at = period_bounds(config, now)
    return Draft(
        EventType.PERIOD_STARTED,
        details={
            "starts_at": now.isoformat(),
            "ends_at": ends_at.isoformat(),
            "goal": next_goal(state, config),
            "closed_early": state.period.id if state.period else None,
        },
    )


def set_goal(state: WallState, goal: int, period: str) -> Draft:
    """The goal of the current period, or of the next one (`period_id` None)."""
    period_id = state.period.id if period == "current" and state.period else None
    return Draft(EventType.GOAL_SET, details={"goal": goal, "period_id": period_id})


def next_deadline(state: WallState, config: WallSettings) -> datetime | None:
    """The next moment at which `expire` would record something."""
    moments = [later(lift.at, config.rules.move) for lift in state.lifted.values()]
    if state.pad is not None:
        moments.append(state.pad.until)
    if state.period is not None:
        moments.append(state.period.ends_at)
    return min(moments, default=None)
