"""The deploy ACL, checked on a real broker: who may publish requests, who only reads."""

BASE = "wallboard/wall-1"


def test_an_admin_request_reaches_the_board(connect):
    board = connect("wallboard").subscribe(f"{BASE}/request/#")
    assert not connect("admin").publish(f"{BASE}/request/health", {}).is_failure
    assert board.wait_for(f"{BASE}/request/health").json() == {}


def test_a_viewer_cannot_send_requests_and_nothing_happens(connect):
    board = connect("wallboard").subscribe(f"{BASE}/request/#")
    reason = connect("viewer").publish(f"{BASE}/request/person/archive", {"id": 1})
    assert reason.value == 135  # MQTT 5 "not authorized"; a 3.1.1 client would hear nothing at all
    assert board.nothing_within(0.3)


def test_a_viewer_reads_state_and_events_but_not_requests(connect):
    viewer = connect("viewer").subscribe(f"{BASE}/#")
    board = connect("wallboard")
    board.publish(f"{BASE}/state", {"version": 1}, retain=True)
    board.publish(f"{BASE}/event/card_placed", {"seq": 1})
    connect("admin").publish(f"{BASE}/request/health", {})
    assert [viewer.next().topic, viewer.next().topic] == [f"{BASE}/state", f"{BASE}/event/card_placed"]
    assert viewer.nothing_within(0.3)


def test_the_board_cannot_send_itself_requests_nor_others_fake_events(connect):
    admin = connect("admin").subscribe(f"{BASE}/#")
    assert connect("wallboard").publish(f"{BASE}/request/period/close", {}).value == 135
    assert connect("admin").publish(f"{BASE}/event/attempt_confirmed", {"seq": 9}).value == 135
    assert admin.nothing_within(0.3)


def test_home_assistant_sends_only_the_screen_message_the_harvest_and_the_goal(connect):
    board = connect("wallboard").subscribe(f"{BASE}/request/#")
    home_assistant = connect("homeassistant")
    assert not home_assistant.publish(f"{BASE}/request/display/message", {"text": "Koffie!"}).is_failure
    assert not home_assistant.publish(f"{BASE}/request/display/harvest", {"period": "last"}).is_failure
    assert not home_assistant.publish(f"{BASE}/request/goal/set", {"goal": 40}).is_failure
    assert [board.next().topic for _ in range(3)] == [
        f"{BASE}/request/display/message",
        f"{BASE}/request/display/harvest",
        f"{BASE}/request/goal/set",
    ]
    for command in ("person/archive", "attempt/void", "period/close"):
        assert home_assistant.publish(f"{BASE}/request/{command}", {"id": 1}).value == 135
    assert board.nothing_within(0.3)


def test_home_assistant_reads_the_walls_state_events_and_discovery_but_no_answers_to_admins(connect):
    home_assistant = connect("homeassistant").subscribe(f"{BASE}/#", "homeassistant/#")
    board = connect("wallboard")
    board.publish(f"{BASE}/state", {"version": 1}, retain=True)
    board.publish(f"{BASE}/event/goal_reached", {"seq": 1})
    board.publish(f"{BASE}/response/health", {"status": "ok"})
    board.publish("homeassistant/device/wallboard_wall-1/config", {"components": {}}, retain=True)
    assert [home_assistant.next().topic for _ in range(3)] == [
        f"{BASE}/state",
        f"{BASE}/event/goal_reached",
        "homeassistant/device/wallboard_wall-1/config",
    ]
    assert home_assistant.nothing_within(0.3)


def test_only_the_wall_announces_the_wall_to_home_assistant(connect):
    for user in ("homeassistant", "admin", "viewer"):
        assert connect(user).publish("homeassistant/device/wallboard_wall-1/config", {}, retain=True).value == 135
