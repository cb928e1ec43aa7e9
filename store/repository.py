"""The store: opens and migrates the database, loads state, records events.

Every write goes through `Store.write()`, one transaction in which each event is
appended to the log, queued in the outbox and projected, so a crash leaves
either all of it or none. Plain SQL on Python's sqlite3 driver (store.sqlite);
store.models describes the same tables for Alembic's migrations.
"""

import json
import sqlite3
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from board.core.errors import CommandError, StoreError
from board.core.events import Draft, EventType, WallEvent
from board.core.harvest import PeriodSpan
from board.core.settings import WallSettings
from board.core.state import (
    CHECKPOINT_FORMAT,
    READABLE_CHECKPOINT_FORMATS,
    CoachInfo,
    Directory,
    PersonInfo,
    WallState,
    apply,
    checkpoint_of,
    state_from_checkpoint,
)
from store import migrate
from store.projection import positions_of, project_position
from store.sqlite import Connections, json_text, make_folder, time_text

# A checkpoint after this many events keeps a start (replaying the events after the
# checkpoint, ~10 µs each) within a few tens of ms; the checkpoint holds counts, not
# lists, so writing it this often costs little. Figures in docs/architecture.md.
CHECKPOINT_EVERY = 1_000
EVENT_COLUMNS = (
    "events.seq, events.at, events.type, events.person_id, events.slot_id, events.coach_id, events.uid, events.details"
)


def to_wall_event(row: tuple, tz) -> WallEvent:
    """An `events` row (EVENT_COLUMNS, in order) as the wall's event, its time in `tz`."""
    seq, at, type_, person_id, slot_id, coach_id, uid, details = row
    return WallEvent(
        seq=seq,
        at=datetime.fromisoformat(at).astimezone(tz),
        type=EventType(type_),
        person_id=person_id,
        slot_id=slot_id,
        coach_id=coach_id,
        uid=uid,
        details=json.loads(details),
    )


def placeholders(values: Collection[Any]) -> str:
    """`?, ?, ?` for an IN list of `values` (SQLite reads an empty list as matching nothing)."""
    return ", ".join("?" * len(values))


@dataclass(frozen=True)
class AttemptRecord:
    """One row of `attempts`: a confirmed attempt and whether it was voided since."""

    id: int
    person_id: int
    coach_id: int | None
    at: datetime
    period_id: int
    via: str
    slot_id: str | None
    event_seq: int
    voided: bool
    void_reason: str | None


def require_database(config: WallSettings) -> None:
    """A StoreError saying where we looked when the config's database is not there."""
    path = config.database_path
    if not path.is_file():
        raise StoreError(
            f"no database at {path.resolve()} (data_dir = {config.data_dir}); check data_dir "
            "in the config, or create a new wall's database with: wallboard db create"
        )


class Store:
    def __init__(self, config: WallSettings, checkpoint_every: int = CHECKPOINT_EVERY, *, create: bool = True):
        """`create=False` (every command but init and the demo): a database that is not
        there is a StoreError saying where we looked, never a new, empty wall."""
        self.config = config
        if not create:
            require_database(config)
        self.checkpoint_every = checkpoint_every
        self._checkpoint_seq = 0
        make_folder(config.database_path)
        self.connections = Connections(config.database_path)

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
            return migrate.upgrade(self.connections)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the database {self.config.database_url}: {exc}") from None

    def close(self) -> None:
        self.connections.close()

    def __enter__(self) -> "Store":
        return self.open()

    def __exit__(self, *exc_info) -> None:
        self.close()

    @contextmanager
    def write(self) -> Iterator["Writer"]:
        """One write transaction; a write the database refuses (a full disk) is a StoreError."""
        try:
            with self.connections.transaction(write=True) as connection:
                yield Writer(connection, self.config)
        except sqlite3.Error as exc:
            raise StoreError(f"the database refused a write: {exc}") from exc

    def _one(self, sql: str, parameters: tuple = ()) -> tuple | None:
        """The first row of one query."""
        with self.connections.connection() as connection:
            return connection.execute(sql, parameters).fetchone()

    def _all(self, sql: str, parameters: tuple = ()) -> list[tuple]:
        with self.connections.connection() as connection:
            return connection.execute(sql, parameters).fetchall()

    # -- loading ---------------------------------------------------------------

    def load_directory(self) -> Directory:
        with self.connections.transaction(write=False) as connection:  # one snapshot of the three tables
            people = {
                id_: PersonInfo(id_, name, photo, bool(archived))
                for id_, name, photo, archived in connection.execute("SELECT id, name, photo, archived FROM people")
            }
            cards = dict(connection.execute("SELECT uid, person_id FROM cards WHERE person_id IS NOT NULL"))
            coaches = {
                id_: CoachInfo(id_, name, badge, person_id)
                for id_, name, badge, person_id in connection.execute(
                    "SELECT id, name, badge_uid, person_id FROM coaches WHERE NOT removed"
                )
            }
        return Directory(people, cards, coaches)

    def load_state(self) -> tuple[WallState, int]:
        """The wall as the log leaves it, and the seq of the last event folded into it.

        The latest checkpoint with every event after it folded in, in order, as the
        service folds them live; the whole log when there is no usable checkpoint.
        """
        row = self._one("SELECT format, seq, state FROM checkpoint WHERE id = 1")
        checkpoint = None if row is None else (row[0], row[1], json.loads(row[2]))
        # Its attempts are counted by local day: a checkpoint from before a change of
        # the board's timezone would count them by the wrong days.
        if (
            checkpoint is None
            or checkpoint[0] not in READABLE_CHECKPOINT_FORMATS
            or checkpoint[2].get("timezone", self.config.timezone) != self.config.timezone
        ):
            self._checkpoint_seq = 0
            return self.replay()
        _format, seq, data = checkpoint
        self._checkpoint_seq = seq
        return self.replay(state_from_checkpoint(data, self.config.tz), seq)

    def replay(self, state: WallState | None = None, after: int = 0) -> tuple[WallState, int]:
        """Fold every event after seq `after` into `state` (by default an empty one), in log order.

        Returns the state and the seq of the last event in it.
        """
        state = WallState() if state is None else state
        seq = after
        for event in self.events_after(after):
            apply(state, event)
            seq = event.seq
        return state, seq

    def checkpoint(self, state: WallState, seq: int) -> None:
        """Keep `state` (folded up to event `seq`) as the checkpoint once `checkpoint_every` events have passed."""
        if seq - self._checkpoint_seq < self.checkpoint_every:
            return
        data = checkpoint_of(state) | {"timezone": self.config.timezone}
        with self.write() as writer:
            writer.connection.execute(
                "INSERT INTO checkpoint (id, format, seq, state) VALUES (1, ?, ?, ?) ON CONFLICT (id) DO UPDATE "
                "SET format = excluded.format, seq = excluded.seq, state = excluded.state",
                (CHECKPOINT_FORMAT, seq, json_text(data)),
            )
        self._checkpoint_seq = seq

    def events_after(self, seq: int) -> Iterator[WallEvent]:
        """Every event after `seq`, oldest first, read as the caller goes rather than all at once."""
        with self.connections.connection() as connection:
            for row in connection.execute(f"SELECT {EVENT_COLUMNS} FROM events WHERE seq > ? ORDER BY seq", (seq,)):
                yield to_wall_event(row, self.config.tz)

    # -- queries ----------------------------------------------------------------

    def thermometer(self, period_id: int) -> int:
        """Confirmed, non-voided attempts in a period: the thermometer's value, as counted when written."""
        row = self._one("SELECT attempts FROM periods WHERE id = ?", (period_id,))
        return row[0] if row else 0

    def periods(self) -> list[PeriodSpan]:
        """Every recorded period, oldest first."""
        tz = self.config.tz
        return [
            PeriodSpan(
                datetime.fromisoformat(starts).astimezone(tz), datetime.fromisoformat(ends).astimezone(tz), id_, goal
            )
            for id_, starts, ends, goal in self._all("SELECT id, starts_at, ends_at, goal FROM periods ORDER BY id")
        ]

    def log_until(
        self,
        types: Collection[EventType],
        until: datetime,
        always: Collection[EventType] = (),
        person_id: int | None = None,
    ) -> list[WallEvent]:
        """Events of `types` before `until`, and of `always` at any time, in log order; `person_id`
        keeps one person's events of `types` (those of `always` stay, whoever they are about)."""
        wanted = [str(t) for t in (*types, *always)]
        kept = [str(t) for t in always]
        sql = (
            f"SELECT {EVENT_COLUMNS} FROM events WHERE type IN ({placeholders(wanted)})"
            f" AND (at < ? OR type IN ({placeholders(kept)}))"
        )
        parameters = [*wanted, time_text(until), *kept]
        if person_id is not None:
            sql += f" AND (person_id = ? OR type IN ({placeholders(kept)}))"
            parameters += [person_id, *kept]
        tz = self.config.tz
        return [to_wall_event(row, tz) for row in self._all(sql + " ORDER BY seq", tuple(parameters))]

    def last_seq(self) -> int:
        return self._one("SELECT max(seq) FROM events")[0] or 0

    def last_event_at(self) -> datetime | None:
        """When the newest event was recorded, in the wall's timezone."""
        row = self._one("SELECT at FROM events ORDER BY seq DESC LIMIT 1")
        return datetime.fromisoformat(row[0]).astimezone(self.config.tz) if row is not None else None

    def events_since(self, seq: int, limit: int) -> list[WallEvent]:
        rows = self._all(f"SELECT {EVENT_COLUMNS} FROM events WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit))
        return [to_wall_event(row, self.config.tz) for row in rows]

    def attempt(self, attempt_id: int) -> AttemptRecord | None:
        row = self._one(
            "SELECT id, person_id, coach_id, at, period_id, via, slot_id, event_seq, voided, void_reason "
            "FROM attempts WHERE id = ?",
            (attempt_id,),
        )
        if row is None:
            return None
        id_, person_id, coach_id, at, period_id, via, slot_id, event_seq, voided, void_reason = row
        return AttemptRecord(
            id_,
            person_id,
            coach_id,
            datetime.fromisoformat(at),
            period_id,
            via,
            slot_id,
            event_seq,
            bool(voided),
            void_reason,
        )

    def coach_name(self, coach_id: int) -> str | None:
        """A coach's name, also of one removed since: history keeps who confirmed."""
        row = self._one("SELECT name FROM coaches WHERE id = ?", (coach_id,))
        return row[0] if row else None

    def positions(self) -> dict[int, str]:
        """The slot each person's card hangs in now (the `positions` table)."""
        return dict(self._all("SELECT person_id, slot_id FROM positions"))

    def outbox_size(self) -> int:
        return self._one("SELECT count(*) FROM outbox")[0]

    def pending_outbox(self, limit: int, after: int = 0) -> list[WallEvent]:
        """Events the broker has not acknowledged yet, oldest first, from seq `after` + 1 on."""
        rows = self._all(
            f"SELECT {EVENT_COLUMNS} FROM events JOIN outbox ON outbox.seq = events.seq"
            " WHERE events.seq > ? ORDER BY events.seq LIMIT ?",
            (after, limit),
        )
        return [to_wall_event(row, self.config.tz) for row in rows]

    def mark_sent(self, seqs: Collection[int]) -> None:
        """Drop acknowledged events from the outbox, all in one transaction (one fsync)."""
        with self.write() as writer:
            writer.connection.executemany("DELETE FROM outbox WHERE seq = ?", ((seq,) for seq in seqs))

    def rebuild_positions(self) -> int:
        """Recompute `positions` from the whole event log; returns cards on the wall."""
        positions = positions_of(self.events_after(0))
        with self.write() as writer:
            writer.connection.execute("DELETE FROM positions")
            writer.connection.executemany(
                "INSERT INTO positions (person_id, slot_id, since, seq) VALUES (?, ?, ?, ?)", positions
            )
        return len(positions)

    def revision(self) -> str | None:
        """The schema revision the database is at (store.migrate)."""
        with self.connections.connection() as connection:
            return migrate.current_revision(connection)

    def integrity_check(self) -> str:
        return self._one("PRAGMA integrity_check")[0]


@dataclass
class Writer:
    """Everything written inside one transaction."""

    connection: sqlite3.Connection
    config: WallSettings

    def _insert(self, sql: str, parameters: tuple) -> int:
        """Run one INSERT; the new row's id."""
        return self.connection.execute(sql, parameters).lastrowid

    def _one(self, sql: str, parameters: tuple) -> tuple | None:
        return self.connection.execute(sql, parameters).fetchone()

    def append(self, draft: Draft, at: datetime) -> WallEvent:
        """Record one event: the log row, its outbox entry and what derives from it."""
        details: dict[str, Any] = dict(draft.details)
        if draft.type is EventType.PERIOD_STARTED:
            starts_at = time_text(datetime.fromisoformat(details["starts_at"]))
            # A period closed early by an admin ends where the new one starts.
            self.connection.execute("UPDATE periods SET ends_at = ? WHERE ends_at > ?", (starts_at, starts_at))
            details["period_id"] = self._insert(
                "INSERT INTO periods (starts_at, ends_at, goal, attempts) VALUES (?, ?, ?, 0)",
                (starts_at, time_text(datetime.fromisoformat(details["ends_at"])), details["goal"]),
            )
        elif draft.type is EventType.GOAL_SET and details["period_id"] is not None:
            self.connection.execute("UPDATE periods SET goal = ? WHERE id = ?", (details["goal"], details["period_id"]))
        elif draft.type is EventType.ATTEMPT_VOIDED:
            details |= self._void(details["attempt_id"], details["reason"])
        row = (time_text(at), str(draft.type), draft.person_id, draft.slot_id, draft.coach_id, draft.uid)
        seq = self._insert(
            "INSERT INTO events (at, type, person_id, slot_id, coach_id, uid, details) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (*row, json_text(details)),
        )
        if draft.type is EventType.ATTEMPT_CONFIRMED:
            attempt_id = self._insert(
                "INSERT INTO attempts (person_id, coach_id, at, period_id, via, slot_id, event_seq, voided)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
                (draft.person_id, draft.coach_id, row[0], details["period_id"], details["via"], draft.slot_id, seq),
            )
            self._count(details["period_id"], 1)
            details |= {"attempt_id": attempt_id}
            self.connection.execute("UPDATE events SET details = ? WHERE seq = ?", (json_text(details), seq))
        event = WallEvent(
            seq=seq,
            at=at.astimezone(self.config.tz),
            type=draft.type,
            person_id=draft.person_id,
            slot_id=draft.slot_id,
            coach_id=draft.coach_id,
            uid=draft.uid,
            details=details,
        )
        project_position(self.connection, event)
        self.connection.execute("INSERT INTO outbox (seq) VALUES (?)", (seq,))
        return event

    def _void(self, attempt_id: int, reason: str) -> dict[str, Any]:
        """Void an attempt and count it out; returns what the fold needs to count it out too.

        Checked here, inside the write: a second void (the CLI's, next to a running wall)
        would count the attempt out twice.
        """
        voided, period_id, at = self._one("SELECT voided, period_id, at FROM attempts WHERE id = ?", (attempt_id,))
        if voided:
            raise CommandError.said("conflict", "error.already_voided", id=attempt_id)
        self.connection.execute("UPDATE attempts SET voided = 1, void_reason = ? WHERE id = ?", (reason, attempt_id))
        self._count(period_id, -1)
        return {
            "period_id": period_id,
            "attempted_at": datetime.fromisoformat(at).astimezone(self.config.tz).isoformat(),
        }

    def _count(self, period_id: int, step: int) -> None:
        self.connection.execute("UPDATE periods SET attempts = attempts + ? WHERE id = ?", (step, period_id))

    def sync_layout(self) -> None:
        """Make the levels and slots tables match the config; old ones stay, inactive.

        Only rows that differ are written: a start with an unchanged config writes nothing.
        """
        levels = {level.id: (level.name, i) for i, level in enumerate(self.config.levels)}
        slots = {slot_id: (level.id, i) for level in self.config.levels for i, slot_id in enumerate(level.slots)}
        # The levels before the slots that name them. Table and column names are ours, not input.
        for table, wanted, (first, second) in (
            ("levels", levels, ("name", "position")),
            ("slots", slots, ("level_id", "position")),
        ):
            stored = {
                id_: (values, bool(active))
                for id_, *values, active in self.connection.execute(
                    f"SELECT id, {first}, {second}, active FROM {table}"
                )
            }
            for id_, values in wanted.items():
                if id_ not in stored:
                    self.connection.execute(
                        f"INSERT INTO {table} (id, {first}, {second}, active) VALUES (?, ?, ?, 1)", (id_, *values)
                    )
                elif stored[id_] != (list(values), True):
                    self.connection.execute(
                        f"UPDATE {table} SET {first} = ?, {second} = ?, active = 1 WHERE id = ?", (*values, id_)
                    )
            for id_, (_values, active) in stored.items():
                if active and id_ not in wanted:
                    self.connection.execute(f"UPDATE {table} SET active = 0 WHERE id = ?", (id_,))

    # -- the directory (admin work) --------------------------------------------

    def add_person(self, name: str, at: datetime, photo: str | None = None) -> WallEvent:
        person_id = self._insert(
            "INSERT INTO people (name, photo, archived, created_at) VALUES (?, ?, 0, ?)", (name, photo, time_text(at))
        )
        return self.append(
            Draft(EventType.PERSON_ADDED, person_id=person_id, details={"person_name": name, "photo": photo}), at
        )

    def assign_card(self, uid: str, person: PersonInfo, at: datetime) -> WallEvent:
        """Checked here, inside the write: a directory read a moment ago (the CLI's, next to
        a running service) may not know the card was handed out since."""
        if self._badge_owner(uid) is not None:
            raise CommandError.said("conflict", "error.tag_is_badge", uid=uid)
        owner = self._one(
            "SELECT people.name FROM cards JOIN people ON people.id = cards.person_id"
            " WHERE cards.uid = ? AND cards.person_id != ?",
            (uid, person.id),
        )
        if owner is not None:
            raise CommandError.said("conflict", "error.card_taken", uid=uid, person=owner[0])
        self.connection.execute(
            "INSERT INTO cards (uid, person_id, assigned_at) VALUES (?, ?, ?) ON CONFLICT (uid) DO UPDATE"
            " SET person_id = excluded.person_id, assigned_at = excluded.assigned_at",
            (uid, person.id, time_text(at)),
        )
        return self.append(
            Draft(EventType.CARD_ASSIGNED, person_id=person.id, uid=uid, details={"person_name": person.name}), at
        )

    def _badge_owner(self, uid: str) -> str | None:
        """The name of the active coach whose badge this tag is."""
        row = self._one("SELECT name FROM coaches WHERE badge_uid = ? AND NOT removed", (uid,))
        return row[0] if row else None

    def add_coach(self, name: str, badge: str, at: datetime, person: PersonInfo | None = None) -> WallEvent:
        """Refused here, inside the write, when the tag became a card or a badge meanwhile."""
        if self._one("SELECT 1 FROM cards WHERE uid = ? AND person_id IS NOT NULL", (badge,)):
            raise CommandError.said("conflict", "error.card_not_badge", uid=badge)
        taken = self._badge_owner(badge)
        if taken is not None:
            raise CommandError.said("conflict", "error.badge_taken", uid=badge, coach=taken)
        person_id = person.id if person else None
        known = self._one("SELECT id FROM coaches WHERE badge_uid = ?", (badge,))  # a removed coach's badge, back
        if known is None:
            coach_id = self._insert(
                "INSERT INTO coaches (name, badge_uid, person_id, removed) VALUES (?, ?, ?, 0)",
                (name, badge, person_id),
            )
        else:
            coach_id = known[0]
            self.connection.execute(
                "UPDATE coaches SET name = ?, removed = 0, person_id = ? WHERE id = ?", (name, person_id, coach_id)
            )
        return self.append(
            Draft(
                EventType.COACH_ADDED, coach_id=coach_id, uid=badge, person_id=person_id, details={"coach_name": name}
            ),
            at,
        )

    def update_person(self, person: PersonInfo, name: str | None, photo: str | None, at: datetime) -> WallEvent:
        stored_name, stored_photo = self._one("SELECT name, photo FROM people WHERE id = ?", (person.id,))
        name, photo = name or stored_name, photo or stored_photo
        self.connection.execute("UPDATE people SET name = ?, photo = ? WHERE id = ?", (name, photo, person.id))
        return self.append(
            Draft(EventType.PERSON_UPDATED, person_id=person.id, details={"person_name": name, "photo": photo}), at
        )

    def archive_person(self, person: PersonInfo, at: datetime) -> WallEvent:
        """Archived people keep their history; their cards are free again."""
        self.connection.execute("UPDATE people SET archived = 1 WHERE id = ?", (person.id,))
        self.connection.execute("UPDATE cards SET person_id = NULL WHERE person_id = ?", (person.id,))
        return self.append(
            Draft(EventType.PERSON_ARCHIVED, person_id=person.id, details={"person_name": person.name}), at
        )

    def unassign_card(self, uid: str, person: PersonInfo, at: datetime) -> WallEvent:
        self.connection.execute("UPDATE cards SET person_id = NULL WHERE uid = ?", (uid,))
        return self.append(
            Draft(EventType.CARD_UNASSIGNED, person_id=person.id, uid=uid, details={"person_name": person.name}), at
        )

    def remove_coach(self, coach: CoachInfo, at: datetime) -> WallEvent:
        self.connection.execute("UPDATE coaches SET removed = 1 WHERE id = ?", (coach.id,))
        return self.append(
            Draft(EventType.COACH_REMOVED, coach_id=coach.id, uid=coach.badge, details={"coach_name": coach.name}), at
        )
