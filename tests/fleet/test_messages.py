"""What the collector accepts from the broker: only what a wall publishes; anything else is left out, not written."""

import json

import pytest

from board.fleet.collector import parse

EVENT = {"seq": 6, "type": "attempt_confirmed", "at": "2025-03-12T15:05:10+01:00", "person": {"id": 1, "name": "Sanne"},
         "coach": {"id": 1, "name": "Mo"}, "slot": "B3", "via": "slot", "period_id": 1, "attempt_id": 1}  # fmt: skip


def test_an_event_on_its_own_topic_is_read_with_the_board_id_from_the_topic():
    assert parse("wallboard/wall-7/event/attempt_confirmed", json.dumps(EVENT).encode(), "c1") == (
        "event",
        "wall-7",
        EVENT,
    )


@pytest.mark.parametrize(
    "change",
    [
        {"seq": "6"},
        {"seq": 0},
        {"seq": True},
        {"type": "card_placed"},  # not the topic's type
        {"at": "2025-03-12T15:05:10"},  # no offset: not a wall's time
        {"at": "yesterday"},
        {"person": 1},
        {"person": {"id": "1"}},
        {"slot": 3},
    ],
)
def test_an_event_a_wall_could_not_have_published_is_left_out(change):
    assert parse("wallboard/wall-7/event/attempt_confirmed", json.dumps(EVENT | change).encode(), "c1") is None


def test_an_unknown_type_invalid_json_or_another_base_topic_is_left_out():
    assert parse("wallboard/wall-7/event/tea_made", json.dumps(EVENT | {"type": "tea_made"}).encode(), "c1") is None
    assert parse("wallboard/wall-7/event/attempt_confirmed", b"{not json", "c1") is None
    assert parse("office/wall-7/event/attempt_confirmed", json.dumps(EVENT).encode(), "c1") is None
    assert parse("wallboard/wall-7/availability", b"", "c1") is None  # a retained message cleared


def test_a_state_without_a_usable_layout_is_left_out():
    good = {"levels": [{"id": "A", "name": "Start", "slots": [{"id": "A1", "person": None}]}]}
    assert parse("wallboard/w/state", json.dumps(good).encode(), "c1") == ("state", "w", good)
    for broken in ([{"id": "A", "slots": []}], [{"id": "A", "name": "Start", "slots": ["A1"]}], "A"):
        assert parse("wallboard/w/state", json.dumps({"levels": broken}).encode(), "c1") is None


def test_an_events_get_answer_is_read_only_on_this_collectors_own_topic_and_keeps_only_real_events():
    answer = {"status": "ok", "data": {"events": [EVENT, EVENT | {"seq": -1}], "next": 6, "more": False}}
    body = json.dumps(answer).encode()
    assert parse("wallboard/w/response/c1", body, "c1") == ("response", "w", answer["data"] | {"events": [EVENT]})
    assert parse("wallboard/w/response/c2", body, "c1") is None
    refused = {"status": "error", "error": {"code": "busy", "message": "later"}}
    assert parse("wallboard/w/response/c1", json.dumps(refused).encode(), "c1") is None
