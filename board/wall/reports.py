"""Harvests and exports of the recorded wall: which period, which events, from the store.

The rules themselves are pure (`board.wall.harvest`); this module only picks the
span an admin asked for and reads the log it needs.
"""

import dataclasses
import re
from datetime import UTC, date, datetime, timedelta

from board.core.clock import later
from board.core.errors import CommandError
from board.core.events import EventType
from board.core.harvest import Harvest, Journey, PeriodSpan
from board.core.settings import WallSettings
from board.core.state import Directory, PersonInfo
from board.wall import rules
from board.wall.harvest import HARVEST_EVENTS, JOURNEY_EVENTS, compute_harvest, compute_journey
from store.repository import Store

BEGINNING = datetime(2000, 1, 1, tzinfo=UTC)  # before any wall recorded anything
BEYOND = datetime(9000, 1, 1, tzinfo=UTC)  # after anything a wall will record
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")
# Known after the span too: a void takes an attempt out of any period; names and archiving are current.
KNOWN_AFTER_SPAN = (EventType.ATTEMPT_VOIDED, EventType.PERSON_UPDATED, EventType.PERSON_ARCHIVED)


def resolve_span(store: Store, settings: WallSettings, spec: str, now: datetime) -> PeriodSpan:
    """`current`, `last`, a period id, `all` or `YYYY-MM-DD..YYYY-MM-DD` (both days included)."""
    periods = store.periods()
    spec = spec.strip().lower()
    if spec == "current":
        if periods:
            return periods[-1]
        starts_at, ends_at = rules.period_bounds(settings, now)
        return PeriodSpan(starts_at, ends_at, None, settings.rules.default_goal)
    if spec == "last":
        if len(periods) < 2:
            raise CommandError.said("not_found", "error.no_last_period")
        return periods[-2]
    if spec.isdigit():
        found = next((period for period in periods if period.id == int(spec)), None)
        if found is None:
            raise CommandError.said("not_found", "error.no_period", id=spec)
        return found
    if spec == "all":
        return PeriodSpan(BEGINNING, later(max([now] + [period.ends_at for period in periods]), timedelta(seconds=1)))
    if match := _RANGE.match(spec):
        try:
            first, last = (date.fromisoformat(part) for part in match.groups())
        except ValueError as exc:
            raise CommandError.said("invalid_period", "error.bad_date", spec=spec, detail=exc) from None
        if last < first:
            raise CommandError.said("invalid_period", "error.range_backwards", spec=spec)
        return PeriodSpan(_midnight(settings, first), _midnight(settings, last + timedelta(days=1)))
    raise CommandError.said("invalid_period", "error.period_spec", spec=spec)


def _midnight(settings: WallSettings, day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=settings.tz)


def previous_span(store: Store, span: PeriodSpan) -> PeriodSpan | None:
    """The recorded period just before a recorded one; None for a free range or the first period."""
    if span.id is None:
        return None
    earlier = [period for period in store.periods() if period.id is not None and period.id < span.id]
    return earlier[-1] if earlier else None


def harvest_of(store: Store, settings: WallSettings, span: PeriodSpan, people: Directory | None = None) -> Harvest:
    """The harvest of `span`, with photos of the people from `people` for the screen."""
    events = store.log_until(HARVEST_EVENTS, span.ends_at, always=KNOWN_AFTER_SPAN)
    harvest = compute_harvest(events, settings, span, previous_span(store, span))
    if people is None:
        return harvest
    photos = {person.id: str(settings.photos_dir / person.photo) for person in people.people.values() if person.photo}
    return dataclasses.replace(harvest, photos=photos)


def journey_of(store: Store, settings: WallSettings, person: PersonInfo) -> Journey:
    """What a person sees of themselves when they tap their card on the pad."""
    periods = store.periods()
    current = periods[-1] if periods else None
    previous = periods[-2] if len(periods) > 1 else None
    events = store.log_until(JOURNEY_EVENTS, BEYOND, person_id=person.id, always=(EventType.ATTEMPT_VOIDED,))
    photo = str(settings.photos_dir / person.photo) if person.photo else None
    return compute_journey(events, settings, person.id, person.name, photo, current, previous)
