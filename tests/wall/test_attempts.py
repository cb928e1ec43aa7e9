"""Coach-confirmed attempts: on the wall, on the coach pad, and the rules against abuse."""

from board.core.events import EventType
from board.wall.rules import RejectReason
from tests.harness import DAAN, ILSE, ILSE_BADGE, MO_BADGE, SANNE, STRANGER, types


def confirmed(events):
    return [e for e in events if e.type is EventType.ATTEMPT_CONFIRMED]


def rejection(events):
    [event] = [e for e in events if e.type is EventType.ATTEMPT_REJECTED]
    return event.details["reason"]


def test_a_coach_badge_on_an_occupied_slot_confirms_an_attempt_for_that_slots_person(wall):
    wall.show("B2", SANNE)
    events = wall.tap("B2", MO_BADGE)
    [attempt] = confirmed(events)
    assert attempt.person_id == wall.people["Sanne"]
    assert attempt.details["coach_name"] == "Mo" and attempt.details["via"] == "slot"
    assert wall.service.snapshot().period.count == 1


def test_a_badge_held_against_a_polaroid_does_not_move_the_card(wall):
    wall.show("B2", SANNE)
    events = wall.tap("B2", MO_BADGE)
    assert EventType.CARD_MOVED not in types(events) and EventType.CARD_OFF_WALL not in types(events)
    assert wall.slot_of(wall.people["Sanne"]) == "B2"


def test_a_coach_badge_on_an_empty_slot_confirms_nothing(wall):
    events = wall.tap("A4", MO_BADGE)
    assert confirmed(events) == []
    assert rejection(events) == RejectReason.NO_CARD


def test_an_unregistered_badge_on_a_polaroid_is_rejected_as_unknown(wall):
    wall.show("A1", DAAN)
    events = wall.tap("A1", STRANGER)
    assert confirmed(events) == []
    assert rejection(events) == RejectReason.UNKNOWN_BADGE


def test_a_coach_cannot_confirm_their_own_attempt(wall):
    wall.show("A2", ILSE)
    events = wall.tap("A2", ILSE_BADGE)
    assert confirmed(events) == []
    assert rejection(events) == RejectReason.SELF_CONFIRM


def test_the_same_coach_and_person_within_the_duplicate_window_count_once(wall):
    wall.show("A1", SANNE)
    first = wall.tap("A1", MO_BADGE)
    wall.wait(30)
    second = wall.tap("A1", MO_BADGE)
    assert len(confirmed(first)) == 1
    assert rejection(second) == RejectReason.DUPLICATE
    wall.wait(31)
    assert len(confirmed(wall.tap("A1", MO_BADGE))) == 1
    assert wall.service.snapshot().period.count == 2


def test_another_coach_may_confirm_the_same_person_straight_away(wall):
    wall.show("A1", SANNE)
    wall.tap("A1", MO_BADGE)
    assert len(confirmed(wall.tap("A1", ILSE_BADGE))) == 1


def test_a_badge_on_the_pad_opens_a_window_in_which_every_card_tapped_gets_an_attempt(wall):
    opened = wall.tap("pad", MO_BADGE)
    assert types(opened) == [EventType.PAD_OPENED]
    sanne = confirmed(wall.tap("pad", SANNE))
    daan = confirmed(wall.tap("pad", DAAN))
    assert [a.person_id for a in sanne + daan] == [wall.people["Sanne"], wall.people["Daan"]]
    assert all(a.details["via"] == "pad" and a.coach_id is not None for a in sanne + daan)


def test_the_pad_window_closes_after_its_timeout(wall):
    wall.tap("pad", MO_BADGE)
    events = wall.wait(21)
    assert types(events) == [EventType.PAD_CLOSED]
    assert events[0].details["reason"] == "timeout"
    assert types(wall.tap("pad", SANNE)) == [EventType.JOURNEY_SHOWN]  # no window: Sanne looks at her journey


def test_a_second_tap_of_the_same_badge_closes_the_pad_window(wall):
    wall.tap("pad", MO_BADGE)
    closed = wall.tap("pad", MO_BADGE)
    assert types(closed) == [EventType.PAD_CLOSED]
    assert types(wall.tap("pad", SANNE)) == [EventType.JOURNEY_SHOWN]


def test_an_employee_card_on_the_pad_without_an_open_window_shows_their_journey_and_records_no_attempt(wall):
    events = wall.tap("pad", SANNE)
    assert confirmed(events) == [] and types(events) == [EventType.JOURNEY_SHOWN]
    assert (events[0].person_id, events[0].uid, events[0].details) == (None, None, {})  # nothing personal


def test_a_coach_cannot_confirm_themself_on_the_pad_either(wall):
    wall.tap("pad", ILSE_BADGE)
    assert rejection(wall.tap("pad", ILSE)) == RejectReason.SELF_CONFIRM


def test_reaching_the_goal_is_celebrated_once(wall):
    wall.show("A1", SANNE)
    wall.show("A2", DAAN)
    reached = []
    for _round in range(3):
        reached += [e for e in wall.tap("A1", MO_BADGE) + wall.tap("A2", MO_BADGE) if e.type is EventType.GOAL_REACHED]
        wall.wait(61)
    assert wall.service.snapshot().period.count == 6
    assert len(reached) == 1 and reached[0].details["count"] == 5


def test_the_thermometer_counts_confirmed_attempts_against_the_goal(wall):
    wall.show("A1", SANNE)
    wall.tap("A1", MO_BADGE)
    wall.tap("A1", ILSE_BADGE)
    period = wall.service.snapshot().period
    assert (period.count, period.goal, period.fraction) == (2, 5, 0.4)
    assert wall.store.thermometer(period.id) == 2
