"""The store: opens and migrates the database, loads state, records events.

Every write goes through `Store.write()`, one transaction in which each event is
appended to the log, queued in the outbox and projected, so a crash leaves
either all of it or none.
"""

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, text, update
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session, sessionmaker

from board.core.clock import later
from board.core.settings import WallSettings
from board.core.errors import StoreError
from board.core.events import Draft, EventType, WallEvent
from board.core.harvest import PeriodSpan
from board.core.state import (
    RECENT_ATTEMPTS,
    CoachInfo,
    Directory,
    PadWindow,
    PeriodState,
    PersonInfo,
    RecentAttempt,
    WallState,
    is_move,
    is_move_up,
)
from store import migrate
from store.engine import WRITE_OPTION, make_engine
from store.models import Attempt, Card, Coach, Event, Level, Outbox, Period, Person, Position, Slot
from store.projection import PLACING, POSITION_EVENTS, project_position


# Moves older than this are not highlighted on the screen, so need not be loaded.
MOVE_HIGHLIGHT = timedelta(hours=24)


def to_wall_event(row: Event, tz) -> WallEvent:
    return WallEvent(seq=row.seq, at=row.at.astimezone(tz), type=EventType(row.type), person_id=row.person_id,
                     slot_id=row.slot_id, coach_id=row.coach_id, uid=row.uid, details=dict(row.details))


class Store:
    def __init__(self, config: WallSettings):
        self.config = config
        self.engine = make_engine(config.database_url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def open(self) -> "Store":
        """Migrate if needed and make the levels and slots match the config."""
        self.upgrade()
        with self.write() as writer:
            writer.sync_layout()
        return self

    def upgrade(self) -> bool:
        """Bring the database to the newest schema; True if anything was migrated.

        A file that cannot be opened (or is no SQLite database) is a StoreError
        naming it, which the CLI shows as one line.
        """
        try:
            return migrate.upgrade(self.engine)
        except DatabaseError as exc:
            raise StoreError(f"cannot open the database {self.config.database_url}: {exc.orig}") from None

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "Store":
        return self.open()

    def __exit__(self, *exc_info) -> None:
        self.close()

    @contextmanager
    def write(self) -> Iterator["Writer"]:
        with self._sessions.begin() as session:
            session.connection(execution_options={WRITE_OPTION: True})
            yield Writer(session, self.config)

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._sessions() as session:
            yield session

    # -- loading ---------------------------------------------------------------

    def load_directory(self) -> Directory:
        with self.read() as session:
            people = {p.id: PersonInfo(p.id, p.name, p.photo, p.archived) for p in session.scalars(select(Person))}
            cards = {c.uid: c.person_id for c in session.scalars(select(Card).where(Card.person_id.is_not(None)))}
            coaches = {
                c.id: CoachInfo(c.id, c.name, c.badge_uid, c.person_id)
                for c in session.scalars(select(Coach).where(Coach.removed.is_(False)))
            }
        return Directory(people, cards, coaches)

    def load_state(self, now: datetime) -> WallState:
        tz = self.config.tz
        state = WallState()
        with self.read() as session:
            for position in session.scalars(select(Position)):
                state.positions[position.person_id] = (position.slot_id, position.since.astimezone(tz))
            last_wall_event = (
                select(Event.person_id, Event.slot_id, func.max(Event.seq))
                # Taking a card off (slot None) leaves its last slot as it was, as it does live.
                .where(Event.type.in_(POSITION_EVENTS), Event.person_id.is_not(None), Event.slot_id.is_not(None))
                .group_by(Event.person_id)
            )
            for person_id, slot_id, _seq in session.execute(last_wall_event):
                state.last_slot[person_id] = slot_id
            state.offline = self._offline_readers(session)
            state.pad = self._open_pad_window(session)
            period = session.scalars(select(Period).order_by(Period.id.desc()).limit(1)).first()
            if period is not None:
                state.period = self._period_state(session, period)
                state.moved_up = {e.person_id: e.at for e in self._placements_since(session, period.starts_at)
                                  if is_move_up(e)}
            state.moved = {e.person_id: e.at for e in self._placements_since(session, later(now, -MOVE_HIGHLIGHT))
                           if is_move(e)}
            state.next_goal = self._next_goal(session)
            dedupe_from = later(now, -self.config.rules.duplicate)
            for attempt in session.scalars(
                select(Attempt).where(Attempt.at >= dedupe_from, Attempt.coach_id.is_not(None))
            ):
                state.last_confirm[(attempt.coach_id, attempt.person_id)] = attempt.at.astimezone(tz)
            recent = session.scalars(
                select(Attempt).where(Attempt.voided.is_(False)).order_by(Attempt.id.desc()).limit(RECENT_ATTEMPTS)
            )
            state.recent.extend(RecentAttempt(a.id, a.person_id, a.coach_id, a.at.astimezone(tz)) for a in recent)
        return state

    def _period_state(self, session: Session, period: Period) -> PeriodState:
        tz = self.config.tz
        attempts = session.execute(
            select(Attempt.id, Attempt.at).where(Attempt.period_id == period.id, Attempt.voided.is_(False))
        )
        reached = session.scalars(select(Event.details).where(Event.type == str(EventType.GOAL_REACHED)))
        return PeriodState(
            period.id, period.starts_at.astimezone(tz), period.ends_at.astimezone(tz), period.goal,
            {attempt_id: at.astimezone(tz) for attempt_id, at in attempts},
            goal_reached=any(details.get("period_id") == period.id for details in reached),
        )

    def _next_goal(self, session: Session) -> int | None:
        """A goal an admin set for the next period, if no period has started since."""
        started = session.scalar(select(func.max(Event.seq)).where(Event.type == str(EventType.PERIOD_STARTED))) or 0
        goals = session.scalars(select(Event.details).where(Event.type == str(EventType.GOAL_SET), Event.seq > started)
                                .order_by(Event.seq))
        return next((d["goal"] for d in reversed(list(goals)) if d["period_id"] is None), None)

    def _placements_since(self, session: Session, since: datetime) -> list[WallEvent]:
        rows = session.scalars(
            select(Event).where(Event.type.in_(PLACING), Event.at >= since).order_by(Event.seq)
        )
        return [to_wall_event(row, self.config.tz) for row in rows]

    def _offline_readers(self, session: Session) -> set[str]:
        health = [str(EventType.READER_OFFLINE), str(EventType.READER_ONLINE)]
        latest = (
            select(Event.slot_id, Event.type, func.max(Event.seq)).where(Event.type.in_(health)).group_by(Event.slot_id)
        )
        return {slot for slot, kind, _seq in session.execute(latest) if kind == EventType.READER_OFFLINE}

    def _open_pad_window(self, session: Session) -> PadWindow | None:
        pad_types = [str(EventType.PAD_OPENED), str(EventType.PAD_CLOSED)]
        last = session.scalars(select(Event).where(Event.type.in_(pad_types)).order_by(Event.seq.desc()).limit(1)).first()
        if last is None or last.type != EventType.PAD_OPENED:
            return None
        return PadWindow(last.coach_id, datetime.fromisoformat(last.details["until"]))

    # -- queries ----------------------------------------------------------------

    def thermometer(self, period_id: int) -> int:
        """Confirmed, non-voided attempts in a period: the thermometer's value."""
        with self.read() as session:
            query = select(func.count(Attempt.id)).where(Attempt.period_id == period_id, Attempt.voided.is_(False))
            return session.scalar(query)

    def periods(self) -> list[PeriodSpan]:
        """Every recorded period, oldest first."""
        tz = self.config.tz
        with self.read() as session:
            return [PeriodSpan(p.starts_at.astimezone(tz), p.ends_at.astimezone(tz), p.id, p.goal)
                    for p in session.scalars(select(Period).order_by(Period.id))]

    def log_until(self, types: Collection[EventType], until: datetime, always: Collection[EventType] = ()) -> list[WallEvent]:
        """Events of `types` before `until`, and of `always` at any time, in log order."""
        with self.read() as session:
            rows = session.scalars(
                select(Event).where(Event.type.in_([str(t) for t in (*types, *always)]),
                                    or_(Event.at < until, Event.type.in_([str(t) for t in always])))
                .order_by(Event.seq)
            )
            return [to_wall_event(row, self.config.tz) for row in rows]

    def last_seq(self) -> int:
        with self.read() as session:
            return session.scalar(select(func.max(Event.seq))) or 0

    def events_since(self, seq: int, limit: int) -> list[WallEvent]:
        with self.read() as session:
            rows = session.scalars(select(Event).where(Event.seq > seq).order_by(Event.seq).limit(limit))
            return [to_wall_event(row, self.config.tz) for row in rows]

    def attempt(self, attempt_id: int) -> Attempt | None:
        with self.read() as session:
            return session.get(Attempt, attempt_id)

    def outbox_size(self) -> int:
        with self.read() as session:
            return session.scalar(select(func.count()).select_from(Outbox))

    def pending_outbox(self, limit: int, after: int = 0) -> list[WallEvent]:
        """Events the broker has not acknowledged yet, oldest first, from seq `after` + 1 on."""
        with self.read() as session:
            rows = session.scalars(
                select(Event).join(Outbox, Outbox.seq == Event.seq).where(Event.seq > after)
                .order_by(Event.seq).limit(limit)
            )
            return [to_wall_event(row, self.config.tz) for row in rows]

    def mark_sent(self, seqs: Collection[int]) -> None:
        """Drop acknowledged events from the outbox, all in one transaction (one fsync)."""
        with self.write() as writer:
            writer.session.execute(Outbox.__table__.delete().where(Outbox.seq.in_(seqs)))

    def rebuild_positions(self) -> int:
        """Recompute `positions` from the whole event log; returns cards on the wall."""
        with self.write() as writer:
            session = writer.session
            session.execute(Position.__table__.delete())
            for row in session.scalars(select(Event).where(Event.type.in_(POSITION_EVENTS)).order_by(Event.seq)):
                project_position(session, row)
                session.flush()
            return session.scalar(select(func.count()).select_from(Position))

    def integrity_check(self) -> str:
        with self.engine.connect() as connection:
            return connection.execute(text("PRAGMA integrity_check")).scalar_one()


@dataclass
class Writer:
    """Everything written inside one transaction."""

    session: Session
    config: WallSettings

    def append(self, draft: Draft, at: datetime) -> WallEvent:
        """Record one event: the log row, its outbox entry and what derives from it."""
        details: dict[str, Any] = dict(draft.details)
        if draft.type is EventType.PERIOD_STARTED:
            starts_at = datetime.fromisoformat(details["starts_at"])
            # A period closed early by an admin ends where the new one starts.
            self.session.execute(update(Period).where(Period.ends_at > starts_at).values(ends_at=starts_at))
            period = Period(starts_at=starts_at, ends_at=datetime.fromisoformat(details["ends_at"]), goal=details["goal"])
            self.session.add(period)
            self.session.flush()
            details["period_id"] = period.id
        elif draft.type is EventType.GOAL_SET and details["period_id"] is not None:
            self.session.get(Period, details["period_id"]).goal = details["goal"]
        row = Event(at=at, type=str(draft.type), person_id=draft.person_id, slot_id=draft.slot_id,
                    coach_id=draft.coach_id, uid=draft.uid, details=details)
        self.session.add(row)
        self.session.flush()
        if draft.type is EventType.ATTEMPT_CONFIRMED:
            attempt = Attempt(person_id=draft.person_id, coach_id=draft.coach_id, at=at, period_id=details["period_id"],
                              via=details["via"], slot_id=draft.slot_id, event_seq=row.seq)
            self.session.add(attempt)
            self.session.flush()
            row.details = details | {"attempt_id": attempt.id}
        elif draft.type is EventType.ATTEMPT_VOIDED:
            attempt = self.session.get(Attempt, details["attempt_id"])
            attempt.voided, attempt.void_reason = True, details["reason"]
        project_position(self.session, row)
        self.session.add(Outbox(seq=row.seq))
        self.session.flush()
        return to_wall_event(row, self.config.tz)

    def sync_layout(self) -> None:
        """Make the levels and slots tables match the config; old ones stay, inactive."""
        levels = {level.id: level for level in self.session.scalars(select(Level))}
        slots = {slot.id: slot for slot in self.session.scalars(select(Slot))}
        for level in levels.values():
            level.active = False
        for slot in slots.values():
            slot.active = False
        for position, level in enumerate(self.config.levels):
            self.session.merge(Level(id=level.id, name=level.name, position=position, active=True))
            self.session.flush()
            for index, slot_id in enumerate(level.slots):
                self.session.merge(Slot(id=slot_id, level_id=level.id, position=index, active=True))

    # -- the directory (admin work) --------------------------------------------

    def add_person(self, name: str, at: datetime, photo: str | None = None) -> WallEvent:
        person = Person(name=name, photo=photo, created_at=at)
        self.session.add(person)
        self.session.flush()
        return self.append(Draft(EventType.PERSON_ADDED, person_id=person.id,
                                 details={"person_name": name, "photo": photo}), at)

    def assign_card(self, uid: str, person: PersonInfo, at: datetime) -> WallEvent:
        card = self.session.get(Card, uid)
        if card is None:
            self.session.add(Card(uid=uid, person_id=person.id, assigned_at=at))
        else:
            card.person_id, card.assigned_at = person.id, at
        return self.append(Draft(EventType.CARD_ASSIGNED, person_id=person.id, uid=uid,
                                 details={"person_name": person.name}), at)

    def add_coach(self, name: str, badge: str, at: datetime, person: PersonInfo | None = None) -> WallEvent:
        coach = self.session.scalars(select(Coach).where(Coach.badge_uid == badge)).first()
        if coach is None:
            coach = Coach(name=name, badge_uid=badge)
            self.session.add(coach)
        coach.name, coach.removed, coach.person_id = name, False, person.id if person else None
        self.session.flush()
        return self.append(Draft(EventType.COACH_ADDED, coach_id=coach.id, uid=badge, person_id=coach.person_id,
                                 details={"coach_name": name}), at)


    def update_person(self, person: PersonInfo, name: str | None, photo: str | None, at: datetime) -> WallEvent:
        row = self.session.get(Person, person.id)
        row.name = name or row.name
        row.photo = photo or row.photo
        return self.append(Draft(EventType.PERSON_UPDATED, person_id=person.id,
                                 details={"person_name": row.name, "photo": row.photo}), at)

    def archive_person(self, person: PersonInfo, at: datetime) -> WallEvent:
        """Archived people keep their history; their cards are free again."""
        self.session.get(Person, person.id).archived = True
        self.session.execute(update(Card).where(Card.person_id == person.id).values(person_id=None))
        return self.append(Draft(EventType.PERSON_ARCHIVED, person_id=person.id,
                                 details={"person_name": person.name}), at)

    def unassign_card(self, uid: str, person: PersonInfo, at: datetime) -> WallEvent:
        self.session.get(Card, uid).person_id = None
        return self.append(Draft(EventType.CARD_UNASSIGNED, person_id=person.id, uid=uid,
                                 details={"person_name": person.name}), at)

    def remove_coach(self, coach: CoachInfo, at: datetime) -> WallEvent:
        self.session.get(Coach, coach.id).removed = True
        return self.append(Draft(EventType.COACH_REMOVED, coach_id=coach.id, uid=coach.badge,
                                 details={"coach_name": coach.name}), at)
