"""A wall's events in the fleet database: each stored once, folded in seq order with the wall's own rules.

Every test runs on SQLite and on PostgreSQL with the same assertions (`fleet_url`).
"""

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from board.core.events import BADGE_EVENTS, WallEvent
from board.fleet.db import open_fleet
from board.fleet.ledger import lock_walls, record, record_events, record_state
from board.fleet.models import Event, Period, Person, Wall
from board.mqtt.state import snapshot_payload
from tests import harness
from tests.fleet.walls import fleet_says, wall_says
from tests.harness import DAAN, ILSE, MO_BADGE, SANNE

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def fleet(fleet_url):
    engine = open_fleet(fleet_url)
    yield engine
    engine.dispose()


@pytest.fixture
def busy_wall(wall: harness.Wall) -> harness.Wall:
    """Three people hung, two moved up, attempts confirmed on the wall (one of them voided), a goal changed."""
    people = wall.people
    wall.show("A1", SANNE)
    wall.show("A2", DAAN)
    wall.show("B1", ILSE)
    wall.wait(3)
    wall.show("A1")
    wall.show("B2", SANNE)
    wall.wait(3)
    wall.show("B1")
    wall.show("C4", ILSE)
    wall.wait(3)
    wall.tap("B2", MO_BADGE)
    wall.wait(61)
    wall.tap("A2", MO_BADGE)
    wall.wait(61)
    wall.tap("B2", MO_BADGE)
    attempt = wall.service.snapshot().recent_attempts[0].id
    wall.service.void_attempt(attempt, "test")
    wall.service.set_goal(12)
    assert wall.slot_of(people["Sanne"]) == "B2" and wall.service.snapshot().period.count == 2
    return wall


def payloads_of(wall: harness.Wall) -> list[dict]:
    return [event.as_payload() for event in wall.store.events_since(0, 10_000)]


def test_a_walls_events_are_stored_once_and_give_the_walls_own_state(fleet, busy_wall):
    published = payloads_of(busy_wall)
    with Session(fleet) as session, session.begin():
        record_state(session, "test", snapshot_payload(busy_wall.service.snapshot()), NOW)
        assert record_events(session, "test", published, NOW) == len(published)
    with Session(fleet) as session, session.begin():
        assert record_events(session, "test", published[-5:], NOW) == 0  # a repeat changes nothing

    with Session(fleet) as session:
        assert session.scalar(select(func.count()).select_from(Event)) == len(published)
        wall = session.get_one(Wall, "test")
        assert (wall.last_seq, wall.max_seq, wall.gap_since) == (len(published), len(published), None)
        assert (wall.slots, wall.people) == (12, 3)
        assert fleet_says(session, "test") == wall_says(busy_wall.service.snapshot())
        period = session.get_one(Period, ("test", wall.period_id))
        assert (period.goal, period.attempts) == (12, 2)
        names = {p.person_id: p.name for p in session.scalars(select(Person))}
        assert names == {id_: name for name, id_ in busy_wall.people.items()}


def test_events_that_arrive_out_of_order_wait_for_the_gap_and_then_fold_in_order(fleet, busy_wall):
    published = payloads_of(busy_wall)
    held_back = published[3:7]
    rest = published[:3] + published[7:]
    batches = [rest[i : i + 4] for i in range(0, len(rest), 4)]
    random.Random(14).shuffle(batches)
    with Session(fleet) as session, session.begin():
        record(session, NOW, states={"test": snapshot_payload(busy_wall.service.snapshot())})
    for batch in batches:
        with Session(fleet) as session, session.begin():
            record(session, NOW, events={"test": batch})
    with Session(fleet) as session:
        wall = session.get_one(Wall, "test")
        assert (wall.last_seq, wall.max_seq, wall.gap_since) == (3, len(published), NOW)

    with Session(fleet) as session, session.begin():
        record(session, NOW, events={"test": held_back})  # what events/get brings back
    with Session(fleet) as session:
        wall = session.get_one(Wall, "test")
        assert (wall.last_seq, wall.gap_since) == (len(published), None)
        assert fleet_says(session, "test") == wall_says(busy_wall.service.snapshot())


def test_every_published_event_reads_back_as_the_event_the_wall_recorded(busy_wall):
    recorded = busy_wall.store.events_since(0, 10_000)
    for event in recorded:
        read_back = WallEvent.from_payload(event.as_payload())
        expected = replace(event, uid=None) if event.type in BADGE_EVENTS else event
        assert read_back == expected


def test_a_new_period_starts_empty_in_the_fleet_as_on_the_wall_and_the_old_one_keeps_its_count(fleet, busy_wall):
    old_period = busy_wall.service.snapshot().period.id
    busy_wall.clock.advance(timedelta(days=7).total_seconds())
    busy_wall.wait(0)  # the wall closes the week and opens the next
    busy_wall.show("B2")
    busy_wall.show("C1", SANNE)  # up again, in the new week
    busy_wall.wait(3)
    snapshot = busy_wall.service.snapshot()
    assert snapshot.period.id != old_period and snapshot.moved_up == ("Sanne",)

    with Session(fleet) as session, session.begin():
        record_state(session, "test", snapshot_payload(snapshot), NOW)
        record_events(session, "test", payloads_of(busy_wall), NOW)
    with Session(fleet) as session:
        assert fleet_says(session, "test") == wall_says(snapshot)
        assert session.get_one(Period, ("test", old_period)).attempts == 2


def test_one_batch_of_several_walls_folds_each_wall_on_its_own(fleet, busy_wall):
    published = payloads_of(busy_wall)
    snapshot = snapshot_payload(busy_wall.service.snapshot())
    with Session(fleet) as session, session.begin():
        new = record(
            session,
            NOW,
            events={"east": published + published[:3], "west": published[:4] + published[6:]},
            states={"east": snapshot, "west": snapshot},
            availability={"east": True, "west": False},
        ).new
        assert new == 2 * len(published) - 2
    with Session(fleet) as session:
        east, west = session.get_one(Wall, "east"), session.get_one(Wall, "west")
        assert (east.last_seq, east.online, east.gap_since) == (len(published), True, None)
        assert (west.last_seq, west.max_seq, west.online, west.gap_since) == (4, len(published), False, NOW)
        assert fleet_says(session, "east") == wall_says(busy_wall.service.snapshot())


def test_a_wall_another_collector_is_folding_is_stored_not_waited_for_and_folded_the_next_time(postgres_url, busy_wall):
    fleet = open_fleet(postgres_url)
    published = payloads_of(busy_wall)
    with Session(fleet) as session, session.begin():
        record_state(session, "test", snapshot_payload(busy_wall.service.snapshot()), NOW)
        record_events(session, "test", published[:5], NOW)
    with Session(fleet) as other:  # another collector, in the middle of folding this wall
        other.begin()
        lock_walls(other, {"test"})
        with Session(fleet) as session, session.begin():
            written = record(session, NOW, events={"test": published[5:]}, skip_locked=True)
        assert (written.new, written.skipped) == (len(published) - 5, {"test"})
        other.rollback()
    with Session(fleet) as session:
        assert session.scalar(select(func.count()).select_from(Event)) == len(published)
        assert session.get_one(Wall, "test").last_seq == 5

    with Session(fleet) as session, session.begin():
        assert record(session, NOW, refold={"test"}, skip_locked=True).skipped == set()
    with Session(fleet) as session:
        assert session.get_one(Wall, "test").last_seq == len(published)
        assert fleet_says(session, "test") == wall_says(busy_wall.service.snapshot())
        assert session.scalar(select(func.count()).select_from(Event).where(Event.period_id.is_(None))) == 0
    fleet.dispose()
