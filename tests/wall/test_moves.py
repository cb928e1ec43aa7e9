"""Cards placed, lifted, moved and taken off the wall."""

from board.core.events import EventType
from board.core.snapshot import SlotStatus
from tests.harness import DAAN, SANNE, STRANGER, types


def test_a_card_hung_in_an_empty_slot_is_placed_there(wall):
    events = wall.show("A1", SANNE)
    assert types(events) == [EventType.CARD_PLACED]
    assert events[0].slot_id == "A1" and events[0].person_id == wall.people["Sanne"]
    assert wall.slot_of(wall.people["Sanne"]) == "A1"


def test_a_card_lifted_from_a1_and_placed_in_b2_within_the_move_window_is_one_move(wall):
    wall.show("A1", SANNE)
    lifted = wall.show("A1")
    wall.wait(5)
    placed = wall.show("B2", SANNE)
    assert lifted == []
    assert types(placed) == [EventType.CARD_MOVED]
    move = placed[0]
    assert (move.details["from_slot"], move.slot_id) == ("A1", "B2")
    assert move.details["level_change"] == 1
    assert wall.slot_of(wall.people["Sanne"]) == "B2"


def test_a_card_that_shows_up_in_b2_before_a1_lets_go_is_still_one_move(wall):
    wall.show("A1", SANNE)
    wall.readers["A1"].set_tags([])
    wall.readers["B2"].set_tags([SANNE])
    events = wall.wait(1)
    assert types(events) == [EventType.CARD_MOVED]
    assert wall.slot_of(wall.people["Sanne"]) == "B2"


def test_a_card_put_back_in_its_own_slot_records_nothing(wall):
    wall.show("A1", SANNE)
    wall.show("A1")
    wall.wait(3)
    assert wall.show("A1", SANNE) == []
    assert wall.wait(60) == []


def test_a_card_that_stays_off_the_wall_past_the_move_window_is_off_the_wall(wall):
    wall.show("B1", SANNE)
    wall.show("B1")
    assert wall.wait(14) == []
    events = wall.wait(2)
    assert types(events) == [EventType.CARD_OFF_WALL]
    assert events[0].slot_id == "B1"
    assert wall.slot_of(wall.people["Sanne"]) is None
    assert wall.service.snapshot().slot("B1").status is SlotStatus.EMPTY


def test_a_card_back_on_the_wall_after_being_off_it_is_placed_with_its_level_change(wall):
    wall.show("A1", SANNE)
    wall.show("A1")
    wall.wait(30)
    events = wall.show("C3", SANNE)
    assert types(events) == [EventType.CARD_PLACED]
    assert events[0].details["level_change"] == 2


def test_moving_down_a_level_is_a_move_with_a_negative_level_change(wall):
    wall.show("C1", DAAN)
    wall.show("C1")
    events = wall.show("A2", DAAN)
    assert events[0].details["level_change"] == -2
    assert "Daan" not in wall.service.snapshot().moved_up


def test_who_moved_up_this_period_is_listed_in_order(wall):
    wall.show("A1", SANNE)
    wall.show("A2", DAAN)
    wall.show("A1")
    wall.show("B1", SANNE)
    wall.show("A2")
    wall.show("C2", DAAN)
    assert wall.service.snapshot().moved_up == ("Sanne", "Daan")


def test_an_unknown_tag_in_a_slot_is_announced_and_shown_as_unknown(wall):
    events = wall.show("A3", STRANGER)
    assert types(events) == [EventType.UNKNOWN_TAG]
    assert events[0].uid == STRANGER
    view = wall.service.snapshot().slot("A3")
    assert view.status is SlotStatus.UNKNOWN and view.unknown_uid == STRANGER


def test_an_unknown_tag_taken_away_leaves_an_empty_slot(wall):
    wall.show("A3", STRANGER)
    events = wall.show("A3")
    assert types(events) == [EventType.CARD_REMOVED]
    assert wall.service.snapshot().slot("A3").status is SlotStatus.EMPTY


def test_the_recorded_time_carries_the_walls_utc_offset(wall):
    event = wall.show("A1", SANNE)[0]
    assert event.at.utcoffset().total_seconds() == 3600  # Amsterdam in November
    assert event.as_payload()["at"].endswith("+01:00")


def test_a_moved_card_is_marked_for_the_screen_highlight_but_a_first_hanging_is_not(wall):
    wall.show("A1", SANNE)
    wall.show("A2", DAAN)
    wall.show("A1")
    moved = wall.show("B1", SANNE)[0]
    snapshot = wall.service.snapshot()
    assert snapshot.slot("B1").moved_at == moved.at
    assert snapshot.slot("A2").moved_at is None
