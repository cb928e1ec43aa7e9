"""Every command over a real broker: its happy path and its errors; refused requests change nothing."""

import base64
import json
import time
from datetime import datetime

import pytest

from board.app.config import Config
from board.mqtt.commands import COMMANDS
from sensors.base import Reader
from sensors.emulated import EmulatedWall
from tests.mqtt.test_commands import png
from tests.mqtt.wall import DAAN, MO_BADGE, SANNE, RunningWall, write_wall_config

UNKNOWN_TAG = "DEADBEEF"


def test_every_documented_command_has_a_handler():
    from board.mqtt.api import HANDLERS

    assert set(HANDLERS) == set(COMMANDS)


def test_people_are_added_updated_listed_and_archived(running):
    photo = base64.b64encode(png(3, 2)).decode()
    person = running.ok("person/add", {"name": "Sanne", "photo": photo})["person"]
    assert person | {"id": 0} == {
        "id": 0,
        "name": "Sanne",
        "photo": person["photo"],
        "cards": [],
        "slot": None,
        "archived": False,
    }
    stored = running.config.photos_dir / person["photo"]
    assert stored.suffix == ".jpeg" and stored.read_bytes().startswith(b"\xff\xd8")  # re-encoded, as the screen wants

    updated = running.ok("person/update", {"id": person["id"], "name": "Sanne Jansen"})["person"]
    assert updated["name"] == "Sanne Jansen" and updated["photo"] == person["photo"]
    assert [p["name"] for p in running.ok("people/list")["people"]] == ["Sanne Jansen"]

    assert running.ok("person/archive", {"id": person["id"]})["person"]["archived"] is True
    assert running.ok("people/list")["people"] == []
    assert len(running.ok("people/list", {"archived": True})["people"]) == 1
    assert running.error("person/archive", {"id": person["id"]}) == "conflict"


def test_a_request_with_a_10_kB_name_gets_an_error_and_changes_nothing(running):
    before = running.ok("events/get")["events"]
    assert running.error("person/add", {"name": "x" * 10_000}) == "invalid_request"
    assert running.ok("events/get")["events"] == before
    assert running.ok("people/list")["people"] == []


@pytest.mark.parametrize(
    "command, payload",
    [
        ("person/update", {"id": 99, "name": "Nobody"}),
        ("person/archive", {"id": 99}),
        ("card/assign", {"person_id": 99, "uid": SANNE}),
        ("card/unassign", {"uid": UNKNOWN_TAG}),
        ("card/enroll", {"person_id": 99}),
        ("coach/remove", {"id": 99}),
        ("attempt/add", {"person_id": 99, "reason": "by hand"}),
        ("attempt/void", {"id": 99, "reason": "wrong"}),
        ("move/correct", {"person_id": 99, "slot": "A1", "reason": "fix"}),
    ],
)
def test_unknown_ids_are_not_found(running, command, payload):
    assert running.error(command, payload) == "not_found"


def test_cards_are_assigned_and_unassigned_and_a_card_has_one_owner(running):
    people = running.add_people()
    assert running.ok("people/list")["people"][0]["cards"] == [SANNE]
    assert running.error("card/assign", {"person_id": people["Daan"], "uid": SANNE}) == "conflict"
    assert running.error("card/assign", {"person_id": people["Daan"], "uid": MO_BADGE}) == "conflict"
    assert running.ok("card/unassign", {"uid": SANNE})["person"]["cards"] == []
    assert running.ok("card/assign", {"person_id": people["Daan"], "uid": SANNE})["person"]["id"] == people["Daan"]


def test_enrolling_assigns_the_next_unknown_tag_seen_at_any_reader(running):
    sanne = running.ok("person/add", {"name": "Sanne"})["person"]["id"]
    running.admin.publish(
        f"{running.base}/request/card/enroll", {"transaction": "e", "person_id": sanne, "timeout": 30}
    )
    running.wait_until(lambda: running.service._enrollment is not None)
    running.readers["A2"].set_tags([UNKNOWN_TAG])
    response = running.admin.wait_for(f"{running.base}/response/card/enroll").json()
    assert response == {
        "transaction": "e",
        "status": "ok",
        "data": {"person": response["data"]["person"] | {"cards": [UNKNOWN_TAG]}},
    }
    running.wait_until(lambda: running.slot_of(sanne) == "A2")  # and the card arrived where it hangs


def test_enrolling_times_out_when_no_unknown_tag_comes(running):
    sanne = running.ok("person/add", {"name": "Sanne"})["person"]["id"]
    assert running.admin.request("card/enroll", {"person_id": sanne, "timeout": 5})["error"]["code"] == "timeout"


def test_coaches_are_added_and_removed(running):
    people = running.add_people()
    coach = running.ok("coach/add", {"name": "Daan", "uid": "C0AC0009", "person_id": people["Daan"]})["coach"]
    assert coach | {"id": 0} == {"id": 0, "name": "Daan", "uid": "C0AC0009", "person_id": people["Daan"]}
    assert running.error("coach/add", {"name": "Again", "uid": "C0AC0009"}) == "conflict"
    assert running.ok("coach/remove", {"id": coach["id"]})["coach"]["id"] == coach["id"]
    assert running.error("coach/remove", {"id": coach["id"]}) == "not_found"


def test_goals_are_set_for_this_period_and_the_next(running):
    assert running.ok("goal/set", {"goal": 120})["period"]["goal"] == 120
    data = running.ok("goal/set", {"goal": 80, "period": "next"})
    assert data["period"]["goal"] == 120 and data["next_goal"] == 80
    closed = running.ok("period/close")["period"]
    assert closed["goal"] == 80 and closed["count"] == 0
    assert running.ok("state/get")["state"]["period"]["goal"] == 80


def test_attempts_are_added_by_hand_and_voided_with_a_reason(running):
    people = running.add_people()
    attempt = running.ok("attempt/add", {"person_id": people["Sanne"], "coach_id": 1, "reason": "badge forgotten"})[
        "attempt"
    ]
    assert attempt["voided"] is False and attempt["person_id"] == people["Sanne"]
    assert running.ok("state/get")["state"]["period"]["count"] == 1
    # the duplicate rule still holds for a coach
    assert running.error("attempt/add", {"person_id": people["Sanne"], "coach_id": 1, "reason": "again"}) == "conflict"
    assert running.ok("attempt/void", {"id": attempt["id"], "reason": "entered twice"})["attempt"]["voided"] is True
    assert running.ok("state/get")["state"]["period"]["count"] == 0
    assert running.error("attempt/void", {"id": attempt["id"], "reason": "again"}) == "conflict"


def test_the_void_of_an_attempt_names_its_coach_also_one_retired_since(running, connect):
    people = running.add_people()
    attempt = running.ok("attempt/add", {"person_id": people["Sanne"], "coach_id": 1, "reason": "badge forgotten"})
    running.ok("coach/remove", {"id": 1})
    watcher, _ = running.settled_subscriber(connect)
    running.ok("attempt/void", {"id": attempt["attempt"]["id"], "reason": "entered twice"})
    voided = watcher.wait_for(f"{running.base}/event/attempt_voided").json()
    assert voided["coach"] == {"id": 1, "name": "Mo"} and voided["person"] == {"id": people["Sanne"], "name": "Sanne"}


def test_a_move_is_corrected_when_the_wall_and_the_data_disagree(running):
    people = running.add_people()
    person = running.ok("move/correct", {"person_id": people["Sanne"], "slot": "B2", "reason": "reader was down"})[
        "person"
    ]
    assert person["slot"] == "B2"
    assert running.error("move/correct", {"person_id": people["Sanne"], "slot": "B2", "reason": "again"}) == "conflict"
    assert running.error("move/correct", {"person_id": people["Sanne"], "slot": "Z9", "reason": "?"}) == "not_found"
    assert (
        running.ok("move/correct", {"person_id": people["Sanne"], "slot": None, "reason": "taken home"})["person"][
            "slot"
        ]
        is None
    )


def test_state_events_display_and_health(running):
    running.add_people()
    running.readers["A1"].set_tags([SANNE])
    running.wait_until(lambda: running.slot_of(1) == "A1")
    state = running.ok("state/get")["state"]
    assert state["levels"][0]["slots"][0]["person"]["name"] == "Sanne"

    page = running.ok("events/get", {"since": 0, "limit": 2})
    assert [event["seq"] for event in page["events"]] == [1, 2] and page["next"] == 2 and page["more"]
    rest = running.ok("events/get", {"since": page["next"], "limit": 1000})
    assert rest["more"] is False and rest["events"][-1]["type"] == "card_placed"

    until = running.ok("display/message", {"text": "Koffie!", "seconds": 60})["until"]
    assert until and running.ok("state/get")["state"]["message"] == "Koffie!"

    health = running.ok("health")
    assert health["last_event_seq"] == rest["events"][-1]["seq"] and health["readers_offline"] == []


@pytest.mark.parametrize(
    "payload, code",
    [
        (b"{not json", "invalid_json"),
        (b"[1, 2, 3]", "invalid_request"),
        (json.dumps({"name": 5}).encode(), "invalid_request"),
        (json.dumps({"name": "Sanne", "admin": True}).encode(), "invalid_request"),
        (json.dumps({"name": "Sa\x00nne"}).encode(), "invalid_request"),
    ],
)
def test_malformed_requests_get_a_stable_error_code(running, payload, code):
    running.admin.publish(f"{running.base}/request/person/add", payload, raw=True)
    response = running.admin.wait_for(f"{running.base}/response/person/add").json()
    assert response["status"] == "error" and response["error"]["code"] == code
    assert running.ok("people/list")["people"] == []


def test_an_unknown_command_is_answered_on_its_own_response_topic(running):
    assert running.error("person/delete", {"id": 1}) == "unknown_command"


def test_a_retained_request_is_never_carried_out(running):
    assert running.error("person/add", {"name": "Ghost"}, retain=True) == "retained_request"
    assert running.ok("people/list")["people"] == []


def test_an_oversized_payload_is_refused_unread(running):
    huge = {"name": "Sanne", "photo": "A" * running.config.mqtt.max_payload_bytes}
    running.admin.publish(f"{running.base}/request/person/add", huge)
    response = running.admin.wait_for(f"{running.base}/response/person/add").json()
    assert response == {"transaction": None, "status": "error", "error": response["error"]}
    assert response["error"]["code"] == "payload_too_large"
    assert running.ok("people/list")["people"] == []


def test_mqtt5_response_topic_and_correlation_data_are_honoured(running):
    reply_topic = f"{running.base}/response/admin-42"
    running.admin.subscribe(reply_topic)
    properties = running.admin.request_properties(reply_topic, b"corr-1")
    running.admin.publish(f"{running.base}/request/health", {"transaction": 9}, properties=properties)
    reply = running.admin.wait_for(reply_topic)
    assert reply.json()["status"] == "ok" and reply.json()["transaction"] == 9
    assert reply.properties.CorrelationData == b"corr-1"


def test_a_simulated_wall_is_driven_end_to_end_over_the_broker(running, broker):
    assert f"{running.base}/sim/reader" in broker.subscriptions(running.mqtt.link.client_id)
    people = running.add_people()
    watcher = running.admin
    watcher.subscribe(f"{running.base}/event/#")
    watcher.publish(f"{running.base}/sim/reader", {"reader": "A3", "tags": [DAAN]})
    placed = watcher.wait_for(f"{running.base}/event/card_placed").json()
    assert placed["person"] == {"id": people["Daan"], "name": "Daan"} and placed["slot"] == "A3"
    watcher.publish(f"{running.base}/sim/reader", {"reader": "nope", "tags": []})  # ignored, wall alive
    assert running.ok("health")["readers_offline"] == []


EMULATED_RC522_WIRING = """
[readers.decoder]
address_pins = [5, 6, 13]

[readers.wiring]
A1 = { chip_select = "decoder0" }
A2 = { chip_select = "decoder1" }
A3 = { chip_select = "decoder2" }
B1 = { chip_select = "decoder3" }
B2 = { chip_select = "decoder4" }
B3 = { chip_select = "decoder5" }
pad = { chip_select = "decoder6" }
"""


def emulated_rc522_readers(config: Config) -> dict[str, Reader]:
    return EmulatedWall(config.readers).build_readers()


def test_a_wall_of_real_readers_neither_subscribes_to_nor_acts_on_sim_reader(broker, connect, tmp_path):
    config_path = write_wall_config(tmp_path, broker)
    config_path.write_text(
        config_path.read_text().replace("[readers]\n", '[readers]\nkind = "rc522"\n') + EMULATED_RC522_WIRING
    )
    wall = RunningWall(config_path, broker, build_readers=emulated_rc522_readers)
    try:
        people = wall.add_people()
        subscribed = broker.subscriptions(wall.mqtt.link.client_id)
        assert f"{wall.base}/request/#" in subscribed and f"{wall.base}/sim/reader" not in subscribed

        watcher, _next_seq = wall.settled_subscriber(connect)
        wall.admin.publish(f"{wall.base}/sim/reader", {"reader": "A3", "tags": [DAAN]})
        assert watcher.nothing_within(0.5)
        assert wall.slot_of(people["Daan"]) is None
        assert wall.ok("health")["readers_offline"] == []  # its emulated RC522s answer
    finally:
        wall.close()


def test_events_since_a_seq_beyond_any_integer_sqlite_holds_is_refused_not_a_crash(running):
    assert running.error("events/get", {"since": 2**64}) == "invalid_request"


def test_an_mqtt5_response_topic_outside_the_response_topics_is_ignored(running, connect):
    """Else an admin could make the wall publish a fake event, which the ACL forbids admins."""
    watcher = connect("viewer").subscribe(f"{running.base}/event/#")
    properties = running.admin.request_properties(f"{running.base}/event/attempt_confirmed", b"corr-1")
    response = running.admin.request("health", {}, properties=properties)
    assert response["status"] == "ok"
    assert watcher.nothing_within(0.5)


def test_a_refused_person_update_stores_no_photo(running):
    person = running.ok("person/add", {"name": "Sanne"})["person"]
    running.ok("person/archive", {"id": person["id"]})
    photo = base64.b64encode(png(3, 2)).decode()
    assert running.error("person/update", {"id": person["id"], "photo": photo}) == "conflict"
    assert running.error("person/update", {"id": 99, "photo": photo}) == "not_found"
    photos = running.config.photos_dir
    assert not photos.exists() or list(photos.iterdir()) == []


def test_events_go_out_while_a_request_with_a_photo_is_being_checked(running, connect, monkeypatch):
    """Decoding a photo takes a Pi a while; paho's network thread, which carries the events, must not wait for it."""
    from board.mqtt import photos

    reencode = photos._reencode_in_child
    monkeypatch.setattr(photos, "_reencode_in_child", lambda *args: (time.sleep(3), reencode(*args))[1])
    people = running.add_people()
    watcher, _next_seq = running.settled_subscriber(connect)
    running.admin.publish(
        f"{running.base}/request/person/add", {"name": "Noor", "photo": base64.b64encode(png(3, 2)).decode()}
    )
    running.readers["A1"].set_tags([SANNE])
    placed = watcher.wait_for(f"{running.base}/event/card_placed", timeout=2).json()
    assert placed["person"]["id"] == people["Sanne"]
    assert running.admin.wait_for(f"{running.base}/response/person/add", timeout=10).json()["status"] == "ok"


def test_people_list_comes_a_page_at_a_time(running):
    ids = [running.service.add_person(f"Person {number}") for number in range(7)]
    first = running.ok("people/list", {"limit": 3})
    assert [p["id"] for p in first["people"]] == ids[:3] and first["more"] and first["next"] == ids[2]
    rest = running.ok("people/list", {"since": first["next"], "limit": 10})
    assert [p["id"] for p in rest["people"]] == ids[3:] and not rest["more"]


def test_an_answer_larger_than_the_payload_limit_is_never_published_the_asker_gets_a_hint(running):
    for number in range(20):
        running.service.add_person(f"Somebody with a rather long name, number {number}")
    running.mqtt.requests.max_payload_bytes = 2048
    response = running.admin.request("people/list", {"limit": 20})
    assert response["status"] == "error" and response["error"]["code"] == "payload_too_large"
    assert "smaller page" in response["error"]["message"]
    assert len(running.ok("people/list", {"limit": 5})["people"]) == 5
    assert running.mqtt.link.ready  # the broker never saw an oversized packet


def test_requests_beyond_the_waiting_bound_are_answered_busy_and_the_rest_run(running):
    import threading

    from board.mqtt.api import MAX_WAITING_REQUESTS

    gate = threading.Event()
    running.service.submit(lambda: gate.wait(30))  # the service thread is busy for now
    extra = 10
    for number in range(MAX_WAITING_REQUESTS + extra):
        running.admin.publish(f"{running.base}/request/health", {"transaction": number})
    answers = [running.admin.wait_for(f"{running.base}/response/health", timeout=10).json() for _ in range(extra)]
    assert all(answer["error"]["code"] == "busy" for answer in answers)
    gate.set()
    answers = [
        running.admin.wait_for(f"{running.base}/response/health", timeout=20).json()
        for _ in range(MAX_WAITING_REQUESTS)
    ]
    assert all(answer["status"] == "ok" for answer in answers)
    assert running.ok("health")["outbox_pending"] >= 0  # and the bound is free again


def test_under_mqtt_3_1_1_a_retained_request_runs_once_live_and_never_again_at_a_reconnect(broker, connect, tmp_path):
    """MQTT 3.1.1 brokers clear the retain flag on live delivery, so the wall cannot tell a
    retained request from another while it is connected (docs/mqtt.md says so); what the
    broker keeps and hands out again at every reconnect carries the flag and never runs."""
    from tests.mqtt.wall import RunningWall, write_wall_config

    config_path = write_wall_config(tmp_path, broker)
    config_path.write_text(config_path.read_text().replace("[mqtt]\n", '[mqtt]\nprotocol = "3.1.1"\n'))
    wall = RunningWall(config_path, broker)
    try:
        wall.admin.publish(f"{wall.base}/request/person/add", {"name": "Ghost"}, retain=True)
        assert wall.admin.wait_for(f"{wall.base}/response/person/add").json()["status"] == "ok"
    finally:
        wall.close()
    watcher = connect("admin").subscribe(f"{wall.base}/response/#")
    wall = RunningWall(config_path, broker)  # reconnects: the broker hands the retained request out again
    try:
        answer = watcher.wait_for(f"{wall.base}/response/person/add", timeout=10).json()
        assert answer["error"]["code"] == "retained_request"
        assert [person["name"] for person in wall.ok("people/list")["people"]] == ["Ghost"]
    finally:
        wall.admin.publish(f"{wall.base}/request/person/add", b"", retain=True, raw=True)  # clear it
        wall.close()


def test_export_get_pages_through_every_attempt_once(running):
    people = running.add_people()
    for _ in range(5):
        running.ok("attempt/add", {"person_id": people["Sanne"], "reason": "on the floor"})
    running.ok("attempt/void", {"id": 2, "reason": "twice"})
    seen, after, more = [], 0, True
    while more:
        data = running.ok("export/get", {"table": "attempts", "period": "current", "after": after, "limit": 2})
        assert len(data["rows"]) <= 2 and data["columns"][0] == "attempt_id"
        seen += data["rows"]
        after, more = data["next"], data["more"]
    assert [row["attempt_id"] for row in seen] == [1, 2, 3, 4, 5]
    assert [row["voided"] for row in seen] == [False, True, False, False, False]
    assert running.error("export/get", {"table": "secrets"}) == "invalid_request"
    assert running.error("export/get", {"table": "attempts", "period": "../../etc"}) == "invalid_request"
    assert running.error("export/get", {"table": "attempts", "period": "999"}) == "not_found"


def test_closing_a_period_answers_with_its_awards(running):
    people = running.add_people()
    running.ok("attempt/add", {"person_id": people["Sanne"], "coach_id": 1, "reason": "on the floor"})
    awards = running.ok("period/close")["awards"]
    assert [award["award"] for award in awards] == ["team", "most_attempts", "first_attempt", "coach"]
    assert awards[1]["winners"] == [{"id": people["Sanne"], "name": "Sanne", "value": 1}]


def test_display_harvest_shows_a_period_on_the_screen_until_told_otherwise(running):
    assert running.error("display/harvest", {"period": "last"}) == "not_found"  # no period has ended yet
    running.ok("period/close")
    until = running.ok("display/harvest", {"period": "last", "seconds": 900})["until"]
    started = running.ok("state/get")["state"]["period"]["starts_at"]
    assert datetime.fromisoformat(until) > datetime.fromisoformat(started)  # instants: offsets differ across DST
    running.wait_until(lambda: running.service.snapshot().harvest is not None)
    running.ok("display/harvest", {"period": "last", "seconds": 0})
    running.wait_until(lambda: running.service.snapshot().harvest is None)
    assert running.error("display/harvest", {"period": "2026-01-01..2026-01-02"}) == "invalid_request"
